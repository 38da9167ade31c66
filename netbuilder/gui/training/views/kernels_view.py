"""The Kernels tab: a conv layer's kernels beside the inputs that maximise its channels.

Which channels are maximised is the `maximise_channels` training setting (issue 15: "for a
chosen channel"). The row above the images takes them as a student would type them —
"3, 12" or "0-3, 9" — and applies them from the next run, as the Latent view's Code
chooser does; an empty field means the first 8. What cannot be a channel list is refused
in the row itself, naming the part that is wrong, and nothing is changed.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QSplitter, QVBoxLayout, QWidget

from netbuilder.gui.training.image_grid import ImageGrid
from netbuilder.train.settings import MAX_MAXIMISED

_RANGE = re.compile(r"(\d{1,9})(?:\s*-\s*(\d{1,9}))?\Z")


class ChannelListError(ValueError):
    """The typed text is not a channel list; the message names the part that is wrong."""


def parse_channels(text: str) -> list[int] | None:
    """'3, 12' / '0-3, 9' → [3, 12] / [0, 1, 2, 3, 9]; '' → None (the default: the first 8)."""
    text = text.strip()
    if not text:
        return None
    channels: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        found = _RANGE.match(part)
        if not found:
            raise ChannelListError(f"{part!r} is not a channel number or a range like 0-3")
        lo = int(found.group(1))
        hi = int(found.group(2)) if found.group(2) else lo
        if hi < lo:
            raise ChannelListError(f"the range {part!r} runs backwards")
        if hi - lo >= MAX_MAXIMISED or len(channels) + hi - lo + 1 > MAX_MAXIMISED:
            raise ChannelListError(f"at most {MAX_MAXIMISED} channels at a time")
        channels += [c for c in range(lo, hi + 1) if c not in channels]
    return channels


def format_channels(channels: list[int] | None) -> str:
    return ", ".join(str(c) for c in channels or [])


class KernelsView(QWidget):
    """`first`: the kernels; `second`: the maximising inputs; `channels`: the chooser row."""

    channels_chosen = Signal(object)  # a list of channel numbers, or None = the first 8

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.channels = QLineEdit()
        self.channels.setPlaceholderText("first 8")
        self.channels.setToolTip("channels whose maximising input is shown, e.g. 3, 12 or 0-3 "
                                 f"(at most {MAX_MAXIMISED}; applies from the next run)")
        self.channels.editingFinished.connect(self._typed)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c0392b")
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 0)
        row.addWidget(QLabel("Maximise channels"))
        row.addWidget(self.channels, 1)
        row.addWidget(self.problem, 2)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        self.first, self.second = ImageGrid(split), ImageGrid(split)
        split.addWidget(self.first)
        split.addWidget(self.second)
        split.setSizes([500, 500])
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(split, 1)
        self._shown: list[int] | None = None

    def set_current(self, channels: list[int] | None) -> None:
        """Show the setting's value (without emitting)."""
        self._shown = channels
        self.channels.setText(format_channels(channels))
        self.problem.clear()

    def _typed(self) -> None:
        try:
            channels = parse_channels(self.channels.text())
        except ChannelListError as err:
            self.problem.setText(f"not changed: {err}")
            return
        self.problem.clear()
        if channels != self._shown:
            self._shown = channels
            self.channels_chosen.emit(channels)
