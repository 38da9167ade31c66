"""The curves tab: the plots plus their toolbar (log scale, smoothing,
auto-range, keep/clear runs, export) and the crosshair readout."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QFileDialog, QHBoxLayout, QLabel, QMenu, QSlider, QToolButton, QVBoxLayout, QWidget,
)

from netbuilder.gui.training.plots import CurveSet, CurvesPlot


class CurvesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = CurvesPlot(self)
        self.curves = CurveSet(self.plot)
        self.readout = QLabel(" ")
        self.readout.setObjectName("curveReadout")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plot.hovered.connect(lambda text: self.readout.setText(text or " "))

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._toolbar())
        self.legend = QLabel(" ")
        self.legend.setObjectName("curveLegend")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.readout)

    def refresh(self) -> int:
        """Push new points to the plots (the dock's timer calls this)."""
        updated = self.curves.refresh()
        html = self.curves.legend_html() or " "
        if html != self.legend.text():
            self.legend.setText(html)
        return updated

    def _toolbar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 0, 4, 0)
        self.log_box = QCheckBox("Log scale")
        self.log_box.setToolTip("logarithmic y axis for the loss plots")
        self.log_box.toggled.connect(self.curves.set_log_y)

        self.smooth_slider = QSlider(Qt.Orientation.Horizontal)
        self.smooth_slider.setRange(0, 99)
        self.smooth_slider.setValue(int(round(self.curves.smoothing * 100)))
        self.smooth_slider.setMaximumWidth(140)
        self.smooth_slider.setToolTip("exponential moving average of the per-step curves, as in TensorBoard "
                                      "(0 = raw); the raw curve stays faint behind it")
        self.smooth_label = QLabel()
        self.smooth_slider.valueChanged.connect(self._on_smoothing)
        self._on_smoothing(self.smooth_slider.value())

        auto = QToolButton(text="Auto-range")
        auto.setToolTip("fit all plots to their data again")
        auto.clicked.connect(self.curves.auto_range)

        self.keep_box = QCheckBox("Keep runs")
        self.keep_box.setChecked(True)
        self.keep_box.setToolTip("overlay each new run on the previous ones (each run its own colour)")
        self.keep_box.toggled.connect(lambda on: setattr(self.curves, "keep_runs", on))
        clear = QToolButton(text="Clear")
        clear.setToolTip("remove the curves of earlier runs")
        clear.clicked.connect(self._on_clear)

        export = QToolButton(text="Export")
        export.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(export)
        menu.addAction("Curves as PNG…", self._export_png)
        menu.addAction("Curves as CSV…", self._export_csv)
        export.setMenu(menu)

        for w in (self.log_box, QLabel("Smoothing"), self.smooth_slider, self.smooth_label, auto,
                  self.keep_box, clear):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(export)
        return bar

    def _on_smoothing(self, value: int) -> None:
        self.smooth_label.setText(f"{value / 100:.2f}")
        self.curves.set_smoothing(value / 100)

    def _on_clear(self) -> None:
        self.curves.clear(keep_current=True)

    def _export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.png", "PNG image (*.png)")
        if path:
            self.curves.export_png(path)

    def _export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.csv", "CSV (*.csv)")
        if path:
            self.curves.export_csv(path)
