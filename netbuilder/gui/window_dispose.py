"""Let go of everything a closed MainWindow started, so deleting it is safe.

A closed window used to stay alive for the rest of the process (tests, a
second recovered session): the Training dock's parentless Layers tab and
slots kept by QTimer.singleShot held it, and every theme switch restyled all
of it (the GUI tests slowed by minutes). Deleting it without this left queued
slots and graph callbacks pointing at freed widgets ("Internal C++ object
already deleted"). After `dispose(window)` the window takes no more events
from its graph or its timers, and `window.deleteLater()` frees all of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer

if TYPE_CHECKING:
    from netbuilder.gui.main_window import MainWindow


def dispose(window: MainWindow) -> None:
    """Stop the window's timers and children, unsubscribe it from its graph (idempotent)."""
    if getattr(window, "_disposed", False):
        return
    window._disposed = True  # type: ignore[attr-defined]  # closeEvent and test teardown both call it
    window.training_dock.dispose()  # the child process, the warm keeper, its graph listener
    # every graph listener the window's parts hold: a graph outliving the window (a test's, or
    # an undo command's) must not call into freed widgets
    window.live.close()
    window.scene.close()
    window.inspector.close()
    window.export_actions.budget.shutdown()
    window.document.close()
    # autosave, live shapes, budget slices, summary refresh, minimap, plots: none may fire later
    for timer in window.findChildren(QTimer):
        timer.stop()
