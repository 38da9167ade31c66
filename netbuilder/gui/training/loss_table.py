"""Editable list of loss terms: type, weight, and what the term reads.

While the user has not touched it the table shows the defaults for the graph
and task (cross-entropy for a classifier, reconstruction + KL for a VAE...)
in italics, and `terms()` returns None so the file keeps following the graph.
The "reads" cell is `key=value` pairs (output=dec_out, target=input, rho=0.05).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QComboBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QTableWidget, QTableWidgetItem,
    QToolButton, QVBoxLayout, QWidget,
)

from netbuilder.gui.training import engine


def format_reads(term: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in term.items() if k not in ("type", "weight"))


def parse_reads(text: str) -> dict[str, Any]:
    """'output=out, rho=0.05' -> {'output': 'out', 'rho': 0.05}; bad pairs raise ValueError."""
    out: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"'{part}' is not key=value")
        value = value.strip()
        try:
            out[key.strip()] = json.loads(value)
        except ValueError:
            out[key.strip()] = value
    return out


def _fmt(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v)


class LossTable(QWidget):
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.is_default = True
        self._defaults: list[dict[str, Any]] = []
        self._loading = False
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["term", "weight", "reads"])
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.setMaximumHeight(110)
        self.table.itemChanged.connect(self._on_item_changed)

        add = QToolButton(text="+")
        add.setToolTip("add a loss term")
        add.clicked.connect(lambda: self._add_row({"type": engine.loss_types()[0], "weight": 1.0}, user=True))
        remove = QToolButton(text="−")
        remove.setToolTip("remove the selected term")
        remove.clicked.connect(self._remove_selected)
        reset = QToolButton(text="Defaults")
        reset.setToolTip("go back to the terms inferred from the task and the graph")
        reset.clicked.connect(self._reset)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for b in (add, remove, reset):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.table)
        layout.addLayout(buttons)

    # ----------------------------------------------------------------- data
    def load(self, terms: list[dict[str, Any]] | None, defaults: list[dict[str, Any]],
             node_refs: list[str] | None = None) -> None:
        self._defaults = defaults
        self.is_default = not terms
        self._fill(terms or defaults)

    def set_defaults(self, defaults: list[dict[str, Any]]) -> None:
        self._defaults = defaults
        if self.is_default:
            self._fill(defaults)

    def terms(self) -> list[dict[str, Any]] | None:
        if self.is_default:
            return None
        out = []
        for row in range(self.table.rowCount()):
            term = {"type": self.table.cellWidget(row, 0).currentText(),
                    "weight": float(self.table.cellWidget(row, 1).value())}
            item = self.table.item(row, 2)
            try:
                term.update(parse_reads(item.text() if item else ""))
            except ValueError:
                term.update(item.data(0x0100) or {})  # keep the last good value (Qt.UserRole)
            out.append(term)
        return out

    # ------------------------------------------------------------ editing
    def _fill(self, terms: list[dict[str, Any]]) -> None:
        self._loading = True
        self.table.setRowCount(0)
        for term in terms:
            self._add_row(term)
        self._loading = False
        self._style_default()

    def _add_row(self, term: dict[str, Any], user: bool = False) -> None:
        row = self.table.rowCount()
        self.table.insertRow(row)
        kind = QComboBox()
        kind.addItems(engine.loss_types())
        if kind.findText(str(term.get("type"))) < 0:
            kind.addItem(str(term.get("type")))
        kind.setCurrentText(str(term.get("type")))
        kind.currentIndexChanged.connect(self._on_user_edit)
        weight = QDoubleSpinBox()
        weight.setRange(0.0, 1e6)
        weight.setDecimals(4)
        weight.setValue(float(term.get("weight", 1.0)))
        weight.setKeyboardTracking(False)
        weight.valueChanged.connect(self._on_user_edit)
        self.table.setCellWidget(row, 0, kind)
        self.table.setCellWidget(row, 1, weight)
        was = self._loading
        self._loading = True
        item = QTableWidgetItem(format_reads(term))
        item.setData(0x0100, {k: v for k, v in term.items() if k not in ("type", "weight")})
        item.setToolTip("what the term reads, as key=value: output (node id or node:port), target "
                        "(label or input), node (e.g. the Sampling node for kl_gaussian), options (rho, lambda)")
        self.table.setItem(row, 2, item)
        self._loading = was
        if user:
            self._on_user_edit()

    def _remove_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.rowCount():
            rows = [self.table.rowCount() - 1]
        for row in rows:
            self.table.removeRow(row)
        if rows:
            self._on_user_edit()

    def _reset(self) -> None:
        self.is_default = True
        self._fill(self._defaults)
        self.edited.emit()

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        if self._loading:
            return
        try:
            parsed = parse_reads(item.text())
        except ValueError as exc:
            item.setToolTip(f"not understood: {exc}; write key=value pairs separated by commas")
            return
        item.setData(0x0100, parsed)
        self._on_user_edit()

    def _on_user_edit(self, *_: Any) -> None:
        if self._loading:
            return
        self.is_default = False
        self._style_default()
        self.edited.emit()

    def _style_default(self) -> None:
        for row in range(self.table.rowCount()):
            for col in range(2):
                widget = self.table.cellWidget(row, col)
                if widget is not None:
                    font = widget.font()
                    font.setItalic(self.is_default)
                    widget.setFont(font)
            item = self.table.item(row, 2)
            if item is not None:
                font = item.font()
                font.setItalic(self.is_default)
                was, self._loading = self._loading, True
                item.setFont(font)
                self._loading = was
        self.table.setToolTip("defaults for this task and graph (edit to override)" if self.is_default else "")
