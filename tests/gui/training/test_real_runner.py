"""End to end: the dock drives the real child-process runner on tiny runs."""

from __future__ import annotations

import numpy as np
import pytest
from gui_training_helpers import autoencoder_digits, lenet_digits, linear_digits

from netbuilder.gui.training.image_grid import as_image_array, to_qimage

pytestmark = pytest.mark.slow

START_S = 120_000  # ms: the child imports torch, which is slow on a busy 2-core machine


def _record(dock) -> list[dict]:
    """Keep a copy of every event the dock handles."""
    seen: list[dict] = []
    handle = dock._handle

    def spy(event: dict) -> None:
        seen.append(event)
        handle(event)

    dock._handle = spy
    return seen


def test_digits_run_draws_exactly_the_emitted_points(qtbot, host):
    window = host(lenet_digits(epochs=2))
    dock = window.training_dock
    seen = _record(dock)
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=START_S)
    assert dock.outcome == "finished", dock.run_panel.banner.text()
    run = dock.curves.curves.current
    epochs = [e for e in seen if e["event"] == "epoch"]
    steps = [e for e in seen if e["event"] == "step"]
    assert len(epochs) == 2 and steps
    assert list(run.series["val"].view()[1]) == pytest.approx([e["val_loss"] for e in epochs])
    assert list(run.series["train_step"].view()[1]) == pytest.approx([e["train_loss"] for e in steps])
    val_item = dock.curves.curves.item("val")
    assert list(val_item.yData) == pytest.approx([e["val_loss"] for e in epochs])
    acc = run.series["val_accuracy"].view()[1]
    assert list(acc) == pytest.approx([100 * e["val_accuracy"] for e in epochs])
    assert dock.run_panel.banner_kind == "ok"
    assert "Confusion" in dock.samples.views  # a classifier shows its confusion matrix


def test_pause_resume_and_stop_the_child(qtbot, host):
    window = host(lenet_digits(epochs=500))
    dock = window.training_dock
    panel = dock.run_panel
    seen = _record(dock)
    assert dock.start()
    run = dock.run
    qtbot.waitUntil(lambda: any(e["event"] == "step" for e in seen), timeout=START_S)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.state == "paused", timeout=20_000)
    panel.pause_button.click()
    qtbot.waitUntil(lambda: panel.state == "running", timeout=20_000)
    panel.stop_button.click()
    qtbot.waitUntil(lambda: dock.outcome == "stopped", timeout=20_000)
    assert not run.running
    assert panel.start_button.isEnabled()


def test_huge_learning_rate_shows_the_nan_error(qtbot, host):
    window = host(linear_digits(epochs=5, lr=1e37, optimizer="sgd"))
    dock = window.training_dock
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=START_S)
    assert dock.outcome == "failed"
    assert dock.run_panel.banner_kind == "error"
    assert "NaN" in dock.run_panel.banner.text()
    assert set(window.graph.nodes) == {"x", "fc", "out"}  # the editor keeps everything


def test_autoencoder_reconstructions_update_each_epoch(qtbot, host):
    window = host(autoencoder_digits(epochs=2))
    dock = window.training_dock
    seen = _record(dock)
    assert dock.start()
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=START_S)
    assert dock.outcome == "finished", dock.run_panel.banner.text()
    payloads = [e for e in seen if e["event"] == "samples"]
    assert len(payloads) == 2 and dock.samples.updates == 2  # one per epoch, each shown
    grid = dock.samples.views["Reconstruction"]
    assert grid.row_titles[:2] == ["input", "output"]
    # the output row shows the last epoch's reconstructions, on the input's scale
    last = payloads[-1]
    x, r = np.asarray(last["inputs"][0]), np.asarray(last["reconstructions"][0])
    shape = tuple(last["image_shape"] or ())
    expected = to_qimage(as_image_array(r, shape), vrange=(float(x.min()), float(x.max())))
    cols = grid.columns
    assert grid.tiles[cols].image == expected
    assert grid.tiles[cols].image != to_qimage(as_image_array(np.asarray(payloads[0]["reconstructions"][0]), shape),
                                               vrange=(float(x.min()), float(x.max())))


def test_closing_the_window_stops_the_child(qtbot, host):
    window = host(lenet_digits(epochs=500))
    dock = window.training_dock
    assert dock.start()
    run = dock.run
    qtbot.waitUntil(lambda: dock.run_panel.state == "running", timeout=START_S)
    window.close()
    qtbot.waitUntil(lambda: dock.run is None, timeout=20_000)
    assert not run.running


def test_the_editor_window_trains_and_stays_editable(qtbot, make_window, dialogs):
    """The real main window: train while editing; closing it mid-run stops the child."""
    window = make_window(lenet_digits(epochs=500))
    dock = window.training_dock
    seen = _record(dock)
    assert dock.start()
    run = dock.run
    qtbot.waitUntil(lambda: any(e["event"] == "epoch" for e in seen), timeout=START_S)
    window.graph.set_params("fc", {"out_features": 12})  # the editor keeps working during the run
    assert window.graph.nodes["fc"].params["out_features"] == 12
    assert dock.run_panel.banner_kind == "warning"
    assert dock.curves.curves.current.points("val") >= 1
    dialogs.save_answer = "discard"
    window.close()
    qtbot.waitUntil(lambda: dock.run is None, timeout=20_000)
    assert not run.running


@pytest.mark.parametrize(("preset", "tabs"), [
    ("lenet_digits", ["Confusion", "Predictions", "Features", "Kernels", "Classes"]),
    ("vae", ["Reconstruction", "Latent", "Interpolation", "Anomaly"]),
    ("rbm", ["Reconstruction", "Filters"]),
    ("ae_conv", ["Reconstruction", "Latent", "Anomaly", "Features", "Kernels"]),  # issue 15: code, errors, kernels
])
def test_presets_show_what_they_learned_and_every_loss_term(qtbot, host, preset, tabs):
    """The shipped files through the real child: each kind of network gets its views,
    and a multi-term loss draws each term's epoch means in the terms plot."""
    from netbuilder.presets import load_preset

    window = host(load_preset(preset))
    dock = window.training_dock
    seen = _record(dock)
    assert dock.start({"epochs": 2})
    qtbot.waitUntil(lambda: dock.outcome != "", timeout=START_S)
    assert dock.outcome == "finished", dock.run_panel.banner.text()
    assert [dock.samples.tabText(i) for i in range(dock.samples.count())] == [*tabs, "Layers"]  # + layer health
    epochs = [e for e in seen if e["event"] == "epoch"]
    last = [e for e in seen if e["event"] == "samples"][-1]
    if "Latent" in tabs:
        latent = dock.samples.views["Latent"]
        assert latent.scatter.count == len(last["latent"]) > 0
        if preset.startswith("vae"):  # only a VAE decodes prior samples
            assert len(latent.prior.tiles) == min(len(last["prior_samples"]), 32) > 0
    if "Filters" in tabs:
        assert len(dock.samples.views["Filters"].tiles) == min(len(last["filters"]), 64) > 0
    run = dock.curves.curves.current
    terms = list(epochs[-1]["terms"])
    if len(terms) > 1:
        plot = dock.curves.plot.terms_plot
        assert plot in dock.curves.plot.active_plots()
        for term in terms:
            item = dock.curves.curves.item(f"term_epoch:{term}")
            assert item in plot.items
            assert list(item.yData) == pytest.approx([e["terms"][term] for e in epochs])
    assert dock.run_panel.speed.text().endswith(f"epoch 2 loss {epochs[-1]['train_loss']:.4g}")
