"""The 'worked example' panel of a Conv2d / pooling node: convolution by hand.

The student types an input matrix and (for a convolution) kernel values; the
output matrix appears at once, computed with the node's stride, padding and
dilation (netbuilder.train.by_hand), and the cell under the cursor has its
sum spelled out and the input cells it read highlighted.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QDialog, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPlainTextEdit,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from netbuilder.train.by_hand import ByHandError, Worked, node_settings, parse_matrix, worked_example
from netbuilder.gui.training.views.export import Exportable

DEFAULT_INPUT = "1 2 0 1 3\n0 1 3 1 0\n2 1 1 0 2\n1 0 2 3 1\n0 1 1 2 0"
DEFAULT_KERNEL = "1 0 -1\n1 0 -1\n1 0 -1"
HIGHLIGHT = QColor(255, 200, 60, 150)


def _table(editable: bool = False) -> QTableWidget:
    table = QTableWidget()
    table.horizontalHeader().setDefaultSectionSize(44)
    table.verticalHeader().setDefaultSectionSize(24)
    if not editable:
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return table


class ConvByHand(QWidget):
    """Input and kernel text boxes, the output table and the explanation line."""

    def __init__(self, node_type: str, params: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = node_settings(node_type, params)
        self.op = self.settings["op"]
        self.worked: Worked | None = None
        self.input_edit = QPlainTextEdit(DEFAULT_INPUT)
        self.kernel_edit = QPlainTextEdit(self._default_kernel(params))
        self.bias = QDoubleSpinBox()
        self.bias.setRange(-1e6, 1e6)
        self.bias.setDecimals(3)
        self.input_view = _table()
        self.output = _table()
        self.output.setMouseTracking(True)
        self.output.cellEntered.connect(self.explain)
        self.output.currentCellChanged.connect(lambda r, c, *_: self.explain(r, c))
        self.sum_label = QLabel("Point at an output cell to see its sum.")
        self.sum_label.setWordWrap(True)
        self.sum_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error = QLabel("")
        self.error.setObjectName("StatusError")
        self.error.setWordWrap(True)
        self._layout(node_type)
        for edit in (self.input_edit, self.kernel_edit):
            edit.textChanged.connect(self.recompute)
        self.bias.valueChanged.connect(self.recompute)
        self.recompute()

    def _default_kernel(self, params: dict[str, Any]) -> str:
        if self.op != "conv":
            return ""
        size = params.get("kernel_size", 3)
        kh, kw = (size, size) if isinstance(size, int) else tuple(size)
        if (kh, kw) == (3, 3):
            return DEFAULT_KERNEL
        return "\n".join(" ".join("1" if r == c else "0" for c in range(kw)) for r in range(kh))

    def _layout(self, node_type: str) -> None:
        s = self.settings
        facts = f"{node_type}: stride {s['stride'] if s['stride'] is not None else 'kernel size'}, " \
                f"padding {s['padding']}, dilation {s['dilation']}"
        if self.op != "conv":
            facts += f", window {s['kernel_size']}"
        form = QFormLayout()
        form.addRow("Input (rows on lines)", self.input_edit)
        if self.op == "conv":
            form.addRow("Kernel", self.kernel_edit)
            form.addRow("Bias", self.bias)
        else:
            self.kernel_edit.hide()
            self.bias.hide()
        tables = QHBoxLayout()
        for title, table in (("input", self.input_view), ("output", self.output)):
            col = QVBoxLayout()
            col.addWidget(QLabel(title))
            col.addWidget(table, 1)
            tables.addLayout(col, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(facts))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(tables, 1)
        layout.addWidget(self.sum_label)

    def recompute(self) -> None:
        try:
            x = parse_matrix(self.input_edit.toPlainText(), "input")
            kernel = parse_matrix(self.kernel_edit.toPlainText(), "kernel") if self.op == "conv" else None
            kwargs = {k: v for k, v in self.settings.items() if k != "op" and not (k == "kernel_size" and kernel is not None)}
            self.worked = worked_example(x, self.op, kernel, bias=self.bias.value(), **kwargs)
        except ByHandError as exc:
            self.worked = None
            self.error.setText(str(exc))
            self.error.show()
            self.output.setRowCount(0)
            return
        self.error.hide()
        self.x = x
        self._fill(self.input_view, x)
        self._fill(self.output, self.worked.output)

    @staticmethod
    def _fill(table: QTableWidget, values) -> None:
        table.setRowCount(values.shape[0])
        table.setColumnCount(values.shape[1])
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                item = QTableWidgetItem(f"{values[i, j]:.4g}")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                table.setItem(i, j, item)

    def explain(self, row: int, col: int) -> str:
        """Spell out output cell (row, col) and highlight the inputs it read."""
        if self.worked is None or not (0 <= row < self.worked.output.shape[0] and 0 <= col < self.worked.output.shape[1]):
            return ""
        text = self.worked.explain(row, col)
        self.sum_label.setText(f"<b>out[{row}, {col}]</b> = {text}")
        read = {(t.row, t.col) for t in self.worked.terms[row][col] if not t.padding}
        for i in range(self.input_view.rowCount()):
            for j in range(self.input_view.columnCount()):
                item = self.input_view.item(i, j)
                if item is not None:
                    item.setBackground(HIGHLIGHT if (i, j) in read else QColor(0, 0, 0, 0))
        return text


def open_worked_example(parent: QWidget | None, node_id: str, node_type: str, params: dict[str, Any]) -> QDialog:
    """A non-modal dialog holding the panel (with Export PNG)."""
    dialog = QDialog(parent)
    dialog.setWindowTitle(f"Worked example: {node_id}")
    panel = ConvByHand(node_type, params)
    layout = QVBoxLayout(dialog)
    layout.addWidget(Exportable(panel, "worked example"))
    dialog.resize(720, 560)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
