"""A node's input or output port: a small circle you drag from to connect.

Ports are typed: each has a name (in, mu, logvar, out1...) and a side, and
its colour tells the rank of the tensor it carries (features, sequence,
image), so a mismatch is visible before it is an error.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QCursor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHoverEvent, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem

from netbuilder.core.shapes import format_shape
from netbuilder.gui import theme
from netbuilder.gui.canvas.lazy_tooltip import LazyTooltip
from netbuilder.gui.canvas.style import PORT_R

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.canvas.node_item import NodeItem

# port fill by tensor rank (batch excluded)
RANK_COLORS = {1: "#4f8ff0", 2: "#1fb3c9", 3: "#b26ee0", 4: "#f0a020"}
RANK_NAMES = {1: "features (vector)", 2: "sequence or matrix", 3: "feature maps (C×H×W)", 4: "volume"}
HIT_R = 10.0  # generous click target around the small circle


@lru_cache(maxsize=None)
def _cross() -> QCursor:
    """One cursor for every port, not one built per port (made once a QApplication exists)."""
    return QCursor(Qt.CursorShape.CrossCursor)


class PortItem(LazyTooltip, QGraphicsItem):
    def __init__(self, node: "NodeItem", index: int, name: str, is_output: bool) -> None:
        super().__init__(node)
        self.node_item, self.index, self.name, self.is_output = node, index, name, is_output
        self.connected = False
        self.shape_ = None
        self.dtype = "float32"
        self._hover = False
        self._highlight = False  # a valid drop target during a connection drag
        self._tooltip: str | None = None  # written when asked for (see NodeItem.toolTip)
        self.setAcceptHoverEvents(True)
        self.setCursor(_cross())
        self.setZValue(2)

    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-HIT_R, -HIT_R, 2 * HIT_R, 2 * HIT_R)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def scene_center(self) -> QPointF:
        return self.scenePos()

    def set_state(self, connected: bool, shape: tuple | None, dtype: str = "float32") -> None:
        if (connected, shape, dtype) != (self.connected, self.shape_, self.dtype):
            self.connected, self.shape_, self.dtype = connected, shape, dtype
            self._tooltip = None
            self.update()

    def set_highlight(self, on: bool) -> None:
        if on != self._highlight:
            self._highlight = on
            self.update()

    def _tooltip_text(self) -> str:
        side = "output" if self.is_output else "input"
        lines = [f"<b>{self.name}</b> — {side} port of <i>{self.node_item.node_id}</i>"]
        if self.shape_ is not None:
            rank = RANK_NAMES.get(len(self.shape_), f"rank {len(self.shape_)}")
            lines.append(f"tensor {format_shape(self.shape_)} ({rank}, {self.dtype})")
        lines.append("Drag to an " + ("input" if self.is_output else "output") + " port to connect.")
        return "<br>".join(lines)

    def fill_color(self) -> QColor:
        t = theme.current()
        if self.shape_ is not None:
            return QColor(RANK_COLORS.get(len(self.shape_), t.port))
        return t.color("port")

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        t = theme.current()
        r = PORT_R + (2.0 if self._hover or self._highlight else 0.0)
        colour = self.fill_color()
        ring = t.color("selection") if self._highlight else colour
        painter.setPen(QPen(ring, 2.0))
        painter.setBrush(QBrush(colour if self.connected or self._hover else t.color("node_body")))
        painter.drawEllipse(QPointF(0, 0), r, r)

    # ------------------------------------------------------------- gestures
    def hoverEnterEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:  # noqa: N802
        self._hover = False
        self.update()

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton and self.scene() is not None:
            self.scene().begin_connection(self)
            event.accept()
        else:
            event.ignore()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.scene() is not None:
            self.scene().drag_connection(event.scenePos())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self.scene() is not None:
            self.scene().end_connection(event.scenePos())
