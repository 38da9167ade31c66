"""Live training curves: the runs and their series, drawn the pyqtgraph way.

Each curve is one `PlotDataItem`, created the first time its series gets a
point and then only fed with `setData` from the dock's timer (`refresh`), its
points living in a growable `Series`. Items downsample by peak and clip to the
view so a long run stays cheap to draw. Runs can be kept and overlaid, each in
its own colour; x is always in epochs, so runs with different batch sizes line up.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor

from netbuilder.gui.training.curves_plot import CurvesPlot
from netbuilder.gui.training.series import Series

PALETTE = ("#3d8fe0", "#e07b39", "#3fae5a", "#b25ccf", "#d4b21e", "#2fb3b3", "#e0506f", "#8c7ae6")

# which plot a series goes to, its legend label and whether it is per step
RUN_STYLES = (Qt.PenStyle.SolidLine, Qt.PenStyle.DashLine, Qt.PenStyle.DotLine, Qt.PenStyle.DashDotLine)
METRIC_LABELS = {"val_accuracy": "val accuracy %", "val_mae": "val MAE", "val_mape": "val MAPE %"}
# the smoothing weight applies per 1/SMOOTHING_STEPS of a run's length (about the point
# spacing of a one-minute run), not per point: a run too fast for more than a point or two
# per epoch is drawn nearly raw instead of lagging epochs behind (series.py)
SMOOTHING_STEPS = 400


@dataclass
class Curve:
    key: str  # the series: train_step, train, val, term:<name>, term_epoch:<name>, val_accuracy, ...
    series: Series
    item: pg.PlotDataItem
    smoothed: bool
    label: str | None  # None: not in legend or readout (the faint raw copy)


@dataclass
class RunCurves:
    """Everything drawn for one training run."""

    name: str
    color: str
    epochs: int = 1
    series: dict[str, Series] = field(default_factory=dict)
    curves: list[Curve] = field(default_factory=list)
    finished: bool = False
    terms: list[str] = field(default_factory=list)  # loss-term names in order seen: each term's colour

    def term_color(self, name: str) -> str:
        if name not in self.terms:
            self.terms.append(name)
        return PALETTE[self.terms.index(name) % len(PALETTE)]

    def get(self, key: str) -> Series | None:
        return self.series.get(key)

    def points(self, key: str) -> int:
        s = self.series.get(key)
        return s.n if s else 0


class CurveSet:
    """The runs drawn on a CurvesPlot: routes events to series, creates each
    item once, and pushes new points to pyqtgraph on `refresh`."""

    def __init__(self, plot: CurvesPlot) -> None:
        self.plot = plot
        plot.owner = self
        self.runs: list[RunCurves] = []
        self.smoothing = 0.6
        self.keep_runs = True

    @property
    def current(self) -> RunCurves | None:
        return self.runs[-1] if self.runs else None

    def begin_run(self, name: str, epochs: int) -> RunCurves:
        if not self.keep_runs:
            self.clear()
        for old in self.runs:
            self._fade(old)
        color = PALETTE[len(self.runs) % len(PALETTE)] if self.keep_runs else PALETTE[0]
        run = RunCurves(name=name, color=color, epochs=max(1, int(epochs)))
        self.runs.append(run)
        if len(self.runs) == 2:
            self._name_first_run()
        return run

    def _name_first_run(self) -> None:
        """A second run arrived: the first one's readout labels get its name."""
        first = self.runs[0]
        for curve in first.curves:
            if curve.label is None or curve.label.startswith(first.name):
                continue
            curve.label = f"{first.name} {curve.label}"

    def _fade(self, run: RunCurves) -> None:
        """Older runs stay as thin smoothed lines; their raw noise would hide the new run."""
        for curve in run.curves:
            if curve.label is None:
                curve.item.setVisible(False)

    def clear(self, keep_current: bool = False) -> None:
        keep = [self.current] if keep_current and self.current else []
        for run in self.runs:
            if run in keep:
                continue
            for curve in run.curves:
                plot = self._plot_of(curve.item)
                if plot is not None:
                    plot.removeItem(curve.item)
        self.runs = keep

    # ------------------------------------------------------------ events
    def add_step(self, event: dict[str, Any]) -> None:
        run = self.current
        if run is None:
            return
        x = _step_x(event, run.epochs)
        self._append(run, "train_step", x, event.get("train_loss"))
        for term, value in (event.get("terms") or {}).items():
            self._append(run, f"term:{term}", x, value)

    def add_epoch(self, event: dict[str, Any]) -> None:
        run = self.current
        if run is None:
            return
        x = float(event.get("epoch", 0))
        self._append(run, "train", x, event.get("train_loss"))
        # epoch means of each term: a short run may send few or no step events (they are
        # throttled by time), and the terms plot must still show every term
        for term, value in (event.get("terms") or {}).items():
            self._append(run, f"term_epoch:{term}", x, value)
        if event.get("val_loss") is not None:
            self._append(run, "val", x, event.get("val_loss"))
        for key in METRIC_LABELS:
            value = event.get(key)
            if value is not None:
                self._append(run, key, x, 100.0 * value if key == "val_accuracy" else value)

    def _append(self, run: RunCurves, key: str, x: float, y: float | None) -> None:
        series = run.series.get(key)
        if series is None:
            series = run.series[key] = Series(smoothing=self.smoothing if _is_step(key) else 0.0,
                                              spacing=run.epochs / SMOOTHING_STEPS)
            self._make_items(run, key, series)
        series.append(x, y)

    def _make_items(self, run: RunCurves, key: str, series: Series) -> None:
        color = QColor(run.color)
        plot, label = self._target(key)
        prefix = f"{run.name} " if len(self.runs) > 1 else ""  # a lone run needs no name
        if _is_step(key):
            style = Qt.PenStyle.SolidLine
            if key != "train_step":
                # terms: colour tells the term apart, line style the run
                color = QColor(run.term_color(_term_name(key)))
                style = RUN_STYLES[(len(self.runs) - 1) % len(RUN_STYLES)]
            faint = QColor(color)
            faint.setAlpha(70)
            raw = self._new_item(plot, pg.mkPen(faint, width=1, style=style))
            smooth = self._new_item(plot, pg.mkPen(color, width=2, style=style))
            run.curves += [Curve(key, series, raw, False, None), Curve(key, series, smooth, True, prefix + label)]
            raw.setVisible(series.smoothing > 0)
            return
        style = Qt.PenStyle.DashLine if key == "val" else Qt.PenStyle.SolidLine
        if key.startswith("term_epoch:"):  # like "train, epoch mean": squares in the term's colour
            color = QColor(run.term_color(_term_name(key)))
            style = RUN_STYLES[(len(self.runs) - 1) % len(RUN_STYLES)]
        item = self._new_item(plot, pg.mkPen(color, width=2, style=style),
                              symbol="o" if key in ("val", *METRIC_LABELS) else "s", symbolSize=6,
                              symbolBrush=color, symbolPen=pg.mkPen(color))
        run.curves.append(Curve(key, series, item, False, prefix + label))

    def _new_item(self, plot: pg.PlotItem, pen, **kw) -> pg.PlotDataItem:
        item = pg.PlotDataItem(pen=pen, connect="finite", **kw)
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        plot.addItem(item)
        return item

    def _target(self, key: str) -> tuple[pg.PlotItem, str]:
        if key.startswith("term:"):
            return self.plot.terms_plot, _term_name(key)
        if key.startswith("term_epoch:"):
            return self.plot.terms_plot, f"{_term_name(key)}, epoch mean"
        if key in METRIC_LABELS:
            return self.plot.metric_plot, METRIC_LABELS[key]
        return self.plot.loss_plot, {"train_step": "train", "train": "train, epoch mean", "val": "val"}[key]

    def _plot_of(self, item: pg.PlotDataItem) -> pg.PlotItem | None:
        for plot in (self.plot.loss_plot, self.plot.terms_plot, self.plot.metric_plot):
            if item in plot.items:
                return plot
        return None

    def item(self, key: str, run: RunCurves | None = None) -> pg.PlotDataItem | None:
        """The legend-carrying item drawing series `key` of `run` (default: the current run)."""
        run = run or self.current
        return next((c.item for c in run.curves if c.key == key and c.label is not None), None) if run else None

    def legend_html(self) -> str:
        """One line: run colours (when several), what each line style means,
        and the colour of each loss term."""
        if not self.runs:
            return ""
        parts = []
        run = self.current
        if len(self.runs) > 1:
            parts.append("  ".join(f"{_glyph('━━', r.color)} {r.name}" for r in self.runs))
        c = run.color if len(self.runs) == 1 else self.plot._fg.name()
        parts.append(f"{_glyph('━━', c)} train  {_glyph('■', c)} train, epoch mean  {_glyph('╌●╌', c)} val")
        if len(run.terms) > 1:
            spans = "  ".join(f"{_glyph('━━', run.term_color(t))} {t}" for t in run.terms)
            parts.append(f"terms: {spans}" + ("  (line style = run)" if len(self.runs) > 1 else ""))
        return "  │  ".join(parts)

    def curves_in(self, plot: pg.PlotItem) -> list[Curve]:
        return [c for run in self.runs for c in run.curves if c.item in plot.items]

    # ----------------------------------------------------------- drawing
    def refresh(self) -> int:
        """setData for every curve whose series got points; returns how many."""
        updated = 0
        dirty: set[int] = set()
        for run in self.runs:
            for curve in run.curves:
                if curve.series.dirty:
                    x, y = curve.series.view(curve.smoothed)
                    curve.item.setData(x, y)
                    dirty.add(id(curve.series))
                    updated += 1
            for series in run.series.values():
                if id(series) in dirty:
                    series.dirty = False
        run = self.current
        if run is not None:
            self.plot.set_active(terms=len(run.terms) > 1,
                                 metric=any(k in run.series for k in METRIC_LABELS))
            # every metric drawn there, by its own name (regression draws MAE and MAPE %)
            names = " · ".join(METRIC_LABELS[k] for k in METRIC_LABELS if k in run.series)
            self._show_compatible_metrics(run)
            if names:
                self.plot.metric_plot.setTitle(f"<span style='font-size:10pt'>{names}</span>")
        return updated

    def _show_compatible_metrics(self, current: RunCurves) -> None:
        """Earlier runs' metric curves are overlaid only when they measured the same
        metrics: an MLP's accuracy under a VAE's "val MAE" title would read as a wrong number."""
        mine = metric_keys(current)
        if not mine:
            return  # the current run has no metric yet: nothing to judge by
        for run in self.runs:
            if run is current:
                continue
            same = metric_keys(run) == mine
            for curve in run.curves:
                if curve.key in METRIC_LABELS:
                    curve.item.setVisible(same)

    def set_smoothing(self, weight: float) -> None:
        self.smoothing = weight
        for run in self.runs:
            for key, series in run.series.items():
                if _is_step(key):
                    series.set_smoothing(weight)
            for curve in run.curves:
                if curve.label is None:
                    curve.item.setVisible(weight > 0 and run is self.current)
        self.refresh()

    def set_log_y(self, on: bool) -> None:
        self.plot.loss_plot.setLogMode(y=on)
        self.plot.terms_plot.setLogMode(y=on)

    def auto_range(self) -> None:
        for plot in (self.plot.loss_plot, self.plot.terms_plot, self.plot.metric_plot):
            plot.enableAutoRange()

    # ------------------------------------------------------------ export
    def export_png(self, path: str) -> bool:
        pixmap = self.plot.grab()
        return pixmap.save(path, "PNG")

    def export_csv(self, path: str) -> None:
        """Long format (run, curve, epoch, value, smoothed): one row per point,
        so runs of different lengths and batch sizes sit in one file."""
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["run", "curve", "epoch", "value", "smoothed"])
            for run in self.runs:
                for key, series in run.series.items():
                    xs, ys = series.view()
                    _, ss = series.view(smoothed=True)
                    for x, y, s in zip(xs, ys, ss):
                        writer.writerow([run.name, key, f"{x:.6g}", repr(float(y)), repr(float(s))])


def metric_keys(run: RunCurves) -> frozenset[str]:
    """The validation metrics a run drew (val_accuracy, val_mae, ...)."""
    return frozenset(k for k in run.series if k in METRIC_LABELS)


def _glyph(text: str, color: str) -> str:
    return f"<span style='color:{color}; font-weight:bold'>{text}</span>"


def _term_name(key: str) -> str:
    """term:kl_gaussian / term_epoch:kl_gaussian → kl_gaussian."""
    return key.partition(":")[2]


def _is_step(key: str) -> bool:
    return key == "train_step" or key.startswith("term:")


def _step_x(event: dict[str, Any], epochs: int) -> float:
    """Position of a step event in epochs: progress (0..1 of the whole run)
    times the epoch count, falling back to the epoch number."""
    progress = event.get("progress")
    if progress is not None:
        return float(progress) * epochs
    return float(event.get("epoch", 0))
