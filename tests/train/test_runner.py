"""TrainingRun: a spawned child process streaming events; pause, resume, stop, crashes."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from train_graphs import mlp

from netbuilder.core.io import graph_to_dict
from netbuilder.train.runner import TrainingRun

TIMEOUT = 120  # seconds; the machine may be busy, a spawned child imports torch


def wait_for(run: TrainingRun, kind: str, seen: list[dict], timeout: float = TIMEOUT) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for event in run.poll():
            seen.append(event)
        for event in seen:
            if event["event"] == kind:
                return event
        if not run.running and not any(e["event"] == kind for e in seen):
            break
        time.sleep(0.02)
    raise AssertionError(f"no {kind!r} event; got {[e['event'] for e in seen]}")


def long_run(**settings) -> TrainingRun:
    graph = graph_to_dict(mlp((64,), hidden=32, dataset="digits"))
    return TrainingRun(graph, {"epochs": 500, "batch_size": 32, "device": "cpu", "step_interval": 0.05, **settings})


@pytest.mark.slow
def test_pause_resume_and_stop(tmp_path):
    run = long_run(checkpoint=str(tmp_path / "c.pt"))
    run.start()
    seen: list[dict] = []
    started = wait_for(run, "started", seen)
    assert started["task"] == "classification" and started["input_shape"] == [64]
    wait_for(run, "epoch", seen)
    run.pause()
    paused = wait_for(run, "paused", seen)
    time.sleep(0.3)
    count = len(seen) + len(run.poll())
    time.sleep(0.5)
    assert not [e for e in run.poll() if e["event"] in ("step", "epoch")]  # nothing trains while paused
    assert run.running and run.paused and count >= 1
    run.resume()
    resumed = wait_for(run, "resumed", seen)
    assert resumed["step"] == paused["step"]
    seen.clear()
    wait_for(run, "step", seen)
    run.stop(timeout=30)
    assert not run.running
    events = seen + run.poll()
    stopped = [e for e in events if e["event"] == "stopped"]
    assert len(stopped) == 1 and stopped[0]["checkpoint"] == str(tmp_path / "c.pt")
    assert (tmp_path / "c.pt").exists()
    run.stop()  # again: harmless
    assert run.poll() == []


@pytest.mark.slow
def test_finished_failed_and_killed_runs():
    """Three children at once (each spends seconds importing torch)."""
    graph = graph_to_dict(mlp((4,), hidden=8, classes=3, dataset="iris"))
    good = TrainingRun(graph, {"epochs": 2, "device": "cpu", "standardize": True})
    bad = TrainingRun(graph, {"epochs": 2, "dataset": "digits"})  # 64 values for an Input of 4
    victim = long_run()
    for run in (good, bad, victim):
        run.start()
    seen: list[dict] = []
    finished = wait_for(good, "finished", seen)
    assert finished["epochs_run"] == 2
    assert [e["event"] for e in seen].count("epoch") == 2 and any(e["event"] == "samples" for e in seen)
    assert not good.running
    bad_seen: list[dict] = []
    failed = wait_for(bad, "failed", bad_seen)
    assert "Input expects 4" in failed["message"] and failed["step"] is None
    assert not bad.running
    victim_seen: list[dict] = []
    wait_for(victim, "started", victim_seen)
    victim._process.kill()  # as if the OS killed it (out of memory, a crash in a C library)
    died = wait_for(victim, "failed", victim_seen)
    assert died["kind"] == "error" and "ended unexpectedly" in died["message"]
    assert not victim.running


def test_stop_before_start_and_poll_without_a_child():
    run = TrainingRun({"nodes": [], "edges": []})
    assert run.poll() == [] and not run.running and run.pid is None
    run.pause()
    run.resume()
    run.stop()
    assert not run.running


def test_gui_helpers_do_not_import_torch():
    code = ("import sys, netbuilder.train.runner as r; "
            "s = r.resolve_settings({'training': {'lr': 0.5}}, {'epochs': 3}); "
            "d = r.available_devices(); "
            "t = r.default_loss_terms({'nodes': [{'id': 'i', 'type': 'Input'}, {'id': 'o', 'type': 'Output'}], "
            "'edges': [{'src': 'i', 'dst': 'o'}]}, 'regression'); "
            "assert s['lr'] == 0.5 and s['epochs'] == 3 and d[:2] == ['auto', 'cpu'], (s, d); "
            "assert t == [{'type': 'mse', 'output': 'o', 'weight': 1.0}], t; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr


PARENT_FROM_STDIN = """
import json, sys, time
sys.path.insert(0, {tests!r})
from train_graphs import mlp
from netbuilder.core.io import graph_to_dict
from netbuilder.train.runner import TrainingRun

run = TrainingRun(graph_to_dict(mlp((4,), hidden=8, classes=3, dataset="iris")),
                  {{"epochs": 1, "device": "cpu", "samples": False}})
run.start()
pid = run.pid
deadline = time.monotonic() + {timeout}
events = []
while run.running and time.monotonic() < deadline:
    events += run.poll()
    time.sleep(0.02)
print(json.dumps({{"pid": pid, "child_pid": run._process.pid, "events": [e["event"] for e in events],
                  "last": events[-1] if events else None}}))
"""


@pytest.mark.slow
def test_a_parent_run_from_stdin_starts_a_child_and_exposes_its_pid():
    """spawn imports the parent's __main__ in the child; from stdin that is
    '<stdin>', no file, and the child died before training."""
    from pathlib import Path

    code = PARENT_FROM_STDIN.format(tests=str(Path(__file__).parent), timeout=TIMEOUT)
    done = subprocess.run([sys.executable, "-"], input=code, capture_output=True, text=True, timeout=TIMEOUT + 30)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["events"][0] == "started" and result["events"][-1] == "finished", (result, done.stderr)
    assert isinstance(result["pid"], int) and result["pid"] == result["child_pid"]


def test_the_parents_main_is_hidden_only_while_the_child_starts():
    from netbuilder.train import runner

    main = sys.modules["__main__"]
    before = (main.__spec__, getattr(main, "__file__", None))
    with pytest.raises(KeyError), runner._child_skips_main():
        assert main.__spec__ is None and not hasattr(main, "__file__")  # spawn then records neither
        raise KeyError("a failed start")
    assert (main.__spec__, getattr(main, "__file__", None)) == before
