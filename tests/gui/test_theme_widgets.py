"""The stylesheets draw controls that can be seen: an unchecked check box is a
visible box in both themes, and a checked one shows its tick."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton, QVBoxLayout, QWidget

from netbuilder.gui import theme
from netbuilder.gui.app import ensure_app, settle


def _luminance(c: QColor) -> float:
    """WCAG relative luminance."""
    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def _contrast(a: QColor, b: QColor) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _indicator(qtbot, checked: bool) -> tuple[QImage, QColor]:
    """The check box's indicator area as rendered, and the panel colour behind it."""
    panel = QWidget()
    qtbot.addWidget(panel)
    box = QCheckBox("bias")
    box.setChecked(checked)
    QVBoxLayout(panel).addWidget(box)
    panel.show()
    settle()
    option = QStyleOptionButton()
    box.initStyleOption(option)
    rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
    return box.grab(rect).toImage(), panel.grab().toImage().pixelColor(1, 1)


def _most_contrast(image: QImage, background: QColor) -> float:
    """Of the opaque pixels (a grab leaves the rounded corners transparent black)."""
    pixels = (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height()))
    return max(_contrast(c, background) for c in pixels if c.alpha() == 255)


@pytest.mark.parametrize("name", theme.THEMES)
def test_an_unchecked_box_stands_out_from_the_panel(qtbot, name):
    theme.apply(ensure_app(), name)
    try:
        image, background = _indicator(qtbot, checked=False)
        assert _most_contrast(image, background) >= 3.0, f"unchecked box hardly visible in the {name} theme"
        checked, _ = _indicator(qtbot, checked=True)
        tick = {checked.pixelColor(x, y).name() for x in range(checked.width()) for y in range(checked.height())}
        assert "#ffffff" in tick or "#fefefe" in tick  # the white tick of icons/check.svg was drawn
    finally:
        theme.apply(ensure_app(), "dark")
