"""File ▸ Import from ONNX… with files from strangers: one warning naming the file and what is
wrong, the open network and its file untouched; never a hang or an exception (issue 17)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from gui_helpers import small_graph
from onnx import TensorProto, helper, numpy_helper

from netbuilder.gui import export_actions
from netbuilder.gui.onnx_import_action import import_onnx_file


@pytest.fixture
def reports(monkeypatch):
    shown: list[tuple[str, str, str]] = []
    monkeypatch.setattr(export_actions, "show_report",
                        lambda parent, title, text, details="", warning=False: shown.append((title, text, details)))
    return shown


def _model(name: str = "relu", domain: str = "", external: str = "") -> bytes:
    """x (N×4) → Gemm(W) → Relu → y; W stored at `external` when given."""
    w = numpy_helper.from_array(np.ones((3, 4), np.float32), "W")
    if external:
        w.ClearField("raw_data")
        w.data_location = TensorProto.EXTERNAL
        w.external_data.add(key="location", value=external)
    nodes = [helper.make_node("Gemm", ["x", "W"], ["h"], name="fc", transB=1),
             helper.make_node("Relu", ["h"], ["y"], name=name, domain=domain)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], [w])
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(graph, opset_imports=opsets, ir_version=8).SerializeToString()


@pytest.mark.parametrize("case,expect", [
    ("fifo", "not a regular file"),
    ("escape", "outside the model's folder"),
    ("long_name", "has a name of 10,000,000 characters"),
    ("garbage", "not a valid ONNX model"),
])
def test_a_hostile_file_is_refused_with_one_message_and_the_open_network_is_kept(make_window, reports, tmp_path,
                                                                                 case, expect):
    window = make_window(small_graph())
    before = sorted(window.graph.nodes)
    path = tmp_path / "models" / "model.onnx"
    path.parent.mkdir()
    if case == "fifo":
        os.mkfifo(path)
    elif case == "escape":
        (tmp_path / "secret.bin").write_bytes(np.ones(12, np.float32).tobytes())
        path.write_bytes(_model(external="../secret.bin"))
    elif case == "long_name":
        path.write_bytes(_model(name="n" * 10_000_000))
    else:
        path.write_bytes(b'{"format": "netbuilder-graph"}')
    assert import_onnx_file(window, str(path)) is None
    [(title, text, _)] = reports
    assert title == "Import failed" and text.startswith(str(path)) and expect in text and len(text) < 1000
    assert sorted(window.graph.nodes) == before


def test_a_custom_domain_op_is_reported_by_node_name(make_window, reports, tmp_path):
    window = make_window(small_graph())
    path = tmp_path / "custom.onnx"
    path.write_bytes(_model(name="mine", domain="com.example"))
    result = import_onnx_file(window, str(path))
    assert result is not None and not result.complete
    [(title, _, details)] = reports
    assert title == "Imported with parts missing"
    assert "Relu 'mine'" in details and "custom op of the domain 'com.example'" in details
