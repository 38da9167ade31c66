"""DDP: `torchrun --nproc-per-node=2 -m netbuilder train FILE --distributed` on the CPU (gloo)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from train_graphs import mlp

from netbuilder.core.io import save_graph
from netbuilder.train.checkpoint import load_checkpoint


@pytest.mark.slow
def test_two_processes_train_on_halves_and_rank_0_reports(tmp_path):
    graph = tmp_path / "iris.json"
    save_graph(mlp((4,), hidden=8, classes=3, dataset="iris", standardize=True, batch_size=16, lr=0.02, epochs=3,
                   device="cpu"), graph)
    metrics, ckpt = tmp_path / "m.jsonl", tmp_path / "c.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node=2", "-m", "netbuilder",
           "train", str(graph), "--distributed", "--quiet", "--metrics-jsonl", str(metrics), "--checkpoint", str(ckpt)]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("finished 3 epoch(s)") == 1  # only rank 0 prints
    events = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [e["event"] for e in events] == ["started", "epoch", "epoch", "epoch", "finished"]
    assert events[0]["num_train"] == 60  # each process trains on half of the 120 training samples
    losses = [e["train_loss"] for e in events if e["event"] == "epoch"]
    assert losses[-1] < losses[0]
    state = load_checkpoint(ckpt)
    assert state["epoch"] == 3 and not any(k.startswith("module.") for k in state["model"])  # plain weights
