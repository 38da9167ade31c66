"""The 'what it learned' views and the settings widgets, fed directly."""

from __future__ import annotations

import numpy as np
import pytest

from netbuilder.gui.training.image_grid import as_image_array, to_qimage
from netbuilder.gui.training.learned_widgets import ConfusionMatrix, LatentScatter, project_2d
from netbuilder.gui.training.loss_table import format_reads, parse_reads
from netbuilder.gui.training.messages import failure_text, finished_text
from netbuilder.gui.training.samples_view import SamplesView


def test_flat_samples_become_images_of_the_input_shape():
    assert as_image_array(np.zeros(64)).shape == (8, 8)
    assert as_image_array(np.zeros(64), (1, 8, 8)).shape == (8, 8)
    assert as_image_array(np.zeros((3, 4, 5))).shape == (4, 5, 3)
    assert as_image_array(np.zeros(13)).shape == (1, 13)  # tabular: a strip
    img = to_qimage(np.array([[0.0, 1.0], [np.nan, 0.5]]))
    assert (img.width(), img.height()) == (2, 2)
    assert img.pixelColor(1, 0).red() == 255 and img.pixelColor(0, 0).red() == 0


def test_confusion_matrix_accuracy(qtbot):
    view = ConfusionMatrix()
    qtbot.addWidget(view)
    view.set_matrix([[8, 2], [1, 9]], ["cat", "dog"])
    assert view.accuracy == pytest.approx(17 / 20)
    assert view.grab().width() > 0  # paints


def test_latent_points_use_pca_above_two_dims(qtbot):
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(50, 5)) * np.array([10, 5, 0.1, 0.1, 0.1])
    xy, how = project_2d(pts)
    assert xy.shape == (50, 2) and how == "PCA of z"
    assert np.var(xy[:, 0]) == pytest.approx(np.var(pts[:, 0] - pts[:, 0].mean()), rel=0.05)
    scatter = LatentScatter()
    qtbot.addWidget(scatter)
    scatter.set_points(pts, rng.integers(0, 3, 50), ["a", "b", "c"])
    assert scatter.count == 50 and len(scatter.items) == 6  # a scatter and a name tag per class


def test_samples_view_makes_one_tab_per_payload_kind(qtbot):
    view = SamplesView()
    qtbot.addWidget(view)
    rng = np.random.default_rng(0)
    view.show_payload({"confusion": np.eye(3, dtype=int) * 5, "class_names": ["a", "b", "c"],
                       "inputs": rng.random((4, 1, 8, 8)), "predictions": [0, 1, 2, 0], "labels": [0, 1, 1, 0]})
    assert [view.tabText(i) for i in range(view.count())] == ["Confusion", "Predictions"]
    captions = [t.caption for t in view.views["Predictions"].tiles]
    assert captions == ["a ✓", "b ✓", "c (is b)", "a ✓"]
    view.show_payload({"inputs": rng.random((3, 64)), "reconstructions": rng.random((3, 64))})
    grid = view.views["Reconstruction"]
    assert grid.row_titles == ["input", "output"] and len([t for t in grid.tiles if t.image]) == 6
    view.show_payload({"latent": rng.normal(size=(40, 2)), "latent_labels": rng.integers(0, 3, 40),
                       "prior_samples": rng.random((5, 64))})
    latent = view.views["Latent"]
    assert latent.scatter.count == 40 and len(latent.prior.tiles) == 5
    view.show_payload({"feature_maps": rng.random((1, 6, 8, 8)), "feature_node": "conv1"})
    assert len(view.views["Features"].grid.tiles) == 6
    assert view.views["Features"].combo.currentText() == "conv1"
    view.show_payload({"filters": rng.normal(size=(12, 64))})
    assert len(view.views["Filters"].tiles) == 12
    assert [view.tabText(i) for i in range(view.count())] == [
        "Confusion", "Predictions", "Reconstruction", "Latent", "Features", "Filters"]
    view.reset()
    assert view.views == {} and view.count() == 1  # the placeholder


def test_loss_reads_round_trip():
    term = {"type": "sparsity_kl", "weight": 0.1, "node": "code", "rho": 0.05, "target": None}
    text = format_reads(term)
    assert text == "node=code, rho=0.05, target=null"
    assert parse_reads(text) == {"node": "code", "rho": 0.05, "target": None}
    with pytest.raises(ValueError, match="key=value"):
        parse_reads("node")


def test_messages_name_the_cause_and_a_remedy():
    text = failure_text({"kind": "oom", "step": 12, "message": "CUDA out of memory"})
    assert text.startswith("CUDA out of memory.") and "smaller batch" in text
    text = failure_text({"kind": "error", "step": None, "message": "dataset 'x.csv' not found"})
    assert text.startswith("Training failed: dataset 'x.csv' not found.")
    assert failure_text({"kind": "nan", "step": 3}).startswith("The loss became NaN or infinite at step 3.")
    assert "Finished after 3 epochs: val loss 0.5, accuracy 91%." == finished_text(
        {"epoch": 3, "val_loss": 0.5, "val_accuracy": 0.91, "val_mae": None})
