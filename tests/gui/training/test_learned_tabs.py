"""Issue 15's dock tabs, fed by real in-process training payloads: denoising rows,
VAE interpolation, anomalies, regression / sequences, conv kernels and
maximised inputs, the latent of a chosen node; each tab's Export PNG."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from netbuilder.core.io import load_graph
from netbuilder.gui.training.samples_view import SamplesView
from netbuilder.train.settings import SettingsError, resolve_settings
from netbuilder.train.trainer import Trainer

SHOTS = os.environ.get("NETBUILDER_VIEW_SHOTS")  # a folder: keep each tab's PNG to look at


def payload(preset: str, **settings) -> tuple[dict, dict]:
    """(started event, last samples event) of a 1-epoch in-process run, through JSON like the pipe."""
    events = [json.loads(json.dumps(e.to_dict())) for e in
              Trainer(load_graph(f"presets/{preset}.json"), {"epochs": 1, "device": "cpu", **settings}).run()]
    failed = [e for e in events if e["event"] == "failed"]
    assert not failed, failed[0]["message"]
    return events[0], [e for e in events if e["event"] == "samples"][-1]


def shown(qtbot, preset: str, **settings) -> tuple[SamplesView, dict]:
    started, samples = payload(preset, **settings)
    view = SamplesView()
    qtbot.addWidget(view)
    view.resize(900, 520)
    view.reset(started.get("image_shape"), started.get("class_names"))
    view.show_payload(samples)
    view.show()
    return view, samples


def exported(view: SamplesView, name: str, tmp_path) -> QImage:
    """Export the tab's PNG and read it back: it is the view, not an empty picture."""
    assert view.show_tab(name)
    path = view.tabs[name].export(tmp_path / f"{name}.png")
    if SHOTS:
        view.tabs[name].export(os.path.join(SHOTS, f"{name}.png"))
    image = QImage(str(path))
    assert image.width() > 200 and image.height() > 200
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 20  # tiles and plots drawn, not one background colour
    return image


def tabs(view: SamplesView) -> list[str]:
    return [view.tabText(i) for i in range(view.count())]


def test_denoising_rows_noisy_output_clean(qtbot, tmp_path):
    view, p = shown(qtbot, "ae_denoising")
    assert "Denoising" in tabs(view) and "Anomaly" in tabs(view)
    grid = view.views["Denoising"]
    assert grid.row_titles == ["noisy input", "output", "clean"] and grid.columns == 8
    assert len(grid.tiles) == 24 and all(t.image is not None for t in grid.tiles)
    # the rows are in that order: the first row's first tile is the noisy image, the last the clean one
    first, last = grid.tiles[0].image, grid.tiles[16].image
    noisy, clean = np.array(p["noisy_inputs"][0]).reshape(8, 8), np.array(p["inputs"][0]).reshape(8, 8)
    lo, hi = clean.min(), clean.max()
    def grey(img, r, c):
        return img.pixelColor(c, r).red()
    r, c = np.unravel_index(np.argmax(np.abs(noisy - clean)), noisy.shape)
    expect = lambda a: int(np.clip((a - lo) / (hi - lo), 0, 1) * 255)  # noqa: E731
    assert abs(grey(first, r, c) - expect(noisy[r, c])) <= 1
    assert abs(grey(last, r, c) - expect(clean[r, c])) <= 1
    exported(view, "Denoising", tmp_path)


def test_vae_interpolation_strips_and_grid_and_latent_pca(qtbot, tmp_path):
    view, p = shown(qtbot, "vae")
    assert tabs(view) == ["Reconstruction", "Latent", "Interpolation", "Anomaly"]
    interp = view.views["Interpolation"]
    assert interp.body.first.columns == 8 and len(interp.body.first.tiles) == 4 * 8
    assert interp.body.first.row_titles == ["#0→#1", "#2→#3", "#4→#5", "#6→#7"]
    assert interp.body.second.columns == 8 and len(interp.body.second.tiles) == 64
    dims = p["latent_grid_dims"]
    assert interp.body.second.title.startswith(f"z{dims[0] + 1} →, z{dims[1] + 1} ↑")
    latent = view.views["Latent"]
    assert latent.scatter.count == len(p["latent"]) and latent.scatter.plot_item.getAxis("bottom").labelText == "PC 1"
    exported(view, "Interpolation", tmp_path)
    exported(view, "Latent", tmp_path)


def test_anomaly_histogram_threshold_and_worst_samples(qtbot, tmp_path):
    view, p = shown(qtbot, "ae_undercomplete")
    anomaly = view.views["Anomaly"]
    errors = np.array(p["recon_errors"])
    assert anomaly.counts.sum() == len(errors)
    assert anomaly.line.value() == pytest.approx(np.percentile(errors, 95))
    assert anomaly.note.text().startswith(f"threshold {np.percentile(errors, 95):.4g}: {int((errors > np.percentile(errors, 95)).sum())} of {len(errors)}")
    worst = anomaly.worst
    assert worst.row_titles == ["most anomalous", "reconstructed"] * 2 and worst.columns == 4
    assert [t.caption.split(":")[0] for t in worst.tiles[:4] + worst.tiles[8:12]] == [
        f"#{i}" for i in p["anomaly_index"]]  # the 8 worst, worst first, over their reconstructions
    assert worst.tiles[0].caption == f"#{p['anomaly_index'][0]}: {errors.max():.3g}"
    anomaly.percentile.setValue(80.0)  # the user moves the threshold: the line and the count follow
    assert anomaly.line.value() == pytest.approx(np.percentile(errors, 80))
    assert len(anomaly.summary.flagged) == int((errors > np.percentile(errors, 80)).sum())
    exported(view, "Anomaly", tmp_path)
    view.resize(520, 520)  # a narrow dock pane: the worst samples go under the histogram, 8 a row
    qtbot.waitUntil(lambda: anomaly.orientation() == Qt.Orientation.Vertical, timeout=2000)
    assert worst.columns == 8 and [t.caption for t in worst.tiles[:8]] == [f"#{i}" for i in p["anomaly_index"]]


def test_forecaster_scatter_and_series_drawn_over(qtbot, tmp_path):
    view, p = shown(qtbot, "lstm_sine_forecaster")
    learned = view.views["Learned"]
    np.testing.assert_allclose(learned.points, np.column_stack([p["regression_true"], p["regression_pred"]]), atol=1e-4)
    steps, pred = learned.curves["predicted"]
    assert list(steps) == [16.0] and pred[0] == pytest.approx(p["series_pred"][0][0], abs=1e-4)  # after the window
    assert len(learned.curves["input"][0]) == 16
    exported(view, "Learned", tmp_path)


def test_many_to_many_output_at_every_step(qtbot, tmp_path):
    view, p = shown(qtbot, "rnn_many_to_many")
    curves = view.views["Learned"].curves
    assert list(curves["predicted"][0]) == list(range(16)) and len(curves["true"][1]) == 16
    np.testing.assert_allclose(curves["predicted"][1], p["series_pred"][0], atol=1e-4)
    exported(view, "Learned", tmp_path)


def test_conv_kernels_and_maximising_inputs(qtbot, tmp_path):
    view, p = shown(qtbot, "lenet_digits")
    assert tabs(view) == ["Confusion", "Predictions", "Features", "Kernels", "Classes"]
    kernels = view.views["Kernels"]
    assert len(kernels.body.first.tiles) == 6 and kernels.body.first.tiles[0].image.width() == 5
    assert "conv1: its 6 kernels" == kernels.body.first.title
    assert [t.caption for t in kernels.body.second.tiles] == [f"ch {i}" for i in range(6)]
    assert kernels.body.second.tiles[0].image.width() == 8  # an input-sized picture
    exported(view, "Kernels", tmp_path)
    classes = view.views["Classes"]
    assert [t.caption for t in classes.body.tiles] == view.class_names == [str(k) for k in range(10)]
    assert classes.body.tiles[0].image.width() == 8
    exported(view, "Classes", tmp_path)


def test_latent_of_a_chosen_node_of_a_classifier(qtbot, tmp_path):
    view, p = shown(qtbot, "lenet_digits", latent_node="relu4")
    assert p["latent_node"] == "relu4" and p["latent_how"] == "PCA of z"
    latent = view.views["Latent"]
    assert latent.scatter.count == len(p["latent"]) > 100 and len(latent.scatter.items) == 20  # 10 digits, tagged
    assert "Latent space of relu4" in latent.scatter.plot_item.titleLabel.text
    exported(view, "Latent", tmp_path)


def test_a_latent_node_that_is_not_there_is_named():
    events = [e.to_dict() for e in Trainer(load_graph("presets/lenet_digits.json"),
                                           {"epochs": 1, "device": "cpu", "latent_node": "nope"}).run()]
    assert events[-1]["event"] == "failed" and "'latent_node' names 'nope'" in events[-1]["message"]
    with pytest.raises(SettingsError, match="'latent_node' must be a node id or null"):
        resolve_settings(None, {"latent_node": 3})


def test_screenshot_view_brings_the_chosen_tab_to_the_front(qtbot, host, fake_runs, tmp_path, capsys):
    """`--train --view anomaly --screenshot`: that tab is the one in the picture; a view
    this network lacks is named with the ones it has, and the exit code says so."""
    from argparse import Namespace

    from gui_training_helpers import lenet_digits

    from netbuilder.gui.training.headless import train_and_screenshot

    rng = np.random.default_rng(0)
    extra = {"event": "samples", "epoch": 1, "confusion": np.eye(3, dtype=int).tolist(),
             "recon_errors": rng.random(50).tolist(), "anomaly_inputs": rng.random((8, 64)).tolist(),
             "anomaly_outputs": rng.random((8, 64)).tolist(), "anomaly_index": list(range(8)),
             "kernels": rng.normal(size=(4, 3, 3)).tolist(), "kernels_node": "conv1"}

    class WithSamples(fake_runs):
        def _advance(self) -> None:
            super()._advance()
            if any(e["event"] == "finished" for e in self._queue):
                self._queue.insert(-1, dict(extra))

    window = host(lenet_digits(epochs=1))
    samples = window.training_dock.samples
    for view, tab in (("anomaly", "Anomaly"), ("filters", "Kernels"), ("Confusion", "Confusion")):
        window.training_dock.run_factory = lambda g, s: WithSamples(g, s, steps=2)
        out = tmp_path / f"{view}.png"
        assert train_and_screenshot(window, Namespace(dataset=None, epochs=1, screenshot=str(out), view=view)) == 0
        assert samples.tabText(samples.currentIndex()) == tab and out.stat().st_size > 0
    window.training_dock.run_factory = lambda g, s: WithSamples(g, s, steps=2)
    args = Namespace(dataset=None, epochs=1, screenshot=str(tmp_path / "x.png"), view="latent")
    assert train_and_screenshot(window, args) == 1
    assert "--view latent: this network has no such view after training (its views: Anomaly, Confusion, Kernels" \
        in capsys.readouterr().err


def test_choosing_the_latent_node_is_a_training_setting(qtbot, host, fake_runs):
    from gui_training_helpers import lenet_digits

    window = host(lenet_digits(epochs=1))
    dock = window.training_dock
    dock.run_factory = lambda g, s: fake_runs(g, s, steps=2)
    assert dock.start()
    dock.samples.show_payload({"latent": np.random.default_rng(0).normal(size=(30, 2)), "latent_how": "PCA of z",
                               "latent_node": "fc1"})
    view = dock.samples.views["Latent"]
    choices = [view.combo.itemText(i) for i in range(view.combo.count())]
    assert choices[0] == "automatic" and choices[1:4] == ["conv1", "relu1", "pool1"] and "output" not in choices
    assert view.scatter.plot_item.getAxis("bottom").labelText == "PC 1"  # the trainer's projection, named
    code = choices[-1]  # the last layer before the Output
    view.combo.setCurrentText(code)
    view.combo.activated.emit(view.combo.currentIndex())
    assert window.graph.training["latent_node"] == code
    view.combo.setCurrentText("automatic")
    view.combo.activated.emit(view.combo.currentIndex())
    assert window.graph.training["latent_node"] is None
    window.undo_stack.undo()  # settings edits in a row merge into one undo step
    assert "latent_node" not in window.graph.training
    qtbot.waitUntil(lambda: dock.run is None, timeout=5000)


def test_choosing_what_kernels_classes_and_interpolation_show_is_a_training_setting(qtbot, host, fake_runs):
    """Each row takes a list as a student types it ('4, 0-1', '0→5, 2 7'), sets its training
    setting (one undo step per row), refuses a bad list in place, and the next payload's
    images are captioned with what was chosen."""
    from gui_training_helpers import lenet_digits

    window = host(lenet_digits(epochs=1))
    dock = window.training_dock
    dock.run_factory = lambda g, s: fake_runs(g, s, steps=2)
    assert dock.start()
    rng = np.random.default_rng(0)
    dock.samples.show_payload({"kernels": rng.normal(size=(6, 5, 5)), "kernels_node": "conv1",
                               "maximised": rng.random((3, 1, 8, 8)), "maximised_channels": [4, 0, 1],
                               "maximised_classes": rng.random((2, 1, 8, 8)), "maximised_class_ids": [7, 3],
                               "interpolation": rng.random((2, 8, 1, 8, 8)), "interpolation_pairs": [[0, 5], [2, 7]]})
    kernels, classes, interp = (dock.samples.views[k] for k in ("Kernels", "Classes", "Interpolation"))
    assert [t.caption for t in kernels.body.second.tiles] == ["ch 4", "ch 0", "ch 1"]
    assert [t.caption for t in classes.body.tiles] == ["7", "3"]
    assert interp.body.first.row_titles == ["#0→#5", "#2→#7"]
    for view, text, value in ((kernels, "4, 0-1", [4, 0, 1]), (classes, "7,3", [7, 3]),
                              (interp, "0→5, 2 7", [[0, 5], [2, 7]])):
        view.row.field.setText(text)
        view.row.field.editingFinished.emit()
        assert window.graph.training[view.key] == value and not view.row.problem.text()
    kernels.row.field.setText("3, x")
    kernels.row.field.editingFinished.emit()
    assert "'x' is not a number" in kernels.row.problem.text()
    assert window.graph.training["maximise_channels"] == [4, 0, 1]  # a bad list changes nothing
    kernels.row.field.setText("")
    kernels.row.field.editingFinished.emit()
    assert window.graph.training["maximise_channels"] is None
    window.undo_stack.undo()
    assert window.graph.training["maximise_channels"] == [4, 0, 1]
    qtbot.waitUntil(lambda: dock.run is None, timeout=5000)


def test_lists_as_typed():
    from netbuilder.gui.training.views.choice_rows import ChoiceError, parse_indices, parse_pairs

    assert parse_indices(" ") is None and parse_pairs("") is None
    assert parse_indices("3, 12") == [3, 12]
    assert parse_indices("0-3, 9, 2") == [0, 1, 2, 3, 9]
    assert parse_pairs("0→5, 2 7, 3->4, 1-9") == [[0, 5], [2, 7], [3, 4], [1, 9]]
    for text, why in (("5-2", "runs backwards"), ("0-999999999", "at most 16"), ("1,,2", "'' is not"),
                      ("-1", "'-1' is not")):
        with pytest.raises(ChoiceError, match=why):
            parse_indices(text)
    for text, why in (("3", "not a pair"), ("4→4", "to itself"), (", ".join(f"{i} {i + 1}" for i in range(9)),
                                                                  "at most 8")):
        with pytest.raises(ChoiceError, match=why):
            parse_pairs(text)
    with pytest.raises(SettingsError, match="'maximise_channels' must be null or a list of 1 to 16 different"):
        resolve_settings(None, {"maximise_channels": [1, 1]})
    with pytest.raises(SettingsError, match="'interpolation_pairs' must be null or a list of 1 to 8 pairs"):
        resolve_settings(None, {"interpolation_pairs": [[1, 2, 3]]})
    chosen = resolve_settings(None, {"maximise_classes": [7, 2], "interpolation_pairs": [[3, 1]]})
    assert chosen["maximise_classes"] == [7, 2] and chosen["interpolation_pairs"] == [[3, 1]]
