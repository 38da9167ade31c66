"""Huge values typed into the inspector give a shape or budget error before anything is allocated.

The user's path: select a layer, type into its inspector field. A kernel of 10^9
is a shape error on the canvas; 10^6 channels pass the shape check, so the
status bar's budget meter turns red and Start refuses with a message naming the
layer — no training process is started and no module is built off the meta
device (a spy on ModuleCall.build, as in test_budget.py, records any).
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.graph import Graph


def _net() -> Graph:
    graph = Graph(name="small", training={"dataset": "digits", "epochs": 1, "batch_size": 32})
    graph.add_node("Input", {"shape": [1, 28, 28]}, pos=(0, 0), id="x")
    graph.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, pos=(220, 0), id="conv1")
    graph.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, pos=(440, 0), id="conv2")
    graph.add_node("Output", pos=(660, 0), id="y")
    for a, b in (("x", "conv1"), ("conv1", "conv2"), ("conv2", "y")):
        graph.add_edge(a, b)
    return graph


@pytest.fixture
def window(open_window):
    win = open_window(_net())
    win.flush()
    return win
    win.document.close()


def _type(window, node: str, field: str, text: str) -> None:
    """Select `node` and type `text` into its inspector field, as a user would."""
    window.scene.select_nodes([node])
    editor = window.inspector.editors[field]
    spin = getattr(editor, "single", None) or editor.spin
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key.Key_Return)
    window.flush()


def test_a_kernel_of_a_billion_is_a_shape_error_on_the_canvas(window, real_builds):
    _type(window, "conv1", "kernel_size", "1000000000")
    assert window.graph.nodes["conv1"].params["kernel_size"] == 10**9
    item = window.scene.node_items["conv1"]
    assert item.status == "error" and "kernel 1000000000 is larger than the padded input" in item.message
    dock = window.training_dock
    assert not dock.start() and dock.run is None
    assert "conv1" in dock.run_panel.banner.text() and "kernel" in dock.run_panel.banner.text()
    assert real_builds == []


def test_a_million_channels_is_a_budget_error_and_start_refuses(window, real_builds):
    _type(window, "conv1", "out_channels", "1000000")
    _type(window, "conv2", "out_channels", "1000000")
    assert window.graph.nodes["conv2"].params["out_channels"] == 10**6
    assert all(window.scene.node_items[n].status == "ok" for n in ("conv1", "conv2"))  # the shapes fit
    bar = window.export_actions.budget
    bar.refresh()
    assert "params" in bar.over_limit()  # the status bar's meter is red
    dock = window.training_dock
    assert not dock.start() and dock.run is None  # no training process for a network this size
    banner = dock.run_panel.banner.text()
    assert dock.run_panel.banner_kind == "error" and banner.startswith("The network is too large to train")
    assert "conv2 (Conv2d) needs 9,000,001,000,000 parameters" in banner, banner
    assert real_builds == []
    window.undo_stack.undo()  # back to 4 channels: the same network is fine again
    window.undo_stack.undo()
    assert [window.graph.nodes[n].params["out_channels"] for n in ("conv1", "conv2")] == [4, 4]
    from netbuilder.gui.training.messages import graph_problem

    assert graph_problem(window.graph, 32) is None
