"""Issue 18: the editor keeps a training child warm, Start hands it the job, and each run's
child is replaced by a fresh waiting one; closing the editor leaves no child behind."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from gui_training_helpers import linear_digits

pytestmark = pytest.mark.slow

READY_MS = 120_000  # the child imports torch and the trainer: slow on a busy 2-core machine


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in state  # a zombie has exited; only its exit status is left


def _run_to_end(qtbot, dock, overrides: dict | None = None) -> list[dict]:
    seen: list[dict] = []
    handle = dock._handle
    dock._handle = lambda event: (seen.append(event), handle(event))
    dock.outcome = ""
    assert dock.start(overrides)
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=READY_MS)
    dock._handle = handle
    assert dock.outcome == "finished", dock.run_panel.banner.text()
    return seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_start_uses_the_warm_child_and_each_run_gets_a_new_one(qtbot, make_window, dialogs):
    window = make_window(linear_digits(epochs=2))
    dock = window.training_dock
    assert dock.warm.child is None  # nothing is spawned unless the editor asks (tests, --screenshot)
    dock.keep_child_warm(after_ms=0)
    qtbot.waitUntil(lambda: dock.warm.ready, timeout=READY_MS)
    first = dock.warm.pid
    assert first != os.getpid() and not _gone(first)

    assert dock.start()
    assert dock.run.pid == first  # the job went to the waiting child: no new interpreter
    assert dock.run_panel.progress.format() == "run 1: starting…"
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=READY_MS)
    assert dock.outcome == "finished", dock.run_panel.banner.text()
    second = dock.warm.pid
    assert second is not None and second != first  # replaced when the run ended
    qtbot.waitUntil(lambda: _gone(first), timeout=10_000)  # the used child exits after its one run

    # the second run, in the replacement child, trains for real
    qtbot.waitUntil(lambda: dock.warm.ready, timeout=READY_MS)
    events = _run_to_end(qtbot, dock, {"epochs": 3})
    epochs = [e for e in events if e["event"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2, 3]
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]
    assert epochs[-1]["val_accuracy"] > 0.5  # softmax regression on digits learns in 3 epochs
    third = dock.warm.pid
    assert third not in (None, first, second)

    dialogs.save_answer = "discard"
    window.close()
    qtbot.waitUntil(lambda: dock.warm.closed, timeout=5_000)
    qtbot.waitUntil(lambda: all(_gone(pid) for pid in (first, second, third)), timeout=10_000)
    dock.warm.prepare()
    assert dock.warm.child is None  # a closed editor spawns no more


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_stop_replaces_the_child_and_a_dead_warm_child_is_not_used(qtbot, make_window, dialogs):
    window = make_window(linear_digits(epochs=10_000))
    dock = window.training_dock
    dock.keep_child_warm(after_ms=0)
    qtbot.waitUntil(lambda: dock.warm.child is not None, timeout=5_000)
    dead = dock.warm.child
    dead.process.kill()  # e.g. killed from outside: Start must not hand its job to it
    dead.process.join(5)
    assert not dock.warm.ready
    assert dock.start()
    assert dock.run.pid != dead.pid
    assert dock.run_panel.progress.format() == "run 1: starting the training process…"
    qtbot.waitUntil(lambda: dock.run_panel.state == "running", timeout=READY_MS)
    used = dock.run.pid
    dock.stop()
    qtbot.waitUntil(lambda: dock.outcome == "stopped", timeout=20_000)
    replacement = dock.warm.pid
    assert replacement not in (None, used, dead.pid) and not _gone(replacement)
    dialogs.save_answer = "discard"
    window.close()
    qtbot.waitUntil(lambda: _gone(replacement) and _gone(used), timeout=10_000)
