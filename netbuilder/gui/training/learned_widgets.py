"""Widgets for what a network learned: a confusion matrix and a latent scatter."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

from netbuilder.gui.training.plots import PALETTE
from netbuilder.train.latent import project_2d  # Qt-free now; still importable from here

CLASS_COLORS = PALETTE + ("#7f7f7f", "#17becf")


class ConfusionMatrix(QWidget):
    """Rows = true class, columns = predicted; cell shade = share of the row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.matrix = np.zeros((0, 0), dtype=np.int64)
        self.class_names: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(160, 140)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 320)

    def set_matrix(self, matrix, class_names: list[str] | None = None) -> None:
        self.matrix = np.asarray(matrix, dtype=np.int64)
        n = len(self.matrix)
        self.class_names = list(class_names or [])[:n] or [str(i) for i in range(n)]
        self.update()

    @property
    def accuracy(self) -> float:
        total = self.matrix.sum()
        return float(np.trace(self.matrix) / total) if total else float("nan")

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.Text)
        painter.setPen(text)
        n = len(self.matrix)
        if n == 0:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "The confusion matrix appears after an epoch.")
            return
        fm = painter.fontMetrics()
        label_w = max(fm.horizontalAdvance(c) for c in self.class_names) + 6
        top, left = 2 * fm.height() + 6, label_w + fm.height() + 4
        size = max(4.0, min((self.width() - left - 4) / n, (self.height() - top - 4) / n))
        title = f"predicted  (accuracy {100 * self.accuracy:.1f}%)"
        # over the columns; a small matrix would cut it at both ends, so then over the whole width
        span = QRectF(left, 0, size * n, fm.height()) if fm.horizontalAdvance(title) <= size * n else \
            QRectF(0, 0, self.width(), fm.height())
        painter.drawText(span, Qt.AlignmentFlag.AlignCenter, title)
        rows = self.matrix.sum(axis=1, keepdims=True).clip(min=1)
        share = self.matrix / rows
        accent = QColor(PALETTE[0])
        wrong = QColor(PALETTE[6])
        small = size >= fm.horizontalAdvance("000") + 2
        for i in range(n):
            painter.drawText(QRectF(left + i * size, fm.height() + 2, size, fm.height()),
                             Qt.AlignmentFlag.AlignCenter, self.class_names[i] if size > 10 else "")
            painter.drawText(QRectF(fm.height(), top + i * size, label_w - 4, size),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.class_names[i])
            for j in range(n):
                base = accent if i == j else wrong
                cell = QColor(base)
                cell.setAlphaF(0.08 + 0.92 * float(share[i, j]))
                rect = QRectF(left + j * size, top + i * size, size - 1, size - 1)
                painter.fillRect(rect, cell)
                if small and self.matrix[i, j]:
                    painter.setPen(QColor("white") if share[i, j] > 0.5 else text)
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(int(self.matrix[i, j])))
                    painter.setPen(text)
        painter.save()
        painter.translate(fm.height() - 2, top + size * n / 2)
        painter.rotate(-90)
        painter.drawText(QRectF(-size * n / 2, -fm.height(), size * n, fm.height()), Qt.AlignmentFlag.AlignCenter, "true")
        painter.restore()


class LatentScatter(pg.PlotWidget):
    """2-D latent codes coloured by class, one scatter item per class, named at its centroid."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pal = self.palette()
        self.setBackground(pal.color(QPalette.ColorRole.Base))
        self.plot_item = self.getPlotItem()
        self.plot_item.showGrid(x=True, y=True, alpha=0.15)
        for side in ("left", "bottom"):
            self.plot_item.getAxis(side).enableAutoSIPrefix(False)
        self.plot_item.setTitle("<span style='font-size:10pt'>Latent space</span>")
        self.items: list[pg.GraphicsObject] = []  # scatters and their class tags
        self.count = 0

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt override)
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.setBackground(self.palette().color(QPalette.ColorRole.Base))

    def set_points(self, points, labels=None, class_names: list[str] | None = None, how: str | None = None) -> None:
        """One scatter per class; each class's name sits at its centroid
        (a legend box would cover the points in a small tab). `how`: the points
        are already projected (the trainer sends PCA of every dim)."""
        xy, found = project_2d(points)
        how = how or found
        labels = np.zeros(len(xy), dtype=np.int64) if labels is None else np.asarray(labels).astype(np.int64)
        for item in self.items:
            self.plot_item.removeItem(item)
        self.items = []
        classes = np.unique(labels) if len(labels) else []
        for k in classes:
            mask = labels == k
            color = QColor(CLASS_COLORS[int(k) % len(CLASS_COLORS)])
            name = class_names[int(k)] if class_names and 0 <= k < len(class_names) else str(int(k))
            item = pg.ScatterPlotItem(xy[mask, 0], xy[mask, 1], size=5, pen=None, brush=color)
            self.plot_item.addItem(item)
            self.items.append(item)
            if len(classes) > 1:
                tag = pg.TextItem(html=f"<b style='color:{color.name()}; font-size:11pt'>{name}</b>",
                                  anchor=(0.5, 0.5), border=pg.mkPen(QColor(0, 0, 0, 0)),
                                  fill=QColor(0, 0, 0, 110))
                centre = xy[mask].mean(axis=0)
                tag.setPos(float(centre[0]), float(centre[1]))
                self.plot_item.addItem(tag)
                self.items.append(tag)
        self.count = len(xy)
        self.plot_item.setLabel("bottom", how.split(",")[0] if how.startswith("z") else "PC 1")
        self.plot_item.setLabel("left", "z₂" if how.startswith("z₁,") else ("PC 2" if how else ""))
        self.plot_item.enableAutoRange()
