"""Rows above the Kernels, Classes and Interpolation tabs that choose what those views show.

Each row edits one training setting (issue 15: "for a chosen channel or class", "between two
chosen samples"), applied from the next run as the Latent view's Code chooser is: which conv
channels are maximised (`maximise_channels`), which classes (`maximise_classes`), which pairs of
validation samples the VAE interpolates between (`interpolation_pairs`). A student types them
as they would write them — "3, 12", "0-3, 9", "0→5, 2→7" — and an empty field means the
default. Text that is not such a list is refused in the row, naming the part that is wrong, and
nothing changes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget

from netbuilder.gui.training.image_grid import ImageGrid
from netbuilder.train.settings import MAX_MAXIMISED, MAX_PAIRS

_RANGE = re.compile(r"(\d{1,9})(?:\s*-\s*(\d{1,9}))?\Z")
_PAIR = re.compile(r"(\d{1,9})\s*(?:→|->|>|-|\s)\s*(\d{1,9})\Z")


class ChoiceError(ValueError):
    """The typed text is not a list of the kind the row takes; the message names the part."""


def parse_indices(text: str) -> list[int] | None:
    """'3, 12' / '0-3, 9' → [3, 12] / [0, 1, 2, 3, 9]; '' → None (the default)."""
    if not text.strip():
        return None
    chosen: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        found = _RANGE.match(part)
        if not found:
            raise ChoiceError(f"{part!r} is not a number or a range like 0-3")
        lo = int(found.group(1))
        hi = int(found.group(2)) if found.group(2) else lo
        if hi < lo:
            raise ChoiceError(f"the range {part!r} runs backwards")
        if hi - lo >= MAX_MAXIMISED or len(chosen) + hi - lo + 1 > MAX_MAXIMISED:
            raise ChoiceError(f"at most {MAX_MAXIMISED} at a time")
        chosen += [c for c in range(lo, hi + 1) if c not in chosen]
    return chosen


def parse_pairs(text: str) -> list[list[int]] | None:
    """'0→5, 2 7' → [[0, 5], [2, 7]]; '' → None (the default pairs)."""
    if not text.strip():
        return None
    pairs = []
    for part in (p.strip() for p in text.split(",")):
        found = _PAIR.match(part)
        if not found:
            raise ChoiceError(f"{part!r} is not a pair of sample numbers like 0→5")
        a, b = int(found.group(1)), int(found.group(2))
        if a == b:
            raise ChoiceError(f"{part!r} goes from a sample to itself")
        pairs.append([a, b])
    if len(pairs) > MAX_PAIRS:
        raise ChoiceError(f"at most {MAX_PAIRS} pairs")
    return pairs


def format_indices(value: list[int] | None) -> str:
    return ", ".join(str(c) for c in value or [])


def format_pairs(value: list[list[int]] | None) -> str:
    return ", ".join(f"{a}→{b}" for a, b in value or [])


class ChoiceRow(QWidget):
    """A label, the text field and the place for its complaint; `chosen` carries a new value."""

    chosen = Signal(object)

    def __init__(self, label: str, placeholder: str, tip: str, parse: Callable[[str], Any],
                 show: Callable[[Any], str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._parse, self._show, self._value = parse, show, None
        self.field = QLineEdit()
        self.field.setPlaceholderText(placeholder)
        self.field.setToolTip(f"{tip} (applies from the next run)")
        self.field.editingFinished.connect(self._typed)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b")
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 2, 4, 0)
        row.addWidget(QLabel(label))
        row.addWidget(self.field, 1)
        row.addWidget(self.problem, 2)

    def set_current(self, value: Any) -> None:
        """Show the setting's value (without emitting)."""
        self._value = value
        self.field.setText(self._show(value))
        self.problem.clear()

    def _typed(self) -> None:
        try:
            value = self._parse(self.field.text())
        except ChoiceError as err:
            self.problem.setText(f"not changed: {err}")
            return
        self.problem.clear()
        if value != self._value:
            self._value = value
            self.chosen.emit(value)


# the setting each row edits → (label, placeholder, tip, parse, show)
ROWS: dict[str, tuple[str, str, str, Callable[[str], Any], Callable[[Any], str]]] = {
    "maximise_channels": ("Maximise channels", "first 8", f"channels whose maximising input is shown, e.g. 3, 12 "
                          f"or 0-3 (at most {MAX_MAXIMISED})", parse_indices, format_indices),
    "maximise_classes": ("Classes", "the first 16", f"classes whose maximising input is shown, e.g. 3, 8 or 0-9 "
                         f"(at most {MAX_MAXIMISED})", parse_indices, format_indices),
    "interpolation_pairs": ("Between samples", "0→1, 2→3, 4→5, 6→7", f"pairs of validation samples to "
                            f"interpolate between, e.g. 0→5, 2→7 (at most {MAX_PAIRS})", parse_pairs, format_pairs),
}


class WithChoice(QWidget):
    """A view under the row that chooses what it shows: `row`, then `body`."""

    def __init__(self, key: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key, self.body = key, body
        self.row = ChoiceRow(*ROWS[key], parent=self)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.row)
        column.addWidget(body, 1)


def pair_of_grids(parent: QWidget | None = None) -> QSplitter:
    """Two image grids side by side (`first`, `second`)."""
    split = QSplitter(Qt.Orientation.Horizontal, parent)
    split.first, split.second = ImageGrid(split), ImageGrid(split)  # type: ignore[attr-defined]
    split.addWidget(split.first)  # type: ignore[attr-defined]
    split.addWidget(split.second)  # type: ignore[attr-defined]
    split.setSizes([500, 500])
    return split
