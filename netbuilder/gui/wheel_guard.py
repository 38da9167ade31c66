"""Spin boxes and combo boxes take the mouse wheel only when they have focus.

In a scrolling form (Training settings, More settings, the inspector) the
wheel must scroll the form: Qt's default gives the field under the cursor the
wheel (and focus with it), so scrolling past the optimizer turned adam into
rmsprop and recorded it as an edit. One application-wide filter covers every
form, including fields built later (the inspector rebuilds its editors):
  * on Polish, a field whose focus policy includes the wheel gets StrongFocus
    (click or Tab to focus it, never the wheel);
  * a wheel event on an unfocused field goes to the nearest scroll area
    instead, so the form scrolls; without one it is simply not used.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QAbstractSpinBox, QComboBox)


class WheelGuard(QObject):
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(obj, GUARDED):
            if obj.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                obj.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if kind != QEvent.Type.Wheel or not isinstance(obj, GUARDED) or obj.hasFocus():
            return False
        area = scroll_area_of(obj)
        if area is not None:
            QApplication.sendEvent(area.viewport(), event)
        event.accept()  # used (by the form, or by nobody): never by the field
        return True


def scroll_area_of(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area around `widget` (not a combo's own popup list)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and not isinstance(parent.parentWidget(), QComboBox):
            return parent
        parent = parent.parentWidget()
    return None


def install(app: QApplication | None = None) -> WheelGuard | None:
    """Install the guard once on the application (idempotent)."""
    app = app or QApplication.instance()
    if app is None:
        return None
    guard = getattr(app, "_netbuilder_wheel_guard", None)
    if guard is None:
        guard = WheelGuard(app)
        app.installEventFilter(guard)
        app._netbuilder_wheel_guard = guard  # type: ignore[attr-defined] - keeps one per app
    return guard
