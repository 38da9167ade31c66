"""The main window's size and panels on the user's screen.

A first start takes most of the screen (all of a laptop's) and gives the
bottom panels a third of the height, so the Training dock's curves are not a
strip; a window never extends past the screen (a geometry saved on a bigger
monitor); View ▸ Reset Layout brings every panel back, docked and visible;
and the inspector's dock widens to the form it shows, which never scrolls
sideways and would otherwise have its buttons cut off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, QTimer
from PySide6.QtWidgets import QApplication, QScrollArea

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.main_window import MainWindow

SCREEN_SHARE = 0.94  # a first start without a saved geometry takes this much of a big screen
SMALL_SCREEN = 1600  # narrower than this: the whole screen
BOTTOM_SHARE = 0.36  # the bottom panels' (Training) share of the window's height
INSPECTOR_MIN = 250


def fit_to_screen(window: "MainWindow", available: QRect | None = None) -> None:
    """Shrink the window to the available area (frame included once shown) and move it in."""
    if available is None:
        screen = window.screen() or QApplication.primaryScreen()
        if screen is None:
            return
        available = screen.availableGeometry()
    frame = window.frameGeometry().size() - window.geometry().size()  # title bar and borders, once shown
    width = min(window.width(), available.width() - frame.width())
    height = min(window.height(), available.height() - frame.height())
    window.resize(max(width, 200), max(height, 200))
    x = min(max(window.x(), available.left()), available.right() + 1 - window.frameGeometry().width())
    y = min(max(window.y(), available.top()), available.bottom() + 1 - window.frameGeometry().height())
    window.move(max(x, available.left()), max(y, available.top()))


def size_for_screen(window: "MainWindow", available: QRect) -> None:
    """A first start: most of the screen, centred (a 1920×1080 screen gets 1804×1015,
    not 1500×940 in a corner), with the bottom panels a third of the height."""
    share = SCREEN_SHARE if available.width() >= SMALL_SCREEN else 1.0  # a laptop needs every pixel
    width, height = int(available.width() * share), int(available.height() * share)
    window.resize(width, height)
    window.move(available.left() + (available.width() - width) // 2,
                available.top() + (available.height() - height) // 2)
    size_bottom(window)


def size_bottom(window: "MainWindow") -> None:
    window.resizeDocks([window.summary_dock], [int(window.height() * BOTTOM_SHARE)], Qt.Orientation.Vertical)


def reset_layout(window: "MainWindow", default_state: QByteArray, version: int) -> None:
    """Every panel docked where it starts, visible (a floated panel left off-screen comes back)."""
    for dock in window.main_docks():
        dock.setFloating(False)
    window.restoreState(default_state, version)
    for dock in window.main_docks():
        dock.show()
    window.summary_dock.raise_()
    window.resizeDocks([window.palette_dock, window.inspector_dock], [210, 320], Qt.Orientation.Horizontal)
    size_bottom(window)


class InspectorFitter(QObject):
    """Widens the inspector to its form's minimum width whenever a form is shown
    (a Conv2d's pairs of spin boxes, Unflatten's sizes need more than 250 px)."""

    def __init__(self, inspector: QScrollArea) -> None:
        super().__init__(inspector)
        self.inspector = inspector
        # a child timer: QTimer.singleShot(0, self.fit) ran after the inspector was deleted, and
        # singleShot(0, self, self.fit) then kept the window alive for good
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.fit)
        inspector.viewport().installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() in (QEvent.Type.ChildAdded, QEvent.Type.LayoutRequest):
            self._timer.start()
        return False

    def fit(self) -> None:
        page = self.inspector.widget()
        if page is None:
            return
        need = page.minimumSizeHint().width() + self.inspector.verticalScrollBar().sizeHint().width() \
            + 2 * self.inspector.frameWidth()
        self.inspector.setMinimumWidth(max(INSPECTOR_MIN, need))
