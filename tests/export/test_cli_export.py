"""`netbuilder export`, `netbuilder import`, `netbuilder diff`: exit codes and messages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from export_graphs import lenet, preset

from netbuilder.cli import main
from netbuilder.core.compile import compile_graph
from netbuilder.core.io import load_graph, save_graph
from netbuilder.presets import PRESETS_DIR

HERE = Path(__file__).resolve().parent


@pytest.fixture
def lenet_file(tmp_path) -> Path:
    path = tmp_path / "lenet.json"
    save_graph(lenet(), path)
    return path


@pytest.mark.parametrize(("fmt", "suffix"), [("py", ".py"), ("state-dict", ".pt"), ("torchscript", ".pt")])
def test_export_writes_a_verified_file(fmt, suffix, lenet_file, capsys):
    out = lenet_file.with_name(f"model{suffix}")
    assert main(["export", str(lenet_file), "--format", fmt, "-o", str(out)]) == 0
    message = capsys.readouterr().out
    assert out.is_file() and f"exported {fmt} to {out}" in message and "verified" in message


def test_export_defaults_to_python_beside_the_graph(lenet_file, capsys):
    assert main(["export", str(lenet_file)]) == 0
    assert lenet_file.with_suffix(".py").is_file()


def test_export_onnx_of_the_lenet5_preset(tmp_path, capsys):
    out = tmp_path / "lenet5.onnx"
    assert main(["export", str(Path(PRESETS_DIR) / "lenet5.json"), "-f", "onnx", "-o", str(out)]) == 0
    assert "verified via onnx" in capsys.readouterr().out


def test_export_with_a_checkpoint_writes_the_weights_beside_the_code(lenet_file, tmp_path, capsys):
    state = compile_graph(lenet()).state_dict()
    torch.save(state, tmp_path / "trained.pt")
    out = tmp_path / "net.py"
    assert main(["export", str(lenet_file), "-o", str(out), "--checkpoint", str(tmp_path / "trained.pt")]) == 0
    assert (tmp_path / "net.pt").is_file()
    assert "net.pt" in out.read_text(encoding="utf-8")
    saved = torch.load(tmp_path / "net.pt", weights_only=True)
    assert all(torch.equal(saved[k], state[k]) for k in state)


def test_export_errors_are_one_line_and_exit_1(lenet_file, tmp_path, capsys):
    other = lenet()
    other.set_params("linear_3", {"out_features": 7})
    torch.save(compile_graph(other).state_dict(), tmp_path / "other.pt")
    code = main(["export", str(lenet_file), "-o", str(tmp_path / "x.pt"), "-f", "state-dict",
                 "--checkpoint", str(tmp_path / "other.pt")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and "linear_3.weight" in err and "Traceback" not in err
    assert not (tmp_path / "x.pt").exists()


def test_export_of_a_missing_file_exits_2(tmp_path, capsys):
    assert main(["export", str(tmp_path / "none.json")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_import_from_a_file_says_it_runs_the_code(tmp_path, capsys):
    out = tmp_path / "lenet.json"
    code = main(["import", f"{HERE / 'handwritten.py'}:LeNet", "--input-shape", "1,28,28", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "running the code in" in captured.err and "executes it" in captured.err
    assert "outputs match the original" in captured.out
    graph = load_graph(out)
    assert [n.type for n in graph][:3] == ["Input", "Conv2d", "ReLU"]


def test_import_with_kwargs_dtype_and_a_variable_length(tmp_path, capsys):
    out = tmp_path / "mlp.json"
    assert main(["import", f"{HERE / 'handwritten.py'}:MLP", "--input-shape", "1,8,8", "--kwargs",
                 '{"hidden": 5}', "--name", "small MLP", "-o", str(out)]) == 0
    graph = load_graph(out)
    assert graph.name == "small MLP" and graph.nodes["net_1"].params["out_features"] == 5
    out = tmp_path / "gru.json"
    assert main(["import", f"{HERE / 'handwritten.py'}:BiGRUTagger", "--input-shape", "?", "--input-dtype", "int64",
                 "-o", str(out)]) == 0
    assert load_graph(out).nodes["tokens"].params == {"shape": [None], "dtype": "int64"}


def test_import_with_unsupported_parts_writes_the_graph_and_exits_1(tmp_path, capsys):
    out = tmp_path / "partial.json"
    code = main(["import", f"{HERE / 'handwritten.py'}:Unsupported", "--input-shape", "4", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and out.is_file()
    assert "imported with parts missing" in captured.out and "exp: torch.exp(...)" in captured.out


@pytest.mark.parametrize(("args", "message"), [
    (["--input-shape", "1,x2"], "is not a positive size"),
    (["--input-shape", "4", "--kwargs", "[1]"], "must be a JSON object"),
])
def test_import_argument_errors_exit_2(args, message, tmp_path, capsys):
    code = main(["import", f"{HERE / 'handwritten.py'}:MLP", *args, "-o", str(tmp_path / "g.json")])
    assert code == 2 and message in capsys.readouterr().err


def test_import_of_something_missing_exits_2(tmp_path, capsys):
    assert main(["import", "no_such_module_xyz:Net", "--input-shape", "3", "-o", str(tmp_path / "g.json")]) == 2
    assert "cannot import module 'no_such_module_xyz'" in capsys.readouterr().err


def test_diff_of_two_presets_text_and_json(capsys):
    a, b = str(Path(PRESETS_DIR) / "lenet5.json"), str(Path(PRESETS_DIR) / "lenet_digits.json")
    assert main(["diff", a, b]) == 1
    text = capsys.readouterr().out
    assert "~ conv1 (Conv2d): padding 0 → 2" in text and "Parameters: 61,706 →" in text
    assert main(["diff", a, b, "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["same_architecture"] is False and data["totals"]["params"]["a"] == 61_706
    assert main(["diff", a, a]) == 0


def test_diff_of_an_unreadable_file_exits_2(tmp_path, capsys):
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    assert main(["diff", str(tmp_path / "bad.json"), str(Path(PRESETS_DIR) / "lenet5.json")]) == 2
    assert "invalid JSON" in capsys.readouterr().err


def test_summary_batch_size_must_be_positive(lenet_file, capsys):
    with pytest.raises(SystemExit):
        main(["summary", str(lenet_file), "--batch-size", "0"])
    assert "not a positive whole number" in capsys.readouterr().err


def test_round_trip_through_the_command_line(tmp_path, capsys):
    """preset → export py → import → diff: the same architecture."""
    src = Path(PRESETS_DIR) / "resnet_digits.json"
    graph = preset("resnet_digits")
    assert main(["export", str(src), "-o", str(tmp_path / "net.py")]) == 0
    from netbuilder.interchange.codegen import class_name

    shape = ",".join(str(s) for s in graph.nodes["input"].params["shape"])
    assert main(["import", f"{tmp_path / 'net.py'}:{class_name(graph)}", "--input-shape", shape,
                 "-o", str(tmp_path / "back.json")]) == 0
    assert main(["diff", str(src), str(tmp_path / "back.json")]) == 0
    assert "Same architecture" in capsys.readouterr().out


def test_export_with_a_netbuilder_training_checkpoint(lenet_file, tmp_path, capsys):
    from netbuilder.core.io import graph_to_dict
    from netbuilder.train.checkpoint import save_checkpoint

    graph = lenet()
    model = compile_graph(graph)
    with torch.no_grad():
        for p in model.parameters():
            p.mul_(2.0)
    save_checkpoint(tmp_path / "run.pt", graph=graph_to_dict(graph), settings={}, model=model,
                    standardize={"mean": torch.zeros(1), "std": torch.ones(1)})
    out = tmp_path / "trained.onnx"
    assert main(["export", str(lenet_file), "-f", "onnx", "-o", str(out),
                 "--checkpoint", str(tmp_path / "run.pt")]) == 0
    printed = capsys.readouterr().out
    assert "verified" in printed and "note: the network was trained on standardized inputs" in printed
    import onnx

    weights = {i.name: i for i in onnx.load(str(out)).graph.initializer}
    stored = next(w for name, w in weights.items() if "conv2d_1" in name and "weight" in name)
    assert torch.equal(torch.tensor(onnx.numpy_helper.to_array(stored)), model.state_dict()["conv2d_1.weight"])


def test_export_never_overwrites_the_checkpoint_it_reads(lenet_file, tmp_path, capsys):
    torch.save(compile_graph(lenet()).state_dict(), tmp_path / "model.pt")
    before = (tmp_path / "model.pt").read_bytes()
    code = main(["export", str(lenet_file), "-o", str(tmp_path / "model.py"),
                 "--checkpoint", str(tmp_path / "model.pt")])
    assert code == 1 and "which is the checkpoint being read" in capsys.readouterr().err
    assert (tmp_path / "model.pt").read_bytes() == before and not (tmp_path / "model.py").exists()
