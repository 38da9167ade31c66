"""A layer on the canvas: id, type, key params and output shape.

The item only renders what the Graph and the ShapeReport say; the scene
updates it from their events. Painting follows the zoom (level of detail):
close up every line of text, far out just the coloured block and its type,
so a 300-node network stays fast and readable. Items cache their pixels.

Building an item does only what every item needs: text is elided and the
tooltip written when first painted or asked for (a 20,000-layer network
shows a few dozen at a time), so opening a big file stays linear and fast.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from netbuilder.core.graph import Node
from netbuilder.core.shapes import ERROR, OK, UNCONNECTED, WAITING, NodeShapes, format_shape
from netbuilder.gui import theme
from netbuilder.gui.canvas.lazy_tooltip import LazyTooltip
from netbuilder.gui.canvas.port_item import PortItem
from netbuilder.gui.canvas.style import (
    GRID, HEADER_H, LOD_TEXT, LOD_TITLE, NODE_W, font, node_height, overview_title, param_summary, port_y,
)
from netbuilder.gui.resources import category_pixmap

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.canvas.edge_item import EdgeItem

PAD = 9.0
OVERVIEW_PX = 12.5  # screen pixels of text when zoomed out
MARGIN = 60.0  # room around the body for the badge and port labels
_FLAGS = (QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
          | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
# itemChange runs in Python for every change of every item (a dozen per item as it is built):
# compare against these instead of looking the enum members up each time
_POSITION_CHANGE = QGraphicsItem.GraphicsItemChange.ItemPositionChange
_POSITION_CHANGED = QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged
_ELIDE = Qt.TextElideMode.ElideRight


@lru_cache(maxsize=None)
def _metrics(size: float, bold: bool = False, mono: bool = False) -> QFontMetrics:
    return QFontMetrics(font(size, bold=bold, mono=mono))


@lru_cache(maxsize=4096)
def _elided(text: str, size: float, bold: bool, mono: bool, width: int) -> str:
    return _metrics(size, bold, mono).elidedText(text, _ELIDE, width)


class NodeItem(LazyTooltip, QGraphicsItem):
    def __init__(self, node: Node) -> None:
        super().__init__()
        self.node_id = node.id
        self.type_name = node.type
        self.category = node.spec.category
        self.accent = theme.category_color(self.category)
        self.height = 0.0
        self.inputs: list[PortItem] = []
        self.outputs: list[PortItem] = []
        self.edges: set["EdgeItem"] = set()
        self.status = WAITING
        self.message = ""
        self.shares: str | None = None
        self.help = node.spec.help
        self.overview = overview_title(node.id, node.type)
        self._title = self._summary = self._footer = self.short_footer = ""
        self._tooltip: str | None = None  # None: to be written when asked for
        self.setFlags(_FLAGS)
        self.setAcceptHoverEvents(True)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self.setPos(QPointF(*node.pos))
        self.refresh(node)

    # elided to the node's width when read (painted), not when set
    @property
    def title(self) -> str:
        return _elided(self._title, 10, True, False, int(NODE_W - 2 * PAD - 22))

    @property
    def summary(self) -> str:
        return _elided(self._summary, 9, False, False, int(NODE_W - 2 * PAD))

    @property
    def footer(self) -> str:
        return _elided(self._footer, 9, False, True, int(NODE_W - 2 * PAD))

    # -------------------------------------------------------------- content
    def refresh(self, node: Node) -> None:
        """Re-read id, params and ports from the model node."""
        ins, outs = node.input_ports(), node.output_ports()
        new_height = node_height(len(ins), len(outs))
        if new_height != self.height:
            self.prepareGeometryChange()
            self.height = new_height
        self._sync_ports(self.inputs, ins, False)
        self._sync_ports(self.outputs, outs, True)
        self._title, self._summary = node.id, param_summary(node)
        self.dtype = node.params.get("dtype", "float32") if node.type == "Input" else "float32"
        self.shares = node.shares  # the owner of the module this node runs, or None
        self._tooltip_changed()
        self.update()

    def _sync_ports(self, ports: list[PortItem], names: tuple[str, ...], is_output: bool) -> None:
        while len(ports) > len(names):
            port = ports.pop()
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        for i, name in enumerate(names):
            if i >= len(ports):
                ports.append(PortItem(self, i, name, is_output))
            ports[i].name = name
            ports[i].setPos(NODE_W if is_output else 0.0, port_y(i, len(names), self.height))

    def set_shapes(self, info: NodeShapes | None, connected_in: set[int], connected_out: set[int]) -> None:
        """Show the shape check's verdict for this node."""
        status = shown_status(info)
        message = info.message if info is not None else ""
        self.status, self.message = status, message
        if status == OK and info is not None:
            if self.outputs:
                footer = "→ " + ",  ".join(format_shape(s) for s in info.outputs[:len(self.outputs)])
            else:  # an Output node: what arrives
                footer = "← " + ",  ".join(format_shape(s) for s in info.inputs if s is not None)
        elif status == ERROR:
            footer = "⚠ " + self.message.removeprefix(f"{self.type_name}: ")
        else:
            footer = "waiting for input" if not message.endswith(UNCONNECTED) else "waiting: connect its input"
        self.short_footer = footer.replace("→ ", "").replace("← ", "") if status == OK else (
            "⚠ shape error" if status == ERROR else "waiting")
        self._footer = footer
        for port in self.inputs:
            shape = info.inputs[port.index] if info is not None and port.index < len(info.inputs) else None
            port.set_state(port.index in connected_in, shape)
        for port in self.outputs:
            ok = info is not None and info.status == OK and port.index < len(info.outputs)
            port.set_state(port.index in connected_out, info.outputs[port.index] if ok else None, self.dtype)
        opacity = 0.55 if status == WAITING else 1.0
        if opacity != self.opacity():
            self.setOpacity(opacity)
        self._tooltip_changed()
        self.update()

    def _tooltip_changed(self) -> None:
        """Forget the tooltip; it is written again when asked for."""
        if self._tooltip is not None:
            self._tooltip = None
            if self.isUnderMouse():  # a tooltip may be showing: keep it current
                self.sync_tooltip()

    def _tooltip_text(self) -> str:
        lines = [f"<b>{self.node_id}</b> — {self.type_name}", f"<span>{self.help}</span>"]
        if self.shares:
            lines.append(f"<br><b>⇄ Shares the weights of {_html(self.shares)}</b>: one set of parameters, "
                         "edited there")
        if self.status == ERROR:
            lines.append(f"<br><b style='color:#ef5350'>Shape error:</b> {_html(self.message)}")
        elif self.status == WAITING:
            lines.append("<br><i>Waiting for input: connect it, or fix the layer before it.</i>")
        return "<br>".join(lines)

    # ------------------------------------------------------------- geometry
    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(-MARGIN, -14, NODE_W + 2 * MARGIN, self.height + 28)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_W, self.height), 7, 7)
        return path

    def body_rect(self) -> QRectF:
        return QRectF(0, 0, NODE_W, self.height)

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:  # noqa: N802
        if change == _POSITION_CHANGE:
            if getattr(self.scene(), "snap", False):
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        elif change == _POSITION_CHANGED:
            for edge in self.edges:
                edge.update_geometry()
            scene = self.scene()
            if scene is not None:  # its place in the item index, and in the zoomed-out picture
                scene.item_moved(self)
        return value  # what QGraphicsItem.itemChange returns for every change

    # ------------------------------------------------------------- painting
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        t = theme.current()
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        body = self.body_rect()
        selected = self.isSelected()
        border = t.color("selection") if selected else t.color("error") if self.status == ERROR else t.color(
            "node_border")
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if lod < LOD_TITLE:  # far out: a coloured block
            painter.setPen(QPen(border, 3.0 if selected or self.status == ERROR else 0))
            painter.setBrush(self.accent if self.status != ERROR else t.color("error"))
            painter.drawRoundedRect(body, 7, 7)
            return
        painter.setPen(QPen(border, 2.5 if selected or self.status == ERROR else 1.0))
        painter.setBrush(QBrush(t.color("node_body")))
        painter.drawRoundedRect(body, 7, 7)
        if lod < LOD_TEXT:  # mid distance: type and shape, in letters that stay legible
            self._paint_overview(painter, t, lod)
        else:
            self._paint_header(painter, t)
            self._paint_text(painter, t)
            self._paint_port_labels(painter, t)
        if self.status == ERROR:
            self._paint_badge(painter, t)
        if self.shares:
            self._paint_shared_badge(painter, t)

    def _paint_overview(self, painter: QPainter, t: theme.Theme, lod: float) -> None:
        """Two halves: the type on the category colour, the output shape below,
        each in a font sized to about 10 screen pixels (shrunk to fit)."""
        half = self.height / 2
        top = QPainterPath()
        top.addRoundedRect(QRectF(0.5, 0.5, NODE_W - 1, half + 6), 6.5, 6.5)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, NODE_W, half))
        painter.fillPath(top.intersected(clip), self.accent)
        lines = ((QRectF(4, 0, NODE_W - 8, half), self.overview, QColor("#ffffff"), True),
                 (QRectF(4, half, NODE_W - 8, half), self.short_footer, self._footer_color(t), False))
        for rect, text, colour, bold in lines:
            size = min(OVERVIEW_PX / lod, rect.height() * 0.72)
            f = QFont(font(9, bold=bold))
            f.setPixelSize(max(1, int(size)))
            width = QFontMetrics(f).horizontalAdvance(text)
            if width > rect.width():
                f.setPixelSize(max(1, int(size * rect.width() / width)))
            painter.setFont(f)
            painter.setPen(colour)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)

    def _footer_color(self, t: theme.Theme) -> QColor:
        if self.status == ERROR:
            return t.color("error")
        return t.color("shape_text") if self.status == OK else t.color("node_muted")

    def _paint_header(self, painter: QPainter, t: theme.Theme) -> None:
        header = QPainterPath()
        header.addRoundedRect(QRectF(0.5, 0.5, NODE_W - 1, HEADER_H + 6), 6.5, 6.5)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, NODE_W, HEADER_H))
        colour = QColor(self.accent)
        colour.setAlpha(235 if t.name == "dark" else 255)
        painter.fillPath(header.intersected(clip), colour)
        painter.drawPixmap(QPointF(PAD - 3, (HEADER_H - 16) / 2), category_pixmap(self.category, 16))
        painter.setPen(QColor("#ffffff"))
        painter.setFont(font(10, bold=True))
        painter.drawText(QRectF(PAD + 17, 0, NODE_W - PAD - 20, HEADER_H),
                         Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.title)

    def _paint_text(self, painter: QPainter, t: theme.Theme) -> None:
        left = QRectF(PAD, HEADER_H + 4, NODE_W - 2 * PAD, 16)
        align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        painter.setPen(t.color("node_muted"))
        painter.setFont(font(9))
        painter.drawText(left, align, self.type_name)
        painter.setPen(t.color("node_text"))
        painter.drawText(left.translated(0, 17), align, self.summary)
        painter.setFont(font(9, mono=True))
        painter.setPen(self._footer_color(t))
        painter.drawText(QRectF(PAD, self.height - 22, NODE_W - 2 * PAD, 18), align, self.footer)

    def _paint_port_labels(self, painter: QPainter, t: theme.Theme) -> None:
        painter.setFont(font(7.5))
        painter.setPen(t.color("node_muted"))
        for ports, right in ((self.inputs, False), (self.outputs, True)):
            if len(ports) < 2:
                continue
            for port in ports:
                y = port.pos().y()
                rect = QRectF(NODE_W + 4, y - 15, MARGIN - 6, 12) if right else QRectF(-MARGIN + 2, y - 15, MARGIN - 6, 12)
                painter.drawText(rect, (Qt.AlignmentFlag.AlignLeft if right else Qt.AlignmentFlag.AlignRight)
                                 | Qt.AlignmentFlag.AlignBottom, port.name)

    def _paint_badge(self, painter: QPainter, t: theme.Theme) -> None:
        centre = QPointF(NODE_W - 2, 0)
        painter.setPen(QPen(t.color("node_body"), 2))
        painter.setBrush(t.color("error"))
        painter.drawEllipse(centre, 9, 9)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(font(9, bold=True))
        painter.drawText(QRectF(centre.x() - 9, centre.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "!")

    def _paint_shared_badge(self, painter: QPainter, t: theme.Theme) -> None:
        """A link mark at the top-left corner: this node runs another's module."""
        centre = QPointF(2, 0)
        painter.setPen(QPen(t.color("node_body"), 2))
        painter.setBrush(t.color("selection"))
        painter.drawEllipse(centre, 9, 9)
        painter.setPen(QColor("#ffffff"))
        painter.setFont(font(9, bold=True))
        painter.drawText(QRectF(centre.x() - 9, centre.y() - 9, 18, 18), Qt.AlignmentFlag.AlignCenter, "⇄")

    def port(self, index: int, is_output: bool) -> PortItem | None:
        ports = self.outputs if is_output else self.inputs
        return ports[index] if 0 <= index < len(ports) else None


def shown_status(info: NodeShapes | None) -> str:
    """The status a layer is drawn with: a new layer not wired yet waits (grey), it is not
    wrong (red); Problems still lists it."""
    if info is None or (info.status == ERROR and info.message.endswith(UNCONNECTED)):
        return WAITING
    return info.status


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
