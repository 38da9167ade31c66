"""Tooltips written only when Qt is about to show one (issue 18: 20,000 nodes open in ~2 s).

An item keeps `_tooltip` (None = stale) and says what its text is in `_tooltip_text()`; the
scene calls `sync_tooltip()` just before Qt shows a tooltip, so building the rich text of every
node and port is never part of opening or editing a network.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGraphicsItem


class LazyTooltip:
    """Mixed in before QGraphicsItem (node and port items)."""

    _tooltip: str | None = None

    def _tooltip_text(self) -> str:  # pragma: no cover - each item says its own
        raise NotImplementedError

    def toolTip(self) -> str:  # noqa: N802 - what Qt's toolTip() shows once sync_tooltip ran
        if self._tooltip is None:
            self._tooltip = self._tooltip_text()
        return self._tooltip

    def sync_tooltip(self) -> None:
        """Hand the tooltip to Qt (the scene calls this before Qt shows one)."""
        text = self.toolTip()
        if QGraphicsItem.toolTip(self) != text:  # type: ignore[arg-type]
            self.setToolTip(text)  # type: ignore[attr-defined]
