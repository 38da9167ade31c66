"""The training child never outlives its parent: kill -9 the editor, the child goes too."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = r"""
import sys, time
from netbuilder.train.runner import TrainingRun
sys.path.insert(0, sys.argv[1])
from train_graphs import mlp
from netbuilder.core.io import graph_to_dict

runner = TrainingRun(graph_to_dict(mlp(epochs=100000, device="cpu")), {"epochs": 100000, "samples": False})
runner.start()
while not runner.poll():
    time.sleep(0.05)  # the child is training
print(runner.pid, flush=True)
time.sleep(600)
"""


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # a zombie has exited; only its exit status is left


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.slow
def test_killing_the_parent_ends_the_training_child():
    tests = str(Path(__file__).resolve().parents[1] / "train")
    parent = subprocess.Popen([sys.executable, "-c", PARENT, tests], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        child = int(parent.stdout.readline())
        assert not _gone(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 15
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(child), "the training child kept running after its parent was killed"
    finally:
        parent.kill()
        parent.wait(10)
        parent.stdout.close()
