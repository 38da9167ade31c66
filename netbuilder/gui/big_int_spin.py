"""A spin box for whole numbers of any size: QSpinBox stops at 2³¹ − 1, while the file format
and the trainer accept 64-bit values (a seed of 2⁶³ − 1, 10¹⁰ output features), and an editor
that cannot show a value would clamp it silently on the next edit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QWidget


class BigIntSpin(QAbstractSpinBox):
    """The QSpinBox API the editors use (setRange, setValue, value, valueChanged), with Python ints."""

    valueChanged = Signal(object)  # noqa: N815 — Qt's name

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lo, self._hi, self._value = 0, 99, 0
        self._special = ""
        self.editingFinished.connect(self._commit)
        self.lineEdit().setText(self.textFromValue(self._value))

    # ------------------------------------------------------------- QSpinBox API
    def setRange(self, lo: int, hi: int) -> None:  # noqa: N802
        self._lo, self._hi = int(lo), max(int(lo), int(hi))
        self.setValue(self._value)

    def minimum(self) -> int:
        return self._lo

    def maximum(self) -> int:
        return self._hi

    def value(self) -> int:
        return self._value

    def setValue(self, value: int) -> None:  # noqa: N802
        value = min(max(int(value), self._lo), self._hi)
        changed = value != self._value
        self._value = value
        self.lineEdit().setText(self.textFromValue(value))
        if changed:
            self.valueChanged.emit(value)

    def setSpecialValueText(self, text: str) -> None:  # noqa: N802
        self._special = text
        self.lineEdit().setText(self.textFromValue(self._value))

    def textFromValue(self, value: int) -> str:  # noqa: N802
        return self._special if self._special and value == self._lo else str(value)

    # ------------------------------------------------------------- QAbstractSpinBox
    def stepBy(self, steps: int) -> None:  # noqa: N802
        self.setValue(self._value + steps)

    def stepEnabled(self) -> QAbstractSpinBox.StepEnabledFlag:  # noqa: N802
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self._value > self._lo:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        if self._value < self._hi:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        return flags

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip().replace(",", "").replace("_", "")
        if stripped in ("", "-", "+") or (self._special and text == self._special):
            return QValidator.State.Intermediate, text, pos
        try:
            number = int(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        ok = self._lo <= number <= self._hi
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def _commit(self) -> None:
        text = self.lineEdit().text().strip().replace(",", "").replace("_", "")
        try:
            self.setValue(int(text))
        except ValueError:
            self.lineEdit().setText(self.textFromValue(self._value))  # back to what it holds
