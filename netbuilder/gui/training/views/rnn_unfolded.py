"""A recurrent node unfolded over T steps: a read-only diagram.

One cell per time step, x_t entering from below, the hidden state (and an
LSTM's cell state) flowing right from cell to cell, y_t leaving above. Under
it, the gates the cell computes, named, with their slices of the stacked
weights (the shapes the inspector lists for weight_ih_l0 / weight_hh_l0).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QDialog, QSizePolicy, QVBoxLayout, QWidget

from netbuilder.gui.training.views.export import Exportable
from netbuilder.train.unfold import Gate, gates

MAX_STEPS = 6
STATE = QColor("#4c9be8")
CELL = QColor("#e8a33d")


class RnnUnfolded(QWidget):
    def __init__(self, mode: str, weights: list[tuple[str, tuple[int, ...], bool]], steps: int | None,
                 params: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode, self.params = mode, params
        self.gates: list[Gate] = gates(mode, weights)
        self.steps = steps or 4
        self.shown = min(self.steps, MAX_STEPS)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(520, 300)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(820, 380)

    def gate_lines(self) -> list[str]:
        h = self.gates[0].w_ih[0]
        return [f"{g.symbol}: {g.name} ({g.activation}) — rows {g.rows[0]}–{g.rows[1] - 1} of weight_ih_l0 "
                f"({g.w_ih[0]}×{g.w_ih[1]}) and weight_hh_l0 ({g.w_hh[0]}×{g.w_hh[1]})" for g in self.gates] + [
                f"stacked: weight_ih_l0 {len(self.gates) * h}×{self.gates[0].w_ih[1]}, "
                f"weight_hh_l0 {len(self.gates) * h}×{h}"]

    def cell_rects(self) -> list[QRectF]:
        n = self.shown + (1 if self.steps > self.shown else 0)
        width = (self.width() - 40) / max(n, 1)
        return [QRectF(20 + k * width + width * 0.2, 60, width * 0.6, 70) for k in range(self.shown)]

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().color(QPalette.ColorRole.Text)
        rects = self.cell_rects()
        painter.setPen(text)
        painter.drawText(QRectF(0, 4, self.width(), 20), Qt.AlignmentFlag.AlignCenter,
                         f"{self.mode} unfolded over T = {self.steps} steps (the same weights at every step)")
        for k, rect in enumerate(rects):
            t = "T" if k == self.shown - 1 and self.steps > self.shown else str(k + 1)
            painter.setPen(QPen(text, 1.5))
            painter.setBrush(self.palette().color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(rect, 6, 6)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self.mode}\n" + " ".join(g.symbol for g in self.gates))
            self._arrow(painter, QPointF(rect.center().x(), rect.bottom() + 40), QPointF(rect.center().x(), rect.bottom()), text)
            painter.drawText(QRectF(rect.left(), rect.bottom() + 40, rect.width(), 18), Qt.AlignmentFlag.AlignCenter, f"x{t}")
            self._arrow(painter, QPointF(rect.center().x(), rect.top()), QPointF(rect.center().x(), rect.top() - 26), text)
            painter.drawText(QRectF(rect.left(), rect.top() - 44, rect.width(), 18), Qt.AlignmentFlag.AlignCenter, f"h{t}")
            start = QPointF(rect.left() - (rects[1].left() - rects[0].right() if len(rects) > 1 else 30), 0)
            self._state_arrows(painter, start.x(), rect)
        if rects and self.steps > self.shown:
            last = rects[-1]
            painter.setPen(text)
            painter.drawText(QRectF(last.right(), last.top(), 40, last.height()), Qt.AlignmentFlag.AlignCenter, "…")
        y = 200
        painter.setPen(text)
        for line in self.gate_lines():
            painter.drawText(QRectF(20, y, self.width() - 40, 18), Qt.AlignmentFlag.AlignLeft, line)
            y += 20

    def _state_arrows(self, painter: QPainter, left: float, rect: QRectF) -> None:
        """h (and an LSTM's c) entering the cell from the previous step."""
        if self.mode == "LSTM":
            y = rect.top() + rect.height() * 0.3
            self._arrow(painter, QPointF(max(left, 4), y), QPointF(rect.left(), y), CELL, "c")
        y = rect.top() + rect.height() * 0.7
        self._arrow(painter, QPointF(max(left, 4), y), QPointF(rect.left(), y), STATE, "h")

    @staticmethod
    def _arrow(painter: QPainter, a: QPointF, b: QPointF, color: QColor, label: str = "") -> None:
        painter.setPen(QPen(color, 2))
        painter.drawLine(a, b)
        d = b - a
        length = max((d.x() ** 2 + d.y() ** 2) ** 0.5, 1e-6)
        ux, uy = d.x() / length, d.y() / length
        head = QPolygonF([b, QPointF(b.x() - 7 * ux + 4 * uy, b.y() - 7 * uy - 4 * ux),
                          QPointF(b.x() - 7 * ux - 4 * uy, b.y() - 7 * uy + 4 * ux)])
        painter.setBrush(color)
        painter.drawPolygon(head)
        if label:
            painter.drawText(QPointF((a.x() + b.x()) / 2 - 3, a.y() - 4), label)


def open_unfolded(parent: QWidget | None, node_id: str, view: RnnUnfolded) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle(f"{node_id} unfolded")
    layout = QVBoxLayout(dialog)
    layout.addWidget(Exportable(view, "unfolded"))
    dialog.resize(860, 420)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
