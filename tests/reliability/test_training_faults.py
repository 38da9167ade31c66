"""Training faults become `failed` events, never a crash; the next run starts cleanly.

Each run goes through the real TrainingRun (a spawned child process). NaN
losses, a broken image folder and a killed child are real; out-of-memory
and a dataset raising mid-epoch are staged inside the child
(reliability_faults.py) — the rest of the path is the product's own.
That the editor keeps its work and the next run starts cleanly after a
failure is test_editor_keeps_work.py.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
import reliability_faults

from netbuilder.core.graph import Graph
from netbuilder.core.io import graph_to_dict
from netbuilder.train import runner
from netbuilder.train.runner import TrainingRun

pytestmark = pytest.mark.slow


def mlp(dataset: str = "iris", inputs: list | None = None, classes: int = 3, **training) -> dict:
    graph = Graph(name="mlp", training={"dataset": dataset, "epochs": 2, "batch_size": 16, "samples": False,
                                        **training})
    graph.add_node("Input", {"shape": inputs or [4]}, id="x")
    prev = "x"
    if len(inputs or [4]) > 1:
        graph.add_node("Flatten", id="flat")
        graph.add_edge(prev, "flat")
        prev = "flat"
    graph.add_node("Linear", {"out_features": 8}, id="fc1")
    graph.add_node("ReLU", id="act")
    graph.add_node("Linear", {"out_features": classes}, id="fc2")
    graph.add_node("Output", id="y")
    for a, b in ((prev, "fc1"), ("fc1", "act"), ("act", "fc2"), ("fc2", "y")):
        graph.add_edge(a, b)
    return graph_to_dict(graph)


def run_to_end(run: TrainingRun, timeout: float = 120.0, on_event=None) -> list[dict]:
    """Poll like the GUI does until the run ends; every event, in order."""
    events: list[dict] = []
    deadline = time.monotonic() + timeout
    while run.running:
        for event in run.poll():
            events.append(event)
            if on_event is not None:
                on_event(run, event)
        if time.monotonic() > deadline:
            run.stop(timeout=1)
            raise AssertionError(f"the run did not end in {timeout} s: {[e['event'] for e in events]}")
        time.sleep(0.02)
    events += run.poll()
    run._process.join(30)  # after its last event the child exits by itself: none is left behind
    assert not run._process.is_alive()
    return events


def failure(events: list[dict]) -> dict:
    terminal = [e for e in events if e["event"] in ("finished", "failed", "stopped")]
    assert [e["event"] for e in terminal] == ["failed"], [e["event"] for e in events]
    assert terminal[0] is events[-1]  # the failure is the last word
    message = terminal[0]["message"]
    assert message and "Traceback" not in message and len(message) < 500, message
    return terminal[0]


def _started(run: TrainingRun) -> TrainingRun:
    run.start()
    return run


def test_a_nan_loss_is_a_failed_event_naming_the_step():
    graph = mlp(optimizer="sgd", lr=1e30, momentum=0.0, epochs=3)  # diverges to inf/NaN within a few steps
    fail = failure(run_to_end(_started(TrainingRun(graph, {}))))
    assert fail["kind"] == "nan" and "NaN or infinite" in fail["message"]
    assert fail["step"] is not None and f"at step {fail['step']}" in fail["message"]


@pytest.mark.parametrize(("fault", "words"), [
    ("cuda_oom", "CUDA out of memory"),  # torch.OutOfMemoryError, as on a GPU
    ("torch_oom", "CUDA out of memory"),  # a RuntimeError saying so (older torch, other backends)
    ("cpu_oom", "out of memory"),  # Python's MemoryError (host RAM)
])
def test_out_of_memory_is_a_failed_event_of_kind_oom(monkeypatch, fault, words):
    monkeypatch.setattr(runner, "_child_main", reliability_faults.child_main_with_fault)
    fail = failure(run_to_end(_started(TrainingRun(mlp(), {"_fault": fault}))))
    assert fail["kind"] == "oom" and words in fail["message"], fail
    assert fail["step"] == 2  # the two steps before it were done


def test_an_exception_inside_the_dataset_mid_epoch_is_a_failed_event(monkeypatch):
    monkeypatch.setattr(runner, "_child_main", reliability_faults.child_main_with_fault)
    events = run_to_end(_started(TrainingRun(mlp(), {"_fault": "dataset_error"})))
    fail = failure(events)
    assert fail["kind"] == "error" and "sample 17: cannot decode 'img_0017.png'" in fail["message"], fail
    assert events[0]["event"] == "started"


def _pgm(path: Path, value: int) -> None:
    path.write_bytes(b"P5\n4 4\n255\n" + bytes([value]) * 16)


def test_a_corrupt_image_read_while_training_is_a_failed_event_naming_it(tmp_path):
    """A folder read on demand (preload_limit 1): the broken file is met mid-training."""
    for label in ("cats", "dogs"):
        (tmp_path / label).mkdir()
        for i in range(12):
            _pgm(tmp_path / label / f"img_{i:02d}.pgm", 40 if label == "cats" else 200)
    (tmp_path / "dogs" / "img_05.pgm").write_bytes(b"P5\n4 4\n255\n\x00\x01")  # truncated pixels
    graph = mlp(str(tmp_path), inputs=[1, 4, 4], classes=2, dataset_options={"preload_limit": 1},
                batch_size=4, val_split=0.0)
    fail = failure(run_to_end(_started(TrainingRun(graph, {}))))
    assert "img_05.pgm" in fail["message"], fail


def test_a_killed_training_process_is_a_failed_event():
    killed: list[int] = []

    def kill_on_first_step(run: TrainingRun, event: dict) -> None:
        if event["event"] == "step" and not killed:
            killed.append(run._process.pid)
            os.kill(run._process.pid, signal.SIGKILL)

    run = _started(TrainingRun(mlp(epochs=10_000), {}))
    events = run_to_end(run, on_event=kill_on_first_step)
    fail = failure(events)
    assert killed and "ended unexpectedly" in fail["message"] and str(-signal.SIGKILL) in fail["message"]
