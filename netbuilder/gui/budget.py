"""Cost budget: parameters, MACs and memory against limits the user sets,
and canvas shading of each layer by its share of a cost.

Memory is what training holds for one batch: the float32 weights plus every
layer's forward activations for the batch size (from the training settings).
Costs come from core.summary (modules built on the meta device), recomputed
a moment after edits stop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QMenu, QProgressBar, QToolButton,
    QWidget,
)

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import ShapeReport
from netbuilder.gui import storage
from netbuilder.gui.node_overlays import clear_halos, set_halos

METRICS = ("params", "macs", "memory")
LABELS = {"params": "Params", "macs": "MACs", "memory": "Memory"}
# Out of the box every shipped preset, VGG-16 included (138 M parameters, 15.5 G MACs), fits, so a
# newcomer never opens a preset into red meters; users tighten them (Limits…) for their target.
DEFAULT_LIMITS = {"params": 200_000_000, "macs": 20_000_000_000, "memory": 16 * 1024**3}
SHADE_TAG = "budget"
DELAY_MS = 300
_UNITS = {"": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
          "B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}


@dataclass
class Costs:
    params: int = 0
    macs: int = 0
    memory: int = 0  # bytes for one batch: weights + forward activations
    batch_size: int = 1
    per_node: dict[str, dict[str, int]] = field(default_factory=dict)  # metric -> node id -> value

    def total(self, metric: str) -> int:
        return getattr(self, metric)


def graph_costs(graph: Graph, report: ShapeReport | None = None, batch_size: int = 1) -> Costs:
    from netbuilder.core.summary import summary

    result = summary(graph, report)
    costs = Costs(batch_size=batch_size, per_node={m: {} for m in METRICS})
    for row in result.rows:
        memory = row.params * 4 + row.activation_bytes * batch_size
        for metric, value in (("params", row.params), ("macs", row.macs), ("memory", memory)):
            costs.per_node[metric][row.node] = value
    costs.params, costs.macs = result.total_params, result.total_macs
    costs.memory = sum(costs.per_node["memory"].values())
    return costs


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
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        live.checked.connect(lambda report: self._timer.start())
        # first costs after the window is up: counting imports torch (~1 s),
        # which in __init__ held back the first paint (benchmarks/README.md)
        self._timer.start()

    def batch_size(self) -> int:
        value = (self.graph.training or {}).get("batch_size", 1)
        return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 1

    def refresh(self) -> None:
        self._timer.stop()
        self.costs = graph_costs(self.graph, self.live.report, self.batch_size())
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
        self.refresh()

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
