"""A group on the canvas: a labelled rounded frame behind its layers.

The frame is drawn from the member nodes' items (their union plus a margin
and a title band); the scene calls `update_geometry` when a member moves or
the membership changes. Only the title band takes the mouse, so a rubber
band can still start anywhere inside the frame: pressing the title selects
the group's layers, dragging it moves them (one undo step, committed by the
scene on release), double-clicking it asks to rename the group.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneMouseEvent, QStyleOptionGraphicsItem

from netbuilder.gui import theme
from netbuilder.gui.canvas.style import LOD_TITLE, font

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.canvas.node_item import NodeItem

NEAR = 60.0  # layers less than 2·NEAR apart share one frame (columns are 60 px apart, rows 36)
SIDE = 14.0  # margin left, right and below the member layers
TITLE_H = 32.0  # the title band above them (with GAP, inside the 44 px fit-to-view margin)
GAP = 6.0  # between the title band and the layers' top edge
RADIUS = 10.0
TITLE_PX = 13.0  # title size in screen pixels while the band is tall enough
Z = -2.0  # behind edges (0) and nodes (1)

# (fill, band, border, title) per theme: a neutral slate that never reads as a selection or an error
_COLOURS = {
    "dark": ("#8fa3c21a", "#8fa3c238", "#5d6b80", "#d3dae4"),
    "light": ("#5a6e8c12", "#5a6e8c2a", "#a9b4c4", "#2e3540"),
}


def _rgba(text: str) -> QColor:
    """'#rrggbbaa' (CSS order) as a QColor."""
    colour = QColor(text[:7])
    colour.setAlpha(int(text[7:9], 16) if len(text) > 7 else 255)
    return colour


def colours(name: str) -> tuple[QColor, QColor, QColor, QColor]:
    return tuple(_rgba(c) for c in _COLOURS.get(name, _COLOURS["dark"]))  # type: ignore[return-value]


class GroupItem(QGraphicsItem):
    def __init__(self, group_id: str, name: str, members: Callable[[], list["NodeItem"]]) -> None:
        super().__init__()
        self.group_id = group_id
        self.name = name
        self._members = members  # the member node items, looked up when needed (they come and go)
        self._rect = QRectF()  # all of the frame, in item coordinates (the item sits at its top-left)
        self._parts: list[QRectF] = []  # one frame around each cluster of nearby layers
        self._drag: tuple[QPointF, dict["NodeItem", QPointF]] | None = None
        self.setZValue(Z)
        self.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.update_geometry()

    # ------------------------------------------------------------- geometry
    def frame_rect(self) -> QRectF:
        """Everything the frame covers, in scene coordinates."""
        return self._rect.translated(self.pos())

    def part_rects(self) -> list[QRectF]:
        """The frame's parts in scene coordinates (one unless the layers lie apart)."""
        return [part.translated(self.pos()) for part in self._parts]

    def update_geometry(self) -> None:
        bodies = [m.mapRectToScene(m.body_rect()) for m in self._members()]
        if not bodies:
            return
        parts = _merged([box.adjusted(-SIDE, -(TITLE_H + GAP), SIDE, SIDE) for box in clusters(bodies)])
        box = parts[0]
        for part in parts[1:]:
            box = box.united(part)
        origin = box.topLeft()
        parts = [part.translated(-origin) for part in parts]
        if box.size() != self._rect.size() or parts != self._parts:
            self.prepareGeometryChange()
            self._rect, self._parts = QRectF(QPointF(0, 0), box.size()), parts
            self.update()
        if origin != self.pos():
            self.setPos(origin)
        self.setToolTip(f"<b>{_html(self.name)}</b><br>Group of {len(bodies)} layer{'s' * (len(bodies) != 1)}. "
                        "Drag the title to move it; double-click to rename; Ctrl+Shift+G ungroups.")

    def title_rect(self, part: int = 0) -> QRectF:
        """The title band of a part, in item coordinates."""
        rect = self._parts[part] if self._parts else self._rect
        return QRectF(rect.left(), rect.top(), rect.width(), TITLE_H)

    def set_name(self, name: str) -> None:
        self.name = name
        self.update_geometry()  # the tooltip
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._rect.adjusted(-2, -2, 2, 2)

    def shape(self) -> QPainterPath:
        """Only the title bands are solid to the mouse."""
        path = QPainterPath()
        for i in range(len(self._parts)):
            path.addRoundedRect(self.title_rect(i), RADIUS, RADIUS)
        return path

    # ------------------------------------------------------------- painting
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        fill, band, border, text = colours(theme.current().name)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(border, 1.4, Qt.PenStyle.DashLine if lod >= LOD_TITLE else Qt.PenStyle.SolidLine)
        pen.setCosmetic(True)  # the same width at every zoom
        for i, part in enumerate(self._parts):
            frame = QPainterPath()
            frame.addRoundedRect(part, RADIUS, RADIUS)
            painter.fillPath(frame, fill)
            top = QPainterPath()
            top.addRect(self.title_rect(i))
            painter.fillPath(frame.intersected(top), band)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawPath(frame)
            if lod >= LOD_TITLE:
                self._paint_title(painter, self.title_rect(i), text, lod)

    def _paint_title(self, painter: QPainter, band: QRectF, colour: QColor, lod: float) -> None:
        """The name, TITLE_PX on screen while it fits the band, then as big as the band allows."""
        f = QFont(font(10, bold=True))
        f.setPixelSize(max(1, int(min(TITLE_PX / lod, TITLE_H * 0.78))))
        painter.setFont(f)
        painter.setPen(colour)
        rect = band.adjusted(RADIUS, 0, -RADIUS, 0)
        label = QFontMetrics(f).elidedText(self.name, Qt.TextElideMode.ElideRight, int(rect.width()))
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label)

    # ---------------------------------------------------------------- mouse
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        """Select the group's layers (Ctrl adds them) and get ready to drag them."""
        scene = self.scene()
        if not event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            scene.clearSelection()
        members = self._members()
        for item in members:
            item.setSelected(True)
        self._drag = (event.scenePos(), {item: item.pos() for item in members})
        event.accept()

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._drag is None:
            return
        start, positions = self._drag
        delta = event.scenePos() - start
        for item, pos in positions.items():
            item.setPos(pos + delta)  # NodeItem snaps to the grid itself when snapping is on
        self.update_geometry()

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self._drag = None  # the scene turns the new positions into one undoable move

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        self._drag = None
        rename = getattr(self.scene(), "group_rename_requested", None)
        if rename is not None:
            rename.emit(self.group_id)
        event.accept()


def clusters(rects: list[QRectF], near: float = NEAR) -> list[QRectF]:
    """The bounding boxes of chains of rects less than 2·near apart, top first.

    A group's layers usually form one cluster; when a long network is wrapped
    into bands (layout.py) a group can be cut in two, far apart, and one box
    around both would frame half the network. Sweep over x: only rects whose
    right edge is within reach are compared."""
    parent = list(range(len(rects)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    grown = [r.adjusted(-near, -near, near, near) for r in rects]
    active: list[int] = []
    for i in sorted(range(len(rects)), key=lambda k: grown[k].left()):
        active = [j for j in active if grown[j].right() >= grown[i].left()]
        for j in active:
            if grown[i].intersects(grown[j]):
                parent[root(i)] = root(j)
        active.append(i)
    boxes: dict[int, QRectF] = {}
    for i, rect in enumerate(rects):
        r = root(i)
        boxes[r] = boxes[r].united(rect) if r in boxes else QRectF(rect)
    return sorted(boxes.values(), key=lambda b: (b.top(), b.left()))


def _merged(boxes: list[QRectF]) -> list[QRectF]:
    """Boxes that would overlap become one (frames never overlap each other)."""
    boxes = list(boxes)
    merged = True
    while merged:
        merged = False
        for i in range(len(boxes)):
            for j in range(i + 1, len(boxes)):
                if boxes[i].intersects(boxes[j]):
                    boxes[i] = boxes[i].united(boxes.pop(j))
                    merged = True
                    break
            if merged:
                break
    return sorted(boxes, key=lambda b: (b.top(), b.left()))


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
