"""A training child spawned ahead (train/warm_child.py) obeys the rules of a fresh one: it never
outlives its parent, even while it only waits for a job, and closing it ends it at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = r"""
import time
from netbuilder.train.warm_child import WarmChild

child = WarmChild()
assert child.start()
while not child.ready:
    time.sleep(0.05)  # torch and the trainer imported: waiting for a job
print(child.pid, flush=True)
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
def test_killing_the_parent_ends_a_waiting_child():
    parent = subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        child = int(parent.stdout.readline())
        assert not _gone(child)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 15
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(child), "the waiting training child kept running after its parent was killed"
    finally:
        parent.kill()
        parent.wait(10)
        parent.stdout.close()


@pytest.mark.slow
def test_close_ends_a_waiting_child_cleanly_and_a_closed_child_is_not_used():
    from netbuilder.train.runner import TrainingRun
    from netbuilder.train.warm_child import WarmChild

    child = WarmChild()
    assert child.start()
    deadline = time.monotonic() + 120
    while not child.ready and time.monotonic() < deadline:
        time.sleep(0.05)
    assert child.ready
    started = time.monotonic()
    child.close()
    assert child.process.exitcode == 0  # it read "no job" and exited by itself
    assert time.monotonic() - started < 5
    assert not child.take()  # closed: a run spawns its own child instead
    run = TrainingRun({"nodes": [], "edges": []}, {}, warm=child)
    run.start()
    assert run.pid not in (None, child.pid)
    run.stop(timeout=0)  # no need to let it import torch
