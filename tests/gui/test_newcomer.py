"""A newcomer's first hour in the editor (issue 17): the wheel over a form, the
first view, results of another network, docks, undo in a field, where new
layers land, menu titles."""

from __future__ import annotations

from argparse import Namespace

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QLineEdit, QScrollArea

from netbuilder.core.graph import Graph
from netbuilder.gui import app as app_module
from netbuilder.gui.placement import free_spot


def wheel(widget, notches: int = -3) -> None:
    """A mouse wheel turn over the middle of `widget` (negative: scroll down)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def chain(*types: str, name: str = "chain") -> Graph:
    g = Graph(name=name)
    g.add_node("Input", {"shape": [8]}, id="x", pos=(0.0, 0.0))
    prev = "x"
    for i, t in enumerate(types):
        params = {"out_features": 4} if t == "Linear" else {}
        g.add_node(t, params, id=f"l{i}", pos=(220.0 * (i + 1), 0.0))
        g.add_edge(prev, f"l{i}")
        prev = f"l{i}"
    g.add_node("Output", id="out", pos=(220.0 * (len(types) + 1), 0.0))
    g.add_edge(prev, "out")
    return g


# ------------------------------------------------------------------ the wheel
def _training_form(window):
    dock = window.training_dock
    window._show_dock(dock)
    scroll = dock.controls.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea)
    scroll.setFixedHeight(120)  # short enough to scroll
    QApplication.processEvents()
    return dock.controls, scroll


def test_wheel_over_unfocused_fields_scrolls_the_form_instead(window, qtbot):
    controls, scroll = _training_form(window)
    before_opt, before_epochs = controls.optimizer.currentText(), controls.epochs.value()
    steps = window.undo_stack.count()
    bar = scroll.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(0)
    wheel(controls.optimizer)
    wheel(controls.epochs)
    assert controls.optimizer.currentText() == before_opt and controls.epochs.value() == before_epochs
    assert window.undo_stack.count() == steps  # nothing recorded as an edit
    assert bar.value() > 0  # the form scrolled


def test_a_focused_field_still_takes_the_wheel(window, qtbot):
    controls, _ = _training_form(window)
    for widget in (controls.optimizer, controls.epochs, controls.seed):
        assert widget.focusPolicy() == Qt.FocusPolicy.StrongFocus  # the wheel never gives focus
    controls.epochs.setFocus()
    qtbot.waitUntil(controls.epochs.hasFocus, timeout=2000)
    before = controls.epochs.value()
    wheel(controls.epochs, notches=1)
    assert controls.epochs.value() == before + 1


def test_inspector_fields_ignore_the_wheel_until_focused(window, qtbot):
    window.scene.select_nodes(["conv1"] if "conv1" in window.graph.nodes else [next(iter(window.graph.nodes))])
    fields = [w for w in window.inspector.findChildren(QAbstractSpinBox) + window.inspector.findChildren(QComboBox)
              if w.isVisible()]
    assert fields
    values = [w.text() if isinstance(w, QAbstractSpinBox) else w.currentText() for w in fields]
    for w in fields:
        wheel(w)
    assert values == [w.text() if isinstance(w, QAbstractSpinBox) else w.currentText() for w in fields]


# ------------------------------------------------------------ the first view
def long_chain(n: int = 150) -> Graph:
    return chain(*["ReLU"] * n, name="long")


def visible_scene_rect(view) -> QRectF:
    return view.mapToScene(view.viewport().rect()).boundingRect()


def test_command_line_start_fits_the_window_and_the_network(qtbot, dialogs, monkeypatch, tmp_path):
    """`netbuilder FILE` as the user starts it (the event loop replaced by a return)."""
    import sys

    from netbuilder.core.io import save_graph
    from netbuilder.gui import warmup
    from netbuilder.gui.main_window import MainWindow

    path = tmp_path / "long.json"
    save_graph(long_chain(), path)
    made: list[MainWindow] = []

    class Recorded(MainWindow):
        def __init__(self, *a, **kw):
            super().__init__(*a, **kw)
            made.append(self)

    monkeypatch.setattr(app_module, "MainWindow", Recorded)
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    monkeypatch.setattr(warmup, "start", lambda: None)
    monkeypatch.setattr(app_module, "_warm_presets", lambda: None)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    assert app_module.run_gui(Namespace(file=str(path), screenshot=None, size=None, train=False, theme="dark")) == 0
    window = made[0]
    qtbot.addWidget(window)
    try:
        qtbot.wait(50)  # the fit queued after the first layout
        available = window.screen().availableGeometry()
        assert window.frameGeometry().height() <= available.height()
        view = window.view
        rect = view.network_rect()
        assert view._fit_zoom(rect) < 0.3  # so wide that the old first view showed only its start
        slack = 0.01 * max(rect.width(), rect.height())  # pixel rounding of an exact fit
        assert visible_scene_rect(view).adjusted(-slack, -slack, slack, slack).contains(rect)  # all of it, as Fit
        assert view.auto_fitted  # and refitted when the docks resize it
    finally:
        window.training_dock.shutdown()
        window.undo_stack.setClean()
        window.close()
        window.document.close()


@pytest.mark.parametrize("size", [(1366, 768), (1600, 900), (1920, 1080)])
def test_window_fits_the_available_screen(make_window, size):
    from PySide6.QtCore import QRect

    window = make_window()
    window.resize(1500, 940)
    window.move(300, 200)  # e.g. a geometry saved on a bigger monitor
    screen = QRect(0, 0, *size)
    window.fit_to_screen(screen)
    assert screen.contains(window.frameGeometry())
    assert window.width() >= min(size[0], 1500) - 40  # shrunk only as needed


# ------------------------------------------------------- another network
def test_new_and_open_clear_the_previous_networks_results(window, qtbot, tmp_path):
    from netbuilder.core.io import save_graph

    dock = window.training_dock
    dock.run_factory = ScriptedRun
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome == "finished", timeout=5000)
    assert dock.curves.curves.runs and dock.run_panel.banner.isVisible() and dock.samples.tabs
    # a run going on when another file is opened trained the old network: stopped, not shown
    assert dock.start()
    qtbot.waitUntil(lambda: dock.curves.curves.current.points("train_step") > 0, timeout=5000)
    path = tmp_path / "other.json"
    save_graph(chain("Linear"), path)
    assert window.open_file(path)
    qtbot.waitUntil(lambda: dock.run is None, timeout=5000)
    qtbot.wait(100)  # what the stopped run still sent
    assert not dock.curves.curves.runs and not dock.samples.tabs
    assert not dock.run_panel.banner.isVisible() and dock.run_panel.progress.format() == "not started"
    assert dock.curves.legend.text().strip() == ""
    # a finished run of the opened network, then File ▸ New
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome == "finished", timeout=5000)
    assert dock.curves.curves.runs[0].name == "run 1"  # the count starts again with the network
    window.document.new()
    assert not dock.curves.curves.runs and not dock.samples.tabs and not dock.run_panel.banner.isVisible()


def test_earlier_runs_are_overlaid_only_where_they_measured_the_same(window, qtbot):
    dock = window.training_dock
    curves = dock.curves.curves
    dock.run_factory = ScriptedRun
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome == "finished", timeout=5000)
    first = curves.item("val_accuracy")
    dock.run_factory = lambda g, s: ScriptedRun(g, s, metric="val_mae")
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome == "finished", timeout=5000)
    assert not first.isVisible()  # accuracy is not drawn under the "val MAE" title
    assert curves.item("val_mae").isVisible()
    dock.run_factory = ScriptedRun
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome == "finished", timeout=5000)
    assert first.isVisible()  # the same metric again: overlaid


class ScriptedRun:
    """A stand-in for TrainingRun: two epochs of a few steps, a samples payload, finished."""

    def __init__(self, graph_dict, settings, metric: str = "val_accuracy") -> None:
        self.events = [{"event": "started", "epochs": 2, "steps_per_epoch": 2, "device": "cpu",
                        "task": "classification", "input_shape": [1, 8, 8]}]
        for epoch in (1, 2):
            for step in (1, 2):
                s = 2 * (epoch - 1) + step
                self.events.append({"event": "step", "step": s, "epoch": epoch, "progress": s / 4,
                                    "train_loss": 1.0 / s})
            self.events.append({"event": "epoch", "epoch": epoch, "train_loss": 0.5 / epoch,
                                "val_loss": 0.6 / epoch, metric: 0.5 + 0.1 * epoch})
        self.events.append({"event": "samples", "confusion": [[3, 1], [0, 4]],
                            "class_names": ["a", "b"]})
        self.events.append({"event": "finished", "epochs": 2})
        self.running = False

    def start(self) -> None:
        self.running = True

    def poll(self, max_events: int = 500) -> list[dict]:
        out, self.events = self.events[:2], self.events[2:]  # a couple per tick, like a real run
        if any(e["event"] == "finished" for e in out):
            self.running = False
        return out

    def stop(self, timeout: float = 3.0) -> None:
        self.events = [{"event": "stopped"}]

    def pause(self) -> None:
        pass

    def resume(self) -> None:
        pass


# ----------------------------------------------------------------- docks
def test_reset_layout_brings_every_panel_back_docked_and_visible(window, qtbot):
    window.inspector_dock.setFloating(True)
    window.inspector_dock.move(-5000, -5000)  # floated off every screen
    window.palette_dock.hide()
    window.training_dock.setFloating(True)
    window.training_dock.hide()
    window.actions_["reset_layout"].trigger()
    QApplication.processEvents()
    for dock in window.main_docks():
        assert not dock.isFloating() and dock.isVisible(), dock.objectName()
    assert window.dockWidgetArea(window.inspector_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.dockWidgetArea(window.training_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    assert "Reset Layout" in [a.text().replace("&", "") for a in window.menuBar().actions()[2].menu().actions()]


def test_presets_menu_titles_show_their_ampersand(window):
    from netbuilder.gui.actions import _fill_presets

    _fill_presets(window)
    titles = [a.menu().title() for a in window.presets_menu.actions() if a.menu() is not None]
    assert "Autoencoders && generative" in titles  # shown as "Autoencoders & generative"
    for title in titles:
        assert "&" not in title.replace("&&", ""), title  # no stray mnemonic underlines a letter


# ------------------------------------------------------------ undo in a field
def _linear_spin(window):
    fc = window.graph.nodes_of_type("Linear")[0].id
    window.scene.select_nodes([fc])
    editor = window.inspector.editors["out_features"]
    return fc, editor.spin


@pytest.mark.parametrize("key", ["undo_shortcut", "redo_after"])
def test_ctrl_z_in_an_inspector_field_undoes_the_network(window, qtbot, key):
    from PySide6.QtTest import QTest

    fc, spin = _linear_spin(window)
    before = window.graph.nodes[fc].params["out_features"]
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    spin.selectAll()
    steps = window.undo_stack.index()
    qtbot.keyClicks(spin, "12")
    assert window.graph.nodes[fc].params["out_features"] == 12
    QTest.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert window.graph.nodes[fc].params["out_features"] == before
    # undone on the stack (Redo offers it back), not re-edited by the field's own text undo
    assert window.undo_stack.index() == steps and window.undo_stack.canRedo()
    if key == "redo_after":
        QTest.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
        assert window.graph.nodes[fc].params["out_features"] == 12
        QTest.keyClick(spin, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
        QTest.keyClick(spin, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
        assert window.graph.nodes[fc].params["out_features"] == 12
    # the field shows the network's value, not a text of its own
    _, spin = _linear_spin(window)
    assert spin.value() == window.graph.nodes[fc].params["out_features"]


def test_the_palette_search_keeps_its_own_text_undo(window, qtbot):
    from PySide6.QtTest import QTest

    search: QLineEdit = window.palette.search
    search.setFocus()
    qtbot.keyClicks(search, "conv")
    steps = window.undo_stack.index()
    QTest.keyClick(search, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert search.text() != "conv" and window.undo_stack.index() == steps


# ------------------------------------------------------ where new layers land
def _overlaps(window, node_id: str) -> list[str]:
    mine = window.scene.node_items[node_id].sceneBoundingRect()
    return [n for n, item in window.scene.node_items.items()
            if n != node_id and item.sceneBoundingRect().intersects(mine)]


def _new_node(window, before: set[str]) -> str:
    (new,) = set(window.graph.nodes) - before
    return new


def test_quick_add_over_a_layer_lands_beside_it(make_window, qtbot):
    from gui_helpers import small_graph
    from PySide6.QtTest import QTest

    window = make_window(small_graph())
    before = set(window.graph.nodes)
    centre = window.scene.node_items["relu"].sceneBoundingRect().center()
    window.scene.clearSelection()
    window.open_quick_add(window.view.viewport().mapToGlobal(window.view.mapFromScene(centre)), centre)
    qtbot.keyClicks(window.quick_add.search, "Dropout")
    QTest.keyClick(window.quick_add.search, Qt.Key.Key_Return)
    new = _new_node(window, before)
    assert window.graph.nodes[new].type == "Dropout"
    assert _overlaps(window, new) == []


def test_drop_on_a_short_edge_and_duplicate_land_in_free_space(make_window):
    from gui_helpers import small_graph
    from test_canvas import drop_layer

    from netbuilder.core.graph import Edge

    window = make_window(small_graph())
    before = set(window.graph.nodes)
    edge_item = window.scene.edge_items[Edge("relu", "flat")]
    drop_layer(window, "Dropout", window.view.mapFromScene(edge_item._path.pointAtPercent(0.5)))
    dropout = _new_node(window, before)
    assert Edge("relu", dropout) in window.graph.edges  # still inserted into the edge
    assert _overlaps(window, dropout) == []
    window.scene.select_nodes(["fc"])
    before = set(window.graph.nodes)
    window.duplicate()
    copy = _new_node(window, before)
    assert _overlaps(window, copy) == []
    assert window.undo_stack.text(window.undo_stack.index() - 1) == "Duplicate 1 layer"
    assert window.actions_["undo"].text() == "&Undo Duplicate 1 layer"


def test_free_spot_keeps_a_free_place_and_moves_off_a_taken_one():
    taken = [QRectF(0, 0, 160, 80)]
    assert free_spot(taken, (400.0, 0.0), (160, 80)) == (400.0, 0.0)
    x, y = free_spot(taken, (10.0, 10.0), (160, 80))
    assert not QRectF(x, y, 160, 80).intersects(taken[0])
    assert abs(x - 10) + abs(y - 10) < 300  # nearby, not far away


def test_a_new_unconnected_layer_waits_in_grey_and_problems_still_lists_it(make_window):
    """The README: layers waiting for an input are greyed — a layer just added is not an error."""
    from gui_helpers import small_graph

    from netbuilder.core.shapes import WAITING

    window = make_window(small_graph())
    nid = window.editor.add_node("Linear", (900.0, 600.0), {"out_features": 4})
    window.flush()
    item = window.scene.node_items[nid]
    assert item.status == WAITING and item.opacity() < 1.0
    assert "connect its input" in item._footer
    assert any(nid in window.problems.list.item(i).text() for i in range(window.problems.list.count()))
