"""A closed MainWindow really goes: after close and deleteLater no widget of it is left,
no timer or graph event calls into it, and a later edit of its graph raises nothing.

Closed windows used to stay alive (the Training dock's parentless Layers tab, slots kept by
QTimer.singleShot with a context, pyqtgraph's menus); every theme switch then restyled all of
them, and deleting them instead raised "Internal C++ object already deleted" from queued slots.
"""

from __future__ import annotations

import gc
import weakref

from gui_helpers import small_graph
from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication

from netbuilder.gui import theme
from netbuilder.gui.app import ensure_app
from netbuilder.gui.main_window import MainWindow


def _settle(qtbot) -> None:
    """Run what is queued, delete what is marked, free the cycles (as the fixtures do)."""
    qtbot.wait(20)  # any 0 ms timer that would still call into the window fires now
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


def _open(qtbot, graph=None) -> MainWindow:
    theme.apply(ensure_app(), "dark")
    window = MainWindow(graph)
    with qtbot.waitExposed(window):
        window.show()
    window.flush()
    return window


def test_a_closed_window_leaves_no_widget_behind(qtbot, dialogs):
    _settle(qtbot)
    before = len(QApplication.allWidgets())
    graph = small_graph()
    window = _open(qtbot, graph)
    window.scene.select_nodes(["conv"])  # an inspector form, its fitter's timer
    window.editor.set_params("conv", {"out_channels": 8})  # a pending shape check and budget pass
    assert len(QApplication.allWidgets()) > before + 100
    gone = weakref.ref(window)
    window.close()
    window.deleteLater()
    del window
    _settle(qtbot)
    assert gone() is None
    assert len(QApplication.allWidgets()) == before
    assert graph._listeners == []  # canvas, inspector, live shapes, budget, training dock: unsubscribed
    graph.set_params("conv", {"out_channels": 4})  # nobody left to call into freed widgets
    _settle(qtbot)


def test_windows_do_not_pile_up(qtbot, dialogs):
    """Open and close a few: the live widget count stays where it started."""
    _settle(qtbot)
    before = len(QApplication.allWidgets())
    for _ in range(3):
        window = _open(qtbot)
        window.close()
        window.deleteLater()
        del window
        _settle(qtbot)
        assert len(QApplication.allWidgets()) == before


def test_a_window_refusing_to_close_keeps_working(qtbot, dialogs):
    """Cancel in the save question: nothing was torn down, edits still reach the canvas."""
    window = _open(qtbot, small_graph())
    window.editor.set_params("conv", {"out_channels": 8})
    dialogs.save_answer = "cancel"
    window.close()
    assert window.isVisible() and not getattr(window, "_disposed", False)
    window.editor.set_params("conv", {"out_channels": 9})
    window.flush()
    assert window.live.report.ok
    window.undo_stack.setClean()
    window.close()
    window.deleteLater()
    _settle(qtbot)
