"""The Training dock's "Layers" tab: layer-health statistics per layer over time.

Fed by the trainer's `health` events (train/health.py): one curve per layer of
the chosen statistic against the global step (log scale for gradient norms and
update ratios, which span orders of magnitude), and the run's diagnostics
below, each naming the node and the fix; and, TensorBoard-style, the histograms of
one layer's weights and gradients at the end of each epoch, offset one above the other
(newest on top). `HealthSeries` is the shared store
the canvas overlay (gui/canvas/health_overlay.py) reads as well.
"""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QSplitter, QVBoxLayout,
                               QWidget)

# statistic → (label, log scale)
STATISTICS: dict[str, tuple[str, bool]] = {
    "grad_norm": ("gradient norm", True),
    "weight_norm": ("weight norm", False),
    "update_ratio": ("update / weight ratio", True),
    "act_mean": ("activation mean", False),
    "act_std": ("activation std", False),
    "dead_fraction": ("dead units (fraction)", False),
    "saturated_fraction": ("saturated (fraction)", False),
}
NODE_ROLE = Qt.ItemDataRole.UserRole
RIDGES = 10  # epochs of histograms drawn
PLOT_MIN_HEIGHT = 120  # px: a plot any smaller cannot be read


class HealthSeries:
    """Every health sample of the current run: node → statistic → ([steps], [values]); and the
    latest diagnostics (one per node and kind)."""

    def __init__(self) -> None:
        self.series: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
        self.order: list[str] = []  # nodes in the order they first reported (graph order)
        self.diagnostics: dict[tuple[str, str], dict[str, str]] = {}
        # node → [(epoch, {"weights"|"grads": {"lo", "hi", "counts"}})]
        self.histograms: dict[str, list[tuple[int, dict[str, Any]]]] = {}

    def clear(self) -> None:
        self.series, self.order, self.diagnostics, self.histograms = {}, [], {}, {}

    def add(self, event: dict[str, Any]) -> None:
        for sample in event.get("samples") or []:
            step = int(sample.get("step", 0))
            for node, stats in (sample.get("layers") or {}).items():
                if node not in self.series:
                    self.series[node] = {}
                    self.order.append(node)
                for stat, value in stats.items():
                    steps, values = self.series[node].setdefault(stat, ([], []))
                    steps.append(step)
                    values.append(math.nan if value is None else float(value))
        for node, hists in (event.get("histograms") or {}).items():
            self.histograms.setdefault(node, []).append((int(event.get("epoch") or 0), hists))
        self.add_diagnostics(event.get("diagnostics") or [])

    def add_diagnostics(self, diagnostics: list[dict[str, str]]) -> None:
        for d in diagnostics:
            self.diagnostics[(d["node"], d["kind"])] = d

    def latest(self, node: str, stat: str) -> float | None:
        got = self.series.get(node, {}).get(stat)
        return got[1][-1] if got and got[1] else None

    def nodes_with(self, stat: str) -> list[str]:
        return [n for n in self.order if stat in self.series[n]]


class LayersTab(QWidget):
    node_activated = Signal(str)  # a diagnostic was clicked

    def __init__(self, store: HealthSeries | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store or HealthSeries()
        self.stat = QComboBox()
        for key, (label, log) in STATISTICS.items():
            self.stat.addItem(label + (" (log)" if log else ""), key)
        self.stat.currentIndexChanged.connect(self.refresh)
        self.plot = pg.PlotWidget()
        self.plot.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.plot.setLabel("bottom", "step")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.legend = self.plot.addLegend(offset=(-6, 6))
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.problems = QListWidget()
        self.problems.setWordWrap(True)
        self.problems.setMaximumHeight(80)
        self.problems.itemClicked.connect(lambda item: self.node_activated.emit(item.data(NODE_ROLE)))
        self.hist_layer = QComboBox()
        self.hist_layer.currentIndexChanged.connect(self._show_histograms)
        self.hist_plots = {what: self._hist_plot(title) for what, title in (("weights", "weights"),
                                                                              ("grads", "gradients"))}
        self.empty = QLabel("Per-layer gradient norms, weights and activations appear here while training.")
        self.empty.setWordWrap(True)
        # one row of choosers, then the curves beside the histograms: in a bottom dock a third of
        # the window high, plots stacked under each other were each a 30 px strip
        top = QHBoxLayout()
        top.addWidget(QLabel("Statistic:"))
        top.addWidget(self.stat, 1)
        top.addSpacing(12)
        top.addWidget(QLabel("Histograms of layer:"))
        top.addWidget(self.hist_layer, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.empty)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.plot)
        for plot in self.hist_plots.values():
            plot.setMinimumHeight(PLOT_MIN_HEIGHT)
            split.addWidget(plot)
        self.plot.setMinimumHeight(PLOT_MIN_HEIGHT)
        split.setStretchFactor(0, 2)
        split.setSizes([500, 250, 250])
        layout.addWidget(split, 1)
        layout.addWidget(self.problems)
        self.refresh()

    def _hist_plot(self, title: str) -> pg.PlotWidget:
        plot = pg.PlotWidget(title=title)
        plot.setBackground(self.palette().color(QPalette.ColorRole.Base))
        plot.setLabel("bottom", "value")
        plot.setLabel("left", "epoch")
        return plot

    @property
    def statistic(self) -> str:
        return self.stat.currentData()

    def set_statistic(self, stat: str) -> None:
        self.stat.setCurrentIndex(self.stat.findData(stat))

    def reset(self) -> None:
        self.store.clear()
        self.refresh()

    def add_health(self, event: dict[str, Any]) -> None:
        self.store.add(event)
        self.refresh()

    def refresh(self) -> None:
        stat = self.statistic
        label, log = STATISTICS[stat]
        self.plot.setLogMode(y=log)
        self.plot.setLabel("left", label)
        nodes = self.store.nodes_with(stat)
        self.empty.setVisible(not self.store.order)
        for node in [n for n in self.curves if n not in nodes]:
            self.plot.removeItem(self.curves.pop(node))
            self.legend.removeItem(node)
        for i, node in enumerate(nodes):
            steps, values = self.store.series[node][stat]
            ys = [v if math.isfinite(v) and (not log or v > 0) else math.nan for v in values]
            curve = self.curves.get(node)
            if curve is None:
                pen = pg.mkPen(pg.intColor(i, hues=max(len(nodes), 8)), width=1.6)
                curve = self.curves[node] = self.plot.plot([], [], pen=pen, name=node, connect="finite")
            curve.setData(steps, ys, connect="finite")
        self._show_problems()
        layers = list(self.store.histograms)
        if layers != [self.hist_layer.itemText(i) for i in range(self.hist_layer.count())]:
            current = self.hist_layer.currentText()
            self.hist_layer.blockSignals(True)
            self.hist_layer.clear()
            self.hist_layer.addItems(layers)
            self.hist_layer.setCurrentIndex(max(0, layers.index(current)) if current in layers else 0)
            self.hist_layer.blockSignals(False)
        self._show_histograms()

    def ridges(self, what: str) -> list[tuple[int, list[float], list[float]]]:
        """The drawn histograms of the chosen layer: (epoch, bin centres, counts scaled to < 1)."""
        out = []
        for epoch, hists in self.store.histograms.get(self.hist_layer.currentText(), [])[-RIDGES:]:
            h = hists.get(what)
            if not h or not h["counts"]:
                continue
            n, lo, hi = len(h["counts"]), h["lo"], h["hi"]
            centres = [lo + (hi - lo) * (i + 0.5) / n for i in range(n)]
            top = max(h["counts"]) or 1
            out.append((epoch, centres, [0.9 * c / top for c in h["counts"]]))
        return out

    def _show_histograms(self) -> None:
        for what, plot in self.hist_plots.items():
            plot.clear()
            ridges = self.ridges(what)
            for i, (epoch, xs, ys) in enumerate(ridges):
                shade = pg.mkColor(255, 140, 0, int(60 + 195 * (i + 1) / len(ridges)))
                plot.plot(xs, [epoch + y for y in ys], pen=pg.mkPen(shade, width=1.4),
                          fillLevel=epoch, brush=pg.mkBrush(shade.red(), shade.green(), shade.blue(), 40))

    def _show_problems(self) -> None:
        self.problems.clear()
        for d in self.store.diagnostics.values():
            item = QListWidgetItem(f"{d['node']} — {d['kind']}: {d['message']}")
            item.setData(NODE_ROLE, d["node"])
            item.setToolTip(d["message"])
            self.problems.addItem(item)
        self.problems.setVisible(bool(self.store.diagnostics))
