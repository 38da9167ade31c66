"""The editor's undo hardening (issues 16 and 17): a refused edit changes
nothing, merged steps replay exactly, the inspector is never half-built, and
File ▸ Open switches everything or nothing."""

from __future__ import annotations

import copy
import json
import math

import pytest
from gui_helpers import small_graph

from netbuilder.core.graph import Edge, Graph
from netbuilder.core.groups import MAX_NAME
from netbuilder.core.io import graph_to_dict, save_graph
from netbuilder.gui.commands import AddEdgeCommand, AddNodeCommand, MacroCommand


def state(graph: Graph) -> dict:
    return graph_to_dict(graph)


def messages(window) -> list[str]:
    said: list[str] = []
    window.editor.message.connect(said.append)
    return said


def concat_graph() -> Graph:
    g = Graph(name="cat")
    g.add_node("Input", {"shape": [4]}, pos=(0, 0), id="x")
    for i in range(3):
        g.add_node("Linear", {"out_features": 2}, pos=(200, 100 * i), id=f"fc{i}")
        g.add_edge("x", f"fc{i}")
    g.add_node("Concat", {"num_inputs": 3}, pos=(400, 0), id="cat")
    for i in range(3):
        g.add_edge(f"fc{i}", "cat", 0, i)
    g.add_node("Output", pos=(600, 0), id="y")
    g.add_edge("cat", "y")
    return g


def test_an_edit_that_drops_an_edge_is_not_merged_and_redo_replays_it_exactly(make_window):
    window = make_window(concat_graph())
    before = state(window.graph)
    window.editor.set_params("cat", {"num_inputs": 2})  # the edge on port 2 goes
    assert Edge("fc2", "cat", 0, 2) not in window.graph.edges
    window.editor.set_params("cat", {"num_inputs": 3})  # the port is back, the edge is not
    after = state(window.graph)
    stack = window.undo_stack
    assert stack.count() == 2  # not merged: one merged step could not replay both
    while stack.canUndo():
        stack.undo()
    assert state(window.graph) == before
    while stack.canRedo():
        stack.redo()
    assert state(window.graph) == after


def test_edits_of_one_field_still_merge_when_no_edge_is_dropped(make_window):
    window = make_window(small_graph())
    for value in (1, 12, 128):
        window.editor.set_params("fc", {"out_features": value})
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert window.graph.nodes["fc"].params["out_features"] == 10


def fragment(nodes, edges=(), groups=()) -> dict:
    return {"format": "netbuilder-fragment", "nodes": list(nodes), "edges": list(edges), "groups": list(groups)}


def relu(node_id: str, x: float = 0.0) -> dict:
    return {"id": node_id, "type": "ReLU", "params": {}, "pos": [x, 500.0]}


BAD_FRAGMENTS = {
    "port": (fragment([relu("a"), relu("b", 200)], [{"src": "a", "dst": "b", "src_port": 0, "dst_port": 5}]),
             "no input port 5"),
    "cycle": (fragment([relu("a"), relu("b", 200)], [{"src": "a", "dst": "b"}, {"src": "b", "dst": "a"}]),
              "cycle"),
    "id": (fragment([relu("a"), relu("1st", 200)]), "'1st'"),
    "port text": (fragment([relu("a"), relu("b", 200)], [{"src": "a", "dst": "b", "dst_port": "0"}]), "ports"),
    "position": (fragment([relu("a"), {**relu("b"), "pos": [math.nan, 0]}]), "position"),
    "no type": (fragment([relu("a"), {"id": "b", "pos": [0, 0]}]), "layer #2"),
    "params": (fragment([{"id": "d", "type": "Dropout", "params": {"p": 7}, "pos": [0, 0]}]), "layer #1"),
    "twice": (fragment([relu("a"), relu("a", 200)]), "twice"),
}


@pytest.mark.parametrize("kind", list(BAD_FRAGMENTS))
def test_a_bad_fragment_changes_nothing_and_says_why_once(make_window, kind):
    window = make_window(small_graph())
    said = messages(window)
    before, count = state(window.graph), window.undo_stack.count()
    frag, reason = BAD_FRAGMENTS[kind]
    assert window.editor.paste(copy.deepcopy(frag)) == []
    assert state(window.graph) == before and window.undo_stack.count() == count
    assert len(said) == 1 and reason in said[0], said
    window.flush()
    assert set(window.scene.node_items) == set(window.graph.nodes)


def test_a_macro_whose_last_part_fails_is_rolled_back_and_never_pushed(make_window):
    window = make_window(small_graph())
    said = messages(window)
    before = state(window.graph)
    macro = MacroCommand("Add and connect")
    AddNodeCommand(window.graph, "ReLU", None, (0, 400), "r", parent=macro)
    AddEdgeCommand(window.graph, Edge("r", "x"), parent=macro)  # Input has no input port
    assert not window.editor.push(macro)
    assert state(window.graph) == before and window.undo_stack.count() == 0
    assert len(said) == 1 and "no input port" in said[0]


def test_duplicating_a_group_named_at_the_length_limit(make_window):
    graph = small_graph()
    name = "g" * MAX_NAME
    graph.add_group(["relu", "flat"], name, id="group_1")
    window = make_window(graph)
    before = state(window.graph)
    names = set()
    for _ in range(3):
        window.scene.select_nodes(["relu", "flat"])
        window.duplicate()
        names = {g.name for g in window.graph.groups.values()}
    assert len(window.graph.groups) == 4 and all(len(n) <= MAX_NAME for n in names)
    assert len(names) == 4
    after = state(window.graph)
    while window.undo_stack.canUndo():
        window.undo_stack.undo()
    assert state(window.graph) == before
    while window.undo_stack.canRedo():
        window.undo_stack.redo()
    assert state(window.graph) == after


def test_a_pasted_id_at_the_length_limit_still_saves(make_window, tmp_path):
    from netbuilder.core.io import load_graph

    window = make_window(small_graph())
    long_id = "a" * 200
    window.editor.paste(fragment([relu(long_id)]))
    window.editor.paste(fragment([relu(long_id)]))  # taken: a fresh id, still within 200 characters
    assert all(len(n) <= 200 for n in window.graph.nodes)
    save_graph(window.graph, tmp_path / "n.json")
    assert state(load_graph(tmp_path / "n.json")) == state(window.graph)


EXTREME = {"out_channels": 10**9, "kernel_size": [2**31, 1], "stride": 2**62, "padding": 2**33}


def test_layers_with_extreme_parameters_add_paste_and_insert_without_a_slot_exception(make_window):
    """pytest-qt fails the test on any exception that reaches Qt (its exception capture)."""
    window = make_window(small_graph())
    nid = window.editor.add_node("Conv2d", (0, 400), dict(EXTREME))
    assert nid is not None
    window.scene.select_nodes([nid])
    window.flush()
    assert window.inspector.node_id == nid and window.inspector.editors["stride"].value() == 2**62
    pasted = window.editor.paste(window.editor.copy([nid]))
    window.scene.select_nodes(pasted)
    window.flush()
    assert window.inspector.editors["out_channels"].value() == 10**9
    inserted = window.editor.insert_on_edge("Conv2d", Edge("conv", "relu"), (300, 200))
    window.editor.set_params(inserted, dict(EXTREME))
    window.scene.select_nodes([inserted])
    window.flush()
    for _ in range(4):
        window.undo_stack.undo()
        window.flush()
    assert window.inspector.node_id in (None, *window.graph.nodes)


def test_a_form_that_cannot_be_built_is_one_line_and_nothing_half_built(make_window, monkeypatch):
    from netbuilder.gui import inspector as module

    window = make_window(small_graph())

    def broken(param):
        raise OverflowError("Python int too large to convert to C int")
    monkeypatch.setattr(module, "make_editor", broken)
    window.scene.select_nodes(["conv"])
    window.flush()
    inspector = window.inspector
    assert inspector.node_id is None and inspector.editors == {}
    text = " ".join(label.text() for label in inspector.page().findChildren(module.QLabel))
    assert "Cannot show layer “conv”" in text and "OverflowError" in text
    window.editor.set_params("conv", {"out_channels": 9})  # a shape report and a graph event follow
    window.flush()
    window.undo_stack.undo()
    window.flush()
    monkeypatch.undo()
    window.scene.select_nodes(["fc"])
    window.flush()
    assert inspector.node_id == "fc" and inspector.editors["out_features"].value() == 10


def test_open_switches_path_history_and_graph_together_when_a_view_fails(make_window, dialogs, tmp_path):
    window = make_window(small_graph())
    old_file, new_file = tmp_path / "old.json", tmp_path / "new.json"
    save_graph(small_graph(), old_file)
    window.open_file(old_file)
    window.editor.add_node("ReLU", (0, 400))
    odd = concat_graph()
    save_graph(odd, new_file)
    raw = json.loads(new_file.read_text())
    raw["training"] = {"seed": 2**31, "epochs": None, "patience": "x"}  # what made controls.load raise
    new_file.write_text(json.dumps(raw))

    def failing(event):
        if event.kind == "reset":
            raise ValueError("a view that cannot follow")
    window.graph.subscribe(failing)
    dialogs.save_answer = "discard"
    assert window.open_file(new_file)
    assert window.current_path == new_file.resolve()
    assert window.undo_stack.count() == 0 and set(window.graph.nodes) == set(odd.nodes)
    window.document.save()
    assert json.loads(old_file.read_text())["nodes"][0]["id"] == "x"
    assert {n["id"] for n in json.loads(old_file.read_text())["nodes"]} == set(small_graph().nodes)


def test_open_that_the_graph_refuses_keeps_the_old_file_everything(make_window, dialogs, tmp_path, monkeypatch):
    window = make_window(small_graph())
    old_file, new_file = tmp_path / "old.json", tmp_path / "new.json"
    save_graph(small_graph(), old_file)
    save_graph(concat_graph(), new_file)
    window.open_file(old_file)
    window.editor.add_node("ReLU", (0, 400))
    before, count = state(window.graph), window.undo_stack.count()

    def refuse(other):
        raise MemoryError("no room")
    monkeypatch.setattr(window.graph, "replace_with", refuse)
    dialogs.save_answer = "discard"
    assert not window.open_file(new_file)
    assert window.current_path == old_file.resolve() and state(window.graph) == before
    assert window.undo_stack.count() == count and dialogs.errors and "no room" in dialogs.errors[-1]


def _orphan(folder, name: str, features: int, saved_at: float) -> None:
    graph = small_graph()
    graph.name = name
    graph.set_params("fc", {"out_features": features})
    record = {"pid": 1, "path": None, "name": name, "saved_at": saved_at, "graph": graph_to_dict(graph)}
    (folder / f"session-{features}-1.json").write_text(json.dumps(record))


def test_recovery_offers_every_dead_session_and_leaves_live_ones_alone(make_window, dialogs):
    from PySide6.QtCore import QLockFile

    from netbuilder.gui.autosave import autosave_dir

    folder = autosave_dir()
    _orphan(folder, "older", 11, 1000.0)
    _orphan(folder, "newer", 22, 2000.0)
    live = folder / "session-99-1.json"  # another editor, still running: its lock is held
    live.write_text("{}")
    lock = QLockFile(str(live.with_suffix(".lock")))
    assert lock.tryLock(0)
    window = make_window(small_graph())
    try:
        assert window.document.offer_recovery()
        assert dialogs.asked[-2:] == ["newer", "older"]  # both offered, newest first
        others = window.document.windows
        assert len(others) == 1
        restored = {w.graph.name: w.graph.nodes["fc"].params["out_features"] for w in (window, others[0])}
        assert restored == {"newer": 22, "older": 11}
        assert window.document.modified and others[0].document.modified
        assert not list(folder.glob("session-11-*.json")) and not list(folder.glob("session-22-*.json"))
        assert live.exists()  # a running session's autosave is never touched
    finally:
        for other in list(window.document.windows):
            other.undo_stack.setClean()
            other.document._force_dirty = False
            other.training_dock.shutdown()
            other.close()
        lock.unlock()


def test_the_network_name_and_description_stay_within_what_the_file_format_opens(make_window, tmp_path):
    from netbuilder.core.io import MAX_TEXT, load_graph

    window = make_window(small_graph())
    said = messages(window)
    window.scene.clearSelection()
    inspector = window.inspector
    inspector.name_edit.setText("n" * 5000)
    inspector._apply_name()
    assert window.graph.name == "n" * MAX_TEXT["name"]
    inspector.desc_edit.setPlainText("d" * (MAX_TEXT["description"] + 1))
    inspector._apply_description()
    assert window.graph.description == "" and "limit" in said[-1]
    assert window.document.save_file(tmp_path / "named.json")
    assert load_graph(tmp_path / "named.json").name == window.graph.name
