"""Import of nn.Modules by torch.fx tracing: same parameters, same outputs, clear reports."""

from __future__ import annotations

import sys

import pytest
import torch

import handwritten as hw
from export_graphs import code_graphs, preset

from netbuilder.interchange.codegen import class_name
from netbuilder.core.compile import compile_graph
from netbuilder.core.diff import diff_graphs
from netbuilder.interchange.export import export_graph
from netbuilder.interchange.fx_import import ModuleImportError, import_module, load_module_object, transfer_weights
from netbuilder.core.shapes import check
from netbuilder.core.summary import count_params

HANDWRITTEN = [
    # module, input shape, dtype, node types in order
    (hw.MLP, [1, 8, 8], "float32", ["Input", "Flatten", "Linear", "ReLU", "Dropout", "Linear", "Output"]),
    (hw.LeNet, [1, 28, 28], "float32",
     ["Input", "Conv2d", "ReLU", "MaxPool2d", "Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear", "ReLU", "Linear",
      "Tanh", "Linear", "LogSoftmax", "Output"]),
    (hw.BasicBlock, [8, 12, 12], "float32",
     ["Input", "Conv2d", "BatchNorm2d", "Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "Add", "ReLU",
      "Output"]),
    (hw.LSTMClassifier, [12, 8], "float32", ["Input", "LSTM", "Linear", "Output"]),
    (hw.LSTMLastStep, [None, 8], "float32", ["Input", "LSTM", "Linear", "Output"]),
    (hw.BiGRUTagger, [7], "int64", ["Input", "Embedding", "GRU", "Linear", "Output"]),
    (hw.Seq2SeqRNN, [5, 4], "float32", ["Input", "RNN", "Linear", "Output"]),
    (hw.Functional, [3, 8, 8], "float32",
     ["Input", "Conv2d", "LeakyReLU", "Conv2d", "GELU", "SumPool2d", "Upsample", "Chunk", "Sigmoid", "Multiply",
      "Concat", "GlobalAvgPool", "AdaptiveMaxPool2d", "Flatten", "Add", "SiLU", "Reshape", "Softmax", "Output"]),
    (hw.TwoHeads, [10], "float32", ["Input", "Linear", "Split", "Split", "Linear", "Concat", "Output"]),
]


def _example(shape, dtype, batch=4):
    size = (batch, *(6 if s is None else s for s in shape))
    return torch.randint(0, 100, size) if dtype == "int64" else torch.randn(size)


@pytest.mark.parametrize(("cls", "shape", "dtype", "types"), HANDWRITTEN, ids=[c[0].__name__ for c in HANDWRITTEN])
def test_handwritten_modules_import_with_their_parameters_and_outputs(cls, shape, dtype, types):
    module = cls()
    result = import_module(module, [shape], input_dtypes=[dtype])
    assert result.complete, result.report()
    assert result.notes == [], result.report()
    assert [n.type for n in result.graph] == types
    # parameter counts from the catalog's own modules equal the original's
    assert count_params(result.graph) == sum(p.numel() for p in module.parameters())
    # weights copied node by node reproduce the outputs on a new batch
    compiled = compile_graph(result.graph).eval()
    transfer_weights(module, compiled, result)
    module.eval()
    x = _example(shape, dtype)
    with torch.no_grad():
        assert torch.allclose(compiled(x), module(x), atol=1e-6)
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5


def test_import_leaves_the_module_as_it_was():
    module = hw.BasicBlock().train()
    before = {k: v.clone() for k, v in module.state_dict().items()}
    import_module(module, [[8, 12, 12]])
    assert module.training
    assert all(torch.equal(before[k], v) for k, v in module.state_dict().items())  # BatchNorm stats untouched


def test_unsupported_parts_are_named_and_left_unconnected():
    result = import_module(hw.Unsupported(), [[4]])
    assert not result.complete
    skipped = {s.node: s for s in result.skipped}
    assert set(skipped) == {"exp", "mul"}
    assert skipped["exp"].what == "torch.exp(...)" and "no NetBuilder layer" in skipped["exp"].reason
    assert "constant (0.5)" in skipped["mul"].reason
    split = result.graph.nodes["getitem_split"]  # x[:, :1] is a Split (test_import_tracing has the refusals)
    assert split.type == "Split" and split.params == {"split_size_or_sections": [1, 3], "dim": 1}
    report = result.report()
    assert "not imported (2):" in report
    assert "self.attn (MultiheadAttention, 80 parameters) is never called" in report
    assert result.graph.nodes["fc_1"].shares == "fc"  # the second call shares the first one's weights
    assert result.graph.in_edges("fc_1") == []  # its input was torch.exp: no edge guessed
    assert result.max_abs_diff is None


@pytest.mark.parametrize(("forward_body", "reason"), [
    ("out, (h, c) = self.lstm(x); return c[-1]", "cell state c_n"),
    ("out, _ = self.lstm(x); return out[:, 0]", "reads part [:, 0]"),
    ("out, (h, c) = self.lstm(x, (torch.zeros(1, 2, 5), torch.zeros(1, 2, 5))); return out",
     "initial hidden state"),
])
def test_recurrent_patterns_without_an_equivalent_are_reported(forward_body, reason):
    namespace: dict = {"nn": torch.nn, "torch": torch}
    exec("class Net(nn.Module):\n"
         "    def __init__(self):\n"
         "        super().__init__()\n"
         "        self.lstm = nn.LSTM(3, 5, batch_first=True)\n"
         f"    def forward(self, x):\n        {forward_body}\n", namespace)
    result = import_module(namespace["Net"](), [[4, 3]])
    assert not result.complete
    assert any(reason in s.reason for s in result.skipped), result.report()


def test_a_sequence_first_lstm_is_refused_with_the_reason():
    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = torch.nn.LSTM(3, 5)

        def forward(self, x):
            return self.lstm(x)[0]

    result = import_module(Net(), [[4, 3]])
    assert "batch_first=False" in result.report()


def test_options_the_catalog_lacks_are_noted_not_dropped_silently():
    module = torch.nn.Sequential(torch.nn.Embedding(50, 4, padding_idx=0), torch.nn.Flatten(), torch.nn.Linear(12, 2))
    result = import_module(module, [[3]], input_dtypes=["int64"])
    assert any("padding_idx=0" in note for note in result.notes), result.report()


@pytest.mark.parametrize("make", list(code_graphs().values()), ids=list(code_graphs()))
def test_round_trip_graph_to_code_to_graph_keeps_the_architecture(make, tmp_path):
    graph = make()
    export_graph(graph, tmp_path / "model.py", "py")
    module = load_module_object(f"{tmp_path / 'model.py'}:{class_name(graph)}")
    shapes = [n.params["shape"] for n in graph if n.type == "Input"]
    dtypes = [n.params["dtype"] for n in graph if n.type == "Input"]
    result = import_module(module, shapes, input_dtypes=dtypes)
    assert result.complete and result.notes == [], result.report()
    diff = diff_graphs(graph, result.graph)
    assert diff.same_architecture, diff.text()
    assert result.max_abs_diff == 0.0


@pytest.mark.parametrize("name", ["lenet5", "resnet_digits", "mobilenet_digits", "vae", "rnn_bidirectional_digits",
                                  "ae_conv", "rbm", "perceptron"])
def test_round_trip_of_presets_keeps_the_architecture(name, tmp_path):
    graph = preset(name)
    export_graph(graph, tmp_path / f"{name}.py", "py")
    module = load_module_object(f"{tmp_path / f'{name}.py'}:{class_name(graph)}")
    result = import_module(module, [n.params["shape"] for n in graph if n.type == "Input"])
    assert result.complete, result.report()
    assert diff_graphs(graph, result.graph).same_architecture


def test_layout_flows_left_to_right_without_overlaps():
    result = import_module(hw.BasicBlock(), [[8, 12, 12]])
    graph = result.graph
    for e in graph.edges:
        assert graph.nodes[e.src].pos[0] < graph.nodes[e.dst].pos[0]
    positions = [n.pos for n in graph]
    assert len(set(positions)) == len(positions)
    assert check(graph).ok


def test_load_module_object_from_a_file_and_from_a_package(tmp_path):
    path = tmp_path / "nets.py"
    path.write_text("import torch\n\nclass Tiny(torch.nn.Module):\n    def __init__(self, width=3):\n"
                    "        super().__init__()\n        self.fc = torch.nn.Linear(2, width)\n\n"
                    "    def forward(self, x):\n        return self.fc(x)\n\n"
                    "def make():\n    return Tiny(5)\n\ninstance = Tiny(7)\n")
    assert load_module_object(f"{path}:Tiny", {"width": 4}).fc.out_features == 4
    assert load_module_object(f"{path}:make").fc.out_features == 5
    assert load_module_object(f"{path}:instance").fc.out_features == 7
    assert isinstance(load_module_object("torch.nn:Identity"), torch.nn.Identity)


@pytest.mark.parametrize(("spec", "message"), [
    ("no_colon_here", "expected MODULE_OR_FILE:Name"),
    ("{tmp}/missing.py:Net", "no such file"),
    ("{tmp}/broken.py:Net", "running .*broken.py failed: ZeroDivisionError"),
    ("{tmp}/broken_init.py:Net", r"building Net\(\) failed: ValueError: bad width"),
    ("{tmp}/broken_init.py:CONSTANT", "neither an nn.Module class nor a function"),
    ("{tmp}/broken_init.py:Missing", "has no 'Missing'"),
    ("no.such.package:Net", "cannot import module 'no.such.package'"),
])
def test_loading_errors_are_clear(spec, message, tmp_path):
    (tmp_path / "broken.py").write_text("1 / 0\n")
    (tmp_path / "broken_init.py").write_text("import torch\nCONSTANT = 3\nclass Net(torch.nn.Module):\n"
                                             "    def __init__(self):\n        raise ValueError('bad width')\n")
    with pytest.raises(ModuleImportError, match=message):
        load_module_object(spec.format(tmp=tmp_path))


def test_untraceable_and_mismatched_inputs_are_clear_errors():
    class Branchy(torch.nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(ModuleImportError, match="torch.fx cannot trace Branchy.forward"):
        import_module(Branchy(), [[3]])
    with pytest.raises(ModuleImportError, match=r"takes 1 input\(s\) \(x\) but 2 input shape"):
        import_module(hw.MLP(), [[1, 8, 8], [3]])
    with pytest.raises(ModuleImportError, match="running MLP on inputs of shape 5×5"):
        import_module(hw.MLP(), [[5, 5]])


def test_a_wrong_input_shape_names_the_layer_without_a_traceback(capsys):
    """torch's ShapeProp prints a traceback and wraps the error in a page about fx nodes."""
    with pytest.raises(ModuleImportError) as info:
        import_module(hw.LeNet(), [[2, 28, 28]])
    message = str(info.value)
    assert message.startswith("running LeNet on inputs of shape 2×28×28 (plus a batch of 2) failed at "
                              "self.conv1 (nn.Conv2d): RuntimeError: Given groups=1"), message
    assert "is the input shape right?" in message and "ShapeProp" not in message and "\n" not in message
    assert "Traceback" not in capsys.readouterr().err


def test_a_module_in_the_current_folder_is_found_as_python_m_would(tmp_path, monkeypatch):
    (tmp_path / "my_nets_xyz.py").write_text("import torch\nclass Net(torch.nn.Sequential):\n"
                                             "    def __init__(self):\n        super().__init__(torch.nn.Linear(3, 2))\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.path", [p for p in sys.path if p not in ("", str(tmp_path))])
    module = load_module_object("my_nets_xyz:Net")
    assert sum(p.numel() for p in module.parameters()) == 8
    assert str(tmp_path) not in sys.path  # only while importing
