"""Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y undo the network even while a form field has focus.

A QLineEdit (and the editor inside every spin box) claims those keys for its
own text through ShortcutOverride, so with the cursor in an inspector field
Edit ▸ Undo did nothing. The fields of the inspector and the Training form
apply their edits at once, as commands on the window's undo stack, so the
line edit's private text history is only a confusing second copy of the same
edit: the window's undo wins, and the form shows the model's value again.
Multi-line text (the description, applied when the field is left) and the
palette's search box keep their own text undo.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QLineEdit, QWidget

UNDO_KEYS = (QKeySequence.StandardKey.Undo, QKeySequence.StandardKey.Redo)


class UndoKeys(QObject):
    """Lets the window's Undo/Redo shortcuts through in the fields inside `forms`. One filter
    for the application, whatever the number of windows: a filter per window made every event
    of every window pass through all of them (the GUI tests slowed to a minute a test)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.forms: list[QWidget] = []

    def add(self, forms: list[QWidget]) -> None:
        for form in forms:
            self.forms.append(form)
            form.destroyed.connect(lambda _=None, form=form: self._forget(form))

    def _forget(self, form: QWidget) -> None:
        self.forms = [f for f in self.forms if f is not form]

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() != QEvent.Type.ShortcutOverride or not isinstance(obj, (QLineEdit, QAbstractSpinBox)):
            return False
        assert isinstance(event, QKeyEvent)
        if not any(event.matches(key) for key in UNDO_KEYS) and not _is_ctrl_y(event):
            return False
        if not any(form.isAncestorOf(obj) for form in self.forms):
            return False
        event.ignore()  # not overridden: the shortcut (the window's undo action) runs
        return True


def _is_ctrl_y(event: QKeyEvent) -> bool:
    """Ctrl+Y is NetBuilder's second Redo key (the standard Redo on Linux is Ctrl+Shift+Z)."""
    return QKeySequence(event.keyCombination()) == QKeySequence("Ctrl+Y")


def install(forms: list[QWidget]) -> UndoKeys:
    """Let Ctrl+Z through in `forms` (installs the application's one filter the first time)."""
    app = QApplication.instance()
    guard = getattr(app, "_netbuilder_undo_keys", None)
    if guard is None:
        guard = UndoKeys(app)
        app.installEventFilter(guard)
        app._netbuilder_undo_keys = guard  # type: ignore[attr-defined] - one per application
    guard.add(forms)
    return guard
