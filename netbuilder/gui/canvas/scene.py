"""The canvas scene: renders the Graph and forwards gestures to the Editor.

The scene listens to Graph events (node_added, edge_removed, group_added,
reset...) and to each new ShapeReport; it never changes the model itself. Gestures that edit
(finish a drag, connect two ports) go to the Editor, which pushes undo
commands; the resulting Graph events update the items.

A big network (more than EAGER_NODES layers) gets its items in batches,
its start first (item_batches.py); edits meanwhile touch only the items that
exist (or the one they ask for), the rest are built from the model as it is.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QObject, QPointF, QRectF, QTimer, Signal
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from netbuilder.core.graph import Edge, Graph, GraphEvent
from netbuilder.core.io import gc_paused
from netbuilder.core.shapes import OK, ShapeReport, format_shape
from netbuilder.gui.canvas.edge_item import DraftEdge, EdgeItem
from netbuilder.gui.canvas.group_item import GroupItem
from netbuilder.gui.canvas.item_batches import SHOW_AT_ONCE, ItemBatches, NodeItems
from netbuilder.gui.canvas.node_item import NodeItem
from netbuilder.gui.canvas.overview import Overview
from netbuilder.gui.canvas.port_item import PortItem
from netbuilder.gui.canvas.style import NODE_W
from netbuilder.gui.editor import Editor
from netbuilder.gui.live import LiveShapes

# The item index (Qt's BSP tree) is cut over the scene's rect: over a 2,000,000-pixel world
# every query found all 60,000 items of a 20,000-layer network (18 ms for any repaint). The
# scene's rect is the network's, this much larger on each side, and grows when a layer leaves
# it; the view keeps its own, unbounded rect, so panning stays free.
INDEX_MARGIN = 4000.0
INDEX_CELL = 500.0
SNAP_RADIUS = 16.0  # how close a release must be to a port to connect
EAGER_NODES = 2000  # up to this many layers, every item is created at once
FIRST_BATCH = 1000  # a big network's first items: more than a screen shows at the start zoom


class GraphScene(ItemBatches, QGraphicsScene):
    nodes_rebuilt = Signal()  # after a reset (new file): the view refits
    layout_changed = Signal()  # nodes added, removed, moved or re-checked: the minimap redraws
    # a connection dragged from (node, port, is_output) and let go on empty canvas at a scene point
    connection_dropped = Signal(str, int, bool, QPointF)
    group_rename_requested = Signal(str)  # a group's title was double-clicked

    def __init__(self, graph: Graph, editor: Editor, live: LiveShapes, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph, self.editor, self.live = graph, editor, live
        self.snap = False
        self.node_items = NodeItems(self._make_on_demand)
        self._pending: dict[str, None] = {}  # nodes whose items are still to be created, in order
        self._batched = False  # the current network's items are made in batches (a big network)
        self._batches = QTimer(self)
        self._batches.setSingleShot(True)
        self._batches.setInterval(0)
        self._batches.timeout.connect(self._batch_turn)
        self._unshown: set[str] = set()  # layers whose new shapes are still to be shown (a big change)
        self._shapes_timer = QTimer(self)
        self._shapes_timer.setSingleShot(True)
        self._shapes_timer.setInterval(0)
        self._shapes_timer.timeout.connect(self._shapes_turn)
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.group_items: dict[str, GroupItem] = {}
        self._applied: dict[str, object] = {}  # node id -> the NodeShapes last shown
        self._dirty: set[str] = set()  # nodes whose ports/params changed since the last report
        self._drag_port: PortItem | None = None
        self._draft: DraftEdge | None = None
        self._target: PortItem | None = None
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.overview = Overview(self)  # the network zoomed far out (the view switches it on)
        self._unsubscribe = graph.subscribe(self._on_graph_event)
        live.checked.connect(self.apply_report)
        editor.nodes_created.connect(self.select_nodes)
        self.rebuild()

    # ------------------------------------------------------------ model → items
    def rebuild(self) -> None:
        with gc_paused():  # thousands of items, all kept: see core.io.gc_paused
            self._rebuild()
        self.nodes_rebuilt.emit()

    def _rebuild(self) -> None:
        self.clearSelection()
        self._batches.stop()
        self._pending = {}
        self._shapes_timer.stop()
        self._unshown = set()
        for item in list(self.edge_items.values()):
            self.removeItem(item)
        for item in [*self.node_items.values(), *self.group_items.values()]:
            self.removeItem(item)
        self.node_items.clear()
        self.edge_items.clear()
        self.group_items.clear()
        self._applied.clear()
        self._dirty = set()
        self._index_around(self._model_bounds())
        self._batched = len(self.graph) > EAGER_NODES
        if not self._batched:
            for node in self.graph:
                self._add_node_item(node.id)
            for edge in self.graph.edges:
                self._add_edge_item(edge)
            self._dirty = set(self.node_items)
        else:
            order = self._creation_order()
            self._pending = dict.fromkeys(order[FIRST_BATCH:])
            self._materialise(order[:FIRST_BATCH])
            self._batches.start()
        for group_id in self.graph.groups:
            self._add_group_item(group_id)
        self.apply_report(self.live.report)
        self.overview.rebuild()

    def _model_bounds(self) -> QRectF:
        """Where the layers' corners are (their size is well within INDEX_MARGIN)."""
        xs = [n.pos[0] for n in self.graph]
        ys = [n.pos[1] for n in self.graph]
        return QRectF(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)) if xs else QRectF()

    def _index_around(self, rect: QRectF) -> None:
        m = INDEX_MARGIN
        rect = rect.adjusted(-m, -m, m, m)
        self.setSceneRect(rect)
        # cells of about INDEX_CELL² (a few layers each): Qt's own depth grows with the item count
        # (16 at 20,000 layers: each item in many tiny cells, and opening took a third longer)
        cells = rect.width() * rect.height() / INDEX_CELL ** 2
        self.setBspTreeDepth(min(14, max(5, math.ceil(math.log2(max(cells, 1.0))))))

    def item_moved(self, item: NodeItem) -> None:
        """A layer's item moved (a drag, undo, a new layer): keep it in the index's rect.
        Rebuilding the index is a tenth of a second at 20,000, so the rect grows by half
        its size at least: layers laid out one by one rebuild it a few times, not each time."""
        pos, rect = item.pos(), self.sceneRect()
        if not rect.adjusted(NODE_W, NODE_W, -NODE_W, -NODE_W).contains(pos):
            grow_x, grow_y = rect.width() / 4, rect.height() / 4  # each side
            inner = rect.adjusted(INDEX_MARGIN - grow_x, INDEX_MARGIN - grow_y, grow_x - INDEX_MARGIN,
                                  grow_y - INDEX_MARGIN)
            self._index_around(inner.united(QRectF(pos.x(), pos.y(), 1, 1)))
        self.overview.node_changed(item.node_id, ports=True)

    def _add_node_item(self, node_id: str) -> None:
        item = NodeItem(self.graph.nodes[node_id])
        self.node_items[node_id] = item
        self.addItem(item)
        self.overview.adopt(item)
        self.item_moved(item)

    def _add_edge_item(self, edge: Edge) -> bool:
        src, dst = self.node_items.peek(edge.src), self.node_items.peek(edge.dst)
        if src is None or dst is None or edge in self.edge_items:
            return False
        item = EdgeItem(edge, src, dst)
        self.edge_items[edge] = item
        self.addItem(item)
        self.overview.adopt(item)
        return True

    def _add_group_item(self, group_id: str) -> None:
        group = self.graph.groups[group_id]
        item = GroupItem(group_id, group.name, lambda: self._member_items(group_id))
        self.group_items[group_id] = item
        self.addItem(item)

    def _member_items(self, group_id: str) -> list[NodeItem]:
        group = self.graph.groups.get(group_id)
        members = group.nodes if group is not None else []
        return [item for n in members if (item := self.node_items.peek(n)) is not None]

    def _on_group_event(self, event: GraphEvent) -> None:
        gid = event.group_id
        if event.kind == "group_added":
            self._add_group_item(gid)
        elif event.kind == "group_removed":
            item = self.group_items.pop(gid, None)
            if item is not None:
                self.removeItem(item)
        elif gid in self.group_items:  # renamed or new members
            self.group_items[gid].set_name(self.graph.groups[gid].name)

    def refresh_groups(self, node_ids: list[str]) -> None:
        """Fit the frames of these nodes' groups around them again."""
        for gid in {g.id for n in node_ids if (g := self.graph.group_of(n)) is not None}:
            item = self.group_items.get(gid)
            if item is not None:
                item.update_geometry()

    def _on_graph_event(self, event: GraphEvent) -> None:
        kind, nid = event.kind, event.node_id
        if kind.startswith("group_"):
            self._on_group_event(event)
            return
        if kind in ("node_added", "node_removed", "node_moved"):
            self.layout_changed.emit()
        if kind == "node_added":
            self._add_node_item(nid)
            self._dirty.add(nid)
        elif kind == "node_removed":
            item = self.node_items.pop(nid, None)
            if item is not None:
                self.removeItem(item)
            self._pending.pop(nid, None)  # removed before its batch came
            self._applied.pop(nid, None)
            self._dirty.discard(nid)
            self.overview.node_changed(nid)
        elif kind == "edge_added":
            self._add_edge_item(event.edge)
            self._dirty.update((event.edge.src, event.edge.dst))
            self.overview.edge_changed(event.edge)
        elif kind == "edge_removed":
            item = self.edge_items.pop(event.edge, None)
            if item is not None:
                item.detach()
                self.removeItem(item)
            self.overview.edge_changed(event.edge, removed=True)
            self._dirty.update(n for n in (event.edge.src, event.edge.dst) if self.node_items.peek(n) is not None)
        elif kind in ("params_changed", "shares_changed"):  # shares: the node's ⇄ badge
            item = self.node_items.get(nid)
            if item is not None:
                item.refresh(self.graph.nodes[nid])
                for edge in item.edges:
                    edge.update_geometry()
                self.refresh_groups([nid])  # the node may have grown (more ports)
                self._dirty.add(nid)
                self.overview.adopt(item)  # new ports draw nothing either when zoomed out
                self.overview.node_changed(nid, ports=True)
        elif kind == "node_moved":
            item = self.node_items.get(nid)
            pos = QPointF(*self.graph.nodes[nid].pos)
            if item is not None and item.pos() != pos:
                item.setPos(pos)
                self.refresh_groups([nid])
        elif kind == "reset":
            self.rebuild()

    def apply_report(self, report: ShapeReport) -> None:
        """Show the shape check on the nodes and edges it changed."""
        changed = set(self._dirty)
        nodes = report.nodes
        if report.changed is not None and len(report.changed) > SHOW_AT_ONCE:
            # a reshape of everything: those the check names did change, and are shown in slices;
            # comparing 20,000 with what is shown first held the editor 10-30 ms
            changed.update(report.changed)
            changed.intersection_update(nodes)
        else:  # the check names the nodes it changed; comparing all 20,000 after each edit was a frame's worth
            for nid in (report.changed if report.changed is not None else nodes):
                info = nodes.get(nid)
                if info is not None and self._applied.get(nid) is not info:
                    changed.add(nid)
        self._dirty.clear()
        changed.difference_update(self._pending)  # shown when their items exist
        if changed:
            self.layout_changed.emit()
        self._show_soon(changed, report)

    def _show_new(self) -> None:
        """Shapes on the items just created (and the edges they completed)."""
        report = self.live.latest  # a check in flight shows its changes when it is done
        changed, self._dirty = self._dirty, set()
        self._show(changed, report)

    def _show(self, changed: set[str], report: ShapeReport) -> None:
        for nid in changed:
            item = self.node_items.peek(nid)
            if item is None or nid not in report.nodes:
                continue
            info = report.nodes[nid]
            ins = {e.dst_port for e in self.graph.in_edges(nid)}
            outs = {e.src_port for e in self.graph.out_edges(nid)}
            item.set_shapes(info, ins, outs)
            self._applied[nid] = info
            self.overview.node_changed(nid)
            for edge_item in item.edges:
                if edge_item.src is item:
                    self._label_edge(edge_item, report)

    def _label_edge(self, item: EdgeItem, report: ShapeReport) -> None:
        e = item.edge
        info = report.nodes.get(e.src)
        ok = info is not None and info.status == OK and e.src_port < len(info.outputs)
        item.set_label(format_shape(info.outputs[e.src_port]) if ok else "", problem=not ok)

    def helpEvent(self, event) -> None:  # noqa: N802
        """Items write their tooltips only when one is about to be shown."""
        for item in self.items(event.scenePos()):
            sync = getattr(item, "sync_tooltip", None)
            if sync is not None:
                sync()
        super().helpEvent(event)

    def refresh_theme(self) -> None:
        for item in self.items():
            item.update()
        self.overview.refresh_theme()

    # ------------------------------------------------------------- selection
    def selected_node_ids(self) -> list[str]:
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [nid for nid in self.graph.nodes if nid in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids: list[str]) -> None:
        """Select exactly these layers, announcing the new selection once: Qt emits
        selectionChanged per item, and each one rebuilt the inspector (a layer's form,
        then the "N layers selected" page, for one paste of N layers)."""
        before = set(self.selectedItems())
        blocked = self.blockSignals(True)
        try:
            self.clearSelection()
            for nid in node_ids:
                item = self.node_items.get(nid)
                if item is not None:
                    item.setSelected(True)
        finally:
            self.blockSignals(blocked)
        if not blocked and set(self.selectedItems()) != before:
            self.selectionChanged.emit()

    def selected_group_ids(self) -> list[str]:
        """Groups with a selected layer, in group order."""
        chosen = {g.id for n in self.selected_node_ids() if (g := self.graph.group_of(n)) is not None}
        return [gid for gid in self.graph.groups if gid in chosen]

    def group_at(self, pos: QPointF) -> GroupItem | None:
        """The group whose title band is at `pos`."""
        for item in self.items(pos):
            if isinstance(item, GroupItem):
                return item
        return None

    def edge_at(self, pos: QPointF) -> EdgeItem | None:
        for item in self.items(QRectF(pos.x() - 6, pos.y() - 6, 12, 12)):
            if isinstance(item, EdgeItem):
                return item
        return None

    def port_at(self, pos: QPointF, radius: float = SNAP_RADIUS) -> PortItem | None:
        best, best_d = None, radius * radius
        for item in self.items(QRectF(pos.x() - radius, pos.y() - radius, 2 * radius, 2 * radius)):
            if isinstance(item, PortItem):
                d = item.scenePos() - pos
                dist = d.x() ** 2 + d.y() ** 2
                if dist <= best_d:
                    best, best_d = item, dist
        return best

    # ------------------------------------------------------------ connecting
    def begin_connection(self, port: PortItem) -> None:
        self._drag_port = port
        self._draft = DraftEdge()
        self.addItem(self._draft)
        self._draft.set_ends(port.scenePos(), port.scenePos(), port.is_output)

    def drag_connection(self, pos: QPointF) -> None:
        if self._drag_port is None or self._draft is None:
            return
        target = self._compatible(self.port_at(pos))
        if target is not self._target:
            if self._target is not None:
                self._target.set_highlight(False)
            self._target = target
            if target is not None:
                target.set_highlight(True)
        end = target.scenePos() if target is not None else pos
        self._draft.set_ends(self._drag_port.scenePos(), end, self._drag_port.is_output)

    def end_connection(self, pos: QPointF) -> None:
        start, self._drag_port = self._drag_port, None
        if self._draft is not None:
            self.removeItem(self._draft)
            self._draft = None
        if self._target is not None:
            self._target.set_highlight(False)
            self._target = None
        if start is None:
            return
        end = self._compatible(self.port_at(pos), start)
        if end is None:
            other = self.port_at(pos)
            if other is not None and other is not start:
                side = "an input to an output" if other.is_output == start.is_output else "two different layers"
                self.editor.message.emit(f"Cannot connect: connect {side}.")
            elif other is None and not any(isinstance(i, NodeItem) for i in self.items(pos)):
                self.connection_dropped.emit(start.node_id, start.index, start.is_output, pos)
            return
        src, dst = (start, end) if start.is_output else (end, start)
        self.editor.connect(src.node_id, src.index, dst.node_id, dst.index)

    def _compatible(self, port: PortItem | None, start: PortItem | None = None) -> PortItem | None:
        start = start or self._drag_port
        if port is None or start is None or port is start:
            return None
        if port.is_output == start.is_output or port.node_id == start.node_id:
            return None
        return port

    # ------------------------------------------------------------------ moves
    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseMoveEvent(event)
        if self.group_items and isinstance(self.mouseGrabberItem(), NodeItem):  # dragging layers
            self.refresh_groups(self.selected_node_ids())

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        super().mouseReleaseEvent(event)
        self.commit_moves()

    def commit_moves(self) -> None:
        """Turn where the user dragged nodes into one undoable move."""
        moves = {}
        for nid, item in self.node_items.items():
            node = self.graph.nodes.get(nid)
            new = (item.pos().x(), item.pos().y())
            if node is not None and item.isSelected() and new != node.pos:
                moves[nid] = (node.pos, new)
        if moves:
            self.editor.move_nodes(moves)

    def close(self) -> None:
        self._unsubscribe()
