"""A small overview in the canvas corner, shown when the network does not
fit in the view: every layer as a dot in its category colour, and the part
you are looking at as a frame. Click or drag in it to move there.

The layer dots are drawn once into a pixmap after the network changes; moving
the view only repaints the frame, so it costs nothing while panning.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from netbuilder.gui import theme

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.canvas.view import GraphView

SIZE = (240, 120)
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
        self._timer.timeout.connect(self.invalidate_now)
        self.hide()

    def invalidate(self) -> None:
        """The network changed: redraw the dots soon (coalesces bursts)."""
        self._timer.start()

    def invalidate_now(self) -> None:
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
        self._stale = False
        items = list(self.view.graph_scene.node_items.values())
        world = items[0].sceneBoundingRect()
        for item in items[1:]:
            world = world.united(item.sceneBoundingRect())
        self._content = world
        self._world = world.adjusted(-40, -40, 40, 40)
        scale, offset = self._transform()
        pm = QPixmap(self.size())
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        for item in items:
            r = item.mapRectToScene(item.body_rect())
            rect = QRectF(r.x() * scale + offset.x(), r.y() * scale + offset.y(),
                          max(2.0, r.width() * scale), max(2.0, r.height() * scale))
            colour = theme.current().color("error") if item.status == "error" else item.accent
            painter.fillRect(rect, colour)
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
