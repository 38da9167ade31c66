"""A small overview in the canvas corner, shown when the network does not
fit in the view: every layer as a dot in its category colour, and the part
you are looking at as a frame. Click or drag in it to move there.

The layer dots are drawn once into a pixmap after the network changes; moving
the view only repaints the frame, so it costs nothing while panning. After an
edit the picture is redrawn in slices, and only once the shape check and the
canvas's own slices are done: Qt runs every due timer in one turn, and the
minimap's slice beside theirs made the editor's longest blocks at 20,000 layers.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Iterator

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from netbuilder.core.shapes import ERROR
from netbuilder.gui import theme, turns
from netbuilder.gui.canvas.style import NODE_W

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
        self._slices.timeout.connect(self._slice_turn)
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
        the editor 40-70 ms); the old picture shows until the new one is done. While the shape
        check or the canvas still works in slices the redraw waits: it would draw the shapes
        before the check (whose `checked` asks for another) and share their turns."""
        scene = self.view.graph_scene
        if scene.live.slicing() or scene.busy():
            self._timer.start()
            return
        self._job = self._drawing()
        self._slices.start()

    def _slice_turn(self) -> None:
        turns.run_shared(SLICE_S, self._next_slice, self._slices, background=True)  # see gui/turns.py

    def _next_slice(self, seconds: float | None = None) -> None:
        if self._job is None:
            return
        end = time.perf_counter() + (SLICE_S if seconds is None else seconds)
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
        every STEP layers (see _redraw_soon). Boxes are columns of floats and cells are ints,
        not tuples: 20,000 new tuples made the collector's next young pass take 15-20 ms."""
        self._stale = False
        boxes = _Boxes()
        yield from boxes.collect(self.view.graph_scene)
        if not boxes.xs:
            return
        left, top = min(boxes.xs), min(boxes.ys)
        right, bottom = max(boxes.xs) + NODE_W, max(y + h for y, h in zip(boxes.ys, boxes.hs))
        self._content = QRectF(left, top, right - left, bottom - top)
        self._world = self._content.adjusted(-40, -40, 40, 40)
        yield
        scale, offset = self._transform()
        ox, oy, width = offset.x(), offset.y(), max(2, round(NODE_W * scale))
        cells: dict[str, set[int]] = {}
        for i, (x, y, h, colour) in enumerate(zip(boxes.xs, boxes.ys, boxes.hs, boxes.colours), 1):
            cell = _cell(int(x * scale + ox), int(y * scale + oy), max(2, round(h * scale)))
            cells.setdefault(colour, set()).add(cell)
            if i % STEP == 0:
                yield
        pm = QPixmap(self.size())
        pm.fill(Qt.GlobalColor.transparent)
        for colour, keys in cells.items():
            cell_list = list(keys)
            for start in range(0, len(cell_list), STEP):  # one painter a step: none is left open between slices
                painter = QPainter(pm)
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(colour))
                painter.drawRects([_rect(key, width) for key in cell_list[start:start + STEP]])
                painter.end()
                yield
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


_OFF = 1 << 19  # cell coordinates, made non-negative, packed into one int each


def _cell(x: int, y: int, h: int) -> int:
    return ((x + _OFF) << 40) | ((y + _OFF) << 20) | min(h, _OFF - 1)


def _rect(key: int, width: int) -> QRect:
    return QRect((key >> 40) - _OFF, ((key >> 20) & (2 * _OFF - 1)) - _OFF, width, key & (_OFF - 1))


class _Boxes:
    """x, y, height and colour name of every layer's body, in scene coordinates, as columns."""

    def __init__(self) -> None:
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.hs: list[float] = []
        self.colours: list[str] = []

    def collect(self, scene) -> Iterator[None]:
        """Every layer's box, yielding every STEP layers (edits in between change the graph: its
        ids are copied first, and a layer removed meanwhile is left out)."""
        error = theme.current().color("error").name()
        report, items, nodes = scene.live.latest, scene.node_items, scene.graph.nodes  # a newer check redraws
        colours: dict[str, str] = {}  # layer type -> its category's colour (a spec lookup per layer adds up)
        for i, nid in enumerate(list(nodes), 1):
            node = nodes.get(nid)
            if node is None:
                continue
            info = report.nodes.get(nid)
            if info is not None and info.status == ERROR:
                colour = error
            else:
                colour = colours.get(node.type) or colours.setdefault(
                    node.type, theme.category_color(node.spec.category).name())
            item = items.peek(nid)
            x, y = node.pos
            self.xs.append(x)
            self.ys.append(y)
            self.hs.append(item.height if item is not None else UNMADE_H)
            self.colours.append(colour)
            if i % STEP == 0:
                yield
