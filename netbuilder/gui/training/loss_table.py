"""Editable list of loss terms: type, weight, and what the term reads.

Each term is two compact lines (type and weight; then what it reads as
`key=value` pairs, e.g. `output=dec_out, target=input, rho=0.05`), so the list
fits the narrow settings column. While the user has not touched it, it shows
the defaults for the graph and task (cross-entropy for a classifier,
reconstruction + KL for a VAE...) in italics and `terms()` returns None, so
the file keeps following the graph.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFrame, QGridLayout, QHBoxLayout, QLineEdit, QToolButton, QVBoxLayout, QWidget,
)

from netbuilder.gui.training import engine

READS_TIP = ("what the term reads, as key=value pairs: output (node id or node:port), target (label or input), "
             "node (e.g. the Sampling node for kl_gaussian, a hidden node for sparsity), and options "
             "(rho, lambda, loss)")


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


class TermRow(QFrame):
    """One loss term: [type ▾] [weight] [×] over [reads]."""

    edited = Signal()
    removed = Signal(object)

    def __init__(self, term: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lossTerm")
        self.kind = QComboBox()
        self.kind.addItems(engine.loss_types())
        kind = str(term.get("type"))
        if self.kind.findText(kind) < 0:
            self.kind.addItem(kind)
        self.kind.setCurrentText(kind)
        self.kind.setMinimumContentsLength(8)
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0.0, 1e4)
        self.weight.setDecimals(4)
        self.weight.setMaximumWidth(96)
        self.weight.setValue(float(term.get("weight", 1.0)))
        self.weight.setKeyboardTracking(False)
        self.weight.setToolTip("weight of this term in the summed loss")
        self.weight.setPrefix("× ")
        remove = QToolButton(text="✕")
        remove.setToolTip("remove this term")
        remove.setAutoRaise(True)
        self.reads = QLineEdit(format_reads(term))
        self.reads.setPlaceholderText("reads: output=…, target=…")
        self.reads.setToolTip(READS_TIP)
        self.last_good = {k: v for k, v in term.items() if k not in ("type", "weight")}

        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 2)
        grid.setHorizontalSpacing(2)
        grid.setVerticalSpacing(1)
        grid.addWidget(self.kind, 0, 0)
        grid.addWidget(self.weight, 0, 1)
        grid.addWidget(remove, 0, 2)
        grid.addWidget(self.reads, 1, 0, 1, 3)
        grid.setColumnStretch(0, 1)

        self.kind.currentIndexChanged.connect(lambda _: self.edited.emit())
        self.weight.valueChanged.connect(lambda _: self.edited.emit())
        self.reads.editingFinished.connect(self._on_reads)
        remove.clicked.connect(lambda: self.removed.emit(self))

    def _on_reads(self) -> None:
        try:
            parsed = parse_reads(self.reads.text())
        except ValueError as exc:
            self.reads.setToolTip(f"Not understood: {exc}. Write key=value pairs separated by commas.")
            self.reads.setStyleSheet("QLineEdit { border: 1px solid #e0506f; }")
            return
        self.reads.setToolTip(READS_TIP)
        self.reads.setStyleSheet("")
        if parsed != self.last_good:
            self.last_good = parsed
            self.edited.emit()

    def term(self) -> dict[str, Any]:
        return {"type": self.kind.currentText(), "weight": float(self.weight.value()), **self.last_good}

    def set_italic(self, on: bool) -> None:
        for widget in (self.kind, self.weight, self.reads):
            font = widget.font()
            font.setItalic(on)
            widget.setFont(font)


class LossTable(QWidget):
    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.is_default = True
        self._defaults: list[dict[str, Any]] = []
        self.rows: list[TermRow] = []
        self._rows_box = QVBoxLayout()
        self._rows_box.setContentsMargins(0, 0, 0, 0)
        self._rows_box.setSpacing(2)

        add = QToolButton(text="+ term")
        add.setToolTip("add a loss term")
        add.clicked.connect(self._add_user_term)
        reset = QToolButton(text="Defaults")
        reset.setToolTip("go back to the terms inferred from the task and the graph")
        reset.clicked.connect(self._reset)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(add)
        buttons.addWidget(reset)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self._rows_box)
        layout.addLayout(buttons)

    # ----------------------------------------------------------------- data
    def load(self, terms: list[dict[str, Any]] | None, defaults: list[dict[str, Any]],
             node_refs: list[str] | None = None) -> None:
        self._defaults = defaults
        self.is_default = not terms
        self._fill(terms or defaults)

    def set_defaults(self, defaults: list[dict[str, Any]]) -> None:
        if defaults == self._defaults and len(self.rows) == len(defaults):
            return  # unchanged: every graph edit asks, and rebuilding the rows would flicker
        self._defaults = defaults
        if self.is_default:
            self._fill(defaults)

    def terms(self) -> list[dict[str, Any]] | None:
        return None if self.is_default else [row.term() for row in self.rows]

    # ------------------------------------------------------------ editing
    def _fill(self, terms: list[dict[str, Any]]) -> None:
        for row in self.rows:
            self._rows_box.removeWidget(row)
            row.deleteLater()
        self.rows = []
        for term in terms:
            self._add_row(term)
        self._style()

    def _add_row(self, term: dict[str, Any]) -> TermRow:
        row = TermRow(term, self)
        row.edited.connect(self._on_user_edit)
        row.removed.connect(self._remove)
        self._rows_box.addWidget(row)
        self.rows.append(row)
        return row

    def _add_user_term(self) -> None:
        self._add_row({"type": engine.loss_types()[0], "weight": 1.0})
        self._on_user_edit()

    def _remove(self, row: TermRow) -> None:
        self.rows.remove(row)
        self._rows_box.removeWidget(row)
        row.deleteLater()
        self._on_user_edit()

    def _reset(self) -> None:
        self.is_default = True
        self._fill(self._defaults)
        self.edited.emit()

    def _on_user_edit(self) -> None:
        self.is_default = False
        self._style()
        self.edited.emit()

    def _style(self) -> None:
        for row in self.rows:
            row.set_italic(self.is_default)
        self.setToolTip("defaults for this task and graph (edit to override)" if self.is_default else "")
