"""ONNX in: files written by torch.onnx.export import with their weights and
match onnxruntime; unmapped ops are named; our own ONNX export round-trips."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from netbuilder.cli import main
from netbuilder.core.diff import diff_graphs
from netbuilder.core.graph import Graph
from netbuilder.core.io import load_graph
from netbuilder.interchange.onnx_check import run_onnx
from netbuilder.interchange.onnx_import import OnnxImportError, import_onnx


class _Cnn(nn.Module):
    """Conv, pooling, a residual Add with a gate, Flatten, view, Linear, BatchNorm1d, Softmax."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.gate = nn.Conv2d(4, 4, 1)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(64, 5)
        self.bn = nn.BatchNorm1d(5)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        y = self.pool(torch.relu(self.conv(x)))
        y = y * torch.sigmoid(self.gate(y)) + y
        y = torch.flatten(y, 1).view(-1, 64)
        return torch.softmax(self.head(torch.relu(self.bn(self.fc(y)))), -1)


class _Seq(nn.Module):
    """Linear on a sequence (ONNX MatMul + Add), transpose, concat, modern activations, global pooling."""

    def __init__(self) -> None:
        super().__init__()
        self.proj = nn.Linear(6, 8)
        self.conv = nn.Conv1d(8, 8, 3, padding=1, groups=2)
        self.act = nn.Hardswish()
        self.leaky = nn.LeakyReLU(0.2)

    def forward(self, x):  # x: (N, 5, 6)
        y = self.proj(x).transpose(1, 2)  # (N, 8, 5)
        y = torch.cat([self.act(self.conv(y)), self.leaky(y)], dim=1)  # (N, 16, 5)
        return torch.nn.functional.avg_pool1d(y, 5)


class _Unsupported(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.out = nn.Linear(4, 2)

    def forward(self, x):
        return self.out(torch.sin(self.fc(x)))


def _export(model: nn.Module, shape: tuple, path: Path) -> Path:
    model.eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, *shape),), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}}, opset_version=17)
    return path


def _randomize_bn(model: nn.Module) -> None:
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.normal_()
            m.running_var.uniform_(0.5, 2.0)


def test_a_cnn_imports_with_its_weights_and_matches_onnxruntime(tmp_path):
    model = _Cnn()
    _randomize_bn(model)
    result = import_onnx(_export(model, (1, 8, 8), tmp_path / "cnn.onnx"))
    assert result.complete, result.report()
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-5
    assert result.checked_with == "onnxruntime"
    types = sorted(n.type for n in result.graph.nodes.values())
    assert types.count("Conv2d") == 2 and types.count("Linear") == 2 and "BatchNorm1d" in types
    assert {"MaxPool2d", "Multiply", "Add", "Sigmoid", "Flatten", "Reshape", "Softmax"} <= set(types)
    assert result.graph.nodes["conv"].params["padding"] == 1
    assert result.graph.nodes["x"].params["shape"] == [1, 8, 8]
    torch_weights = sum(p.numel() for p in model.parameters()) + 2 * 5  # + BatchNorm running mean/var
    assert result.imported_params == result.original_params == torch_weights
    assert "max |difference|" in result.report() and "onnxruntime" in result.report()


def test_matmul_plus_bias_becomes_one_linear_and_sequence_ops_map(tmp_path):
    result = import_onnx(_export(_Seq(), (5, 6), tmp_path / "seq.onnx"))
    assert result.complete, result.report()
    assert result.max_abs_diff < 1e-5
    nodes = result.graph.nodes.values()
    linear = [n for n in nodes if n.type == "Linear"]
    assert len(linear) == 1 and linear[0].params == {"out_features": 8, "bias": True}
    assert not any(n.type == "Add" for n in nodes)  # the bias was folded into the Linear
    by_type = {n.type: n.params for n in nodes}
    assert by_type["Permute"]["dims"] == [0, 2, 1]
    assert by_type["Concat"]["dim"] == 1 and by_type["Conv1d"]["groups"] == 2
    assert by_type["LeakyReLU"]["negative_slope"] == pytest.approx(0.2)
    assert "Hardswish" in by_type and by_type["AvgPool1d"]["kernel_size"] == 5


def test_unmapped_ops_are_named_with_the_node_and_what_depends_on_them(tmp_path):
    result = import_onnx(_export(_Unsupported(), (4,), tmp_path / "sin.onnx"))
    assert not result.complete and result.module is None
    text = result.report()
    assert "/Sin" in text and "no catalog layer for the ONNX op Sin" in text
    assert "/out/Gemm" in text and "was not imported" in text  # downstream of Sin
    assert any(n.type == "Linear" for n in result.graph.nodes.values())  # what maps is kept


def test_cli_import_writes_a_checkpoint_that_export_reproduces(tmp_path, capsys):
    onnx_file = _export(_Cnn(), (1, 8, 8), tmp_path / "cnn.onnx")
    graph_file, ckpt = tmp_path / "g.json", tmp_path / "w.pt"
    assert main(["import", str(onnx_file), "-o", str(graph_file), "--checkpoint", str(ckpt)]) == 0
    assert "outputs match onnxruntime" in capsys.readouterr().out
    code_file = tmp_path / "model.py"
    assert main(["export", str(graph_file), "--format", "py", "--checkpoint", str(ckpt), "-o", str(code_file)]) == 0
    sys.path.insert(0, str(tmp_path))
    try:
        import importlib

        generated = importlib.import_module("model")
        net = generated.load() if hasattr(generated, "load") else None
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("model", None)
    from netbuilder.core.compile import compile_graph
    from netbuilder.train.checkpoint import load_checkpoint

    net = net or compile_graph(load_graph(graph_file))
    net.load_state_dict(load_checkpoint(ckpt)["model"])
    x = torch.randn(3, 1, 8, 8)
    expected, _ = run_onnx(onnx_file, {"x": x})
    with torch.no_grad():
        assert torch.allclose(net.eval()(x), expected[0], atol=1e-5)


def test_round_trip_of_our_own_onnx_export_is_the_same_architecture(tmp_path):
    from netbuilder.interchange.export import export_graph

    g = Graph(name="rt")
    g.add_node("Input", {"shape": [1, 12, 12]}, id="image")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, id="conv")
    g.add_node("ReLU", {}, id="act")
    g.add_node("AvgPool2d", {"kernel_size": 2}, id="pool")
    g.add_node("Flatten", {}, id="flat")
    g.add_node("Linear", {"out_features": 10}, id="fc")
    g.add_node("Output", {}, id="logits")
    for a, b in [("image", "conv"), ("conv", "act"), ("act", "pool"), ("pool", "flat"), ("flat", "fc"),
                 ("fc", "logits")]:
        g.add_edge(a, b)
    export_graph(g, tmp_path / "rt.onnx", "onnx")
    back = import_onnx(tmp_path / "rt.onnx")
    assert back.complete, back.report()
    assert back.max_abs_diff < 1e-5
    assert diff_graphs(g, back.graph).same_architecture, diff_graphs(g, back.graph).text()


def test_files_that_are_not_onnx_are_refused_clearly(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not a protobuf at all \x00\xff")
    with pytest.raises(OnnxImportError, match="not a valid ONNX model"):
        import_onnx(bad)
    assert main(["import", str(tmp_path / "missing.onnx"), "-o", str(tmp_path / "g.json")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_without_the_onnx_package_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # import onnx now raises ImportError
    with pytest.raises(OnnxImportError, match=r"pip install 'netbuilder\[onnx\]'"):
        import_onnx(tmp_path / "any.onnx")


def test_python_import_still_needs_input_shapes(tmp_path, capsys):
    assert main(["import", "mymodels.py:Net", "-o", str(tmp_path / "g.json")]) == 2
    assert "--input-shape is required" in capsys.readouterr().err
