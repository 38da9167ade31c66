"""A training failure in the editor is a message; the network and its unsaved edits stay.

The real training dock drives the real child process: a run whose loss
becomes NaN, then a run whose child is killed with SIGKILL. After each the
editor shows the failure, the graph and the undo history are exactly as
before, and the next run starts and finishes.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from netbuilder.core.graph import Graph
from netbuilder.core.io import dumps

pytestmark = pytest.mark.slow
START_MS = 120_000  # the child imports torch: slow on a busy 2-core machine


def _mlp() -> Graph:
    graph = Graph(name="mlp", training={"dataset": "iris", "epochs": 1, "batch_size": 16, "samples": False})
    graph.add_node("Input", {"shape": [4]}, pos=(0, 0), id="x")
    graph.add_node("Linear", {"out_features": 8}, pos=(220, 0), id="fc1")
    graph.add_node("ReLU", pos=(440, 0), id="act")
    graph.add_node("Linear", {"out_features": 3}, pos=(660, 0), id="fc2")
    graph.add_node("Output", pos=(880, 0), id="y")
    for a, b in (("x", "fc1"), ("fc1", "act"), ("act", "fc2"), ("fc2", "y")):
        graph.add_edge(a, b)
    return graph


@pytest.fixture
def window(open_window):
    return open_window(_mlp())
    win.document.close()


def test_failed_and_killed_runs_keep_the_network_and_its_unsaved_edits(qtbot, window):
    window.editor.set_params("fc1", {"out_features": 16})  # unsaved work
    window.editor.move_nodes({"act": ((440.0, 0.0), (460.0, 80.0))})
    before, undo_count = dumps(window.graph), window.undo_stack.count()
    dock = window.training_dock

    assert dock.start({"optimizer": "sgd", "lr": 1e30, "momentum": 0.0, "epochs": 3})  # diverges
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=START_MS)
    assert dock.outcome == "failed" and "NaN or infinite" in dock.run_panel.banner.text()
    assert dumps(window.graph) == before and window.undo_stack.count() == undo_count
    assert window.document.modified

    steps: list[dict] = []
    handle = dock._handle
    dock._handle = lambda event: (steps.append(event) if event.get("event") == "step" else None, handle(event))
    sane = {"optimizer": "adam", "lr": 1e-3}  # the dock keeps showing the last run's settings
    assert dock.start({**sane, "epochs": 10_000})
    qtbot.waitUntil(lambda: bool(steps), timeout=START_MS)
    os.kill(dock.run._process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=30_000)
    assert dock.outcome == "failed" and "ended unexpectedly" in dock.run_panel.banner.text()
    assert dumps(window.graph) == before and window.undo_stack.count() == undo_count

    assert dock.start({**sane, "epochs": 1})  # the next run starts cleanly
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=START_MS)
    assert dock.outcome == "finished", dock.run_panel.banner.text()
    assert json.loads(dumps(window.graph)) == json.loads(before)
