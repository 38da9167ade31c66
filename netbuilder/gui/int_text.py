"""Whole numbers as people type them into the editor's integer fields, and saying no aloud.

"1e3" is 1000 (QSpinBox read it as 13, then 1013 as typing went on), "1,000" and "1_000"
are 1000 too; "1.5" or "2e-1" are not whole numbers. A field that cannot take what was typed
(out of range, not a whole number) says why beside it, instead of silently going back to its
old value: `refuse(widget, message)` shows the message at the field and keeps it in
`widget.refusal` (tests read it).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from PySide6.QtWidgets import QToolTip, QWidget

# what may still become a number while being typed: "-", "1e", "2.", "1,0"
_PARTIAL = re.compile(r"[+-]?[\d,_]*(\.\d*)?([eE][+-]?\d*)?\Z")
MAX_DIGITS = 40  # "1e999999999" must not build a billion-digit integer


def parse_int(text: str) -> int | None:
    """The whole number `text` spells (1000 for "1e3", "1,000", "1_000"), or None."""
    cleaned = text.strip().replace(",", "").replace("_", "")
    if not cleaned or len(cleaned) > MAX_DIGITS:
        return None
    try:
        return int(cleaned)
    except ValueError:
        pass
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not number.is_finite() or number != number.to_integral_value() or abs(number.adjusted()) > MAX_DIGITS:
        return None
    return int(number)


def could_become_int(text: str) -> bool:
    """True while `text` is on its way to a number (so the field lets the typing go on)."""
    return bool(_PARTIAL.match(text.strip()))


def refusal_text(text: str, lo: int, hi: int) -> str | None:
    """Why `text` cannot go into a field holding lo..hi, or None when it can."""
    value = parse_int(text)
    if value is None:
        shown = text.strip()
        shown = shown if len(shown) <= 30 else shown[:27] + "…"
        return f"“{shown}” is not a whole number"
    if value < lo:
        return f"{value:,} is below the smallest allowed value, {lo:,}"
    if value > hi:
        return f"{value:,} is above the largest allowed value, {hi:,}"
    return None


def refuse(widget: QWidget, message: str) -> None:
    widget.refusal = message  # type: ignore[attr-defined]
    QToolTip.showText(widget.mapToGlobal(widget.rect().bottomLeft()), f"Not changed: {message}", widget)
