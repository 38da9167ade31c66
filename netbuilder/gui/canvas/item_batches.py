"""A big network's canvas items, created in batches (issue 18).

GraphScene creates every item at once up to scene.EAGER_NODES layers. Beyond
that, the layers nearest the network's start (what the first view shows)
get items at once and the rest follow on later turns of the event loop,
BATCH_S at a time: a 20,000-layer file is painted in about two seconds and
the editor answers while the rest appear. Asking `node_items` for one layer
(`in`, `[]`, `get`) creates its item on the spot; an edit changes only items
that exist, later batches build theirs from the model as it is then.

An edit that changes the shapes of more than SHOW_AT_ONCE layers (the Input's
shape at the head of 20,000) has them shown the same way, BATCH_S at a time:
drawing them all in one turn held the editor 2 s.
"""

from __future__ import annotations

import gc
import itertools
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF

from netbuilder.core.io import gc_paused
from netbuilder.gui import turns
from netbuilder.gui.canvas.style import NODE_W, node_height

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.gui.canvas.node_item import NodeItem

SHOW_AT_ONCE = 2000  # up to this many layers with new shapes, they are shown in the same turn
BATCH_S = 0.008  # each later batch of items takes about this long: with the repaint it follows, under a frame
VIEW_SHAPE = (1100.0, 600.0)  # the first view's shape: its start is created first


class NodeItems(dict):
    """node id → NodeItem. While items are still being created in batches,
    asking for one node creates its item at once; iterating gives those that
    exist so far (`peek` looks without creating)."""

    def __init__(self, make) -> None:
        super().__init__()
        self._make = make

    def peek(self, node_id: str) -> "NodeItem | None":
        return dict.get(self, node_id)

    def __contains__(self, node_id: object) -> bool:
        return dict.__contains__(self, node_id) or self._make(node_id) is not None

    def __getitem__(self, node_id: str) -> "NodeItem":
        item = dict.get(self, node_id) or self._make(node_id)
        if item is None:
            raise KeyError(node_id)
        return item

    def get(self, node_id: str, default=None):
        item = dict.get(self, node_id) or self._make(node_id)
        return default if item is None else item


class ItemBatches:
    """GraphScene's half that creates items later (uses its graph, live
    check, item dicts, _pending, _batches timer, _dirty and _show_new)."""

    @property
    def pending(self) -> int:
        """How many layers have no item yet (0 once a rebuild is complete)."""
        return len(self._pending)

    def busy(self) -> bool:
        """Items or shapes are still being shown in slices (the minimap waits for them)."""
        return bool(self._pending or self._unshown)

    def _creation_order(self) -> list[str]:
        """Node ids, those the first view shows (the network's start: left,
        then top) first: by distance from the top-left corner in views."""
        nodes = list(self.graph)
        left = min(n.pos[0] for n in nodes)
        top = min(n.pos[1] for n in nodes)
        w, h = VIEW_SHAPE

        def distance(node) -> float:
            return max((node.pos[0] - left) / w, (node.pos[1] - top) / h)
        return [n.id for n in sorted(nodes, key=distance)]

    def _materialise(self, node_ids: list[str]) -> None:
        """Items for these nodes and their edges to nodes that have one."""
        node_ids = [nid for nid in node_ids if nid in self.graph.nodes]
        for nid in node_ids:
            self._pending.pop(nid, None)
            self._add_node_item(nid)
        for nid in node_ids:
            for edge in (*self.graph.in_edges(nid), *self.graph.out_edges(nid)):
                if edge not in self.edge_items and self._add_edge_item(edge):
                    self._dirty.add(edge.src)  # its source labels it
        self._dirty.update(node_ids)

    def _make_on_demand(self, node_id: object) -> "NodeItem | None":
        if node_id not in self._pending:
            return None
        self._materialise([node_id])  # type: ignore[list-item]
        self._show_new()
        return self.node_items.peek(node_id)  # type: ignore[arg-type]

    def _batch_turn(self) -> None:
        turns.run_shared(BATCH_S, self._next_batch, self._batches, background=True)  # see gui/turns.py

    def _shapes_turn(self) -> None:
        turns.run_shared(BATCH_S, self._next_shapes, self._shapes_timer, background=True)

    def _next_batch(self, seconds: float | None = None) -> None:
        """Create items for about `seconds` (BATCH_S), then yield to the event loop."""
        end = time.perf_counter() + (BATCH_S if seconds is None else seconds)
        with gc_paused():
            while self._pending and time.perf_counter() < end:
                self._materialise(list(itertools.islice(self._pending, 25)))  # 100 took longer than BATCH_S
                self._show_new()
            gc.freeze()  # the new items stay: out of the collector's way at once (see _next_shapes)
            # Qt indexes new items when next asked where items are, or 2 s after the last addItem: all
            # 20,000 layers' items at once (0.1 s). A one-point query indexes this batch's now.
            self.items(QPointF(0.0, 0.0))
        if self._pending:
            self._batches.start()
        else:
            self._items_complete()

    def _show_soon(self, changed: set[str], report) -> None:
        """Show new shapes on these layers: now, or for a big change in slices."""
        if len(changed) <= SHOW_AT_ONCE and not self._unshown:
            self._show(changed, report)
            return
        self._unshown.update(changed)
        self._shapes_timer.start()

    def _next_shapes(self, seconds: float | None = None) -> None:
        end = time.perf_counter() + (BATCH_S if seconds is None else seconds)
        report = self.live.latest  # a check in flight is not forced: its `checked` shows its changes
        with gc_paused():
            while self._unshown and time.perf_counter() < end:
                chunk = set(itertools.islice(self._unshown, 25))
                self._unshown.difference_update(chunk)
                self._show(chunk, report)
            # each item's new geometry replaces its old: the collector's count of new objects stays
            # near zero while its young list grows by all of them, and the next young pass, inside
            # whatever came next, walked 100,000 (16-20 ms at 20,000 layers). They stay: frozen.
            gc.freeze()
        if self._unshown:
            self._shapes_timer.start()

    def finish_shapes(self) -> None:
        """Show every pending shape now (before a screenshot, or for a test)."""
        self._shapes_timer.stop()
        chunk, self._unshown = self._unshown, set()
        if chunk:
            self._show(chunk, self.live.report)

    def finish_items(self) -> None:
        """Create every item still missing, now (before an edit, or for a test)."""
        if self._pending:
            self._batches.stop()
            with gc_paused():
                self._materialise(list(self._pending))
                self._show_new()
            self._items_complete()

    def _items_complete(self) -> None:
        for item in self.group_items.values():
            item.update_geometry()
        self.layout_changed.emit()
        if self._batched:
            # the items made after the open froze the network's objects (gui/document.py) are as
            # long-lived: keep them out of later collections too (one walked them all: 0.1-0.2 s)
            gc.freeze()

    def model_rect(self) -> QRectF | None:
        """Where the nodes are, from the model (every node, items or not)."""
        nodes = list(self.graph)
        if not nodes:
            return None
        xs, ys = [n.pos[0] for n in nodes], [n.pos[1] for n in nodes]
        bottom = max(n.pos[1] + node_height(len(n.input_ports()), len(n.output_ports())) for n in nodes)
        return QRectF(min(xs), min(ys), max(xs) + NODE_W - min(xs), bottom - min(ys))
