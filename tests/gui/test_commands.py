"""Undo and redo of every kind of edit, through the real window: after undo
the network is as before, after redo as after, and the canvas agrees."""

from __future__ import annotations

import pytest
from gui_helpers import small_graph

from netbuilder.core.graph import Edge, Graph
from netbuilder.core.io import graph_to_dict
from netbuilder.gui import clipboard
from netbuilder.gui.commands import SetMetaCommand


def state(graph: Graph) -> dict:
    """The graph as its file would be: undo must restore even the order of
    nodes and edges (node order is the order of a model's inputs)."""
    return graph_to_dict(graph)


def canvas_matches(window) -> bool:
    scene = window.scene
    return set(scene.node_items) == set(window.graph.nodes) and set(scene.edge_items) == set(window.graph.edges) \
        and all(scene.node_items[n.id].pos().toTuple() == n.pos for n in window.graph)


EDITS = {
    "add": lambda w: w.editor.add_node("Dropout", (100, 300)),
    "add_after": lambda w: w.editor.add_node("Softmax", (1300, 100), after="fc"),
    "remove": lambda w: w.editor.delete(["relu", "flat"]),
    "connect": lambda w: (w.editor.delete(edges=[Edge("fc", "out")]), w.editor.connect("relu", 0, "out", 0)),
    "disconnect": lambda w: w.editor.delete(edges=[Edge("conv", "relu")]),
    "move": lambda w: w.editor.move_nodes({"relu": ((440.0, 0.0), (440.0, 200.0)),
                                           "flat": ((660.0, 0.0), (700.0, 200.0))}),
    "params": lambda w: w.editor.set_params("conv", {"out_channels": 12, "kernel_size": [3, 5]}),
    "paste": lambda w: w.editor.paste(w.editor.copy(["conv", "relu"]), offset=(0, 300)),
    "insert": lambda w: w.editor.insert_on_edge("BatchNorm2d", Edge("conv", "relu"), (300, 150)),
    "meta": lambda w: w.undo_stack.push(SetMetaCommand(w.graph, name="renamed", description="why")),
}


@pytest.mark.parametrize("kind", list(EDITS))
def test_undo_and_redo_restore_each_edit(make_window, kind):
    window = make_window(small_graph())
    before = state(window.graph)
    EDITS[kind](window)
    after = state(window.graph)
    assert after != before
    stack = window.undo_stack
    while stack.canUndo():
        stack.undo()
    assert state(window.graph) == before
    window.flush()
    assert canvas_matches(window)
    while stack.canRedo():
        stack.redo()
    assert state(window.graph) == after
    window.flush()
    assert canvas_matches(window)
    assert not stack.isClean()


def test_auto_layout_is_one_undoable_step(make_window):
    g = small_graph()
    for i, node in enumerate(reversed(list(g))):  # scramble: right to left, on a slope
        node.pos = (i * 50.0, i * 70.0)
    window = make_window(g)
    before = state(window.graph)
    window.actions_["layout"].trigger()
    xs = [window.graph.nodes[n].pos[0] for n in ("x", "conv", "relu", "flat", "fc", "out")]
    assert xs == sorted(xs) and len(set(xs)) == 6
    assert window.undo_stack.count() == 1 and window.undo_stack.text(0) == "Auto-layout"
    window.undo_stack.undo()
    assert state(window.graph) == before and canvas_matches(window)


def test_shrinking_ports_drops_edges_and_undo_restores_them(make_window):
    g = Graph()
    for nid in ("a", "b", "c"):
        g.add_node("Input", {"shape": [4]}, id=nid)
    g.add_node("Concat", {"num_inputs": 3}, id="cat")
    for i, nid in enumerate(("a", "b", "c")):
        g.add_edge(nid, "cat", 0, i)
    g.add_node("Input", {"shape": [4]}, id="d")
    g.add_node("ReLU", id="r")
    g.add_edge("d", "r")  # after the dropped edge in the list: undo puts it back in between
    window = make_window(g)
    before = list(window.graph.edges)
    window.editor.set_params("cat", {"num_inputs": 2})
    assert Edge("c", "cat", 0, 2) not in window.graph.edges
    window.undo_stack.undo()
    assert window.graph.edges == before  # the dropped edge where it was
    assert len(window.scene.node_items["cat"].inputs) == 3


def test_each_gesture_is_one_named_step_in_the_history(make_window):
    window = make_window(small_graph())
    window.editor.delete(["relu", "flat"])
    window.editor.paste(window.editor.copy(["conv"]), offset=(0, 200))
    stack = window.undo_stack
    assert [stack.text(i) for i in range(stack.count())] == ["Delete 2 layers", "Paste 1 layer"]
    assert window.history.model().rowCount() == 3  # "Opened" + two steps


def test_copy_paste_keeps_inner_edges_with_fresh_ids(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["conv", "relu", "flat"])
    assert window.copy_selection()
    frag = clipboard.from_clipboard()
    assert [e["src"] + ">" + e["dst"] for e in frag["edges"]] == ["conv>relu", "relu>flat"]
    window.paste()
    new = window.scene.selected_node_ids()
    assert len(new) == 3 and not set(new) & {"conv", "relu", "flat"}
    inner = [e for e in window.graph.edges if e.src in new]
    assert len(inner) == 2 and all(e.dst in new for e in inner)
    assert window.graph.nodes[new[0]].params == window.graph.nodes["conv"].params
    window.undo_stack.undo()
    assert set(window.graph.nodes) == set(small_graph().nodes)


def test_cut_and_duplicate(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["fc"])
    window.duplicate()
    assert len(window.graph.nodes_of_type("Linear")) == 2
    window.scene.select_nodes(["relu"])
    window.cut_selection()
    assert "relu" not in window.graph.nodes
    window.scene.clearSelection()
    window.paste()
    assert "relu" in window.graph.nodes  # the id was free again


def test_paste_of_foreign_text_is_refused_politely(make_window):
    from PySide6.QtGui import QGuiApplication

    window = make_window(small_graph())
    QGuiApplication.clipboard().setText("not a network")
    window.paste()
    assert "Nothing to paste" in window.statusBar().currentMessage()
    bad = {"format": "netbuilder-fragment", "nodes": [{"id": "z", "type": "NoSuchLayer", "params": {},
                                                        "pos": [0, 0]}], "edges": []}
    assert window.editor.paste(bad) == []
    assert "NoSuchLayer" in window.statusBar().currentMessage()
    assert window.undo_stack.count() == 0


def test_edges_are_placed_by_one_pass_and_equal_copies_too():
    """_indexed finds the graph's own edge objects by identity in one pass (list.index per
    edge compared every edge before it) and an equal edge that is another object by value."""
    from netbuilder.gui.commands import _indexed

    edges = [Edge("a", "b"), Edge("b", "c"), Edge("c", "d", 0, 1), Edge("d", "e")]
    copy_of_third = Edge("c", "d", 0, 1)
    assert copy_of_third is not edges[2]
    got = _indexed(edges, [edges[3], copy_of_third, edges[0], edges[3]])
    assert got == [(0, edges[0]), (2, edges[2]), (3, edges[3])]
    assert _indexed(edges, []) == []
