"""The window's group verbs: Group (Ctrl+G), Ungroup (Ctrl+Shift+G), Rename.

They read the canvas selection, ask for a name where one is needed, and call
the Editor, which makes each one undo step. actions.py puts them in the Edit
menu; the canvas context menu offers them for the group under the cursor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QMenu

from netbuilder.gui import dialogs

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.main_window import MainWindow

STATUS_MS = 7000


def group_selection(w: "MainWindow") -> str | None:
    """Group the selected layers as 'Group N' (double-click the title to rename)."""
    gid = w.editor.group(w.scene.selected_node_ids())
    if gid is not None:
        name = w.graph.groups[gid].name
        w.statusBar().showMessage(f"Grouped as “{name}”. Double-click its title to rename it; "
                                  "Ctrl+Shift+G ungroups.", STATUS_MS)
    return gid


def ungroup_selection(w: "MainWindow") -> None:
    w.editor.ungroup(w.scene.selected_group_ids())


def rename_group(w: "MainWindow", group_id: str | None = None) -> bool:
    """Ask for a new name of `group_id` (default: the selection's group)."""
    if group_id is None:
        selected = w.scene.selected_group_ids()
        if not selected:
            w.statusBar().showMessage("Select a layer of a group to rename the group.", STATUS_MS)
            return False
        group_id = selected[0]
    group = w.graph.groups.get(group_id)
    if group is None:
        return False
    name = dialogs.ask_text(w, "Rename group", "Name of the group:", group.name)
    if name is None:
        return False
    return w.editor.rename_group(group_id, name)


def add_to_context_menu(w: "MainWindow", menu: QMenu, scene_pos: QPointF) -> None:
    """Group entries for a right click: on a group's title, that group;
    on a selection, group it (and ungroup/rename its group)."""
    a = w.actions_
    frame = w.scene.group_at(scene_pos)
    if frame is not None:
        gid = frame.group_id
        menu.addAction(f"Rename Group “{frame.name}”…", lambda: rename_group(w, gid))
        menu.addAction("Select Its Layers", lambda: w.scene.select_nodes(list(w.graph.groups[gid].nodes))
                       if gid in w.graph.groups else None)
        menu.addAction("Ungroup", lambda: w.editor.ungroup([gid]))
        menu.addSeparator()
        return
    if w.scene.selected_node_ids():
        menu.addAction(a["group"])
        if w.scene.selected_group_ids():
            menu.addActions([a["ungroup"], a["rename_group"]])
        menu.addSeparator()
