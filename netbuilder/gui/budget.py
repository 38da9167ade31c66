"""Cost budget: parameters, MACs and memory against limits the user sets,
and canvas shading of each layer by its share of a cost.

Memory is what training holds for one batch: the float32 weights plus every
layer's forward activations for the batch size (from the training settings).
Costs come from core.summary (modules built on the meta device). After each
live shape check a CostCounter recounts only the nodes the edit changed
(issue 18: a full recount froze the editor 5.4 s at 20,000 nodes); a pass
that would hold the GUI thread longer than SLICE_MS runs in slices on a
zero-interval timer, the meters reading "counting…" until it is done. A new
edit drops the pass in flight; a hidden (closed, minimised) bar runs none.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMenu, QProgressBar, QToolButton,
    QWidget,
)

from netbuilder.core.graph import Graph, GraphEvent
from netbuilder.core.shapes import ShapeReport, check
from netbuilder.core.summary import CostCounter
from netbuilder.gui import storage, turns
from netbuilder.gui.node_overlays import clear_halos, set_halos

METRICS = ("params", "macs", "memory")
LABELS = {"params": "Params", "macs": "MACs", "memory": "Memory"}
# Out of the box every shipped preset, VGG-16 included (138 M parameters, 15.5 G MACs), fits, so a
# newcomer never opens a preset into red meters; users tighten them (Limits…) for their target.
DEFAULT_LIMITS = {"params": 200_000_000, "macs": 20_000_000_000, "memory": 16 * 1024**3}
SHADE_TAG = "budget"
DELAY_MS = 300  # the first count, after the first paint: it imports torch (~1 s)
SLICE_MS = 8.0  # one slice of a pass: half a 60 Hz frame, leaving the rest for the paint
SLICE_STEPS = 4000  # and never more CostCounter steps than this, whatever the clock says
# graph events that can change a cost (shares: no new shape check; meta: the batch size)
_COUNTED_EVENTS = frozenset({"node_added", "node_removed", "edge_added", "edge_removed", "params_changed", "reset",
                             "shares_changed", "meta_changed"})
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
          "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


@dataclass
class Costs:
    params: int = 0
    macs: int = 0
    memory: int = 0  # bytes for one batch: weights + forward activations
    batch_size: int = 1
    rows: dict[str, tuple[int, int, int, int]] = field(default_factory=dict)  # CostCounter.rows

    def total(self, metric: str) -> int:
        return getattr(self, metric)

    @cached_property
    def per_node(self) -> dict[str, dict[str, int]]:
        """metric -> node id -> value; built when shading asks, not on every count."""
        b = self.batch_size
        return {"params": {nid: r[0] for nid, r in self.rows.items()},
                "macs": {nid: r[2] for nid, r in self.rows.items()},
                "memory": {nid: r[0] * 4 + r[3] * b for nid, r in self.rows.items()}}


def costs_of(counter: CostCounter, batch_size: int = 1) -> Costs:
    """The counter's totals as Costs (a snapshot: later passes do not change it)."""
    return Costs(counter.params, counter.macs, counter.params * 4 + counter.activation_bytes * batch_size,
                 batch_size, dict(counter.rows))


def graph_costs(graph: Graph, report: ShapeReport | None = None, batch_size: int = 1) -> Costs:
    """Every node counted now (cached per key in core.summary), at once."""
    counter = CostCounter()
    counter.update(graph, report or check(graph))
    return costs_of(counter, batch_size)


def cost_shares(costs: Costs, metric: str) -> dict[str, float]:
    """Each node's share (0..1) of the network's total `metric`; nodes costing nothing are left out."""
    total = costs.total(metric)
    if total <= 0:
        return {}
    return {nid: value / total for nid, value in costs.per_node[metric].items() if value > 0}


def shade_nodes(scene, shares: dict[str, float], metric: str) -> None:
    """Tint each node by its share of `metric`: the costliest is the most opaque."""
    if not shares:
        clear_halos(scene, SHADE_TAG)
        return
    top = max(shares.values())
    marks = {}
    for nid, share in shares.items():
        color = QColor(255, 112, 67)
        color.setAlpha(int(40 + 180 * share / top))
        marks[nid] = (color, f"{share:.0%} of {LABELS[metric]}" if share >= 0.005 else "<1%")
    set_halos(scene, SHADE_TAG, marks)


def clear_shading(scene) -> None:
    clear_halos(scene, SHADE_TAG)


def human(value: float, metric: str) -> str:
    units = (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)) if metric == "memory" else (
        ("G", 1e9), ("M", 1e6), ("K", 1e3))
    for unit, size in units:
        if value >= size:
            return f"{value / size:.3g}{' ' if metric == 'memory' else ''}{unit}"
    return f"{int(value)}{' B' if metric == 'memory' else ''}"


def parse_amount(text: str) -> int:
    """'1.5M' -> 1500000, '512 MB' -> 536870912, '2e6' -> 2000000; ValueError otherwise."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-zA-Z]*)\s*", text)
    unit = match.group(2).upper() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"{text!r} is not an amount like 2M, 500K or 256 MB")
    value = int(float(match.group(1)) * _UNITS[unit])
    if value <= 0:
        raise ValueError(f"{text!r}: a limit must be more than zero")
    return value


def load_limits() -> dict[str, int]:
    s = storage.settings()
    out = {}
    for metric, default in DEFAULT_LIMITS.items():
        try:
            out[metric] = max(1, int(s.value(f"budget/{metric}", default)))
        except (TypeError, ValueError):
            out[metric] = default
    return out


def save_limits(limits: dict[str, int]) -> None:
    for metric, value in limits.items():
        storage.set_value(f"budget/{metric}", int(value))


class LimitsDialog(QDialog):
    """Three amounts; the OK button stays off while one does not parse."""

    def __init__(self, limits: dict[str, int], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Budget limits")
        form = QFormLayout(self)
        self.edits: dict[str, QLineEdit] = {}
        for metric in METRICS:
            edit = QLineEdit(human(limits[metric], metric))
            edit.setToolTip("e.g. 2M, 500K, 1.5G, 256 MB")
            edit.textChanged.connect(self._validate)
            self.edits[metric] = edit
            form.addRow(f"{LABELS[metric]}{' (bytes per batch)' if metric == 'memory' else ''}:", edit)
        self.problem = QLabel()
        self.problem.setObjectName("StatusError")
        form.addRow(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        self._validate()

    def limits(self) -> dict[str, int]:
        return {m: parse_amount(e.text()) for m, e in self.edits.items()}

    def _validate(self) -> None:
        try:
            self.limits()
            self.problem.setText("")
            ok = True
        except ValueError as exc:
            self.problem.setText(str(exc))
            ok = False
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


class BudgetBar(QWidget):
    """Params / MACs / Memory meters (red over the limit), a Limits… button
    and a Shade menu that tints canvas nodes by their share of one cost."""

    costs_changed = Signal(object)  # Costs

    def __init__(self, graph: Graph, live, scene=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph, self.live, self.scene = graph, live, scene
        self.limits = load_limits()
        self.costs = Costs()
        self.shade_metric: str | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        self.meters: dict[str, QProgressBar] = {}
        for metric in METRICS:
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setTextVisible(True)
            bar.setFixedWidth(190)
            bar.setObjectName(f"Budget_{metric}")
            self.meters[metric] = bar
            layout.addWidget(bar)
        self.limits_button = QToolButton()
        self.limits_button.setText("Limits…")
        self.limits_button.clicked.connect(self.edit_limits)
        self.shade_button = QToolButton()
        self.shade_button.setText("Shade")
        self.shade_button.setToolTip("Tint each layer on the canvas by its share of a cost")
        self.shade_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.shade_button)
        for metric in (None, *METRICS):
            act = menu.addAction("Off" if metric is None else f"by {LABELS[metric]}")
            act.triggered.connect(lambda checked=False, m=metric: self.set_shading(m))
        self.shade_button.setMenu(menu)
        layout.addWidget(self.limits_button)
        layout.addWidget(self.shade_button)
        self.counter = CostCounter()
        self.counting = False  # the meters read "counting…": a pass spans several slices
        self.slices: list[int] = []  # steps each slice of the latest pass ran (tests, benchmarks)
        self.slice_seconds: list[float] = []  # and how long each held the GUI thread
        self._pass: Iterator[None] | None = None
        self._due = True  # a pass is wanted (started when the bar is not hidden): nothing is counted yet
        self._started = False  # the first count (after DELAY_MS) has been scheduled
        self._hidden = False  # after a hide event (its window closed or minimised) until shown again
        self._slice_timer = self._single_shot(0, self._slice_turn)
        # first costs after the window is up: counting imports torch (~1 s),
        # which in __init__ held back the first paint (benchmarks/README.md)
        self._first_timer = self._single_shot(DELAY_MS, self._schedule)
        unsubscribe = graph.subscribe(self._on_graph_event)
        self._unsubscribe = unsubscribe
        self.destroyed.connect(lambda *_: unsubscribe())  # not self: it is gone by then
        live.checked.connect(self._on_checked)
        self._not_urgent = turns.urgent(self.pass_running)  # the canvas's and minimap's slices wait for it
        self._first_timer.start()

    def _single_shot(self, ms: int, slot) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(slot)
        return timer

    def batch_size(self) -> int:
        value = (self.graph.training or {}).get("batch_size", 1)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1

    # ------------------------------------------------------------ counting
    def busy(self) -> bool:
        """A pass is due or in flight (or waits for the bar to be shown again)."""
        return self._due

    def timers_active(self) -> bool:
        return self._slice_timer.isActive() or self._first_timer.isActive()

    def pass_running(self) -> bool:
        """A pass is under way or due on the next turn (not waiting for the first delay, a check,
        or the bar to be shown again)."""
        return not self._hidden and (self._slice_timer.isActive() or self._pass is not None)

    def _on_graph_event(self, event: GraphEvent) -> None:
        # the pass in flight counts a report the graph has left behind: drop it. The next one
        # starts on the next turn of the event loop, after the whole edit (a macro is many
        # events), from the live check's report then (reading it runs a pending check).
        if event.kind in _COUNTED_EVENTS:
            if event.kind == "reset":
                self.counter.mark()
            self._schedule()

    def _schedule(self) -> None:
        """A new pass from the latest report, on the next turn of the event loop."""
        self._first_timer.stop()
        self._started = True
        self._pass = None
        self._due = True
        if not self._hidden:
            self._slice_timer.start()

    def _on_checked(self, _report) -> None:
        if self._due and self._started and self._pass is None and not self._hidden \
                and not self._slice_timer.isActive():  # (a restart would put the pass a turn later)
            self._slice_timer.start()  # a pass that waited for a sliced check

    def _slice_turn(self) -> None:
        turns.run_shared(SLICE_MS / 1000, self.run_slice, self._slice_timer)  # one turn, shared with other slices

    def run_slice(self, seconds: float | None = None) -> None:
        """At most `seconds` (SLICE_MS; and SLICE_STEPS steps) of the pass, then back to the event loop.
        Tests and benchmarks call it to step a pass by hand."""
        if self._pass is None:
            if self.live.slicing():  # reading its report would finish it in one block: wait for `checked`
                return
            self._first_timer.stop()
            self._started = self._due = True
            report = self.live.report  # runs a pending check first (which may _schedule again)
            self._pass, self.slices, self.slice_seconds = self.counter.steps(self.graph, report), [], []
        steps, done, start = 0, False, time.perf_counter()
        seconds = SLICE_MS / 1000 if seconds is None else seconds
        try:
            while steps < SLICE_STEPS and time.perf_counter() - start < seconds:
                next(self._pass)
                steps += 1
        except StopIteration:
            done = True
        except BaseException:
            self._pass, self._due = None, False  # a failed pass must not spin the timer
            raise
        if done:
            self._pass, self._due = None, False
            self._finish()
        else:
            self._show_counting()
            if not self._hidden:
                self._slice_timer.start()
        self.slices.append(steps)
        self.slice_seconds.append(time.perf_counter() - start)  # the meters' update included

    def refresh(self) -> None:
        """Count whatever is left now, in one go, and show it."""
        report = self.live.report  # first: its check may schedule a pass, dropped just below
        self._first_timer.stop()
        self._started = True
        self._slice_timer.stop()
        self._pass, self._due = None, False
        self.counter.update(self.graph, report)
        self._finish()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hidden = True  # a closed window's bar must not keep a timer going
        self._slice_timer.stop()
        self._first_timer.stop()
        super().hideEvent(event)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._hidden = False
        if self._due:
            (self._slice_timer if self._started else self._first_timer).start()
        super().showEvent(event)

    def shutdown(self) -> None:
        """Stop counting for good: no timers, no graph listener."""
        self._hidden, self._due, self._pass = True, False, None
        self._slice_timer.stop()
        self._first_timer.stop()
        self._unsubscribe()
        self._not_urgent()

    def _show_counting(self) -> None:
        if self.counting:
            return
        self.counting = True
        for metric, bar in self.meters.items():
            bar.setFormat(f"{LABELS[metric]} counting…")
            bar.setToolTip(f"{LABELS[metric]}: counting the layers the last edit changed")

    def _finish(self) -> None:
        self.counting = False
        self.costs = costs_of(self.counter, self.batch_size())
        for metric, bar in self.meters.items():
            value, limit = self.costs.total(metric), self.limits[metric]
            bar.setValue(min(1000, int(1000 * value / limit)))
            over = value > limit
            bar.setFormat(f"{LABELS[metric]} {human(value, metric)} / {human(limit, metric)}")
            bar.setProperty("over", over)
            bar.setStyleSheet("QProgressBar::chunk { background: #e53935; }" if over else "")
            bar.setToolTip(f"{LABELS[metric]}: {value:,} of a {limit:,} limit"
                           + (f" (batch of {self.costs.batch_size})" if metric == "memory" else "")
                           + (" — over the limit" if over else ""))
        if self.shade_metric is not None and self.scene is not None:
            shade_nodes(self.scene, cost_shares(self.costs, self.shade_metric), self.shade_metric)
        self.costs_changed.emit(self.costs)

    def over_limit(self) -> list[str]:
        return [m for m in METRICS if self.costs.total(m) > self.limits[m]]

    def set_limits(self, limits: dict[str, int]) -> None:
        self.limits = dict(limits)
        save_limits(self.limits)
        if not self._due:  # else the pass in flight shows them when it is done
            self._finish()

    def edit_limits(self) -> None:
        dialog = LimitsDialog(self.limits, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_limits(dialog.limits())

    def set_shading(self, metric: str | None) -> None:
        self.shade_metric = metric
        self.shade_button.setText("Shade" if metric is None else f"Shade: {LABELS[metric]}")
        if self.scene is None:
            return
        if metric is None:
            clear_shading(self.scene)
        else:
            shade_nodes(self.scene, cost_shares(self.costs, metric), metric)


__all__ = ["BudgetBar", "Costs", "LimitsDialog", "cost_shares", "graph_costs", "parse_amount", "shade_nodes"]
