"""The main window: canvas in the middle, palette and history on the left,
inspector on the right, training, summary and problems at the bottom.

Contract with the training dock: `graph` (the live Graph), `undo_stack`,
`current_path`, `statusBar()`, `training_dock`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QPoint, QPointF, QRect, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QUndoStack
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QUndoView, QWidget

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import ShapeReport
from netbuilder.gui import clipboard, group_actions, storage, theme, undo_keys, warmup, wheel_guard, window_dispose, \
    window_layout
from netbuilder.gui.placement import bounding, free_spot, node_rects
from netbuilder.gui.actions import build_actions
from netbuilder.gui.canvas import GraphScene, GraphView
from netbuilder.gui.canvas.layout import layered_layout
from netbuilder.gui.canvas.style import NODE_H, NODE_W
from netbuilder.gui.default_graph import default_graph
from netbuilder.gui.document import Document
from netbuilder.gui.editor import Editor
from netbuilder.gui.export_actions import install as install_export_actions
from netbuilder.gui.onnx_import_action import install as install_onnx_import
from netbuilder.gui.sharing_actions import install as install_sharing
from netbuilder.gui.inspector import Inspector
from netbuilder.gui.live import LiveShapes
from netbuilder.gui.palette import Palette
from netbuilder.gui.problems_dock import ProblemsPanel
from netbuilder.gui.quick_add import QuickAdd
from netbuilder.gui.resources import icon
from netbuilder.gui.summary_dock import SummaryPanel

STATUS_MS = 7000
LAYOUT_VERSION = 2  # bump when the docks change, so an old saved layout is ignored (2: bottom spans)


class MainWindow(QMainWindow):
    def __init__(self, graph: Graph | None = None, title: str | None = None) -> None:
        super().__init__()
        wheel_guard.install()  # before the forms are built: their fields take the wheel only when focused
        self.setObjectName("NetBuilderMainWindow")
        self.setWindowIcon(icon("netbuilder"))
        self.graph = graph if graph is not None else default_graph()
        self.undo_stack = QUndoStack(self)
        self.editor = Editor(self.graph, self.undo_stack, self)
        self.live = LiveShapes(self.graph, self)
        self.scene = GraphScene(self.graph, self.editor, self.live, self)
        self.view = GraphView(self.scene)
        self.setCentralWidget(self.view)
        self.document = Document(self, self.graph, self.undo_stack)
        self.document.title = title or self.graph.name
        self.quick_add = QuickAdd(self)
        self._quick_pos = QPointF()
        self._quick_link: tuple[str, int, bool] | None = None
        self._build_docks()
        self._install_training_dock()
        self.undo_keys = undo_keys.install([self.inspector_dock, self.training_dock])  # Ctrl+Z in a field
        self.actions_ = build_actions(self)
        self._build_status_bar()
        install_export_actions(self)  # File ▸ Import/Export/Compare, Compare panel, budget bar
        install_onnx_import(self)  # File ▸ Import from ONNX…
        install_sharing(self)  # Edit ▸ Share Weights With… / Stop Sharing Weights
        self._connect()
        self._retitle()
        self.resize(1500, 940)
        self._default_state = self.saveState(LAYOUT_VERSION)  # View ▸ Reset Layout goes back to it

    # ------------------------------------------------------------- contract
    @property
    def current_path(self) -> Path | None:
        return self.document.path

    def open_file(self, path: str | Path) -> bool:
        return self.document.open_file(path)

    def save_file(self, path: str | Path) -> bool:
        return self.document.save_file(path)

    def open_preset(self, name: str) -> bool:
        from netbuilder.presets import load_preset, preset_path

        try:
            graph = load_preset(name)
        except Exception as exc:  # noqa: BLE001 - PresetError, GraphFileError: say which and why
            self.statusBar().showMessage(f"Cannot open preset {name}: {exc}", STATUS_MS)
            return False
        ok = self.document.open_graph(graph, graph.name or preset_path(name).stem)
        if ok:
            self.statusBar().showMessage(f"Opened preset “{graph.name}”. Save it to keep your changes.", STATUS_MS)
        return ok

    def flush(self) -> None:
        """Run pending shape checks and panel refreshes now (before a screenshot)."""
        self.live.flush()
        self.scene.finish_shapes()  # a big change's shapes are otherwise shown over a few turns
        warmup.wait()
        if self.summary.isVisible():
            self.summary.refresh()
        self.view.minimap.invalidate_now()

    # ---------------------------------------------------------------- docks
    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_docks(self) -> None:
        # the bottom panels span the window: the Training dock's settings, curves and pictures
        # side by side need the width (between the side panels they needed a 1600 px screen)
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.palette = Palette()
        self.palette_dock = self._dock("Layers", "PaletteDock", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.history = QUndoView(self.undo_stack)
        self.history.setEmptyLabel("Opened")
        self.history_dock = self._dock("History", "HistoryDock", self.history, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector = Inspector(self.graph, self.editor, self.live)
        self.inspector_dock = self._dock("Inspector", "InspectorDock", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.inspector_fitter = window_layout.InspectorFitter(self.inspector)  # no clipped form
        self.summary = SummaryPanel(self.graph, self.live)
        self.summary_dock = self._dock("Summary", "SummaryDock", self.summary, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.problems = ProblemsPanel(self.live)
        self.problems_dock = self._dock("Problems", "ProblemsDock", self.problems,
                                        Qt.DockWidgetArea.BottomDockWidgetArea)
        self.tabifyDockWidget(self.summary_dock, self.problems_dock)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [210, 320], Qt.Orientation.Horizontal)
        self.resizeDocks([self.palette_dock, self.history_dock], [620, 200], Qt.Orientation.Vertical)

    def _install_training_dock(self) -> None:
        from netbuilder.gui.training.dock import TrainingDock

        self.training_dock = TrainingDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.training_dock)
        self.tabifyDockWidget(self.problems_dock, self.training_dock)
        self.summary_dock.raise_()
        self.resizeDocks([self.summary_dock], [250], Qt.Orientation.Vertical)
        self._install_health()

    def _install_health(self) -> None:
        """Layer health while training: canvas overlay and badges, Problems entries (issue 15)."""
        from netbuilder.gui.canvas.health_overlay import HealthOverlay

        tab = self.training_dock.layers_tab
        self.health_overlay = HealthOverlay(self.scene, self.view, tab.store)
        self.training_dock.health_changed.connect(self._on_health)
        tab.stat.currentIndexChanged.connect(lambda _i: self.health_overlay.set_statistic(tab.statistic))
        tab.node_activated.connect(self.reveal_node)

    def _on_health(self) -> None:
        self.health_overlay.refresh()
        self.problems.show_training(list(self.training_dock.layers_tab.store.diagnostics.values()))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.shape_status = QLabel()
        self.shape_status.setCursor(Qt.CursorShape.PointingHandCursor)
        self.shape_status.mousePressEvent = lambda e: self._show_dock(self.problems_dock)  # type: ignore
        self.zoom_label = QLabel("100 %")
        self.zoom_label.setObjectName("Muted")
        bar.addPermanentWidget(self.shape_status)
        bar.addPermanentWidget(self.zoom_label)
        self._on_report(self.live.report)

    def _connect(self) -> None:
        self.editor.message.connect(self.show_message)
        self.live.checked.connect(self._on_report)
        self.scene.selectionChanged.connect(self._on_selection)
        self.palette.add_requested.connect(self.add_layer_at_centre)
        self.view.quick_add_requested.connect(self.open_quick_add)
        self.view.zoom_changed.connect(self._show_zoom)
        self.quick_add.chosen.connect(self._quick_add_chosen)
        self.scene.connection_dropped.connect(self._on_connection_dropped)
        self.view.context_menu_requested.connect(self._context_menu)
        self.view.node_double_clicked.connect(self.edit_node)
        self.scene.group_rename_requested.connect(lambda gid: group_actions.rename_group(self, gid))
        self.summary.node_activated.connect(self.reveal_node)
        self.problems.node_activated.connect(self.reveal_node)
        self.document.state_changed.connect(self._retitle)
        self.undo_stack.cleanChanged.connect(self._retitle)

    # -------------------------------------------------------------- reacting
    def _retitle(self, *_: object) -> None:
        self.setWindowTitle(f"{self.document.display_name}[*] — NetBuilder")
        self.setWindowModified(self.document.modified)

    def _on_report(self, report: ShapeReport) -> None:
        n = len(report.errors)
        if not self.graph.nodes:
            text, name = "empty network", "Muted"
        elif n:
            text, name = f"✖ {n} shape problem{'s' * (n != 1)}", "StatusError"
        else:
            text, name = "✔ all shapes check out", "StatusOk"
        self.shape_status.setText(text)
        self.shape_status.setObjectName(name)
        self.shape_status.style().unpolish(self.shape_status)
        self.shape_status.style().polish(self.shape_status)

    def _show_zoom(self, zoom: float) -> None:
        self.zoom_label.setText(f"{zoom * 100:.0f} %")

    def _on_selection(self) -> None:
        self.inspector.show_selection(self.scene.selected_node_ids())

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MS)

    def _show_dock(self, dock: QDockWidget) -> None:
        dock.show()
        dock.raise_()

    def edit_node(self, node_id: str) -> None:
        """Double-click on a layer: its first parameter, ready to type."""
        self.scene.select_nodes([node_id])
        self._show_dock(self.inspector_dock)
        editors = list(self.inspector.editors.values())
        fields = [w for w in editors[0].findChildren(QWidget) if w.focusPolicy() & Qt.FocusPolicy.TabFocus] \
            if editors else []
        if fields:
            fields[0].setFocus()

    def reveal_node(self, node_id: str) -> None:
        if node_id in self.scene.node_items:
            self.scene.select_nodes([node_id])
            self.view.center_on_node(node_id)

    # ----------------------------------------------------------------- verbs
    def add_layer_at_centre(self, type_name: str) -> None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        # double-clicking twice must not stack two layers
        spot = free_spot(node_rects(self.scene), (centre.x() - NODE_W / 2, centre.y() - NODE_H / 2),
                         (NODE_W, NODE_H))
        self.editor.add_node(type_name, spot)
        self.view.setFocus()

    def open_quick_add(self, global_pos: QPoint, scene_pos: QPointF,
                       link: tuple[str, int, bool] | None = None) -> None:
        self._quick_pos, self._quick_link = scene_pos, link
        self.quick_add.open_at(global_pos)

    def _on_connection_dropped(self, node_id: str, port: int, from_output: bool, pos: QPointF) -> None:
        """A connection let go on empty canvas: pick the layer to put there."""
        at = self.view.viewport().mapToGlobal(self.view.mapFromScene(pos))
        self.open_quick_add(at, pos, (node_id, port, from_output))

    def _context_menu(self, global_pos: QPoint, scene_pos: QPointF) -> None:
        a = self.actions_
        menu = QMenu(self)
        group_actions.add_to_context_menu(self, menu, scene_pos)
        if self.scene.selected_node_ids():
            menu.addActions([a["copy"], a["cut"], a["duplicate"], a["delete"]])
            self.sharing_actions.add_to_context_menu(menu)
        elif self.scene.selected_edges():
            menu.addAction(a["delete"])
        else:
            self._quick_pos = scene_pos
            menu.addAction("Add Layer Here…", lambda: self.open_quick_add(global_pos, scene_pos))
            menu.addAction(a["paste"])
        menu.addSeparator()
        menu.addActions([a["layout"], a["fit"]])
        self.context_menu = menu  # kept for tests; exec blocks until chosen
        menu.popup(global_pos)

    def _quick_add_chosen(self, type_name: str) -> None:
        link, self._quick_link = self._quick_link, None
        selected = self.scene.selected_node_ids()
        after = selected[0] if len(selected) == 1 and link is None else None
        pos = (self._quick_pos.x() - NODE_W / 2, self._quick_pos.y() - NODE_H / 2)
        if link is not None and not link[2]:  # the new layer feeds an input: put it left of the cursor
            pos = (pos[0] - NODE_W / 2, pos[1])
        self.editor.add_node(type_name, free_spot(node_rects(self.scene), pos, (NODE_W, NODE_H)),
                             after=after, link=link)
        self.view.setFocus()

    def copy_selection(self) -> bool:
        frag = self.editor.copy(self.scene.selected_node_ids())
        if frag is None:
            return False
        clipboard.to_clipboard(frag)
        n = len(frag["nodes"])
        self.statusBar().showMessage(f"Copied {n} layer{'s' * (n != 1)}.", STATUS_MS)
        return True

    def cut_selection(self) -> None:
        if self.copy_selection():
            self.editor.delete(self.scene.selected_node_ids())

    def paste(self) -> None:
        frag = clipboard.from_clipboard()
        if frag is None:
            self.statusBar().showMessage("Nothing to paste: copy some layers first.", STATUS_MS)
            return
        local = self.view.viewport().mapFromGlobal(self.view.cursor().pos())
        at = None
        if self.view.viewport().rect().contains(local) and self.view.underMouse():
            spot = self.view.mapToScene(local)
            at = (spot.x(), spot.y())
        self.editor.paste(frag, at=at)

    def duplicate(self) -> None:
        """The copies go into free space beside the originals, named "Duplicate" in History."""
        ids = self.scene.selected_node_ids()
        frag = self.editor.copy(ids)
        if frag is None:
            return
        box = bounding([self.scene.node_items[n].sceneBoundingRect() for n in ids if n in self.scene.node_items])
        x, y = free_spot(node_rects(self.scene), (box.left() + 40.0, box.top() + 40.0), (box.width(), box.height()))
        before = self.undo_stack.index()
        created = self.editor.paste(frag, offset=(x - box.left(), y - box.top()))
        if created and self.undo_stack.index() == before + 1:
            _rename_last(self.undo_stack, f"Duplicate {len(created)} layer{'s' * (len(created) != 1)}")

    def delete_selection(self) -> None:
        self.editor.delete(self.scene.selected_node_ids(), self.scene.selected_edges())

    def select_all(self) -> None:
        for item in self.scene.node_items.values():
            item.setSelected(True)

    def auto_layout(self) -> None:
        ids = self.graph.nodes
        if not ids:
            return
        first = next(iter(self.graph)).pos
        self.editor.place_nodes(layered_layout(self.graph, origin=first), "Auto-layout")
        QTimer.singleShot(0, self.view.fit_to_view)

    def set_snap(self, on: bool) -> None:
        self.scene.snap = on

    def set_health_overlay(self, on: bool) -> None:
        """View ▸ Health: colour the layers by the Layers tab's statistic."""
        self.health_overlay.set_enabled(on)

    def set_theme(self, name: str) -> None:
        theme.apply(QApplication.instance(), name)
        self.scene.refresh_theme()
        self.view.refresh_theme()
        storage.set_value("theme", name)

    # ----------------------------------------------------------------- close
    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        if not self.document.maybe_save():
            event.ignore()
            return
        storage.set_value("window/geometry", self.saveGeometry())
        storage.set_value("window/state", self.saveState(LAYOUT_VERSION))
        window_dispose.dispose(self)  # closed for good: no timer or graph event reaches it, deleting it is safe
        event.accept()

    def main_docks(self) -> list[QDockWidget]:
        return [self.palette_dock, self.history_dock, self.inspector_dock, self.summary_dock,
                self.problems_dock, self.training_dock]

    def reset_layout(self) -> None:
        """View ▸ Reset Layout: every panel docked where it starts and visible."""
        window_layout.reset_layout(self, self._default_state, LAYOUT_VERSION)

    def fit_to_screen(self, available: QRect | None = None) -> None:
        window_layout.fit_to_screen(self, available)

    def size_for_screen(self, available: QRect) -> None:
        window_layout.size_for_screen(self, available)

    def restore_layout(self) -> bool:
        """Where the user left the window and its panels (interactive start only);
        False when nothing was saved (or the saved panels are of an older layout)."""
        settings = storage.settings()
        geometry, state = settings.value("window/geometry"), settings.value("window/state")
        restored = False
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            restored = self.restoreState(state, LAYOUT_VERSION)
        return restored


def _rename_last(stack: QUndoStack, text: str) -> None:
    """Name the command just pushed (Editor.paste calls every paste "Paste"); the Edit menu's
    "Undo …" text is told too, as QUndoStack only announces it on push."""
    command = stack.command(stack.index() - 1)
    command.setText(text)
    stack.undoTextChanged.emit(command.actionText())
