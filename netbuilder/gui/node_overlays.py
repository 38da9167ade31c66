"""Coloured halos drawn behind canvas nodes, with an optional label.

The cost shading (budget.py) and the diff highlights (diff_view.py) mark
nodes without touching the node items' own painting: a halo is a child item
of the node (so it moves with it), stacked behind it, ignoring the mouse.
Each owner uses its own tag, so both kinds can show at once.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QStyleOptionGraphicsItem

from netbuilder.gui.canvas.style import font

GROW = 7.0  # how far a halo reaches beyond the node body


class NodeHalo(QGraphicsItem):
    def __init__(self, node_item: QGraphicsItem, tag: str, color: QColor, label: str = "",
                 outline: bool = False) -> None:
        super().__init__(node_item)
        self.tag = tag
        self.color = QColor(color)
        self.label = label
        self.outline = outline
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setAcceptHoverEvents(False)
        self.setToolTip(label)

    def _body(self) -> QRectF:
        body = self.parentItem().body_rect() if hasattr(self.parentItem(), "body_rect") else \
            self.parentItem().boundingRect()
        return body.adjusted(-GROW, -GROW, GROW, GROW)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._body().adjusted(-2, -20, 2, 20)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = self._body()
        if self.outline:
            painter.setPen(QPen(self.color, 3.0, Qt.PenStyle.DashLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.color)
        painter.drawRoundedRect(rect, 11, 11)
        if self.label:
            f = QFont(font(8, bold=True))
            painter.setFont(f)
            solid = QColor(self.color)
            solid.setAlpha(255)
            painter.setPen(solid)
            # outlines label above the node, fills below: both kinds can show at once
            if self.outline:
                painter.drawText(QRectF(rect.left(), rect.top() - 17, rect.width(), 16),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, self.label)
            else:
                painter.drawText(QRectF(rect.left(), rect.bottom() + 1, rect.width(), 16),
                                 Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.label)


def halos(scene: QGraphicsScene, tag: str) -> dict[str, NodeHalo]:
    """The halos with `tag` now on the scene, by node id."""
    out: dict[str, NodeHalo] = {}
    for node_id, item in getattr(scene, "node_items", {}).items():
        for child in item.childItems():
            if isinstance(child, NodeHalo) and child.tag == tag:
                out[node_id] = child
    return out


def clear_halos(scene: QGraphicsScene, tag: str) -> None:
    for halo in halos(scene, tag).values():
        halo.setParentItem(None)
        if halo.scene() is not None:
            halo.scene().removeItem(halo)


def set_halos(scene: QGraphicsScene, tag: str, marks: dict[str, tuple[QColor, str]], outline: bool = False) -> None:
    """Replace the `tag` halos by one per node in `marks` (node id -> colour, label)."""
    clear_halos(scene, tag)
    items = getattr(scene, "node_items", {})
    for node_id, (color, label) in marks.items():
        item = items.get(node_id)
        if item is not None:
            NodeHalo(item, tag, color, label, outline)
