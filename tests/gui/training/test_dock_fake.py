"""The dock's wiring against a scripted runner: fast, no child process."""

from __future__ import annotations

from gui_training_helpers import lenet_digits


def _start(dock, fake, **kw):
    dock.run_factory = lambda g, s: fake(g, s, **kw)
    assert dock.start()
    return fake.instances[-1]


def test_settings_edits_go_to_the_training_block_through_undo(qtbot, host):
    window = host(lenet_digits(epochs=2))
    controls = window.training_dock.controls
    assert controls.epochs.value() == 2
    controls.epochs.setValue(7)
    assert window.graph.training["epochs"] == 7
    controls.epochs.setValue(9)  # same setting again: one merged undo step
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert window.graph.training["epochs"] == 2
    assert controls.epochs.value() == 2  # the form follows the model


def test_run_feeds_the_curves_and_the_progress(qtbot, host, fake_runs):
    window = host(lenet_digits(epochs=2))
    dock = window.training_dock
    run = _start(dock, fake_runs, steps=4)
    qtbot.waitUntil(lambda: dock.outcome == "finished", timeout=5000)
    curves = dock.curves.curves.current
    step_series = curves.series["train_step"]
    assert step_series.n == 8
    assert list(curves.series["val"].view()[1]) == [0.5 * 1.1, 0.25 * 1.1]
    item = dock.curves.curves.item("val")
    assert list(item.yData) == list(curves.series["val"].view()[1])
    assert dock.run_panel.progress.value() == 1000
    assert dock.run_panel.banner_kind == "ok" and "accuracy" in dock.run_panel.banner.text()
    assert run.settings["epochs"] == 2


def test_pause_resume_stop_buttons(qtbot, host, fake_runs):
    window = host(lenet_digits(epochs=50))
    dock = window.training_dock
    panel = dock.run_panel
    run = _start(dock, fake_runs, steps=1000)
    qtbot.waitUntil(lambda: panel.state == "running", timeout=3000)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.state == "paused", timeout=3000)
    assert panel.pause_button.text() == "Resume" and run.paused
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.state == "running", timeout=3000)
    panel.stop_button.click()
    assert panel.state == "stopping" and not panel.stop_button.isEnabled()
    qtbot.waitUntil(lambda: dock.outcome == "stopped", timeout=3000)
    assert run.stopped
    assert panel.start_button.isEnabled() and not panel.stop_button.isEnabled()


def test_nan_shows_an_error_and_keeps_the_graph(qtbot, host, fake_runs):
    window = host(lenet_digits(epochs=3))
    dock = window.training_dock
    before = dict(window.graph.nodes)
    _start(dock, fake_runs, steps=5, nan_at=3)
    qtbot.waitUntil(lambda: dock.outcome == "failed", timeout=5000)
    assert dock.run_panel.banner_kind == "error"
    assert "NaN" in dock.run_panel.banner.text() and "learning rate" in dock.run_panel.banner.text()
    assert window.graph.nodes == before
    assert dock.run_panel.start_button.isEnabled()


def test_editing_the_graph_during_a_run_warns(qtbot, host, fake_runs):
    window = host(lenet_digits(epochs=50))
    dock = window.training_dock
    _start(dock, fake_runs, steps=1000)
    window.graph.set_params("fc", {"out_features": 12})
    assert dock.run_panel.banner_kind == "warning"
    assert "as it was when you pressed Start" in dock.run_panel.banner.text()
    dock.stop()
    qtbot.waitUntil(lambda: dock.outcome == "stopped", timeout=3000)


def test_a_broken_graph_does_not_start(qtbot, host, fake_runs):
    graph = lenet_digits()
    graph.set_params("conv1", {"kernel_size": 20})
    window = host(graph)
    dock = window.training_dock
    dock.run_factory = fake_runs
    assert not dock.start()
    assert dock.run_panel.banner_kind == "error" and "conv1" in dock.run_panel.banner.text()
    assert fake_runs.instances == []


def test_closing_the_window_stops_the_run(qtbot, host, fake_runs):
    window = host(lenet_digits(epochs=50))
    dock = window.training_dock
    run = _start(dock, fake_runs, steps=1000)
    window.close()
    qtbot.waitUntil(lambda: run.stopped, timeout=3000)
    assert dock.run is None


def test_opening_another_file_reloads_the_settings(qtbot, host):
    window = host(lenet_digits(epochs=2))
    other = lenet_digits(epochs=11, optimizer="sgd")
    window.graph.replace_with(other)
    controls = window.training_dock.controls
    assert controls.epochs.value() == 11 and controls.optimizer.currentText() == "sgd"


def test_choosing_the_feature_map_layer_is_a_training_setting(qtbot, host, fake_runs):
    import numpy as np

    window = host(lenet_digits(epochs=1))
    dock = window.training_dock
    _start(dock, fake_runs, steps=2)
    assert dock.samples.feature_choices == ["conv1", "relu1", "pool1"]  # outputs with channels
    dock.samples.show_payload({"feature_maps": np.zeros((1, 4, 8, 8)), "feature_node": "conv1"})
    view = dock.samples.views["Features"]
    view.combo.setCurrentText("relu1")
    view.combo.activated.emit(view.combo.currentIndex())
    assert window.graph.training["feature_node"] == "relu1"
    window.undo_stack.undo()
    assert "feature_node" not in window.graph.training


def test_default_loss_terms_follow_the_graph_until_the_user_edits_them(qtbot, host):
    """No loss in the file: the form shows the inferred terms (reconstruction + KL for a
    VAE), keeps the file free of them, follows graph edits, and Defaults undoes a user edit."""
    from netbuilder.presets import load_preset

    graph = load_preset("vae")
    graph.set_meta(training={k: v for k, v in graph.training.items() if k != "loss"})
    window = host(graph)
    loss = window.training_dock.controls.loss
    assert loss.is_default and [r.term()["type"] for r in loss.rows] == ["reconstruction", "kl_gaussian"]
    assert loss.rows[0].kind.font().italic()
    dock = window.training_dock
    window.graph.remove_node("sampling")  # no Sampling node: no KL term
    assert dock._follow_defaults.isActive()  # not in the edit's own push: a burst is counted once
    assert [r.term()["type"] for r in loss.rows] == ["reconstruction", "kl_gaussian"]
    qtbot.waitUntil(lambda: [r.term()["type"] for r in loss.rows] == ["reconstruction"], timeout=2000)
    assert "loss" not in window.graph.training
    loss.rows[0].weight.setValue(2.0)  # the user's edit goes to the file, through undo
    assert window.graph.training["loss"][0]["weight"] == 2.0 and not loss.is_default
    from PySide6.QtWidgets import QToolButton

    next(b for b in loss.findChildren(QToolButton) if b.text() == "Defaults").click()
    assert "loss" not in window.graph.training and loss.is_default
