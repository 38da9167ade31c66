"""Integer fields as a newcomer types into them (issue 17): "1e3" is 1000, a value the field
cannot take is refused with a reason shown at the field, never silently reverted."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.params import Param
from netbuilder.gui.big_int_spin import BigIntSpin, IntSpin
from netbuilder.gui.int_text import parse_int
from netbuilder.gui.param_editors import IntEditor


def _type(qtbot, editor: IntEditor, text: str) -> None:
    line = editor.spin.lineEdit()
    line.selectAll()
    QTest.keyClicks(line, text)
    QTest.keyClick(line, Qt.Key.Key_Return)


@pytest.mark.parametrize("param, kind", [
    (Param("out_features", "int", 10, "outputs", min=1, max=1_000_000), IntSpin),
    (Param("out_features", "int", 10, "outputs", min=1), BigIntSpin),  # no upper bound: 64-bit
])
def test_scientific_notation_is_the_whole_number_and_bad_values_are_refused_aloud(qtbot, param, kind):
    editor = IntEditor(param)
    qtbot.addWidget(editor)
    editor.show()
    assert isinstance(editor.spin, kind)
    edits: list = []
    editor.edited.connect(edits.append)
    editor.set_value(10)
    _type(qtbot, editor, "1e3")
    assert editor.value() == 1000 and edits[-1] == 1000  # not 13, not 1013
    _type(qtbot, editor, "0")
    assert editor.value() == 1000  # refused...
    assert editor.spin.refusal == "0 is below the smallest allowed value, 1"  # ...and said so
    _type(qtbot, editor, "2,500")
    assert editor.value() == 2500


def test_what_counts_as_a_whole_number():
    assert [parse_int(t) for t in ("1e3", "1,000", "1_000", "-3", "1.0e2", "7")] == [1000, 1000, 1000, -3, 100, 7]
    assert [parse_int(t) for t in ("1.5", "2e-1", "x", "", "1e999999999", "nan", "inf")] == [None] * 7
