"""Live shape checking: re-run `shapes.check` after edits, tell listeners.

Edits arrive as Graph events; a paste of fifty layers is fifty events, so the
check is coalesced into one run on the next turn of the event loop. The cache
dict makes each run cost only what the edit reaches, and the nodes the
events name (`touched`) tell the check where to start, so it never walks the
whole graph after a small edit. A check that reaches many nodes (a new
Input shape re-infers all 20,000 of a big network: 0.3-0.6 s) runs in slices of
SLICE_MS on that timer; an edit that comes in meanwhile drops it and hands what
it had left to the next (`ShapeCheck.left`). `report` is always current: reading
it finishes a pending check first. Readers on timers of their own read `latest`
(the last finished report) so they never force the rest of a check at once: a
`checked` signal follows when it is done.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer, Signal

from netbuilder.core.graph import Graph, GraphEvent
from netbuilder.core.io import gc_paused
from netbuilder.core.shape_state import kept_order
from netbuilder.core.shapes import SHAPE_EVENTS, ShapeCheck, ShapeReport, check, touched_by
from netbuilder.gui import turns

SLICE_MS = 8.0  # how long one turn of the event loop checks: half a 60 Hz frame
FREEZE_SLICE = 200  # a slice that replaced more results than this freezes them (see _step)
FREEZE_AFTER = 1000  # a check that replaced more results than this moves them out of the collector's way


class LiveShapes(QObject):
    checked = Signal(object)  # the new ShapeReport

    def __init__(self, graph: Graph, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph = graph
        self._cache: dict = {}
        self._report: ShapeReport = check(graph, cache=self._cache)
        self._touched: set[str] | None = set()  # None: not known (a new graph): compare every node
        self._changed: set[str] = set()  # results a dropped check already replaced (still to be shown)
        self._run: ShapeCheck | None = None  # the check in flight, a slice per turn of the event loop
        self._pending = False
        self.slice_seconds: list[float] = []  # how long each slice of the latest check held the thread (benchmarks)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._not_urgent = turns.urgent(self.busy)  # the canvas's and minimap's slices wait for it
        self._timer.timeout.connect(self._check_turn)
        self._unsubscribe = graph.subscribe(self._on_graph_event)

    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind not in SHAPE_EVENTS:
            return
        self._drop_run()
        if event.kind == "reset":
            self._cache.clear()  # another network: nothing to reuse
            self._touched, self._changed = None, set()
        elif self._touched is not None:
            self._touched.add(touched_by(event))
        self._pending = True
        self._timer.start()

    def _drop_run(self) -> None:
        """The graph changed under a check in flight: what it had left goes to the next one."""
        if self._run is None:
            return
        waiting, self._changed = self._run.left()
        self._run = None
        if waiting is None or self._touched is None:
            self._touched = None
        else:
            self._touched |= waiting

    @property
    def report(self) -> ShapeReport:
        """The check of the graph as it is now (a pending check finishes first)."""
        if self._pending:
            self.flush()
        return self._report

    @property
    def latest(self) -> ShapeReport:
        """The last finished check: current unless `busy()`, when `checked` comes later."""
        return self._report

    def busy(self) -> bool:
        """A check is due or under way."""
        return self._pending

    def slicing(self) -> bool:
        """A check has run some slices and not finished: reading `report` would do the rest at once."""
        return self._run is not None

    def order(self) -> list[str]:
        """Node ids, sources first, as the current check ordered them (a sort of 20,000
        nodes after every structural edit was 0.15 s)."""
        self.flush()  # a pending check first: the order is of the graph as it is
        return kept_order(self._cache, self.graph) or self.graph.topological_order()

    def flush(self) -> None:
        """Run a pending check to its end now and announce it."""
        self._timer.stop()
        if self._pending:
            self._finish(self._step(None))

    def _check_turn(self) -> None:
        turns.run_shared(SLICE_MS / 1000, self._run_slice, self._timer)  # one turn, shared with other slices

    def _run_slice(self, seconds: float | None = None) -> None:
        if not self._pending:
            return
        seconds = SLICE_MS / 1000 if seconds is None else seconds
        announce = self._run is not None and self._run.report is not None  # done last turn
        report = self._step(seconds)
        if report is None or (not announce and self.slice_seconds[-1] > seconds / 2):
            # done late in its slice: announced on the next turn, as what hears it (the canvas, the
            # panels) takes another 10 ms after a check of 20,000 layers
            self._timer.start()
        else:
            self._finish(report)

    def _step(self, seconds: float | None) -> ShapeReport | None:
        """Run the check in flight (or a new one) for `seconds` (None: to its end)."""
        run, start = self._start(), time.perf_counter()
        replaced = len(run.changed)
        with gc_paused():  # see _finish
            report = run.run(seconds)
        if len(run.changed) - replaced > FREEZE_SLICE:
            # new results replace old ones, so the collector's count of new objects stays low while
            # its young list grows by all of them: the next young pass, in another job's slice, walked
            # 100,000 (15-20 ms at 20,000 layers). They are kept: frozen now, slice by slice.
            gc.freeze()
        self.slice_seconds.append(time.perf_counter() - start)
        return report

    def _start(self) -> ShapeCheck:
        if self._run is None:
            if len(self._cache) > 20000 + 2 * len(self.graph):  # per-shape entries only grow: start afresh
                self._cache.clear()
                self._touched = None
            touched, self._touched = self._touched, set()
            changed, self._changed = self._changed, set()
            self._run = ShapeCheck(self.graph, self._cache, touched, changed)
            self.slice_seconds = []
        return self._run

    def _finish(self, report: ShapeReport | None) -> None:
        assert report is not None  # run() without a time limit, or a slice that got to the end
        self._run, self._pending, self._report = None, False, report
        if len(report.changed if report.changed is not None else report.nodes) > FREEZE_AFTER:
            # tens of thousands of new results, all kept: the next full collection would walk them
            # all (a 45-60 ms block of the editor after a reshape of 20,000 layers). Frozen, as the
            # open freezes the network (gui/document.py); the check makes no reference cycles.
            gc.freeze()
        self.checked.emit(report)

    def close(self) -> None:
        self._unsubscribe()
        self._not_urgent()
        self._timer.stop()
