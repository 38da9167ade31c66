"""Every value the file format and the trainer accept is shown as it is — never clamped to int32."""

from __future__ import annotations

from netbuilder.core.spec import get_spec
from netbuilder.gui.big_int_spin import BigIntSpin
from netbuilder.gui.param_editors import make_editor
from netbuilder.gui.training.controls import TrainingControls


def test_the_training_form_keeps_huge_and_tiny_settings_exact(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    block = {"dataset": "digits", "batch_size": 2**21, "epochs": 2_000_000, "lr": 1e-16, "seed": 2**63 - 1,
             "optimizer": "sgd"}
    controls.load(block)
    shown = controls.training()
    assert shown["batch_size"] == 2**21 and shown["epochs"] == 2_000_000
    assert shown["lr"] == 1e-16 and shown["seed"] == 2**63 - 1
    assert controls.seed.text() == str(2**63 - 1)


def test_editing_another_setting_leaves_a_64_bit_seed_alone(qtbot):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.load({"dataset": "digits", "seed": 2**40 + 7})
    edits: list[dict] = []
    controls.changed.connect(edits.append)
    controls.epochs.setValue(3)
    assert edits[-1]["seed"] == 2**40 + 7 and edits[-1]["epochs"] == 3


def test_typing_a_seed_beyond_int32(qtbot):
    spin = BigIntSpin()
    qtbot.addWidget(spin)
    spin.setRange(0, 2**63 - 1)
    heard: list[int] = []
    spin.valueChanged.connect(heard.append)
    spin.lineEdit().setText("12345678901234")
    spin.editingFinished.emit()
    assert spin.value() == 12_345_678_901_234 and heard == [12_345_678_901_234]
    spin.stepBy(1)
    assert spin.value() == 12_345_678_901_235
    spin.setValue(2**64)  # beyond the range: held at the maximum, as QSpinBox does
    assert spin.value() == 2**63 - 1


def test_an_unbounded_int_parameter_editor_shows_values_beyond_int32(qtbot):
    param = next(p for p in get_spec("Transpose").params if p.name == "dim0")
    editor = make_editor(param)
    qtbot.addWidget(editor)
    editor.set_value(3_000_000_000)
    assert editor.value() == 3_000_000_000
    bounded = make_editor(next(p for p in get_spec("Conv2d").params if p.name == "out_channels"))
    qtbot.addWidget(bounded)
    bounded.set_value(16)
    assert bounded.value() == 16


def test_a_stride_of_2_to_the_31_shows_edits_and_undoes_without_overflow(make_window):
    """The segfault of issue 16: QSpinBox.setValue(2**31) raised inside show_node, left the inspector
    half-built, and the process died after a few undos."""
    from gui_helpers import small_graph

    graph = small_graph()
    graph.set_params("conv", {"stride": 2**31})
    window = make_window(graph)
    for _ in range(3):
        window.scene.select_nodes(["conv"])
        inspector = window.inspector
        assert inspector.node_id == "conv"
        assert inspector.editors["stride"].value() == 2**31
        inspector.editors["out_channels"].spin.setValue(7)
        window.flush()
        window.undo_stack.undo()
        window.flush()
        assert window.graph.nodes["conv"].params["stride"] == 2**31
