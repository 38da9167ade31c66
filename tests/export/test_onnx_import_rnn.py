"""ONNX in, recurrent layers: torch.onnx.export writes nn.LSTM/GRU/RNN as a
pattern (zero initial state from Shape ops, Transpose, the op, Squeeze or
Transpose+Reshape, Transpose back); each becomes one NetBuilder node with
PyTorch's exact weights, stacked layers one node with num_layers."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from netbuilder.cli import main
from netbuilder.core.compile import compile_graph, module_names
from netbuilder.core.io import load_graph
from netbuilder.interchange.onnx_check import run_onnx
from netbuilder.interchange.onnx_import import import_onnx


class _Classifier(nn.Module):
    """read: 'last' = out[:, -1], 'h' = h_n[-1], 'both-directions' = torch.cat([h_n[-2], h_n[-1]], 1),
    'all' = every step flattened (a tagger's shape)."""

    def __init__(self, mode: str, layers: int, bidirectional: bool, read: str, **extra) -> None:
        super().__init__()
        self.rnn = getattr(nn, mode)(6, 5, num_layers=layers, batch_first=True, bidirectional=bidirectional,
                                     **extra)
        self.read = read
        width = 5 * (2 if bidirectional else 1)
        self.fc = nn.Linear(width * (7 if read == "all" else 1), 3)

    def forward(self, x):
        out, hidden = self.rnn(x)
        h_n = hidden[0] if isinstance(hidden, tuple) else hidden
        if self.read in ("h", "first-layer"):
            return self.fc(h_n[-1 if self.read == "h" else 0])
        if self.read == "both-directions":
            return self.fc(torch.cat([h_n[-2], h_n[-1]], dim=1))
        return self.fc(out[:, -1] if self.read == "last" else out.flatten(1))


def _export(model: nn.Module, path: Path, shape: tuple = (7, 6)) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.randn(2, *shape),), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}}, opset_version=17)
    return path


CASES = [
    ("LSTM", 1, False, "last", {}),
    ("LSTM", 2, True, "all", {}),
    ("GRU", 2, False, "h", {}),
    ("GRU", 1, True, "all", {}),
    ("LSTM", 2, True, "both-directions", {}),
    ("RNN", 2, False, "last", {"nonlinearity": "relu"}),
    ("RNN", 1, True, "all", {}),
]


@pytest.mark.parametrize("mode, layers, bidirectional, read, extra", CASES,
                         ids=[f"{c[0]}-{c[1]}layer{'-bi' if c[2] else ''}-{c[3]}" for c in CASES])
def test_recurrent_classifiers_import_as_one_node_with_exact_weights(tmp_path, mode, layers, bidirectional, read,
                                                                     extra):
    model = _Classifier(mode, layers, bidirectional, read, **extra)
    result = import_onnx(_export(model, tmp_path / "rnn.onnx"))
    assert result.complete, result.report()
    assert result.checked_with == "onnxruntime" and result.max_abs_diff < 1e-5
    assert "max |difference|" in result.report()
    (node,) = result.graph.nodes_of_type(mode)
    assert node.params["num_layers"] == layers and node.params["bidirectional"] == bidirectional
    assert node.params["return_sequences"] == (read == "all")  # the others read only the final state
    if mode == "RNN":
        assert node.params["nonlinearity"] == extra.get("nonlinearity", "tanh")
    assert sorted(n.type for n in result.graph.nodes.values()) == sorted(
        ["Input", mode, "Linear", "Output"] + (["Flatten"] if read == "all" else []))
    prefix = module_names(result.graph)[node.id]
    for key, value in model.rnn.state_dict().items():  # gate order and bias split undone exactly
        assert torch.equal(result.weights[f"{prefix}.rnn.{key}"], value), key
    assert result.imported_params == result.original_params == sum(p.numel() for p in model.parameters())


def test_cli_import_of_an_lstm_writes_a_checkpoint_that_reproduces_onnxruntime(tmp_path, capsys):
    onnx_file = _export(_Classifier("LSTM", 2, False, "h"), tmp_path / "lstm.onnx")
    graph_file, ckpt = tmp_path / "g.json", tmp_path / "w.pt"
    assert main(["import", str(onnx_file), "-o", str(graph_file), "--checkpoint", str(ckpt)]) == 0
    assert "outputs match onnxruntime" in capsys.readouterr().out
    from netbuilder.train.checkpoint import load_checkpoint

    net = compile_graph(load_graph(graph_file))
    net.load_state_dict(load_checkpoint(ckpt)["model"])
    x = torch.randn(4, 7, 6)
    expected, _ = run_onnx(onnx_file, {"x": x})
    with torch.no_grad():
        assert torch.allclose(net.eval()(x), expected[0], atol=1e-5)


class _StartsFromOnes(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.GRU(6, 5, batch_first=True)

    def forward(self, x):
        return self.rnn(x, torch.ones(1, x.shape[0], 5))[0]


class _CellState(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(6, 5, batch_first=True)

    def forward(self, x):
        return self.rnn(x)[1][1][-1]


class _TimeMajor(nn.Module):
    def forward(self, x):
        return x.transpose(0, 1) * 2


@pytest.mark.parametrize("model, expected", [
    (_StartsFromOnes(), "is not zero (NetBuilder layers start from zeros)"),
    (_CellState(), "the final cell state of rnn is read"),
    (_Classifier("LSTM", 1, True, "last"), "the last step of bidirectional rnn is not its final state"),
    (_TimeMajor(), "is time-major (batch off axis 0)"),
    (_Classifier("GRU", 2, False, "first-layer"), "reads the final state of layer 0 of rnn"),
], ids=["nonzero-initial-state", "cell-state", "bidirectional-last-step", "time-major", "lower-layer-state"])
def test_what_the_pattern_cannot_express_is_refused_by_node(tmp_path, model, expected):
    result = import_onnx(_export(model, tmp_path / "odd.onnx"))
    assert not result.complete and result.module is None
    assert expected in result.report(), result.report()


@pytest.mark.slow
@pytest.mark.parametrize("mode, layers, bidirectional, sequences", [
    ("LSTM", 2, True, True), ("GRU", 1, True, False)])  # (dynamo unrolls nn.RNN into MatMuls: refused)
def test_our_own_onnx_export_of_recurrent_graphs_round_trips(tmp_path, mode, layers, bidirectional, sequences):
    """Our export (torch.onnx's dynamo path) writes the sizes with Shape/Slice/Mul and h_n[-1] or
    torch.cat([h_n[-2], h_n[-1]], 1) for a many-to-one layer: all of it reads back as the same graph."""
    from netbuilder.core.diff import diff_graphs
    from netbuilder.core.graph import Graph
    from netbuilder.interchange.export import export_graph

    g = Graph(name="rt")
    g.add_node("Input", {"shape": [7, 6]}, id="seq")
    g.add_node(mode, {"hidden_size": 5, "num_layers": layers, "bidirectional": bidirectional,
                      "return_sequences": sequences}, id="rnn")
    chain = ["seq", "rnn"] + (["flat"] if sequences else []) + ["fc", "out"]
    if sequences:
        g.add_node("Flatten", {}, id="flat")
    g.add_node("Linear", {"out_features": 3}, id="fc")
    g.add_node("Output", {}, id="out")
    for a, b in zip(chain, chain[1:]):
        g.add_edge(a, b)
    export_graph(g, tmp_path / "rt.onnx", "onnx")
    back = import_onnx(tmp_path / "rt.onnx")
    assert back.complete, back.report()
    assert back.max_abs_diff < 1e-5
    assert diff_graphs(g, back.graph).same_architecture, diff_graphs(g, back.graph).text()
