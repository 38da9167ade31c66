"""The inspector: a form per layer type, live and undoable edits, facts."""

from __future__ import annotations

import pytest
from gui_helpers import small_graph
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from netbuilder.core.spec import all_specs
from netbuilder.gui.param_editors import IntsEditor, ListEditor, OptionalEditor, WordOrEditor, make_editor


def type_into(spin, text: str) -> None:
    """Select the spin box's text and type, as a user would."""
    spin.setFocus()
    spin.selectAll()
    QTest.keyClicks(spin, text)
    QTest.keyClick(spin, Qt.Key.Key_Return)


def test_kernel_size_edit_shows_and_clears_the_error_badge(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["conv"])
    inspector = window.inspector
    assert inspector.node_id == "conv"
    kernel = inspector.editors["kernel_size"]
    assert isinstance(kernel, IntsEditor)
    type_into(kernel.single, "40")
    window.flush()
    item = window.scene.node_items["conv"]
    assert window.graph.nodes["conv"].params["kernel_size"] == 40
    assert item.status == "error" and "kernel" in item.message
    assert inspector.status.isVisible() and "kernel" in inspector.status.text()
    type_into(kernel.single, "3")
    window.flush()
    assert item.status == "ok" and item.footer == "→ 6×26×26"
    assert not inspector.status.isVisible()


def test_consecutive_edits_of_one_field_are_one_undo_step(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["fc"])
    spin = window.inspector.editors["out_features"].spin
    for value in (11, 12, 13):
        spin.setValue(value)
    assert window.undo_stack.count() == 1
    window.inspector.editors["bias"].box.setChecked(False)
    assert window.undo_stack.count() == 2
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.graph.nodes["fc"].params == {"out_features": 10, "bias": True}
    assert spin.value() == 10  # the form follows the model on undo


def test_invalid_value_is_refused_with_a_message(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["x"])
    shape = window.inspector.editors["shape"]
    assert isinstance(shape, ListEditor)
    shape.minus.click()
    shape.minus.click()
    assert window.graph.nodes["x"].params["shape"] == [1]
    window.undo_stack.undo()
    window.undo_stack.undo()
    assert window.graph.nodes["x"].params["shape"] == [1, 28, 28]
    window.inspector._apply("shape", "nonsense")
    assert window.inspector.field_errors["shape"].isVisibleTo(window.inspector)
    assert window.graph.nodes["x"].params["shape"] == [1, 28, 28]
    assert "shape" in window.statusBar().currentMessage()


def test_facts_show_shapes_params_macs_and_linear_weight_orientation(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["fc"])
    rows = {}
    form = window.inspector.facts
    for r in range(form.rowCount()):
        label = form.itemAt(r, form.ItemRole.LabelRole).widget().text()
        rows[label] = form.itemAt(r, form.ItemRole.FieldRole).widget().text()
    assert rows["Input"] == "3456" and rows["Output"] == "10"
    assert rows["Parameters"] == f"{3456 * 10 + 10:,}"
    assert rows["MACs"].startswith(f"{3456 * 10:,}")
    assert rows["weight"] == "10×3456" and rows["bias"] == "10"
    assert rows["W"].startswith("3456 × 10: rows = inputs, columns = outputs")


def test_nothing_selected_shows_the_network_and_renames_it(make_window):
    window = make_window(small_graph())
    window.scene.clearSelection()
    inspector = window.inspector
    assert inspector.node_id is None and "6 layers" in inspector.network_status.text()
    inspector.name_edit.setText("renamed")
    inspector.name_edit.editingFinished.emit()
    assert window.graph.name == "renamed"
    window.undo_stack.undo()
    assert window.graph.name == "small" and inspector.name_edit.text() == "small"


def test_multi_selection_says_so(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["conv", "relu"])
    assert window.inspector.node_id is None


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.type)
def test_every_param_editor_shows_and_returns_its_default(qtbot, spec):
    """Each generated editor round-trips the declared default unchanged."""
    for p in spec.params:
        editor = make_editor(p)
        qtbot.addWidget(editor)
        fired = []
        editor.edited.connect(fired.append)
        editor.set_value(p.default)
        assert not fired, f"{spec.type}.{p.name}: set_value must be silent"
        assert p.validate(editor.value()) == p.validate(p.default), f"{spec.type}.{p.name}"


def test_tuple_and_word_editors(qtbot):
    from netbuilder.core.spec import get_spec

    conv = get_spec("Conv2d")
    kernel = make_editor(conv.param("kernel_size"))
    qtbot.addWidget(kernel)
    kernel.set_value([3, 5])
    assert kernel.value() == [3, 5] and kernel.toggle.isChecked()
    kernel.toggle.setChecked(False)
    assert kernel.value() == 3
    padding = make_editor(conv.param("padding"))
    qtbot.addWidget(padding)
    assert isinstance(padding, WordOrEditor)
    padding.set_value("same")
    assert padding.value() == "same"
    padding.combo.setCurrentText("number")
    assert padding.value() == 0
    stride = make_editor(get_spec("MaxPool2d").param("stride"))
    qtbot.addWidget(stride)
    assert isinstance(stride, OptionalEditor)
    stride.set_value(None)
    assert stride.value() is None
    stride.auto.setChecked(False)
    assert stride.value() == 1
    shape = make_editor(get_spec("Input").param("shape"))
    qtbot.addWidget(shape)
    shape.set_value([None, 8])
    assert shape.value() == [None, 8] and shape.spins[0].text() == "?"
