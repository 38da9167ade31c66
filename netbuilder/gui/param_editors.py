"""One editor widget per Param kind, generated from the declaration.

Every editor has `value()`, `set_value(v)` (silent: no signal, used when the
model changes under it, e.g. on undo) and the signal `edited(value)` fired on
each user change, which the inspector applies live.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QHBoxLayout, QLineEdit, QSpinBox, QToolButton,
    QWidget,
)

from netbuilder.core.params import Param
from netbuilder.gui.big_int_spin import BigIntSpin, IntSpin

INT_LIMIT = 2_000_000_000  # QSpinBox is 32-bit


class ParamEditor(QWidget):
    edited = Signal(object)

    def __init__(self, param: Param) -> None:
        super().__init__()
        self.param = param
        self._silent = False
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.setSpacing(4)
        self.setToolTip(param.help)

    def set_value(self, value: Any) -> None:
        self._silent = True
        try:
            self._show(value)
        finally:
            self._silent = False

    def _emit(self, *_: Any) -> None:
        if not self._silent:
            self.edited.emit(self.value())

    def _show(self, value: Any) -> None:  # pragma: no cover - each kind overrides
        raise NotImplementedError

    def value(self) -> Any:  # pragma: no cover
        raise NotImplementedError


INT64 = 2**63 - 1


def int_spin(param: Param, low: float | None = None, special: str = "") -> QSpinBox | BigIntSpin:
    """A QSpinBox where the range fits 32 bits; beyond, a BigIntSpin, so every value the file
    format accepts is shown as it is (never clamped to 2³¹ on the next edit)."""
    lo = param.min if low is None else low
    lo = -INT64 if lo is None else int(lo)
    hi = INT64 if param.max is None else int(param.max)
    spin: QSpinBox | BigIntSpin
    if -INT_LIMIT <= lo and hi <= INT_LIMIT:
        spin = IntSpin()
    else:
        spin = BigIntSpin()
    spin.setRange(lo, hi)
    if special:
        spin.setSpecialValueText(special)
    spin.setAccelerated(True)
    spin.setMinimumWidth(56)
    return spin


class IntEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        super().__init__(param)
        self.spin = int_spin(param)
        self.row.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.spin.setValue(int(value))

    def value(self) -> int:
        return self.spin.value()


class FloatSpin(QDoubleSpinBox):
    """Shows 0.001 and 1e-05 as written, not as 0.00100000."""

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):  # noqa: D102
        stripped = text.strip()
        if stripped in ("", "-", ".", "-.", "e", "1e", "1e-") or stripped.endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            v = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        ok = self.minimum() <= v <= self.maximum()
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


class FloatEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        super().__init__(param)
        self.spin = FloatSpin()
        self.spin.setDecimals(10)
        self.spin.setRange(param.min if param.min is not None else -1e12, param.max if param.max is not None else 1e12)
        self.spin.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
        self.spin.setSingleStep(0.05 if param.max is not None and param.max <= 1 else 0.1)
        self.spin.setKeyboardTracking(False)  # apply when typing is done, not at "0." on the way to "0.25"
        self.row.addWidget(self.spin)
        self.spin.valueChanged.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.spin.setValue(float(value))

    def value(self) -> float:
        return float(self.spin.value())


class BoolEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        super().__init__(param)
        self.box = QCheckBox()
        self.row.addWidget(self.box)
        self.box.toggled.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.box.setChecked(bool(value))

    def value(self) -> bool:
        return self.box.isChecked()


class ChoiceEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        super().__init__(param)
        self.combo = QComboBox()
        self.combo.addItems(list(param.choices))
        self.row.addWidget(self.combo)
        self.combo.currentTextChanged.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.combo.setCurrentText(str(value))

    def value(self) -> str:
        return self.combo.currentText()


class StrEditor(ParamEditor):
    def __init__(self, param: Param) -> None:
        super().__init__(param)
        self.line = QLineEdit()
        self.row.addWidget(self.line)
        self.line.editingFinished.connect(self._emit)

    def _show(self, value: Any) -> None:
        self.line.setText(str(value))

    def value(self) -> str:
        return self.line.text()


class ListEditor(ParamEditor):
    """A row of spin boxes: a tuple (fixed length) or a list (with + and −).

    `none_ok` makes 0 read as "?" (null: an unknown size, for Input.shape)."""

    def __init__(self, param: Param, length: int | None = None, none_ok: bool = False, low: float | None = None):
        super().__init__(param)
        self.fixed, self.none_ok = length, none_ok
        self.low = 0 if none_ok else (param.min if low is None else low)
        self.spins: list[QSpinBox] = []
        self.minus = self.plus = None
        if length is None:
            self.minus, self.plus = QToolButton(), QToolButton()
            self.minus.setText("−")
            self.plus.setText("+")
            self.minus.setToolTip("Remove the last entry")
            self.plus.setToolTip("Add an entry")
            self.minus.clicked.connect(lambda: self._resize(len(self.spins) - 1, emit=True))
            self.plus.clicked.connect(lambda: self._resize(len(self.spins) + 1, emit=True))
            self.row.addStretch(0)
            self.row.addWidget(self.minus)
            self.row.addWidget(self.plus)

    def _resize(self, n: int, emit: bool = False) -> None:
        n = max(1, n)
        while len(self.spins) > n:
            spin = self.spins.pop()
            spin.deleteLater()
        while len(self.spins) < n:
            spin = int_spin(self.param, self.low, "?" if self.none_ok else "")
            spin.setValue(self.spins[-1].value() if self.spins else max(1, int(self.low or 1)))
            spin.valueChanged.connect(self._emit)
            self.row.insertWidget(len(self.spins), spin)
            self.spins.append(spin)
        if self.minus is not None:
            self.minus.setEnabled(n > 1)
        if emit:
            self._emit()

    def _show(self, value: Any) -> None:
        values = list(value) if isinstance(value, (list, tuple)) else [value] * (self.fixed or 1)
        self._resize(len(values))
        for spin, v in zip(self.spins, values):
            spin.setValue(0 if v is None else int(v))

    def value(self) -> list:
        return [None if self.none_ok and s.value() == 0 else s.value() for s in self.spins]


class IntsEditor(ParamEditor):
    """One integer for all axes, or one per axis (the ⋯ button switches)."""

    def __init__(self, param: Param) -> None:
        super().__init__(param)
        axes = param.length or 1
        self.single = int_spin(param)
        self.per_axis = ListEditor(param, length=axes)
        self.per_axis._resize(axes)
        self.toggle = QToolButton()
        self.toggle.setText("⋯")
        self.toggle.setCheckable(True)
        self.toggle.setToolTip(f"One value per axis ({axes} values) instead of one for all")
        self.toggle.setVisible(axes > 1)
        self.row.addWidget(self.single)
        self.row.addWidget(self.per_axis)
        self.row.addWidget(self.toggle)
        self.single.valueChanged.connect(self._emit)
        self.per_axis.edited.connect(self._emit)
        self.toggle.toggled.connect(self._on_toggle)
        self._set_mode(False)

    def _set_mode(self, per_axis: bool) -> None:
        self.single.setVisible(not per_axis)
        self.per_axis.setVisible(per_axis)

    def _on_toggle(self, per_axis: bool) -> None:
        if per_axis:
            self.per_axis.set_value([self.single.value()] * (self.param.length or 1))
        else:
            self.single.setValue(self.per_axis.value()[0])
        self._set_mode(per_axis)
        self._emit()

    def _show(self, value: Any) -> None:
        per_axis = isinstance(value, (list, tuple)) and len(set(value)) > 1
        self.toggle.setChecked(per_axis)
        if per_axis:
            self.per_axis.set_value(value)
        else:
            self.single.setValue(int(value[0] if isinstance(value, (list, tuple)) else value))
        self._set_mode(per_axis)

    def value(self) -> int | list[int]:
        return self.per_axis.value() if self.toggle.isChecked() else self.single.value()


class OptionalEditor(ParamEditor):
    """'auto' (null) or a value, e.g. pooling stride (auto = kernel_size)."""

    def __init__(self, param: Param, inner: ParamEditor) -> None:
        super().__init__(param)
        self.auto = QCheckBox("auto")
        self.inner = inner
        self.row.addWidget(self.auto)
        self.row.addWidget(inner, 1)
        self.auto.toggled.connect(self._on_auto)
        inner.edited.connect(self._emit)

    def _on_auto(self, on: bool) -> None:
        self.inner.setEnabled(not on)
        self._emit()

    def _show(self, value: Any) -> None:
        self.auto.setChecked(value is None)
        self.inner.setEnabled(value is not None)
        if value is not None:
            self.inner.set_value(value)

    def value(self) -> Any:
        return None if self.auto.isChecked() else self.inner.value()


class WordOrEditor(ParamEditor):
    """A word ('same', 'valid', 'depthwise') or a number: padding, groups."""

    def __init__(self, param: Param, words: tuple[str, ...], inner: ParamEditor) -> None:
        super().__init__(param)
        self.combo = QComboBox()
        self.combo.addItems(["number", *words])
        self.inner = inner
        self.row.addWidget(self.combo)
        self.row.addWidget(inner, 1)
        self.combo.currentTextChanged.connect(self._on_mode)
        inner.edited.connect(self._emit)

    def _on_mode(self, mode: str) -> None:
        self.inner.setVisible(mode == "number")
        self._emit()

    def _show(self, value: Any) -> None:
        word = value if isinstance(value, str) else "number"
        self.combo.setCurrentText(word)
        self.inner.setVisible(word == "number")
        if not isinstance(value, str):
            self.inner.set_value(value)

    def value(self) -> Any:
        mode = self.combo.currentText()
        return self.inner.value() if mode == "number" else mode


def make_editor(param: Param) -> ParamEditor:
    kind = param.kind
    if kind == "int":
        return IntEditor(param)
    if kind == "float":
        return FloatEditor(param)
    if kind == "bool":
        return BoolEditor(param)
    if kind == "choice":
        return ChoiceEditor(param)
    if kind == "ints":
        return IntsEditor(param)
    if kind == "padding":
        return WordOrEditor(param, ("same", "valid"), IntsEditor(param))
    if kind == "groups":
        return WordOrEditor(param, ("depthwise",), IntEditor(param))
    if kind == "shape":
        return ListEditor(param, none_ok=True)
    if kind == "int_list":
        return ListEditor(param)
    if kind == "optional_int":
        return OptionalEditor(param, IntEditor(param))
    if kind == "optional_ints":
        return OptionalEditor(param, IntsEditor(param) if param.length else ListEditor(param))
    return StrEditor(param)


__all__ = ["ParamEditor", "make_editor"]
