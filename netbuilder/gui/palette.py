"""The layer palette: every layer type by category, searchable, with icons
and help tooltips. Drag a layer onto the canvas, or double-click to add it
at the centre of the view. The quick-add box (Tab) is in quick_add.py."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.spec import LayerSpec, all_specs
from netbuilder.gui.canvas.view import LAYER_MIME
from netbuilder.gui.resources import category_icon

TYPE_ROLE = Qt.ItemDataRole.UserRole


def layer_tooltip(spec: LayerSpec) -> str:
    lines = [f"<b>{spec.type}</b> <span style='color:gray'>({spec.category})</span>", spec.help]
    if spec.params:
        names = ", ".join(p.name for p in spec.params)
        lines.append(f"<i>Parameters:</i> {names}")
    ports = spec.input_ports(spec.defaults())
    if len(ports) > 1:
        lines.append(f"<i>Inputs:</i> {', '.join(ports)}")
    lines.append("<span style='color:gray'>Drag onto the canvas (onto a connection to insert it), "
                 "or double-click.</span>")
    return "<br>".join(lines)


def matches(spec: LayerSpec, words: list[str]) -> bool:
    text = f"{spec.type} {spec.category} {spec.help}".lower()
    return all(w in text for w in words)


class LayerTree(QTreeWidget):
    """The tree itself: a drag source of layer type names."""

    def __init__(self) -> None:
        super().__init__()
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QTreeWidget.DragDropMode.DragOnly)
        self.setIndentation(12)
        self.setUniformRowHeights(True)
        self.setAnimated(False)

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME]

    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802
        data = QMimeData()
        names = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        if names:
            data.setData(LAYER_MIME, names[0].encode("utf-8"))
            data.setText(names[0])
        return data


class Palette(QWidget):
    add_requested = Signal(str)  # a layer type to add at the view centre

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers…  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.tree = LayerTree()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 0)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.items: dict[str, QTreeWidgetItem] = {}
        self.categories: dict[str, QTreeWidgetItem] = {}
        self._fill()
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._add_first_visible)
        self.tree.itemDoubleClicked.connect(self._on_double_click)

    def _fill(self) -> None:
        bold = self.tree.font()
        bold.setBold(True)
        for spec in all_specs():
            cat = self.categories.get(spec.category)
            if cat is None:
                cat = QTreeWidgetItem([spec.category])
                cat.setIcon(0, category_icon(spec.category))
                cat.setFont(0, bold)
                cat.setFlags(Qt.ItemFlag.ItemIsEnabled)
                self.tree.addTopLevelItem(cat)
                self.categories[spec.category] = cat
            item = QTreeWidgetItem([spec.type])
            item.setData(0, TYPE_ROLE, spec.type)
            item.setIcon(0, category_icon(spec.category))
            item.setToolTip(0, layer_tooltip(spec))
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
            cat.addChild(item)
            self.items[spec.type] = item
        self.tree.expandAll()

    def filter(self, text: str) -> None:
        words = text.lower().split()
        specs = {s.type: s for s in all_specs()}
        for cat in self.categories.values():
            shown = 0
            for i in range(cat.childCount()):
                child = cat.child(i)
                visible = matches(specs[child.data(0, TYPE_ROLE)], words)
                child.setHidden(not visible)
                shown += visible
            cat.setHidden(shown == 0)
            cat.setExpanded(True)

    def visible_types(self) -> list[str]:
        return [t for t, item in self.items.items() if not item.isHidden() and not item.parent().isHidden()]

    def _add_first_visible(self) -> None:
        visible = self.visible_types()
        if visible:
            self.add_requested.emit(visible[0])

    def _on_double_click(self, item: QTreeWidgetItem, column: int) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.add_requested.emit(type_name)
