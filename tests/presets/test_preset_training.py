"""Every small preset trains from the command line, as a user would run it, and its loss falls."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from preset_helpers import DIVERGES, small_preset_names

from netbuilder.cli import main
from netbuilder.presets import PRESETS_DIR, load_preset


def test_every_small_preset_has_a_complete_training_block():
    for name in small_preset_names():
        training = load_preset(name).training
        for key in ("dataset", "loss", "optimizer", "lr", "batch_size", "epochs"):
            assert key in training, (name, key)
        assert training["loss"] or training.get("mode") == "rbm_cd", name


def _losses(path) -> list[float]:
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert events and events[-1]["event"] == "finished", events[-1:]
    return [e["train_loss"] for e in events if e["event"] == "epoch"]


def _train_args(name: str, metrics) -> list[str]:
    return ["train", str(PRESETS_DIR / f"{name}.json"), "--epochs", "2", "--device", "cpu", "--quiet",
            "--metrics-jsonl", str(metrics)]


@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in small_preset_names() if n not in DIVERGES])
def test_trains_two_epochs_from_the_cli_and_the_loss_falls(name, tmp_path, capsys):
    # `netbuilder train` in this process (the CLI's own argument parsing and code path): one torch
    # import for all presets instead of one per preset; the subprocess test below covers `python -m`.
    metrics = tmp_path / "metrics.jsonl"
    code = main(_train_args(name, metrics))
    assert code == 0, capsys.readouterr().err[-2000:]
    losses = _losses(metrics)
    assert len(losses) == 2, losses
    assert losses[-1] < losses[0], (name, losses)


@pytest.mark.slow
def test_python_m_netbuilder_train_runs_a_preset(tmp_path):
    metrics = tmp_path / "metrics.jsonl"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-m", "netbuilder", *_train_args("lenet_digits", metrics)],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "finished 2 epoch(s)" in done.stdout
    losses = _losses(metrics)
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("name", small_preset_names())
def test_training_block_fits_the_engine_and_its_data(name):
    """Settings validate, the dataset fits the Input, and every loss term computes on a real batch."""
    import torch

    from netbuilder.core.compile import compile_graph
    from netbuilder.core.io import graph_to_dict
    from netbuilder.train.data import load_dataset
    from netbuilder.train.losses import Batch, build_plan
    from netbuilder.train.settings import resolve_settings

    graph = load_preset(name)
    settings = resolve_settings(graph_to_dict(graph))
    (inp,) = graph.nodes_of_type("Input")
    data = load_dataset(settings["dataset"], settings["dataset_options"], inp.params["shape"])
    assert list(data.sample_shape) == inp.params["shape"]
    if settings["mode"] == "rbm_cd":
        assert data.x.min() >= 0 and data.x.max() <= 1  # visible units are probabilities
        return
    task = settings["task"] or data.task
    plan = build_plan(graph, settings["loss"], task, data.num_classes, int(data.x[0].size))
    model = compile_graph(graph, outputs=plan.refs).train()
    x = torch.from_numpy(data.x[:8])
    y = None if data.y is None else torch.from_numpy(data.y[:8])
    outs = dict(zip(plan.refs, model(x)))
    total, values = plan.compute(Batch(outs, x, y, model))
    assert torch.isfinite(total) and all(torch.isfinite(v) for v in values), (name, values)
    total.backward()
