"""Every export format is loaded back and compared with the compiled graph; a mismatch is an error."""

from __future__ import annotations

import warnings

import pytest
import torch

from core_cases import ALL_CASES, DEFAULT_INPUTS, build_case_graph, default_cases
from export_graphs import code_graphs, lenet, preset, shipped_small_presets, vae

from netbuilder.interchange import export as export_module
from netbuilder.interchange.export import ExportError, export_graph, load_state_dict_file
from netbuilder.core.graph import Graph

FORMATS = ("py", "onnx", "torchscript", "state-dict")
QUICK = ("py", "torchscript", "state-dict")


def _export(graph: Graph, tmp_path, fmt: str, **kw):
    suffix = {"py": ".py", "onnx": ".onnx"}.get(fmt, ".pt")
    result = export_graph(graph, tmp_path / f"model{suffix}", fmt, **kw)
    assert result.path.is_file()
    assert result.max_abs_diff <= 1e-5
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary left over
    return result


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("make", list(code_graphs().values()), ids=list(code_graphs()))
def test_each_format_reproduces_small_graphs(make, fmt, tmp_path):
    result = _export(make(), tmp_path, fmt)
    assert result.batch_size == 3  # not the export example's 2: the batch dimension stayed free
    assert "verified" in result.message()


@pytest.mark.parametrize("fmt", QUICK)
@pytest.mark.parametrize("name", shipped_small_presets())
def test_every_small_preset_exports_verified(name, fmt, tmp_path):
    _export(preset(name), tmp_path, fmt)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["lenet5", "resnet18", "vae"])  # every layer type: test_every_layer_type_...
def test_presets_export_to_onnx_verified(name, tmp_path):
    result = _export(preset(name), tmp_path, "onnx")
    import onnx

    model = onnx.load(str(result.path))
    assert model.opset_import[0].version >= 17
    batch = model.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch.dim_param and not batch.dim_value  # a named, dynamic batch dimension


@pytest.mark.parametrize("fmt", ("torchscript", "state-dict"))
@pytest.mark.parametrize("case", [c for c in ALL_CASES if c.type != "Input"], ids=lambda c: c.id)
def test_every_layer_case_exports_verified(case, fmt, tmp_path):
    with warnings.catch_warnings():
        if case.warns:
            warnings.filterwarnings("ignore", message=case.warns)
        _export(build_case_graph(case), tmp_path, fmt)


def _all_types_graph() -> Graph:
    """Every layer type with its default params, side by side in one graph (one
    ONNX export instead of fifty); node ids start with the type's name."""
    graph = Graph(name="every layer type")
    for case in default_cases():
        if case.type == "Input":
            continue
        part, prefix = build_case_graph(case), case.type.lower()
        for node in part:
            graph.add_node(node.type, node.params, id=f"{prefix}_{node.id}")
        for e in part.edges:
            graph.add_edge(f"{prefix}_{e.src}", f"{prefix}_{e.dst}", e.src_port, e.dst_port)
    return graph


@pytest.mark.slow
def test_every_layer_type_exports_to_onnx(tmp_path):
    graph = _all_types_graph()
    assert {n.type for n in graph} == set(DEFAULT_INPUTS)
    _export(graph, tmp_path, "onnx")


def test_sum_pool_is_rewritten_for_onnx_whose_exporter_drops_divisor_override(tmp_path, monkeypatch):
    graph = Graph(name="sum pool")
    graph.add_node("Input", {"shape": [3, 7, 5]}, id="input")
    graph.add_node("SumPool2d", {"kernel_size": 2, "stride": [2, 1], "padding": 1, "ceil_mode": True}, id="pool")
    graph.add_node("Output", {}, id="out")
    graph.add_edge("input", "pool")
    graph.add_edge("pool", "out")
    _export(graph, tmp_path, "onnx")
    # Without the rewrite, torch.onnx writes an average pool: verification must catch it.
    monkeypatch.setattr(export_module, "_onnx_friendly", lambda graph, report, gm: gm)
    with pytest.raises(ExportError, match=r"does not reproduce the graph: output out by"):
        export_graph(graph, tmp_path / "wrong.onnx", "onnx")
    assert not (tmp_path / "wrong.onnx").exists()


def test_a_mismatch_is_an_error_and_leaves_no_file(tmp_path, monkeypatch):
    real = export_module._export_state_dict

    def corrupted(**kw):
        checker, outputs = real(**kw)
        return checker, [o + 1e-3 for o in outputs]

    monkeypatch.setattr(export_module, "_export_state_dict", corrupted)
    with pytest.raises(ExportError, match=r"output out by 0\.001.*limit 1e-05.*no file was written"):
        export_graph(lenet(), tmp_path / "lenet.pt", "state-dict")
    assert list(tmp_path.iterdir()) == []


def test_random_sampling_in_eval_cannot_be_verified_in_onnx_and_says_why(tmp_path):
    graph = vae()
    graph.set_params("z", {"sample_in_eval": True})
    _export(graph, tmp_path, "py")  # same ops, same seed: verifiable
    with pytest.raises(ExportError, match="z samples random noise in eval mode"):
        export_graph(graph, tmp_path / "vae.onnx", "onnx")


def test_trained_weights_are_exported_and_checked_against_the_graph(tmp_path):
    graph = lenet()
    from netbuilder.core.compile import compile_graph

    trained = compile_graph(graph).state_dict()
    torch.save({"graph": {"name": "whatever"}, "state_dict": trained}, tmp_path / "ckpt.pt")
    state = load_state_dict_file(tmp_path / "ckpt.pt")
    result = _export(graph, tmp_path, "state-dict", state_dict=state)
    saved = torch.load(result.path, weights_only=True)
    assert all(torch.equal(saved[k], trained[k]) for k in trained)


def test_weights_of_another_graph_are_refused_naming_the_keys(tmp_path):
    other = lenet()
    other.set_params("linear_1", {"out_features": 100})
    from netbuilder.core.compile import compile_graph

    state = compile_graph(other).state_dict()
    with pytest.raises(ExportError, match=r"checkpoint does not fit this graph: different shapes for .*"
                                          r"linear_1\.weight \(\(100, 400\) there, \(120, 400\) in the graph\)"):
        export_graph(lenet(), tmp_path / "x.onnx", "onnx", state_dict=state)


def test_unreadable_checkpoint_is_a_clear_error(tmp_path):
    (tmp_path / "bad.pt").write_text("not a checkpoint")
    with pytest.raises(ExportError, match="cannot read it as PyTorch weights"):
        load_state_dict_file(tmp_path / "bad.pt")
    with pytest.raises(ExportError, match="no such file"):
        load_state_dict_file(tmp_path / "missing.pt")


@pytest.mark.parametrize(("kw", "message"), [
    ({"fmt": "keras"}, "unknown export format 'keras'"),
    ({"fmt": "onnx", "opset": 12}, "opset 12 is too old"),
    ({"fmt": "torchscript", "torchscript_mode": "jit"}, "unknown TorchScript mode"),
])
def test_bad_options_are_refused(kw, message, tmp_path):
    fmt = kw.pop("fmt")
    with pytest.raises(ExportError, match=message):
        export_graph(lenet(), tmp_path / "out.bin", fmt, **kw)


def test_a_graph_with_shape_errors_is_not_exported(tmp_path):
    graph = lenet()
    graph.remove_edge(graph.in_edges("linear_1")[0])
    with pytest.raises(ExportError, match="linear_1"):
        export_graph(graph, tmp_path / "x.py", "py")


def test_missing_folder_is_reported(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        export_graph(lenet(), tmp_path / "nowhere" / "x.py", "py")


def test_a_torchscript_file_is_not_taken_for_weights(tmp_path):
    """torch.load warns, then refuses, on a TorchScript archive: the user gets one clear sentence."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit is deprecated, not gone
        torch.jit.script(torch.nn.Linear(2, 2)).save(str(tmp_path / "model.pt"))
    with pytest.raises(ExportError, match=r"model\.pt: .*it is a TorchScript model .*not a state_dict"):
        load_state_dict_file(tmp_path / "model.pt")  # and no UserWarning (warnings are errors here)
