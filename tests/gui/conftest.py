"""Fixtures for the editor's GUI tests (pytest-qt, QT_QPA_PLATFORM=offscreen).

Every test gets its own data folder (settings, recent files, autosaves), and
the message boxes are answered by the test instead of blocking it.
"""

from __future__ import annotations

import gc
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _data_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path_factory.mktemp("netbuilder-data")))


@pytest.fixture(autouse=True)
def _free_widgets():
    """Whatever top-level widgets a test left are gone before the next one.

    A closed window left alive was restyled by every later theme switch: three light-theme
    tests took 100 s at the end of the run. Windows the app itself opened (a screenshot, a
    second session) are disposed of here like make_window's."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    before = set(map(id, QApplication.topLevelWidgets())) if app is not None else set()
    yield
    if QApplication.instance() is None:
        return
    from netbuilder.gui import window_dispose
    from netbuilder.gui.main_window import MainWindow

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and id(widget) not in before:
            widget.undo_stack.setClean()  # no question: nobody answers it now
            widget.document._force_dirty = False
            widget.close()
            window_dispose.dispose(widget)  # also when it refused to close
            widget.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    if len(QApplication.topLevelWidgets()) > len(before):
        # pyqtgraph's plot items hold each other in cycles, and with them their parentless menus
        # (~400 live widgets a window) until the garbage collector's next full pass; a big
        # network's open froze its window's objects out of collections (gui/document.py)
        gc.unfreeze()
        gc.collect()


class Dialogs:
    """Records what the editor would have shown; answers questions."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.save_answer = "discard"
        self.restore_answer = True
        self.save_name = ""
        self.open_name = ""
        self.asked: list[str] = []


@pytest.fixture
def dialogs(monkeypatch):
    from netbuilder.gui import dialogs as module

    d = Dialogs()
    monkeypatch.setattr(module, "show_error", lambda parent, title, text, details="": d.errors.append(text))
    monkeypatch.setattr(module, "ask_save_changes", lambda parent, name: d.asked.append(name) or d.save_answer)
    monkeypatch.setattr(module, "ask_restore", lambda parent, name, when: d.asked.append(name) or d.restore_answer)
    monkeypatch.setattr(module, "save_file_name", lambda parent, suggested: d.save_name)
    monkeypatch.setattr(module, "open_file_name", lambda parent, folder="": d.open_name)
    monkeypatch.setattr(module, "show_text", lambda parent, title, html: None)
    return d


@pytest.fixture
def make_window(qtbot, dialogs):
    """make_window(graph=None) -> a shown MainWindow (the default LeNet when None)."""
    from shiboken6 import isValid

    from netbuilder.gui import theme, window_dispose
    from netbuilder.gui.app import ensure_app
    from netbuilder.gui.main_window import MainWindow

    windows = []

    def make(graph=None):
        theme.apply(ensure_app(), "dark")
        window = MainWindow(graph)
        qtbot.addWidget(window)
        window.resize(1400, 900)
        with qtbot.waitExposed(window):
            window.show()
        window.activateWindow()  # shortcuts only fire in the active window
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
        window.flush()
        windows.append(window)
        return window

    yield make
    for w in windows:
        if not isValid(w):  # the test deleted it itself
            continue
        w.undo_stack.setClean()  # close without asking, whatever the test left unsaved
        w.document._force_dirty = False
        w.close()
        window_dispose.dispose(w)  # also when a test's own answer kept it open
        w.deleteLater()


@pytest.fixture
def window(make_window):
    return make_window()
