"""Helpers for the editor's GUI tests: a small graph and real mouse gestures."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest


def small_graph():
    """Input (1×28×28) → Conv2d → ReLU → Flatten → Linear → Output, laid out in a row."""
    from netbuilder.core.graph import Graph

    g = Graph(name="small")
    chain = [("x", "Input", {"shape": [1, 28, 28]}), ("conv", "Conv2d", {"out_channels": 6, "kernel_size": 5}),
             ("relu", "ReLU", {}), ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10}),
             ("out", "Output", {})]
    for i, (nid, t, p) in enumerate(chain):
        g.add_node(t, p, pos=(i * 220.0, 0.0), id=nid)
        if i:
            g.add_edge(chain[i - 1][0], nid)
    return g


def view_point(window, scene_pos: QPointF) -> QPoint:
    """Viewport coordinates of a scene point (what a mouse event needs)."""
    return window.view.mapFromScene(scene_pos)


def port_point(window, node_id: str, index: int, output: bool) -> QPoint:
    item = window.scene.node_items[node_id]
    port = item.port(index, output)
    return view_point(window, port.scenePos())


def drag(widget, start: QPoint, end: QPoint, button=Qt.MouseButton.LeftButton, steps: int = 4) -> None:
    """Press at `start`, move in steps, release at `end` (real mouse events)."""
    QTest.mousePress(widget, button, Qt.KeyboardModifier.NoModifier, start)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        QTest.mouseMove(widget, p)
    QTest.mouseRelease(widget, button, Qt.KeyboardModifier.NoModifier, end)
