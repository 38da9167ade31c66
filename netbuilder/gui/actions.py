"""Menus, toolbar and keyboard shortcuts of the main window.

Each action calls one method of the window (or its document, view, undo
stack); the keys are listed for users in help.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMenu, QToolBar

from netbuilder.gui import dialogs, group_actions, storage, theme
from netbuilder.gui.help import ShortcutsDialog, show_about

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.main_window import MainWindow

Keys = QKeySequence.StandardKey


def _action(window: "MainWindow", text: str, slot: Callable, keys=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if keys is not None:
        seqs = keys if isinstance(keys, list) else [keys]
        action.setShortcuts([QKeySequence(k) for k in seqs])
    if tip:
        action.setStatusTip(tip)
        action.setToolTip(tip)
    action.triggered.connect(lambda checked=False: slot())
    window.addAction(action)  # shortcuts work while any dock has focus
    return action


def build_actions(w: "MainWindow") -> dict[str, QAction]:
    a: dict[str, QAction] = {}
    doc, view, stack = w.document, w.view, w.undo_stack
    a["new"] = _action(w, "&New", doc.new, Keys.New, "Start an empty network")
    a["open"] = _action(w, "&Open…", lambda: _open(w), Keys.Open, "Open a network file")
    a["save"] = _action(w, "&Save", doc.save, Keys.Save, "Save the network")
    a["save_as"] = _action(w, "Save &As…", doc.save_as, Keys.SaveAs, "Save the network under a new name")
    a["quit"] = _action(w, "&Quit", w.close, Keys.Quit)
    a["undo"] = stack.createUndoAction(w, "&Undo")
    a["undo"].setShortcut(QKeySequence(Keys.Undo))
    a["redo"] = stack.createRedoAction(w, "&Redo")
    a["redo"].setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    a["undo"].setIconText("Undo")  # the menu says what; the toolbar button keeps its width
    a["redo"].setIconText("Redo")
    w.addAction(a["undo"])
    w.addAction(a["redo"])
    a["cut"] = _action(w, "Cu&t", w.cut_selection, Keys.Cut)
    a["copy"] = _action(w, "&Copy", w.copy_selection, Keys.Copy)
    a["paste"] = _action(w, "&Paste", w.paste, Keys.Paste)
    a["duplicate"] = _action(w, "&Duplicate", w.duplicate, "Ctrl+D")
    a["delete"] = _action(w, "De&lete", w.delete_selection, [QKeySequence(Keys.Delete), "Backspace"])
    a["select_all"] = _action(w, "Select &All", w.select_all, Keys.SelectAll)
    a["group"] = _action(w, "&Group Layers", lambda: group_actions.group_selection(w), "Ctrl+G",
                         "Frame the selected layers as a named group")
    a["ungroup"] = _action(w, "U&ngroup", lambda: group_actions.ungroup_selection(w), "Ctrl+Shift+G",
                           "Remove the groups of the selected layers (the layers stay)")
    a["rename_group"] = _action(w, "&Rename Group…", lambda: group_actions.rename_group(w),
                                tip="Rename the group of the selected layers")
    a["quick_add"] = _action(w, "Add &Layer…\tTab", view.request_quick_add, tip="Search for a layer to add (Tab)")
    a["quick_add"].setIconText("Add Layer")
    a["fit"] = _action(w, "&Fit to View", view.fit_to_view, "F", "Show the whole network")
    a["zoom_in"] = _action(w, "Zoom &In", view.zoom_in, [QKeySequence(Keys.ZoomIn), "Ctrl+="])
    a["zoom_out"] = _action(w, "Zoom &Out", view.zoom_out, Keys.ZoomOut)
    a["zoom_reset"] = _action(w, "&Actual Size", lambda: (view.resetTransform(), view.zoom_changed.emit(1.0)),
                              "Ctrl+0")
    a["layout"] = _action(w, "Auto-&Layout", w.auto_layout, "Ctrl+L", "Arrange layers left to right")
    a["snap"] = _action(w, "&Snap to Grid", lambda: None, "Ctrl+'")
    a["snap"].setCheckable(True)
    a["snap"].toggled.connect(w.set_snap)
    a["health"] = _action(w, "&Health", lambda: None, tip="Colour layers by a training-health statistic "
                          "(chosen in the Training dock's Layers tab), with sparklines")
    a["health"].setCheckable(True)  # off by default
    a["health"].toggled.connect(w.set_health_overlay)
    a["search"] = _action(w, "Search Layers", lambda: (w.palette_dock.show(), w.palette.search.setFocus(),
                                                        w.palette.search.selectAll()), Keys.Find)
    a["shortcuts"] = _action(w, "&Keyboard Shortcuts", lambda: ShortcutsDialog(w).exec(), Keys.HelpContents)
    a["about"] = _action(w, "&About NetBuilder", lambda: show_about(w))
    for key in ("fit", "delete"):  # single keys: only while the canvas has focus, never in text fields
        a[key].setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        view.addAction(a[key])
        w.removeAction(a[key])
    _menus(w, a)
    _toolbar(w, a)
    return a


def _open(w: "MainWindow") -> None:
    folder = str(w.current_path.parent) if w.current_path else ""
    path = dialogs.open_file_name(w, folder)
    if path:
        w.open_file(path)


def _menus(w: "MainWindow", a: dict[str, QAction]) -> None:
    bar = w.menuBar()
    file = bar.addMenu("&File")
    file.addActions([a["new"], a["open"]])
    w.recent_menu = file.addMenu("Open &Recent")
    w.recent_menu.aboutToShow.connect(lambda: _fill_recent(w))
    file.addSeparator()
    file.addActions([a["save"], a["save_as"]])
    file.addSeparator()
    file.addAction(a["quit"])
    edit = bar.addMenu("&Edit")
    edit.addActions([a["undo"], a["redo"]])
    edit.addSeparator()
    edit.addActions([a["cut"], a["copy"], a["paste"], a["duplicate"], a["delete"]])
    edit.addSeparator()
    edit.addActions([a["select_all"], a["quick_add"]])
    edit.addSeparator()
    edit.addActions([a["group"], a["ungroup"], a["rename_group"]])
    view = bar.addMenu("&View")
    view.addActions([a["fit"], a["zoom_in"], a["zoom_out"], a["zoom_reset"]])
    view.addSeparator()
    view.addActions([a["layout"], a["snap"], a["health"]])
    view.addSeparator()
    themes = view.addMenu("&Theme")
    group = QActionGroup(w)
    for name in theme.THEMES:
        act = themes.addAction(name.capitalize())
        act.setCheckable(True)
        act.setChecked(theme.current().name == name)
        act.triggered.connect(lambda checked=False, n=name: w.set_theme(n))
        group.addAction(act)
    panels = view.addMenu("&Panels")
    for dock in (w.palette_dock, w.inspector_dock, w.history_dock, w.summary_dock, w.problems_dock,
                 w.training_dock):
        panels.addAction(dock.toggleViewAction())
    a["reset_layout"] = _action(w, "&Reset Layout", w.reset_layout,
                                tip="Put every panel back where it starts, docked and visible")
    view.addAction(a["reset_layout"])
    w.presets_menu = bar.addMenu("&Presets")
    w.presets_menu.aboutToShow.connect(lambda: _fill_presets(w))
    help_menu = bar.addMenu("&Help")
    help_menu.addActions([a["shortcuts"], a["search"], a["about"]])


def _toolbar(w: "MainWindow", a: dict[str, QAction]) -> None:
    bar = QToolBar("Main")
    bar.setObjectName("MainToolBar")
    bar.setMovable(False)
    bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for key in ("new", "open", "save", None, "undo", "redo", None, "quick_add", "layout", "fit"):
        if key is None:
            bar.addSeparator()
        else:
            bar.addAction(a[key])
    w.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    w.toolbar = bar


def _fill_recent(w: "MainWindow") -> None:
    menu: QMenu = w.recent_menu
    menu.clear()
    files = [f for f in storage.recent_files() if Path(f).exists()]
    for f in files:
        act = menu.addAction(Path(f).name)
        act.setToolTip(f)
        act.setStatusTip(f)
        act.triggered.connect(lambda checked=False, path=f: w.open_file(path))
    if not files:
        menu.addAction("No recent files").setEnabled(False)
    else:
        menu.addSeparator()
        menu.addAction("Clear List", storage.clear_recent_files)


def _fill_presets(w: "MainWindow") -> None:
    """Grouped by kind (CNNs, RNNs, autoencoders...); read on first show."""
    menu: QMenu = w.presets_menu
    if menu.actions():
        return
    from netbuilder.presets import GROUPS, list_presets

    infos = list_presets()
    groups = list(GROUPS) + sorted({i.group for i in infos} - set(GROUPS))
    for group in groups:
        members = [i for i in infos if i.group == group]
        if not members:
            continue
        sub = menu.addMenu(menu_text(group))
        sub.setToolTipsVisible(True)
        for info in members:
            act = sub.addAction(f"{menu_text(info.title)}    ({_count(info.params)} params)")
            act.setToolTip(info.description)
            act.setStatusTip(info.description)
            act.triggered.connect(lambda checked=False, name=info.name: w.open_preset(name))
    menu.setToolTipsVisible(True)


def menu_text(text: str) -> str:
    """A name shown as a menu title: '&' is Qt's mnemonic marker ("Autoencoders & generative"
    would read "Autoencoders _generative"), so it is doubled to show itself."""
    return text.replace("&", "&&")


def _count(n: int) -> str:
    for unit, size in (("M", 1e6), ("K", 1e3)):
        if n >= size:
            return f"{n / size:.1f}{unit}".replace(".0", "")
    return str(n)
