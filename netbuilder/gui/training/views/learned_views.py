"""Views of issue 15 fed by the samples payload (train/sample_views.py).

AnomalyView: histogram of reconstruction errors with the percentile
threshold (default 95th) and the most anomalous samples over their
reconstructions. RegressionView: predicted vs true scatter, and for
sequences the series with the prediction drawn over it (forecaster: the
next value after the window; many-to-many: the output at every step).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from netbuilder.gui.training.image_grid import ImageGrid, Tile, as_image_array, to_qimage
from netbuilder.gui.training.plots import PALETTE
from netbuilder.train.latent import DEFAULT_PERCENTILE, Anomalies, anomaly_summary

BINS = 30
WORST_COLUMNS = 4
WIDE = 760  # px: narrower, the view stacks vertically


def _plot(title: str) -> pg.PlotWidget:
    plot = pg.PlotWidget()
    plot.setBackground(plot.palette().color(QPalette.ColorRole.Base))
    item = plot.getPlotItem()
    item.showGrid(x=True, y=True, alpha=0.15)
    item.setTitle(f"<span style='font-size:10pt'>{title}</span>")
    for side in ("left", "bottom"):
        item.getAxis(side).enableAutoSIPrefix(False)
    return plot


def image_rows(rows: list[tuple[str, np.ndarray]], image_shape: tuple[int, ...] | None,
               columns: int = 8) -> tuple[list[Tile], list[str], int]:
    """Tiles for an ImageGrid: one row per (title, images) pair, sharing each
    column's value range with the first row (so a faded output looks faded)."""
    n = min(columns, min(len(a) for _, a in rows))
    tiles: list[Tile] = []
    first = [as_image_array(a, image_shape) for a in rows[0][1][:n]]
    ranges = [(float(np.nanmin(a)), float(np.nanmax(a))) for a in first]
    for _, arrays in rows:
        tiles += [Tile(to_qimage(as_image_array(a, image_shape), vrange=r)) for a, r in zip(arrays[:n], ranges)]
    return tiles, [title for title, _ in rows], n


class AnomalyView(QSplitter):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        left = QWidget()
        self.percentile = QDoubleSpinBox()
        self.percentile.setRange(50.0, 100.0)
        self.percentile.setDecimals(1)
        self.percentile.setValue(DEFAULT_PERCENTILE)
        self.percentile.setSuffix(" th percentile")
        self.percentile.setToolTip("samples whose reconstruction error is above this percentile count as anomalies")
        self.percentile.valueChanged.connect(lambda _: self._redraw())
        self.note = QLabel("")
        self.plot = _plot("reconstruction error of validation samples")
        self.plot.getPlotItem().setLabel("bottom", "mean squared error")
        self.plot.getPlotItem().setLabel("left", "samples")
        row = QHBoxLayout()
        row.addWidget(QLabel("Threshold"))
        row.addWidget(self.percentile)
        row.addWidget(self.note, 1)
        layout = QVBoxLayout(left)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.plot, 1)
        self.worst = ImageGrid(self)
        self.addWidget(left)
        self.addWidget(self.worst)
        self.note.setWordWrap(True)  # a long note must not push the worst samples out of a narrow dock
        self.setChildrenCollapsible(False)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setSizes([560, 440])
        self.errors = np.zeros(0)
        self.summary: Anomalies | None = None
        self.counts = np.zeros(0)
        self.line: pg.InfiniteLine | None = None
        self._worst: tuple | None = None

    def set_data(self, errors, inputs, outputs, index, image_shape) -> None:
        self.errors = np.asarray(errors, dtype=np.float64)
        self._worst = (np.asarray(inputs), np.asarray(outputs), np.asarray(index, dtype=np.int64), image_shape)
        self._lay_out_worst()
        self._redraw()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        # a narrow dock pane: the worst samples go under the histogram, in one wide block
        wanted = Qt.Orientation.Horizontal if event.size().width() >= WIDE else Qt.Orientation.Vertical
        if wanted != self.orientation():
            self.setOrientation(wanted)
            self._lay_out_worst()
        super().resizeEvent(event)

    def _lay_out_worst(self) -> None:
        if self._worst is None:
            return
        inputs, outputs, index, image_shape = self._worst
        wide = self.orientation() == Qt.Orientation.Horizontal
        cols = WORST_COLUMNS if wide else 2 * WORST_COLUMNS  # rows of 4 beside the plot, of 8 under it
        tiles, titles = [], []
        for start in range(0, min(len(inputs), len(outputs)), cols):
            block, names, n = image_rows([("most anomalous", inputs[start:start + cols]),
                                          ("reconstructed", outputs[start:start + cols])], image_shape)
            for k, i in enumerate(index[start:start + n]):  # under the plot the tiles are too small for the error
                block[k] = Tile(block[k].image, f"#{int(i)}: {self.errors[int(i)]:.3g}" if wide else f"#{int(i)}")
            pad = [Tile(None)] * (cols - n)  # keep a short last block aligned
            tiles += block[:n] + pad + block[n:] + pad
            titles += names
        self.worst.set_tiles(tiles, columns=cols, row_titles=titles, title="highest reconstruction error")

    def _redraw(self) -> None:
        if not len(self.errors):
            return
        self.summary = anomaly_summary(self.errors, self.percentile.value())
        item = self.plot.getPlotItem()
        item.clear()
        self.counts, edges = np.histogram(self.errors, bins=BINS)
        item.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=self.counts, brush=QColor(PALETTE[0])))
        self.line = pg.InfiniteLine(self.summary.threshold, angle=90, pen=pg.mkPen(PALETTE[3], width=2))
        item.addItem(self.line)
        self.note.setText(f"threshold {self.summary.threshold:.4g}: {len(self.summary.flagged)} of "
                          f"{len(self.errors)} samples above it")


class RegressionView(QSplitter):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.scatter = _plot("predicted vs true")
        self.scatter.getPlotItem().setLabel("bottom", "true")
        self.scatter.getPlotItem().setLabel("left", "predicted")
        self.series = _plot("one sequence")
        self.series.getPlotItem().setLabel("bottom", "step")
        self.series.getPlotItem().addLegend(offset=(4, 4))
        self.addWidget(self.scatter)
        self.addWidget(self.series)
        self.setSizes([450, 550])
        self.points = np.zeros((0, 2))
        self.curves: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def set_data(self, pred, true, series_input=None, series_pred=None, series_true=None) -> None:
        pred, true = np.asarray(pred, np.float64).reshape(-1), np.asarray(true, np.float64).reshape(-1)
        self.points = np.column_stack([true, pred])
        item = self.scatter.getPlotItem()
        item.clear()
        item.addItem(pg.ScatterPlotItem(true, pred, size=4, pen=None, brush=QColor(PALETTE[0])))
        if len(true):
            lo, hi = float(min(true.min(), pred.min())), float(max(true.max(), pred.max()))
            item.plot([lo, hi], [lo, hi], pen=pg.mkPen(PALETTE[7 % len(PALETTE)], style=Qt.PenStyle.DashLine))
        self.series.setVisible(series_input is not None and series_pred is not None)
        if series_input is not None and series_pred is not None:
            self._series(np.asarray(series_input)[0], np.asarray(series_pred)[0],
                         None if series_true is None else np.asarray(series_true)[0])

    def _series(self, x: np.ndarray, pred: np.ndarray, true: np.ndarray | None) -> None:
        item = self.series.getPlotItem()
        item.clear()
        steps = np.arange(len(x), dtype=np.float64)
        if len(pred) == len(x):  # many-to-many: an output per step
            at = steps
            item.setTitle("<span style='font-size:10pt'>output at every step</span>")
        else:  # forecaster: what comes after the window
            at = np.arange(len(x), len(x) + len(pred), dtype=np.float64)
            item.setTitle("<span style='font-size:10pt'>series and its forecast</span>")
        self.curves = {"input": (steps, x), "predicted": (at, pred)}
        if true is not None:
            self.curves["true"] = (at, true)
        item.plot(steps, x, pen=pg.mkPen(PALETTE[0], width=2), name="input")
        if true is not None:
            item.plot(at, true, pen=None, symbol="o", symbolBrush=QColor(PALETTE[2]), name="true")
        item.plot(at, pred, pen=pg.mkPen(PALETTE[3], width=2), symbol="x", symbolPen=PALETTE[3], name="predicted")
