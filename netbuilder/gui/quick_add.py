"""The quick-add box (Tab on the canvas, as in Blender or Houdini): type a
few letters, Enter adds the highlighted layer where the cursor is."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.spec import LayerSpec, all_specs
from netbuilder.gui.resources import category_icon

TYPE_ROLE = Qt.ItemDataRole.UserRole


def ranked(specs: list[LayerSpec], text: str) -> list[LayerSpec]:
    """Name prefix first, then name contains, then help mentions."""
    q = text.strip().lower()
    if not q:
        return specs
    scored = []
    for i, s in enumerate(specs):
        name = s.type.lower()
        if name.startswith(q):
            rank = 0
        elif q in name:
            rank = 1
        elif q in f"{s.category} {s.help}".lower():
            rank = 2
        else:
            continue
        scored.append((rank, i, s))
    return [s for _, _, s in sorted(scored, key=lambda t: (t[0], t[1]))]


class _SearchLine(QLineEdit):
    """Arrow keys move through the list while typing continues here."""

    def __init__(self, box: "QuickAdd") -> None:
        super().__init__()
        self.box = box

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            self.box.results.keyPressEvent(event)
        elif event.key() == Qt.Key.Key_Escape:
            self.box.close()
        else:
            super().keyPressEvent(event)


class QuickAdd(QFrame):
    chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("QuickAdd")
        self.specs = all_specs()
        self.search = _SearchLine(self)
        self.search.setPlaceholderText("Add layer…")
        self.results = QListWidget()
        self.results.setMinimumHeight(240)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.results)
        self.resize(280, 320)
        self.search.textChanged.connect(self._refill)
        self.search.returnPressed.connect(self._choose_current)
        self.results.itemActivated.connect(self._choose)
        self.results.itemDoubleClicked.connect(self._choose)
        self._refill("")

    def open_at(self, global_pos: QPoint) -> None:
        self.search.clear()
        self.move(global_pos)
        self.show()
        self.search.setFocus()

    def _refill(self, text: str) -> None:
        self.results.clear()
        for spec in ranked(self.specs, text):
            item = QListWidgetItem(category_icon(spec.category), f"{spec.type}")
            item.setData(TYPE_ROLE, spec.type)
            item.setToolTip(spec.help)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def _choose_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._choose(item)

    def _choose(self, item: QListWidgetItem) -> None:
        type_name = item.data(TYPE_ROLE)
        self.close()
        self.chosen.emit(type_name)
