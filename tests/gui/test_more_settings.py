"""Every key of the training block can be set in the Training form, with its help, validated as the trainer does."""

from __future__ import annotations

from netbuilder.gui.training.controls import TrainingControls
from netbuilder.gui.training.more_settings import INTERNAL, MAIN_FORM
from netbuilder.train.settings import DEFAULTS, resolve_settings


def make(qtbot, block=None):
    controls = TrainingControls()
    qtbot.addWidget(controls)
    controls.load(block or {"dataset": "digits"})
    edits: list[dict] = []
    controls.changed.connect(edits.append)
    return controls, edits


def test_every_setting_has_a_field_and_help(qtbot):
    controls, _ = make(qtbot)
    more = controls.more.fields
    assert set(DEFAULTS) == set(MAIN_FORM) | set(more) | set(INTERNAL)
    for key, field in more.items():
        assert len(field.toolTip()) > len(key) + 8, key  # "key: what it does"
    assert not controls.more.isVisibleTo(controls)
    controls.more_button.setChecked(True)
    assert controls.more.isVisibleTo(controls)


def test_gradient_clipping_rbm_mode_and_optimizer_options_reach_the_block(qtbot):
    controls, edits = make(qtbot)
    more = controls.more.fields
    more["grad_clip"].setText("1.0")
    more["grad_clip"].editingFinished.emit()
    more["mode"].setCurrentText("rbm_cd")
    more["cd_k"].setText("3")
    more["cd_k"].editingFinished.emit()
    more["nesterov"].setChecked(True)
    more["betas"].setText("[0.5, 0.99]")
    more["betas"].editingFinished.emit()
    more["schedule"].setText("cosine")  # a bare word is text
    more["schedule"].editingFinished.emit()
    block = edits[-1]
    assert block["grad_clip"] == 1.0 and block["mode"] == "rbm_cd" and block["cd_k"] == 3
    assert block["nesterov"] is True and block["betas"] == [0.5, 0.99] and block["schedule"] == "cosine"
    settings = resolve_settings({"training": controls.training()})
    assert settings["grad_clip"] == {"type": "norm", "max": 1.0} and settings["schedule"]["type"] == "cosine"


def test_a_value_the_trainer_refuses_is_marked_and_not_stored(qtbot):
    controls, edits = make(qtbot, {"dataset": "digits", "betas": [0.8, 0.9]})
    field = controls.more.fields["betas"]
    field.setText("[2, 1]")
    field.editingFinished.emit()
    assert not edits and "betas" in controls.more.errors
    assert "two numbers in [0, 1)" in field.toolTip()
    assert controls.training()["betas"] == [0.8, 0.9]
    field.setText("[0.9, 0.95]")
    field.editingFinished.emit()
    assert edits[-1]["betas"] == [0.9, 0.95] and "betas" not in controls.more.errors


def test_loading_a_block_shows_its_values(qtbot):
    controls, _ = make(qtbot, {"dataset": "digits", "momentum": 0.9, "validation": "test", "amp": True})
    fields = controls.more.fields
    assert fields["momentum"].text() == "0.9" and fields["validation"].text() == '"test"'
    assert fields["amp"].isChecked() and fields["val_split"].text() == "0.2"
