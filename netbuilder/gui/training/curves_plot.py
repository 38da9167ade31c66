"""The plot widget of the curves tab: loss, loss terms and validation metric
plots that lay themselves out by the space they get, and a crosshair readout."""

from __future__ import annotations

import math

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget


MIN_PLOT_HEIGHT = 150  # pixels: the title, an axis with ticks and some curve between


class CurvesPlot(pg.GraphicsLayoutWidget):
    """Three plots (loss, loss terms, metrics) that lay themselves out in a
    row when wide and in a column when tall."""

    hovered = Signal(str)  # the crosshair readout text

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pal = self.palette()
        self.setBackground(pal.color(QPalette.ColorRole.Base))
        self._fg = pal.color(QPalette.ColorRole.Text)
        # no in-plot legends: in a narrow dock they cover the curves; CurveSet.legend_html
        # writes one line of legend under the plots instead
        self.loss_plot = self._make_plot("Loss", "loss")
        self.terms_plot = self._make_plot("Loss terms", "weighted term")
        self.metric_plot = self._make_plot("Validation metric", "")
        self._active: list[pg.PlotItem] = [self.loss_plot]
        self._horizontal: str | None = None  # layout mode in use
        self._vlines = {}
        for plot in (self.loss_plot, self.terms_plot, self.metric_plot):
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(self._fg, width=1, style=Qt.PenStyle.DotLine))
            line.setVisible(False)
            plot.addItem(line, ignoreBounds=True)
            self._vlines[plot] = line
        self.scene().sigMouseMoved.connect(self._on_mouse_moved)
        # a plot shorter than this shows a title and two tick labels (the dock opened at ~40 px):
        # the dock is made at least this tall instead
        self.setMinimumHeight(MIN_PLOT_HEIGHT)
        self._relayout()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # theme switched: follow it
            self.setBackground(self.palette().color(QPalette.ColorRole.Base))

    def _make_plot(self, title: str, ylabel: str) -> pg.PlotItem:
        plot = pg.PlotItem(title=f"<span style='font-size:10pt'>{title}</span>")
        plot.setLabel("bottom", "epoch")
        if ylabel:
            plot.getAxis("left").setToolTip(ylabel)  # titles name the y axis; labels would eat width
        for side in ("left", "bottom"):
            plot.getAxis(side).enableAutoSIPrefix(False)  # no "(×0.001)": show the values as they are
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
        plot.setMenuEnabled(True)
        return plot

    # ------------------------------------------------------------ layout
    def set_active(self, terms: bool, metric: bool) -> None:
        active = [self.loss_plot] + ([self.terms_plot] if terms else []) + ([self.metric_plot] if metric else [])
        if active != self._active:
            self._active = active
            self._relayout(force=True)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        # pyqtgraph resizes during its own __init__ (no _active yet); and
        # re-parenting plots inside a resize (e.g. from grab()) crashes Qt: defer
        if hasattr(self, "_active") and self._mode() != self._horizontal:
            QTimer.singleShot(0, self._relayout)

    def _mode(self) -> str:
        ratio = self.width() / max(self.height(), 1)
        return "row" if ratio > 2.4 else ("grid" if ratio > 0.9 else "column")

    def _relayout(self, force: bool = False) -> None:
        """row: side by side; grid: loss large on the left, the others stacked
        on the right; column: one above the other."""
        mode = self._mode()
        if not force and mode == self._horizontal:
            return
        self._horizontal = mode
        self.ci.clear()
        first, *rest = self._active
        grid = mode == "grid" and len(rest) == 2
        cols = 2 if grid else (1 if mode == "column" else len(self._active))
        for col in range(3):  # an empty column with a stretch would still take its share
            self.ci.layout.setColumnStretchFactor(col, (3 if grid and col == 0 else 2 if grid else 1) if col < cols else 0)
        if grid:
            self.ci.addItem(first, row=0, col=0, rowspan=2)
            self.ci.addItem(rest[0], row=0, col=1)
            self.ci.addItem(rest[1], row=1, col=1)
            return
        for i, plot in enumerate(self._active):
            self.ci.addItem(plot, row=0 if mode != "column" else i, col=i if mode != "column" else 0)

    def active_plots(self) -> list[pg.PlotItem]:
        return list(self._active)

    # --------------------------------------------------------- crosshair
    def _on_mouse_moved(self, pos: QPointF) -> None:
        for plot in self._active:
            if plot.sceneBoundingRect().contains(pos):
                x = plot.vb.mapSceneToView(pos).x()
                for p in self._active:
                    self._vlines[p].setPos(x)
                    self._vlines[p].setVisible(True)
                self.hovered.emit(self._readout(plot, x))
                return
        for line in self._vlines.values():
            line.setVisible(False)
        self.hovered.emit("")

    def _readout(self, plot: pg.PlotItem, x: float) -> str:
        parts = [f"epoch {x:.2f}"]
        owner = getattr(self, "owner", None)
        for curve in owner.curves_in(plot) if owner else []:
            if curve.label is None or not curve.item.isVisible():
                continue
            point = curve.series.nearest(x, curve.smoothed)
            if point is not None:
                parts.append(f"{curve.label} {format_value(point[1])}")
        return "  ·  ".join(parts[:8])


def format_value(v: float) -> str:
    if not math.isfinite(v):
        return str(v)
    if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e4):
        return f"{v:.3e}"
    return f"{v:.4f}"
