"""A spin box for whole numbers of any size: QSpinBox stops at 2³¹ − 1, while the file format
and the trainer accept 64-bit values (a seed of 2⁶³ − 1, 10¹⁰ output features), and an editor
that cannot show a value would clamp it silently on the next edit."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QAbstractSpinBox, QSpinBox, QWidget

from netbuilder.gui.int_text import could_become_int, parse_int, refusal_text, refuse


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
        if self._special and text == self._special:
            return QValidator.State.Acceptable, text, pos
        number = parse_int(text)
        if number is None:
            return (QValidator.State.Intermediate if could_become_int(text) else QValidator.State.Invalid), text, pos
        ok = self._lo <= number <= self._hi
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def _commit(self) -> None:
        text = self.lineEdit().text()
        if self._special and text == self._special:
            self.setValue(self._lo)
            return
        problem = refusal_text(text, self._lo, self._hi)
        if problem is None:
            self.setValue(parse_int(text))  # type: ignore[arg-type]
            return
        if text.strip() != self.textFromValue(self._value):
            refuse(self, problem)
        self.lineEdit().setText(self.textFromValue(self._value))  # back to what it holds


class IntSpin(QSpinBox):
    """QSpinBox (32-bit ranges) that reads "1e3" as 1000 and says why it refuses a value."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._typed: str | None = None
        self.lineEdit().textEdited.connect(self._remember)
        self.editingFinished.connect(self._finished)

    def validate(self, text: str, pos: int) -> object:  # noqa: D102
        if self.specialValueText() and text == self.specialValueText():
            return QValidator.State.Acceptable, text, pos
        number = parse_int(text)
        if number is None:
            return (QValidator.State.Intermediate if could_become_int(text) else QValidator.State.Invalid), text, pos
        ok = self.minimum() <= number <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def valueFromText(self, text: str) -> int:  # noqa: N802
        if self.specialValueText() and text == self.specialValueText():
            return self.minimum()
        number = parse_int(text)
        return self.value() if number is None else number

    def _remember(self, text: str) -> None:
        self._typed = text

    def _finished(self) -> None:
        typed, self._typed = self._typed, None
        if typed is None or (self.specialValueText() and typed == self.specialValueText()):
            return
        problem = refusal_text(typed, self.minimum(), self.maximum())
        if problem is not None:
            refuse(self, problem)
