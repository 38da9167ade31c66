"""Groups on the canvas: Ctrl+G frames the selection, the frame follows its
layers, every group edit is one exact undo step, files keep groups, and
copy/paste carries only whole groups."""

from __future__ import annotations

import pytest
from gui_helpers import drag, small_graph, view_point
from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest

from netbuilder.core.io import graph_to_dict
from netbuilder.gui import dialogs as dialogs_module
from netbuilder.gui.canvas.group_item import GroupItem


def _grouped_window(make_window, members=("conv", "relu", "flat")):
    window = make_window(small_graph())
    window.scene.select_nodes(list(members))
    window.actions_["group"].trigger()
    window.flush()
    return window


def _frame(window, gid: str = "group_1") -> GroupItem:
    return window.scene.group_items[gid]


def _encloses(window, gid: str = "group_1") -> bool:
    """The frame holds every member's body, and no other layer's."""
    parts = _frame(window, gid).part_rects()
    members = set(window.graph.groups[gid].nodes)
    for nid, item in window.scene.node_items.items():
        body = item.mapRectToScene(item.body_rect())
        if any(p.contains(body) for p in parts) != (nid in members):
            return False
    return True


def _title_point(window, gid: str = "group_1"):
    frame = _frame(window, gid)
    return view_point(window, frame.mapToScene(frame.title_rect().center()))


def test_ctrl_g_frames_the_selection_and_undo_redo_is_exact(make_window):
    window = make_window(small_graph())
    before = graph_to_dict(window.graph)
    window.scene.select_nodes(["conv", "relu", "flat"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)  # the real shortcut
    group = window.graph.groups["group_1"]
    assert (group.name, group.nodes) == ("Group 1", ["conv", "relu", "flat"])
    assert list(window.scene.group_items) == ["group_1"] and _encloses(window)
    assert _frame(window).zValue() < min(i.zValue() for i in window.scene.node_items.values())
    assert "Grouped as “Group 1”" in window.statusBar().currentMessage()
    assert window.undo_stack.text(0) == "Group 3 layers as “Group 1”"
    after = graph_to_dict(window.graph)
    assert after["groups"] == [{"id": "group_1", "name": "Group 1", "nodes": ["conv", "relu", "flat"]}]
    window.undo_stack.undo()
    assert graph_to_dict(window.graph) == before and not window.scene.group_items
    window.undo_stack.redo()
    assert graph_to_dict(window.graph) == after and _encloses(window)


def test_grouping_nothing_is_refused(make_window):
    window = make_window(small_graph())
    window.scene.clearSelection()
    window.actions_["group"].trigger()
    assert not window.graph.groups and window.undo_stack.count() == 0
    assert "Select the layers to group" in window.statusBar().currentMessage()


def test_the_frame_follows_a_dragged_layer_and_its_undo(make_window):
    window = _grouped_window(make_window)
    item = window.scene.node_items["relu"]
    start = view_point(window, item.mapToScene(QPointF(80, 50)))
    drag(window.view.viewport(), start, start + QPointF(0, 160).toPoint())
    assert window.graph.nodes["relu"].pos[1] > 100  # really moved, one step
    assert _encloses(window)
    window.undo_stack.undo()
    assert window.graph.nodes["relu"].pos == (440.0, 0.0) and _encloses(window)


def test_dragging_the_title_moves_the_whole_group_in_one_step(make_window):
    window = _grouped_window(make_window)
    old = {n: window.graph.nodes[n].pos for n in ("conv", "relu", "flat", "fc")}
    start = _title_point(window)
    drag(window.view.viewport(), start, start + QPointF(0, 200).toPoint())
    moved = {n: window.graph.nodes[n].pos for n in old}
    dys = {round(moved[n][1] - old[n][1], 3) for n in ("conv", "relu", "flat")}
    assert len(dys) == 1 and dys.pop() > 100 and moved["fc"] == old["fc"]
    assert window.undo_stack.text(window.undo_stack.index() - 1).startswith("Move")
    assert _encloses(window)
    window.undo_stack.undo()
    assert {n: window.graph.nodes[n].pos for n in old} == old and _encloses(window)


def test_double_click_on_the_title_renames_and_undo_restores(make_window, monkeypatch):
    window = _grouped_window(make_window)
    answers = iter(["  Feature extractor ", "   "])
    asked = []
    monkeypatch.setattr(dialogs_module, "ask_text",
                        lambda parent, title, label, text="": asked.append(text) or next(answers))
    QTest.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      _title_point(window))
    assert asked == ["Group 1"]
    assert window.graph.groups["group_1"].name == "Feature extractor" == _frame(window).name
    window.actions_["rename_group"].trigger()  # the selection's group; an empty name is refused
    assert window.graph.groups["group_1"].name == "Feature extractor"
    assert "must be 1 to 200 characters" in window.statusBar().currentMessage()
    window.undo_stack.undo()
    assert window.graph.groups["group_1"].name == "Group 1" == _frame(window).name
    window.undo_stack.redo()
    assert _frame(window).name == "Feature extractor"


def test_ungroup_keeps_the_layers_and_undo_puts_the_group_back_in_place(make_window):
    window = _grouped_window(make_window, ("x",))
    window.scene.select_nodes(["fc", "out"])
    window.actions_["group"].trigger()
    before = graph_to_dict(window.graph)
    window.scene.select_nodes(["x"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert list(window.graph.groups) == ["group_2"] and "x" in window.graph.nodes
    assert list(window.scene.group_items) == ["group_2"]
    window.undo_stack.undo()
    assert graph_to_dict(window.graph) == before  # group_1 first again
    assert set(window.scene.group_items) == {"group_1", "group_2"}


def test_grouping_layers_of_another_group_takes_them_out_of_it(make_window):
    window = _grouped_window(make_window, ("conv", "relu"))
    before = graph_to_dict(window.graph)
    window.scene.select_nodes(["relu", "flat"])
    window.actions_["group"].trigger()
    assert window.graph.groups["group_1"].nodes == ["conv"]
    assert window.graph.groups["group_2"].nodes == ["relu", "flat"]
    assert _encloses(window, "group_1") and _encloses(window, "group_2")
    window.scene.select_nodes(["conv", "relu", "flat"])  # swallows group_1 whole: it goes
    window.actions_["group"].trigger()
    assert list(window.graph.groups) == ["group_3"] and list(window.scene.group_items) == ["group_3"]
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert graph_to_dict(window.graph) == before and _encloses(window)


def test_deleting_grouped_layers_and_undo_restores_membership(make_window):
    window = _grouped_window(make_window)
    before = graph_to_dict(window.graph)
    window.editor.delete(["relu"])
    assert window.graph.groups["group_1"].nodes == ["conv", "flat"] and _encloses(window)
    window.undo_stack.undo()
    assert graph_to_dict(window.graph) == before and _encloses(window)
    window.scene.select_nodes(["conv", "relu", "flat"])
    window.delete_selection()  # every member: the group goes too
    assert not window.graph.groups and not window.scene.group_items
    window.undo_stack.undo()
    assert graph_to_dict(window.graph) == before and _encloses(window)
    window.undo_stack.redo()
    assert not window.scene.group_items


def test_save_and_reopen_keeps_groups(make_window, tmp_path):
    window = _grouped_window(make_window)
    window.editor.rename_group("group_1", "Features")
    path = tmp_path / "grouped.json"
    assert window.save_file(path)
    other = make_window()
    assert other.open_file(path)
    other.flush()
    assert graph_to_dict(other.graph)["groups"] == [{"id": "group_1", "name": "Features",
                                                     "nodes": ["conv", "relu", "flat"]}]
    assert _frame(other).name == "Features" and _encloses(other)


def test_duplicate_carries_whole_groups_only(make_window):
    window = _grouped_window(make_window, ("conv", "relu"))
    window.scene.select_nodes(["conv", "relu", "flat"])
    window.duplicate()
    new = window.scene.selected_node_ids()
    assert len(new) == 3
    copy = window.graph.groups["group_2"]
    assert copy.name == "Group 1 copy" and copy.nodes == new[:2]  # the copies of conv and relu
    assert window.graph.group_of(new[2]) is None and _encloses(window, "group_2")
    window.undo_stack.undo()
    assert list(window.graph.groups) == ["group_1"] and list(window.scene.group_items) == ["group_1"]
    window.scene.select_nodes(["conv"])  # part of a group: pasted ungrouped
    window.duplicate()
    assert list(window.graph.groups) == ["group_1"]


def test_pasting_a_foreign_fragment_with_odd_groups_pastes_the_layers(make_window):
    window = make_window(small_graph())
    frag = window.editor.copy(["relu", "flat"])
    frag["groups"] = ["junk", {"name": "x" * 500, "nodes": ["relu", "flat"]}, {"nodes": 3}]
    new = window.editor.paste(frag)
    assert len(new) == 2
    (group,) = window.graph.groups.values()
    assert group.nodes == new and len(group.name) <= 200


def test_context_menu_on_a_title_offers_the_group_verbs(make_window, monkeypatch):
    window = _grouped_window(make_window)
    frame = _frame(window)
    window.scene.clearSelection()
    window._context_menu(window.mapToGlobal(window.rect().center()), frame.mapToScene(frame.title_rect().center()))
    texts = [a.text() for a in window.context_menu.actions()]
    window.context_menu.close()
    assert "Rename Group “Group 1”…" in texts and "Ungroup" in texts
    ungroup = next(a for a in window.context_menu.actions() if a.text() == "Ungroup")
    ungroup.trigger()
    assert not window.graph.groups


@pytest.mark.parametrize("theme_name", ["dark", "light"])
def test_the_frame_stands_out_from_the_canvas_in_both_themes(make_window, theme_name):
    window = _grouped_window(make_window)
    window.set_theme(theme_name)
    window.view.fit_to_view()
    frame = _frame(window)
    image = window.view.viewport().grab().toImage()
    band = view_point(window, frame.mapToScene(QPointF(frame.title_rect().right() - 12, 6)))
    away = view_point(window, frame.mapToScene(QPointF(frame.title_rect().right() - 12, -60)))
    a, b = image.pixelColor(band), image.pixelColor(away)
    assert abs(a.lightness() - b.lightness()) >= 6, (a.name(), b.name())


def test_layers_far_apart_get_one_frame_each_instead_of_a_frame_over_everything(make_window):
    """A wrapped layout can cut a group in two; one box around both halves would frame half the network."""
    window = _grouped_window(make_window, ("conv", "relu", "out"))
    parts = _frame(window).part_rects()
    assert len(parts) == 2 and _encloses(window)  # conv+relu together, out alone; fc and flat unframed
    window.editor.move_nodes({"out": ((1100.0, 0.0), (440.0, 130.0))})  # brought back, below relu
    assert len(_frame(window).part_rects()) == 1 and _encloses(window)
