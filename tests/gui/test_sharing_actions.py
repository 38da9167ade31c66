"""Share Weights With… / Stop Sharing Weights: one undo step each, exact; badge, inspector, editing."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF
from PySide6.QtWidgets import QPushButton

from netbuilder.core.graph import Graph
from netbuilder.gui import sharing_actions
from netbuilder.gui.commands import SetParamsCommand


def _towers() -> Graph:
    g = Graph(name="towers")
    g.add_node("Input", {"shape": [4]}, id="x")
    g.add_node("Linear", {"out_features": 4}, id="a")
    g.add_node("ReLU", {}, id="act")
    g.add_node("Linear", {"out_features": 4}, id="b")
    g.add_node("Linear", {"out_features": 4}, id="c")
    g.add_node("Output", {}, id="out")
    for s, d in [("x", "a"), ("a", "act"), ("act", "b"), ("b", "c"), ("c", "out")]:
        g.add_edge(s, d)
    return g


@pytest.fixture
def window(make_window, monkeypatch):
    w = make_window(_towers())
    monkeypatch.setattr(sharing_actions, "choose_owner", lambda window, nid, options: "a")
    return w


def _shares(w) -> dict:
    return {nid: n.shares for nid, n in w.graph.nodes.items()}


def test_share_from_the_edit_menu_is_one_exact_undo_step(window):
    window.scene.select_nodes(["b"])
    before = window.undo_stack.count()
    window.sharing_actions.share.trigger()
    assert window.graph.nodes["b"].shares == "a" and window.undo_stack.count() == before + 1
    assert window.scene.node_items["b"].shares == "a"  # the ⇄ badge
    window.undo_stack.undo()
    assert window.graph.nodes["b"].shares is None and window.scene.node_items["b"].shares is None
    window.undo_stack.redo()
    assert window.graph.nodes["b"].shares == "a"


def test_the_edit_menu_and_the_context_menu_offer_the_actions(window):
    edit = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Edit")
    texts = [a.text() for a in edit.actions()]
    assert "Share Weights With…" in texts and "Stop Sharing Weights" in texts
    window.scene.select_nodes(["b"])
    window._context_menu(QPoint(0, 0), QPointF(-5000, -5000))
    assert "Share Weights With…" in [a.text() for a in window.context_menu.actions()]
    window.context_menu.close()
    sharing_actions.share_with(window, "b", "a")
    window._context_menu(QPoint(0, 0), QPointF(-5000, -5000))
    assert "Stop Sharing Weights" in [a.text() for a in window.context_menu.actions()]
    window.context_menu.close()


def test_stop_sharing_and_its_undo(window):
    sharing_actions.share_with(window, "b", "a")
    window.scene.select_nodes(["b"])
    window.sharing_actions.stop.trigger()
    assert window.graph.nodes["b"].shares is None
    window.undo_stack.undo()
    assert window.graph.nodes["b"].shares == "a"


def test_sharing_a_node_with_sharers_moves_them_and_undo_restores_all(window):
    sharing_actions.share_with(window, "c", "b")
    before = _shares(window)
    assert sharing_actions.share_with(window, "b", "a")
    assert window.graph.nodes["b"].shares == "a" and window.graph.nodes["c"].shares == "a"
    window.undo_stack.undo()
    assert _shares(window) == before


def test_a_layer_with_other_params_is_refused_without_an_undo_step(window):
    window.graph.set_params("c", {"out_features": 5})
    count = window.undo_stack.count()
    assert not sharing_actions.share_with(window, "c", "a")
    assert window.graph.nodes["c"].shares is None and window.undo_stack.count() == count
    assert "Cannot share" in window.statusBar().currentMessage()


def test_inspector_go_to_owner_and_editing_the_sharer_edits_the_owner(window, qtbot):
    sharing_actions.share_with(window, "b", "a")
    window.scene.select_nodes(["b"])
    qtbot.waitUntil(lambda: window.inspector.page().findChild(QPushButton, "GoToOwner") is not None)
    window.inspector.page().findChild(QPushButton, "GoToOwner").click()
    qtbot.waitUntil(lambda: window.scene.selected_node_ids() == ["a"])
    window.undo_stack.push(SetParamsCommand(window.graph, "b", {"out_features": 6}))
    assert window.graph.nodes["a"].params["out_features"] == 6
    window.undo_stack.undo()
    assert window.graph.nodes["a"].params["out_features"] == 4 == window.graph.nodes["b"].params["out_features"]


def test_removing_the_owner_hands_the_weights_on_and_undo_restores_the_sharing(window):
    sharing_actions.share_with(window, "b", "a")
    sharing_actions.share_with(window, "c", "a")
    window.editor.delete(["a"])
    assert window.graph.nodes["b"].shares is None and window.graph.nodes["c"].shares == "b"
    window.undo_stack.undo()
    assert window.graph.nodes["b"].shares == "a" and window.graph.nodes["c"].shares == "a"
