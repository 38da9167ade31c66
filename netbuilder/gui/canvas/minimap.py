"""A small overview in the canvas corner, shown when the network does not
fit in the view: every layer as a dot in its category colour, and the part
you are looking at as a frame. Click or drag in it to move there.

The layer dots are drawn once into a pixmap after the network changes; moving
the view only repaints the frame, so it costs nothing while panning.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterator

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from netbuilder.core.shapes import ERROR
from netbuilder.gui import theme
from netbuilder.gui.canvas.style import NODE_W, layer_bounds

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.canvas.view import GraphView

SIZE = (240, 120)
STEP = 1000  # layers between a redraw's checks of the clock
SLICE_S = 0.008
UNMADE_H = 60.0  # the height drawn for a layer whose item is not made yet (see item_batches)
MARGIN = 12


class MiniMap(QWidget):
    def __init__(self, view: "GraphView") -> None:
        super().__init__(view)
        self.view = view
        self.setFixedSize(*SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview: click or drag to move the view")
        self._pixmap: QPixmap | None = None
        self._world = QRectF()
        self._content = QRectF()
        self._stale = True
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self._redraw_soon)
        self._job: Iterator[None] | None = None  # a redraw in slices, under way
        self._slices = QTimer(self)
        self._slices.setSingleShot(True)
        self._slices.setInterval(0)
        self._slices.timeout.connect(self._next_slice)
        self.hide()

    def invalidate(self) -> None:
        """The network changed: redraw the dots soon (coalesces bursts)."""
        self._timer.start()

    def invalidate_now(self) -> None:
        self._timer.stop()  # drawn now: a redraw already queued would draw the same again
        self._slices.stop()
        self._job = None
        self._stale = True
        self.sync()

    def sync(self) -> None:
        """Place in the corner; show only when part of the network is out of view."""
        items = self.view.graph_scene.node_items
        if not items:
            self.hide()
            return
        if self._stale:
            self._redraw()
        visible = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        needed = not visible.contains(self._content)
        vp = self.view.viewport().geometry()
        self.move(vp.right() - self.width() - MARGIN, vp.bottom() - self.height() - MARGIN)
        self.setVisible(needed)
        if needed:
            self.update()

    def _transform(self) -> tuple[float, QPointF]:
        inner = QRectF(self.rect()).adjusted(6, 6, -6, -6)
        w = max(self._world.width(), 1.0)
        h = max(self._world.height(), 1.0)
        scale = min(inner.width() / w, inner.height() / h)
        offset = QPointF(inner.center().x() - (self._world.center().x() * scale),
                         inner.center().y() - (self._world.center().y() * scale))
        return scale, offset

    def _redraw(self) -> None:
        for _ in self._drawing():
            pass

    def _redraw_soon(self) -> None:
        """After an edit: redrawn in slices of about SLICE_S (one pass over 20,000 layers held
        the editor 40-70 ms); the old picture shows until the new one is done."""
        self._job = self._drawing()
        self._next_slice()

    def _next_slice(self) -> None:
        if self._job is None:
            return
        end = time.perf_counter() + SLICE_S
        for _ in self._job:
            if time.perf_counter() > end:
                self._slices.start()
                return
        self._job = None
        self.sync()

    def _drawing(self) -> Iterator[None]:
        """Every layer as a box in its colour, from the graph (also layers whose items are not
        made yet). Boxes are rounded to whole pixels and drawn once per pixel and colour: at
        20,000 layers one fillRect per layer held the editor 0.19 s after every edit. Yields
        every STEP layers (see _redraw_soon)."""
        self._stale = False
        scene = self.view.graph_scene
        boxes: list[tuple[float, float, float, str]] = []
        yield from _layer_boxes(scene, boxes)
        if not boxes:
            return
        self._content = layer_bounds(boxes)
        self._world = self._content.adjusted(-40, -40, 40, 40)
        yield
        scale, offset = self._transform()
        ox, oy, width = offset.x(), offset.y(), max(2, round(NODE_W * scale))
        cells: dict[str, set[tuple[int, int, int, int]]] = {}
        for i, (x, y, h, colour) in enumerate(boxes, 1):
            cell = (int(x * scale + ox), int(y * scale + oy), width, max(2, round(h * scale)))
            cells.setdefault(colour, set()).add(cell)
            if i % STEP == 0:
                yield
        pm = QPixmap(self.size())
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, rects in cells.items():
            painter.setBrush(QColor(colour))
            painter.drawRects([QRect(*r) for r in rects])
        painter.end()
        self._pixmap = pm

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        t = theme.current()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        bg = QColor(t.node_body)
        bg.setAlpha(225)
        painter.setPen(QPen(t.color("node_border"), 1))
        painter.setBrush(bg)
        painter.drawRoundedRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        if self._pixmap is not None:
            painter.drawPixmap(0, 0, self._pixmap)
        scale, offset = self._transform()
        seen = self.view.mapToScene(self.view.viewport().rect()).boundingRect()
        frame = QRectF(seen.x() * scale + offset.x(), seen.y() * scale + offset.y(),
                       seen.width() * scale, seen.height() * scale).intersected(QRectF(self.rect()))
        painter.setPen(QPen(t.color("selection"), 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(frame)

    def _go(self, pos: QPointF) -> None:
        scale, offset = self._transform()
        self.view.centerOn(QPointF((pos.x() - offset.x()) / scale, (pos.y() - offset.y()) / scale))

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._go(event.position())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            self._go(event.position())
        event.accept()


def _layer_boxes(scene, boxes: list[tuple[float, float, float, str]]) -> Iterator[None]:
    """Append (x, y, height, colour name) of every layer's body, in scene coordinates, to
    `boxes`, yielding every STEP layers (edits in between change the graph: a copy is walked)."""
    error = theme.current().color("error").name()
    report, items = scene.live.latest, scene.node_items  # a newer check redraws it again
    colours: dict[str, str] = {}  # layer type -> its category's colour (a spec lookup per layer adds up)
    for i, (nid, node) in enumerate(list(scene.graph.nodes.items()), 1):
        item = items.peek(nid)
        info = report.nodes.get(nid)
        if info is not None and info.status == ERROR:
            colour = error
        else:
            colour = colours.get(node.type) or colours.setdefault(
                node.type, theme.category_color(node.spec.category).name())
        x, y = node.pos
        boxes.append((x, y, item.height if item is not None else UNMADE_H, colour))
        if i % STEP == 0:
            yield
