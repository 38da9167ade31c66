"""A connection: a curve from an output port to an input port, labelled
with the shape of the tensor that flows through it (e.g. 6×28×28)."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QFontMetrics, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from netbuilder.core.graph import Edge
from netbuilder.gui import theme
from netbuilder.gui.canvas.node_item import NodeItem
from netbuilder.gui.canvas.style import LOD_TEXT, font


def curve(p1: QPointF, p2: QPointF) -> QPainterPath:
    """A horizontal S-curve; backwards edges loop out so they stay visible."""
    dx = max(40.0, abs(p2.x() - p1.x()) * 0.5)
    path = QPainterPath(p1)
    path.cubicTo(QPointF(p1.x() + dx, p1.y()), QPointF(p2.x() - dx, p2.y()), p2)
    return path


@lru_cache(maxsize=None)
def _label_metrics() -> QFontMetrics:
    return QFontMetrics(font(8, mono=True))


class EdgeItem(QGraphicsItem):
    def __init__(self, edge: Edge, src: NodeItem, dst: NodeItem) -> None:
        super().__init__()
        self.edge, self.src, self.dst = edge, src, dst
        self.label = ""
        self.problem = False  # the tensor does not reach a healthy node
        self._path = QPainterPath()
        self._hit: QPainterPath | None = None  # the click area, made when first asked for
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self._drop_target = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        src.edges.add(self)
        dst.edges.add(self)
        self.update_geometry()

    def detach(self) -> None:
        self.src.edges.discard(self)
        self.dst.edges.discard(self)

    def endpoints(self) -> tuple[QPointF, QPointF]:
        a = self.src.port(self.edge.src_port, True)
        b = self.dst.port(self.edge.dst_port, False)
        p1 = a.scenePos() if a is not None else self.src.sceneBoundingRect().center()
        p2 = b.scenePos() if b is not None else self.dst.sceneBoundingRect().center()
        return p1, p2

    def update_geometry(self) -> None:
        """Recompute the curve and label box (on node moves, not every paint)."""
        self.prepareGeometryChange()
        p1, p2 = self.endpoints()
        self._path = curve(p1, p2)
        self._hit = None
        self._layout_label()

    def _layout_label(self) -> None:
        if self.label:
            mid = self._path.pointAtPercent(0.5)
            w = _label_metrics().horizontalAdvance(self.label) + 10
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - 9, w, 18)
        else:
            self._label_rect = QRectF()
        self._bounds = self._path.boundingRect().adjusted(-6, -6, 6, 6).united(self._label_rect)

    def set_label(self, text: str, problem: bool = False) -> None:
        if text != self.label or problem != self.problem:
            self.label, self.problem = text, problem
            self.update_geometry()

    def toolTip(self) -> str:  # noqa: N802 - Qt shows it once the scene's helpEvent synced it
        return f"{self.edge.src} → {self.edge.dst}" + (f": tensor {self.label}" if self.label else "")

    def sync_tooltip(self) -> None:
        text = self.toolTip()
        if QGraphicsItem.toolTip(self) != text:
            self.setToolTip(text)

    def set_drop_target(self, on: bool) -> None:
        if on != self._drop_target:
            self._drop_target = on
            self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def shape(self) -> QPainterPath:
        if self._hit is None:  # hit-testing needs it; building an edge does not
            stroker = QPainterPathStroker()
            stroker.setWidth(10)
            self._hit = stroker.createStroke(self._path)
            if self.label:
                self._hit.addRect(self._label_rect)
        return self._hit

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        t = theme.current()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, lod > 0.3)
        highlight = self.isSelected() or self._drop_target
        colour = t.color("selection") if highlight else t.color("edge")
        pen = QPen(colour, 3.0 if highlight else 1.8)
        if self.problem:
            pen.setStyle(Qt.PenStyle.DashLine)
        if lod < 0.3:
            pen.setCosmetic(True)
            pen.setWidthF(2.0 if highlight else 1.0)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        if self.label and lod >= LOD_TEXT:
            painter.setPen(QPen(colour if highlight else t.color("node_border"), 1))
            painter.setBrush(QBrush(t.color("edge_label_bg")))
            painter.drawRoundedRect(self._label_rect, 4, 4)
            painter.setPen(t.color("edge_label_text"))
            painter.setFont(font(8, mono=True))
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self.label)


class DraftEdge(QGraphicsPathItem):
    """The curve that follows the mouse while a connection is being dragged."""

    def __init__(self) -> None:
        super().__init__()
        pen = QPen(theme.current().color("selection"), 2.0, Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setZValue(5)

    def set_ends(self, start: QPointF, end: QPointF, from_output: bool) -> None:
        self.setPath(curve(start, end) if from_output else curve(end, start))
