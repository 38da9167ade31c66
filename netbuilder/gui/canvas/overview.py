"""The canvas zoomed far out: the whole network drawn as one picture.

Below OVERVIEW_ZOOM a layer is a coloured block a few pixels wide. Painting
those blocks one QGraphicsItem at a time (a Python `paint()` per layer, port
and connection) held the editor 1.5 s per repaint at 20,000 layers, and
230-270 ms after every edit. In overview mode the layer, port and connection
items keep their places, selection and hit-testing but draw nothing
(ItemHasNoContents: Qt then skips them in C++), and this one item draws every
block and connection from recorded QPictures instead.

The scene is cut into TILE-sized squares, one picture each: an edit records
again only the tiles of the layers it changed (a few hundred boxes), and a
repaint replays pictures in C++. What a block shows comes from its item where
there is one (its place during a drag, its status) and from the model where
items are still being made (item_batches.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QPicture
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem
from shiboken6 import isValid

from netbuilder.core.graph import Edge
from netbuilder.core.shapes import ERROR, WAITING
from netbuilder.gui import theme
from netbuilder.gui.canvas.node_item import shown_status
from netbuilder.gui.canvas.style import LOD_TITLE, NODE_W, layer_bounds, node_height, port_y

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.canvas.scene import GraphScene

OVERVIEW_ZOOM = LOD_TITLE  # below it a node item would paint only its coloured block anyway
TILE = 4000.0  # scene pixels per recorded picture (about 500 layers at the layout's spacing)
# connections longer than a tile (from the end of one band to the start of the next) are drawn
# one by one where exposed: in a tile's picture they would make every repaint replay that tile
LONG = (-(2 ** 31), 0)
_NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
Box = tuple[float, float, float, str]  # x, y, height, colour key


class Overview(QGraphicsItem):
    """Draws the network while the view is zoomed out; see the module's docstring."""

    def __init__(self, scene: "GraphScene") -> None:
        super().__init__()
        self.graph_scene = scene
        self.active = False
        self._boxes: dict[str, Box] = {}
        self._lines: dict[Edge, QLineF] = {}
        self._tiles: dict[tuple[int, int], dict[str, Box]] = {}  # by a box's top-left corner
        self._tile_lines: dict[tuple[int, int], dict[Edge, QLineF]] = {}  # by the source's tile
        self._line_tile: dict[Edge, tuple[int, int]] = {}
        self._ports: dict[str, tuple[int, int]] = {}  # node id -> its inputs, outputs
        self._pictures: dict[tuple[int, int], QPicture] = {}  # recorded tiles (stale ones absent)
        self._colours: dict[str, QColor] = {}
        self._bounds = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)  # for exposedRect
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks go to the layers or the rubber band
        self.setZValue(-1)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setVisible(False)
        scene.addItem(self)
        scene.selectionChanged.connect(self._selection_changed)

    # ------------------------------------------------------------------ mode
    def set_active(self, on: bool) -> None:
        """Enter (the view zoomed out past OVERVIEW_ZOOM) or leave overview mode."""
        if on == self.active:
            return
        self.active = on
        scene = self.graph_scene
        for item in scene.node_items.values():
            self._set_contents(item, not on)
        for edge in scene.edge_items.values():
            edge.setFlag(_NO_CONTENTS, on)
        if on:
            self.rebuild()
        else:
            self._forget()
        self.setVisible(on)

    @staticmethod
    def _set_contents(item: QGraphicsItem, shown: bool) -> None:
        item.setFlag(_NO_CONTENTS, not shown)
        for child in item.childItems():  # its ports
            child.setFlag(_NO_CONTENTS, not shown)

    def adopt(self, item: QGraphicsItem) -> None:
        """A layer or connection item made (or given new ports) while zoomed out draws nothing."""
        if self.active:
            self._set_contents(item, False)

    def _forget(self) -> None:
        self._boxes, self._lines, self._line_tile, self._ports = {}, {}, {}, {}
        self._tiles, self._tile_lines, self._pictures = {}, {}, {}

    def rebuild(self) -> None:
        """Every layer and connection again (a new network, or entering overview mode)."""
        if not self.active:
            return
        self._forget()
        self._colours = {}
        graph = self.graph_scene.graph
        for nid in graph.nodes:
            self._place(nid)
        for edge in graph.edges:
            self._line(edge)
        self._bounds = QRectF()
        self._grow(list(self._boxes.values()))
        self.update()

    # --------------------------------------------------------- what changed
    def node_changed(self, node_id: str, ports: bool = False) -> None:
        """A layer was added, removed, moved, re-checked or (`ports`) given other ports: its
        block, and its connections unless the block stayed as it was."""
        if not self.active:
            return
        old = self._boxes.get(node_id)
        graph = self.graph_scene.graph
        new = self._place(node_id)
        if new == old and new is not None and not ports:
            return
        edges: Iterable[Edge] = (*graph.in_edges(node_id), *graph.out_edges(node_id)) if new is not None else ()
        for edge in edges:
            self.edge_changed(edge)
        self._repaint([b for b in (old, new) if b is not None])

    def edge_changed(self, edge: Edge, removed: bool = False) -> None:
        if not self.active:
            return
        old = self._lines.get(edge)
        if removed:
            self._drop_line(edge)
            new = None
        else:
            new = self._line(edge)
        if new == old:
            return
        for line in (old, new):
            if line is not None:
                self.update(QRectF(line.p1(), line.p2()).normalized().adjusted(-4, -4, 4, 4))

    def _selection_changed(self) -> None:
        if self.active and isValid(self):  # a closing scene deletes its items, this one first
            self.update()

    # ------------------------------------------------------------- the data
    def _geometry(self, node_id: str) -> tuple[Box, int, int] | None:
        """(x, y, height, colour key), inputs, outputs of a layer: its item's, or the model's."""
        scene = self.graph_scene
        node = scene.graph.nodes.get(node_id)
        if node is None:
            return None
        item = scene.node_items.peek(node_id)
        if item is not None:
            pos = item.pos()
            box = (pos.x(), pos.y(), item.height, self._key(node.spec.category, item.status))
            return box, len(item.inputs), len(item.outputs)
        n_in, n_out = len(node.input_ports()), len(node.output_ports())
        key = self._key(node.spec.category, shown_status(scene.live.latest.nodes.get(node_id)))
        return (node.pos[0], node.pos[1], node_height(n_in, n_out), key), n_in, n_out

    def _key(self, category: str, status: str) -> str:
        """The colour of a block: the error colour, or its category's (pale while it waits)."""
        waiting = status == WAITING
        key = "error" if status == ERROR else f"{category}/{'waiting' if waiting else 'ok'}"
        if key not in self._colours:
            t = theme.current()
            colour = QColor(t.color("error") if status == ERROR else theme.category_color(category))
            if waiting:
                colour.setAlpha(140)  # a node item's 0.55 opacity
            self._colours[key] = colour
        return key

    def _place(self, node_id: str) -> Box | None:
        """Put the layer's block in its tile (a tile whose content changes is recorded again)."""
        old = self._boxes.get(node_id)
        geometry = self._geometry(node_id)
        box = geometry[0] if geometry is not None else None
        if geometry is not None:
            self._ports[node_id] = geometry[1:]
        else:
            self._ports.pop(node_id, None)
        if box == old:
            return box
        if old is not None:
            del self._boxes[node_id]
            self._tile_of(old).pop(node_id, None)
            self._pictures.pop(_tile(old[0], old[1]), None)
        if box is not None:
            self._boxes[node_id] = box
            self._tile_of(box)[node_id] = box
            self._pictures.pop(_tile(box[0], box[1]), None)
        return box

    def _line(self, edge: Edge) -> QLineF | None:
        src, dst = self._boxes.get(edge.src), self._boxes.get(edge.dst)  # placed before their edges
        if src is None or dst is None:
            self._drop_line(edge)
            return None
        (sx, sy, sh, _), s_out = src, self._ports[edge.src][1]
        (dx, dy, dh, _), d_in = dst, self._ports[edge.dst][0]
        line = QLineF(sx + NODE_W, sy + port_y(edge.src_port, s_out, sh), dx, dy + port_y(edge.dst_port, d_in, dh))
        key = _tile(sx, sy) if abs(line.dx()) < TILE and abs(line.dy()) < TILE else LONG
        if self._lines.get(edge) == line and self._line_tile.get(edge) == key:
            return line  # as it was (a layer's params changed, not its ports): its tile stays recorded
        self._drop_line(edge)
        self._lines[edge], self._line_tile[edge] = line, key
        self._tile_lines.setdefault(key, {})[edge] = line
        self._pictures.pop(key, None)
        return line

    def _drop_line(self, edge: Edge) -> None:
        if self._lines.pop(edge, None) is not None:
            key = self._line_tile.pop(edge)
            self._tile_lines[key].pop(edge, None)
            self._pictures.pop(key, None)

    def _tile_of(self, box: Box) -> dict[str, Box]:
        return self._tiles.setdefault(_tile(box[0], box[1]), {})

    def _grow(self, boxes: list[Box]) -> None:
        """The item's bounds only grow, a tile beyond what is needed: a change of bounds
        repaints all of the item, and a shrink would cost a pass over every layer."""
        if not boxes:
            return
        rect = layer_bounds(boxes)
        if not self._bounds.contains(rect):
            self.prepareGeometryChange()
            rect = rect.adjusted(-TILE, -TILE, TILE, TILE)
            self._bounds = self._bounds.united(rect) if not self._bounds.isNull() else rect

    def _repaint(self, boxes: list[Box]) -> None:
        self._grow(boxes)
        for x, y, h, _ in boxes:
            self.update(QRectF(x - 4, y - 4, NODE_W + 8, h + 8))

    # -------------------------------------------------------------- drawing
    def boundingRect(self) -> QRectF:  # noqa: N802
        return self._bounds

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        exposed = option.exposedRect  # an edit repaints a few blocks: replay only the tiles there
        # exposedRect bounds every part waiting for a repaint: a block added off-screen and the next
        # edit's block far from it span half the network (20 ms of pictures at 20,000 layers). The
        # clip is the parts themselves, and Qt would drop whatever a picture draws outside it.
        clip = painter.clipRegion() if painter.hasClipping() else None
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)  # blocks a few pixels wide
        for key in self._tiles.keys() | (self._tile_lines.keys() - {LONG}):
            picture = self._pictures.get(key)
            if picture is None:
                picture = self._pictures[key] = self._record(key)
            bounds = picture.boundingRect()
            if QRectF(bounds).intersects(exposed) and (clip is None or clip.intersects(bounds)):
                painter.drawPicture(0, 0, picture)
        long = [line for line in self._tile_lines.get(LONG, {}).values()
                if QRectF(line.p1(), line.p2()).normalized().adjusted(-1, -1, 1, 1).intersects(exposed)]
        if long:
            painter.setPen(self._edge_pen())
            painter.drawLines(long)
        self._paint_selection(painter)

    def _record(self, key: tuple[int, int]) -> QPicture:
        picture = QPicture()
        painter = QPainter(picture)
        lines = self._tile_lines.get(key)
        if lines:
            painter.setPen(self._edge_pen())
            painter.drawLines(list(lines.values()))
        by_colour: dict[str, list[QRectF]] = {}
        for x, y, h, colour in self._tiles.get(key, {}).values():
            by_colour.setdefault(colour, []).append(QRectF(x, y, NODE_W, h))
        painter.setPen(Qt.PenStyle.NoPen)
        for colour, rects in by_colour.items():
            painter.setBrush(self._colours[colour])
            painter.drawRects(rects)
        painter.end()
        return picture

    @staticmethod
    def _edge_pen() -> QPen:
        pen = QPen(theme.current().color("edge"), 1.0)
        pen.setCosmetic(True)
        return pen

    def _paint_selection(self, painter: QPainter) -> None:
        chosen = [self._boxes[i.node_id] for i in self.graph_scene.selectedItems()
                  if getattr(i, "node_id", None) in self._boxes]
        if chosen:
            pen = QPen(theme.current().color("selection"), 3.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRects([QRectF(x, y, NODE_W, h) for x, y, h, _ in chosen])

    def refresh_theme(self) -> None:
        if self.active:
            self.rebuild()


def _tile(x: float, y: float) -> tuple[int, int]:
    return int(x // TILE), int(y // TILE)
