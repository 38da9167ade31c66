"""The canvas view: zoom to the cursor, pan, rubber band, drops, Tab.

Wheel zooms around the cursor; the middle button, or Space with the left
button, pans; dragging on empty canvas selects with a rubber band. Layers
dropped from the palette land where they are dropped — onto an edge, they are
inserted into it. Tab opens the quick-add box at the cursor.

A view chosen automatically (the first view of a network, or Fit) is chosen
again when the viewport's size changes a lot — e.g. the Training dock is
raised and takes most of the height — until the user zooms or pans by hand.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from typing import Callable, Iterator

from PySide6.QtCore import QLineF, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent, QDragMoveEvent, QDropEvent, QKeyEvent, QMouseEvent, QPainter, QPen, QWheelEvent,
)
from PySide6.QtWidgets import QGraphicsView

from netbuilder.gui import theme
from netbuilder.gui.canvas.edge_item import EdgeItem
from netbuilder.gui.canvas.minimap import MiniMap
from netbuilder.gui.canvas.overview import OVERVIEW_ZOOM
from netbuilder.gui.canvas.scene import GraphScene
from netbuilder.gui.canvas.style import GRID, NODE_H, NODE_W, font
from netbuilder.gui.placement import free_spot, node_rects

LAYER_MIME = "application/x-netbuilder-layer"
MIN_ZOOM, MAX_ZOOM = 0.04, 3.0
READABLE_ZOOM = 0.5  # below this, node text is simplified (see node_item LOD)
LEGIBLE_ZOOM = 0.3  # a first view fits the whole network down to this zoom
START_ZOOM = 0.5  # otherwise it opens on the inputs at this zoom (type and shape readable)
REFIT_CHANGE = 0.1  # an automatic view is redone when the viewport's width or height changes by 10 %
WORLD = 1_000_000.0  # the view pans freely over this (the scene's own rect follows the network)


class GraphView(QGraphicsView):
    quick_add_requested = Signal(QPoint, QPointF)  # global position, scene position
    node_double_clicked = Signal(str)  # edit this layer in the inspector
    context_menu_requested = Signal(QPoint, QPointF)  # global position, scene position
    zoom_changed = Signal(float)

    def __init__(self, scene: GraphScene) -> None:
        super().__init__(scene)
        self.graph_scene = scene
        self.setSceneRect(QRectF(-WORLD, -WORLD, 2 * WORLD, 2 * WORLD))
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
                            | QPainter.RenderHint.SmoothPixmapTransform)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setFrameShape(QGraphicsView.Shape.NoFrame)
        self._pan_from: QPoint | None = None
        self._space = False
        self._drop_edge: EdgeItem | None = None
        # the automatic view to redo on a big resize (show_network or fit_to_view) and the
        # viewport size it was made for; None once the user zooms or pans
        self._auto_view: Callable[[], None] | None = None
        self._auto_size = (0, 0)
        self._placing = False  # the view moves itself: not a user's zoom or pan
        self.minimap = MiniMap(self)
        scene.nodes_rebuilt.connect(self.show_network)
        scene.layout_changed.connect(self.minimap.invalidate)
        for bar in (self.horizontalScrollBar(), self.verticalScrollBar()):
            bar.valueChanged.connect(self.minimap.sync)
            bar.valueChanged.connect(self._on_moved)  # pans, minimap clicks, Actual Size ...
        self.zoom_changed.connect(self.minimap.sync)
        self.zoom_changed.connect(self._on_moved)
        self.zoom_changed.connect(self._choose_drawing)

    def resizeEvent(self, event) -> None:  # noqa: N802
        with self._placing_view():
            super().resizeEvent(event)
        if self._auto_view is not None and self._changed_a_lot():
            self._auto_view()
        self.minimap.sync()

    # ------------------------------------------------------ automatic view
    @property
    def auto_fitted(self) -> bool:
        """True while the view is one the program chose (refitted on big resizes)."""
        return self._auto_view is not None

    def _changed_a_lot(self) -> bool:
        (w0, h0), size = self._auto_size, self.viewport().size()
        return abs(size.width() - w0) > REFIT_CHANGE * max(w0, 1) or \
            abs(size.height() - h0) > REFIT_CHANGE * max(h0, 1)

    @contextmanager
    def _placing_view(self) -> Iterator[None]:
        placing, self._placing = self._placing, True
        try:
            yield
        finally:
            self._placing = placing

    def _remember(self, auto_view: Callable[[], None]) -> None:
        self._auto_view = auto_view
        self._auto_size = (self.viewport().width(), self.viewport().height())

    def _on_moved(self, *_: object) -> None:
        if not self._placing:
            self._auto_view = None

    # ------------------------------------------------------------------ zoom
    def _choose_drawing(self, zoom: float) -> None:
        """Zoomed far out, the network is drawn as one picture (canvas/overview.py)."""
        self.graph_scene.overview.set_active(zoom < OVERVIEW_ZOOM)

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        """Zoom to `factor` (1 = 100 %) around the transformation anchor."""
        scale = min(MAX_ZOOM, max(MIN_ZOOM, factor)) / self.zoom()
        self.scale(scale, scale)
        self.zoom_changed.emit(self.zoom())

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.set_zoom(self.zoom() * math.pow(1.18, steps))  # AnchorUnderMouse keeps the cursor's point
        event.accept()

    def zoom_in(self) -> None:
        self._zoom_centre(1.25)

    def zoom_out(self) -> None:
        self._zoom_centre(0.8)

    def _zoom_centre(self, factor: float) -> None:
        anchor = self.transformationAnchor()
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.set_zoom(self.zoom() * factor)
        self.setTransformationAnchor(anchor)

    def network_rect(self) -> QRectF | None:
        """Nodes and edges (the edge that wraps from one band to the next
        curves out beyond the nodes), with a margin."""
        if self.graph_scene.pending:  # items still being created: where the model's nodes are
            rect = self.graph_scene.model_rect()
            return None if rect is None else rect.adjusted(-90, -44, 90, 44)
        items = list(self.graph_scene.node_items.values())
        if not items:
            return None
        rect = items[0].sceneBoundingRect()
        for item in [*items[1:], *self.graph_scene.edge_items.values()]:
            rect = rect.united(item.sceneBoundingRect())
        return rect.adjusted(-30, -30, 30, 30)

    def _fit_zoom(self, rect: QRectF) -> float:
        view = self.viewport().rect()
        return min(view.width() / max(rect.width(), 1), view.height() / max(rect.height(), 1))

    def fit_to_view(self, rect: QRectF | None = None) -> None:
        """Show the whole network (or `rect`), never larger than 1:1; the
        whole network is fitted again when the viewport is resized a lot."""
        if not isinstance(rect, QRectF):
            self._remember(self.fit_to_view)
        else:
            self._auto_view = None  # a part of it, e.g. a selection: the user's choice
        with self._placing_view():
            self._fit(rect if isinstance(rect, QRectF) else self.network_rect())

    def _fit(self, rect: QRectF | None) -> None:
        self.resetTransform()
        if rect is None:
            self.centerOn(0, 0)
            self.zoom_changed.emit(1.0)
            return
        self.set_zoom(min(1.0, self._fit_zoom(rect)))
        self.centerOn(rect.center())

    def show_network(self) -> None:
        """The first view of a network: all of it when that stays legible;
        otherwise its start (the inputs: left, and top when wrapped into bands)
        at a zoom where every label reads, with the minimap showing the rest.
        F fits everything. Chosen again on a big resize until the user moves."""
        self._remember(self.show_network)
        with self._placing_view():
            self._show_start()

    def _show_start(self) -> None:
        rect = self.network_rect()
        if rect is None or self._fit_zoom(rect) >= LEGIBLE_ZOOM:
            self._fit(rect)
            return
        self.resetTransform()
        self.set_zoom(START_ZOOM)
        width, height = self.viewport().width() / self.zoom(), self.viewport().height() / self.zoom()
        x = rect.left() + width / 2 if rect.width() > width else rect.center().x()
        y = rect.top() + height / 2 if rect.height() > height else rect.center().y()
        self.centerOn(QPointF(x, y))
        self.minimap.invalidate_now()

    def center_on_node(self, node_id: str) -> None:
        item = self.graph_scene.node_items.get(node_id)
        if item is not None:
            if self.zoom() < READABLE_ZOOM:
                self.resetTransform()
                self.set_zoom(0.8)
            self.centerOn(item.sceneBoundingRect().center())

    # ------------------------------------------------------------------- pan
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        pan = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space)
        if pan:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        item = self.itemAt(event.position().toPoint())
        while item is not None and not hasattr(item, "node_id"):
            item = item.parentItem()
        if item is not None and not hasattr(item, "is_output"):  # a layer, not one of its ports
            self.node_double_clicked.emit(item.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan_from is not None:
            self._pan_from = None
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor)
            event.accept()
            return
        super().mouseReleaseEvent(event)

    # ------------------------------------------------------------------- keys
    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.setDragMode(QGraphicsView.DragMode.NoDrag)
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        if event.key() == Qt.Key.Key_Tab and not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.request_quick_add()
            return
        if event.key() == Qt.Key.Key_Escape:
            self.graph_scene.clearSelection()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def contextMenuEvent(self, event) -> None:  # noqa: N802
        """Right click: a layer or connection under the cursor joins the selection first."""
        pos = self.mapToScene(event.pos())
        item = self.itemAt(event.pos())
        while item is not None and not item.flags() & item.GraphicsItemFlag.ItemIsSelectable:
            item = item.parentItem()
        if item is not None and not item.isSelected():
            self.graph_scene.clearSelection()
            item.setSelected(True)
        self.context_menu_requested.emit(event.globalPos(), pos)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - keep Tab for quick-add
        return False

    def request_quick_add(self) -> None:
        local = self.viewport().mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
        self.quick_add_requested.emit(self.viewport().mapToGlobal(local), self.mapToScene(local))

    def cursor_scene_pos(self) -> QPointF:
        local = self.viewport().mapFromGlobal(self.cursor().pos())
        if not self.viewport().rect().contains(local):
            local = self.viewport().rect().center()
        return self.mapToScene(local)

    # ------------------------------------------------------------ drag & drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if not event.mimeData().hasFormat(LAYER_MIME):
            event.ignore()
            return
        edge = self.graph_scene.edge_at(self.mapToScene(event.position().toPoint()))
        self._set_drop_edge(edge)
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:  # noqa: N802
        self._set_drop_edge(None)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        if not event.mimeData().hasFormat(LAYER_MIME):
            event.ignore()
            return
        type_name = bytes(event.mimeData().data(LAYER_MIME).data()).decode("utf-8")
        pos = self.mapToScene(event.position().toPoint())
        edge = self.graph_scene.edge_at(pos)
        self._set_drop_edge(None)
        # never on top of another layer (a drop onto a short edge is between two of them)
        top_left = free_spot(node_rects(self.graph_scene), (pos.x() - NODE_W / 2, pos.y() - NODE_H / 2),
                             (NODE_W, NODE_H))
        editor = self.graph_scene.editor
        if edge is not None:
            editor.insert_on_edge(type_name, edge.edge, top_left)
        else:
            editor.add_node(type_name, top_left)
        event.acceptProposedAction()
        self.setFocus()

    def _set_drop_edge(self, edge: EdgeItem | None) -> None:
        if self._drop_edge is not None and self._drop_edge is not edge and self._drop_edge.scene() is not None:
            self._drop_edge.set_drop_target(False)
        self._drop_edge = edge
        if edge is not None:
            edge.set_drop_target(True)

    # --------------------------------------------------------------- drawing
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        t = theme.current()
        painter.fillRect(rect, t.color("background"))
        zoom = self.zoom()
        for step, colour in ((GRID, "grid_minor"), (GRID * 5, "grid_major")):
            if step * zoom < 7:  # too dense to be useful (and slow): skip
                continue
            painter.setPen(QPen(t.color(colour), 0))
            left = math.floor(rect.left() / step) * step
            top = math.floor(rect.top() / step) * step
            lines = []
            x = left
            while x < rect.right():
                lines.append(QLineF(x, rect.top(), x, rect.bottom()))
                x += step
            y = top
            while y < rect.bottom():
                lines.append(QLineF(rect.left(), y, rect.right(), y))
                y += step
            painter.drawLines(lines)

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        if self.graph_scene.node_items:
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(theme.current().color("hint"))
        painter.setFont(font(13))
        painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter,
                         "Drag layers here from the palette, or press Tab to add one.\n"
                         "Start with an Input, end with an Output.")
        painter.restore()

    def refresh_theme(self) -> None:
        self.resetCachedContent()
        self.viewport().update()
