"""`netbuilder train FILE ...`: exit codes, messages, metrics file, resume, progress."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys

import pytest
from train_graphs import mlp

from netbuilder.cli import main
from netbuilder.commands.train import Progress
from netbuilder.core.io import save_graph


@pytest.fixture
def iris_file(tmp_path):
    path = tmp_path / "iris.json"
    save_graph(mlp((4,), hidden=8, classes=3, dataset="iris", standardize=True, batch_size=16, lr=0.02,
                   device="cpu"), path)
    return path


def read_jsonl(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_trains_writes_metrics_and_resumes(iris_file, tmp_path, capsys):
    metrics, ckpt = tmp_path / "m.jsonl", tmp_path / "c.pt"
    rc = main(["train", str(iris_file), "--epochs", "2", "--metrics-jsonl", str(metrics), "--checkpoint", str(ckpt),
               "--seed", "1", "--optimizer", "adam", "--lr", "0.01", "--batch-size", "8"])
    out, err = capsys.readouterr()
    assert rc == 0, err
    assert "finished 2 epoch(s)" in out and "val accuracy" in out
    assert "epoch 2/2" in err  # epoch lines on a non-terminal
    events = read_jsonl(metrics)
    assert [e["event"] for e in events] == ["started", "epoch", "epoch", "finished"]
    epoch = events[1]
    assert isinstance(epoch["epoch"], int) and isinstance(epoch["train_loss"], float)
    assert isinstance(epoch["val_loss"], float) and isinstance(epoch["val_accuracy"], float)
    assert events[-1]["checkpoint"] == str(ckpt) and events[0]["steps_per_epoch"] == 15  # 120 samples / 8

    rc = main(["train", str(iris_file), "--epochs", "3", "--resume", str(ckpt), "--metrics-jsonl", str(metrics),
               "--quiet", "--seed", "1", "--lr", "0.01", "--batch-size", "8"])
    out, err = capsys.readouterr()
    assert rc == 0 and err == ""
    resumed = read_jsonl(metrics)
    assert [e.get("epoch") for e in resumed if e["event"] == "epoch"] == [1, 2, 3]
    assert resumed[1]["train_loss"] == epoch["train_loss"]  # the earlier curve, replayed
    assert resumed[-1]["epochs_run"] == 1


def test_nan_is_exit_1_with_advice(iris_file, capsys):
    rc = main(["train", str(iris_file), "--lr", "1e30", "--optimizer", "sgd", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 1 and "NaN or infinite" in err and "smaller learning rate" in err


def test_bad_inputs_are_exit_2(tmp_path, iris_file, capsys):
    assert main(["train", str(tmp_path / "missing.json")]) == 2
    assert "cannot read" in capsys.readouterr().err
    data = json.loads(iris_file.read_text())
    data["training"]["optimizer"] = "adagrad"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    assert main(["train", str(bad)]) == 2
    assert "'optimizer' must be one of" in capsys.readouterr().err
    assert main(["train", str(iris_file), "--distributed"]) == 2
    assert "torchrun" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", str(iris_file), "--epochs", "0"])


def test_dataset_mismatch_is_exit_1_naming_both_shapes(iris_file, capsys):
    assert main(["train", str(iris_file), "--dataset", "digits", "--quiet"]) == 1
    assert "expects 4" in capsys.readouterr().err


def test_progress_bar_on_a_terminal():
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    progress = Progress(stream, quiet=False)
    progress.show({"event": "started", "epochs": 2, "device": "cpu", "task": "classification", "num_train": 10,
                   "num_val": 2, "steps_per_epoch": 5, "loss_terms": ["cross_entropy"]})
    progress.show({"event": "step", "epoch": 1, "progress": 0.5, "train_loss": 0.25, "samples_per_sec": 1234.0,
                   "eta_s": 75.0})
    progress.show({"event": "epoch", "epoch": 1, "epochs": 2, "train_loss": 0.2, "val_loss": 0.3,
                   "val_accuracy": 0.9, "elapsed_s": 1.0})
    text = stream.getvalue()
    assert "\r epoch 1/2 " in text and " 50%" in text and "ETA 1:15" in text and "1,234 samples/s" in text
    assert "val accuracy 90.0%" in text


@pytest.mark.slow
def test_the_console_entry_point(iris_file, tmp_path):
    metrics = tmp_path / "m.jsonl"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "netbuilder", "train", str(iris_file), "--epochs", "1", "--quiet",
                           "--metrics-jsonl", str(metrics)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert read_jsonl(metrics)[-1]["event"] == "finished"


def test_a_relative_dataset_path_is_found_beside_the_graph_file(tmp_path, capsys, monkeypatch):
    import numpy as np

    folder = tmp_path / "project"
    folder.mkdir()
    rng = np.random.default_rng(0)
    np.savez(folder / "points.npz", x=rng.random((40, 4)).astype(np.float32), y=np.arange(40) % 3)
    graph = folder / "net.json"
    save_graph(mlp((4,), hidden=8, classes=3, dataset="points.npz", batch_size=8, device="cpu"), graph)
    monkeypatch.chdir(tmp_path)  # not the graph's folder
    assert main(["train", str(graph), "--epochs", "1", "--quiet"]) == 0, capsys.readouterr().err
