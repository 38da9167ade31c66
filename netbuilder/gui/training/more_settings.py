"""The rest of the `training` block in the Training form: every key the main rows do not show
(gradient clipping, the RBM's contrastive-divergence mode, momentum, Nesterov, betas, weight
decay, schedules, the validation split, ...), each with the help text documented in
train/settings.py and checked by the same validation the trainer runs, so a value the form
takes is one the trainer takes, exactly (nothing is rounded or clamped).

Yes/no settings are check boxes, the mode a choice; every other value is typed as JSON (a bare
word is taken as text), which is how the file stores it.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QLineEdit, QWidget

from netbuilder.train.settings import DEFAULTS, MODES, SettingsError, settings_help, validate

MAIN_FORM = ("dataset", "task", "loss", "optimizer", "lr", "batch_size", "epochs", "device", "seed",
             "early_stopping")
INTERNAL = ("checkpoint_chosen",)  # set by the CLI, never by hand
CHOICES = {"mode": MODES}


class MoreSettings(QWidget):
    changed = Signal(str, object)  # key, its new (valid) value

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._block: dict[str, Any] = {}
        self._loading = False
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, str] = {}
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        self.helps = settings_help()
        for key, default in DEFAULTS.items():
            if key in MAIN_FORM or key in INTERNAL:
                continue
            field = self._make(key, default)
            field.setToolTip(f"{key}: {self.helps.get(key, '')}")
            form.addRow(key, field)
            self.fields[key] = field

    def _make(self, key: str, default: Any) -> QWidget:
        if isinstance(default, bool):
            box = QCheckBox()
            box.toggled.connect(lambda on, key=key: self._edited(key, on))
            return box
        if key in CHOICES:
            combo = QComboBox()
            combo.addItems(list(CHOICES[key]))
            combo.currentTextChanged.connect(lambda text, key=key: self._edited(key, text))
            return combo
        line = QLineEdit()
        line.setPlaceholderText(json.dumps(default))
        line.editingFinished.connect(lambda key=key, line=line: self._typed(key, line.text()))
        return line

    def load(self, block: dict[str, Any]) -> None:
        self._block = copy.deepcopy(dict(block or {}))
        self._loading = True
        try:
            for key, field in self.fields.items():
                value = self._block.get(key, DEFAULTS[key])
                if isinstance(field, QCheckBox):
                    field.setChecked(bool(value))
                elif isinstance(field, QComboBox):
                    field.setCurrentText(str(value))
                else:
                    field.setText(json.dumps(value, ensure_ascii=False))
                    self._mark(key, None)
        finally:
            self._loading = False

    def _typed(self, key: str, text: str) -> None:
        text = text.strip()
        try:
            value = json.loads(text) if text else DEFAULTS[key]
        except json.JSONDecodeError:
            value = text  # a bare word: a node id, a path, "cosine"
        self._edited(key, value)

    def _edited(self, key: str, value: Any) -> None:
        if self._loading:
            return
        trial = {**copy.deepcopy(DEFAULTS), **copy.deepcopy(self._block), key: value}
        try:
            validate(trial)
        except SettingsError as exc:
            self._mark(key, str(exc))
            return
        self._mark(key, None)
        if self._block.get(key, DEFAULTS[key]) != value or key not in self._block:
            self._block[key] = copy.deepcopy(value)
            self.changed.emit(key, value)

    def _mark(self, key: str, error: str | None) -> None:
        """A refused value stays visible in red with the reason; the block keeps the last good one."""
        field = self.fields[key]
        if error:
            self.errors[key] = error
            field.setStyleSheet("border: 1px solid #d9534f;")
            field.setToolTip(error)
        elif key in self.errors:
            del self.errors[key]
            field.setStyleSheet("")
            field.setToolTip(f"{key}: {self.helps.get(key, '')}")
