"""Issue 15's payloads: denoising rows, latent of any code, VAE strips, anomalies, regression, filters."""

from __future__ import annotations

import json

import numpy as np
from train_helpers import assert_finished, of_kind, run_events

from netbuilder.core.io import load_graph


def payload_of(preset: str, **settings) -> dict:
    graph = load_graph(f"presets/{preset}.json")
    events = run_events(graph, **{"epochs": 1, "samples": True, **settings})
    assert_finished(events)
    (payload,) = of_kind(events, "samples")
    json.dumps(payload)
    return payload


def test_denoising_rows_noisy_reconstruction_clean():
    p = payload_of("ae_denoising")
    clean, noisy, out = (np.array(p[k]) for k in ("inputs", "noisy_inputs", "denoised"))
    assert clean.shape == noisy.shape == out.shape == (16, 1, 8, 8)
    assert 0.2 < float((noisy - clean).std()) < 0.4  # the node's std 0.3
    assert 0.0 <= out.min() and out.max() <= 1.0  # through the decoder's sigmoid


def test_undercomplete_latent_is_pca_of_its_8_dim_code_and_anomalies():
    p = payload_of("ae_undercomplete")
    assert p["latent_node"] == "encoder" and p["latent_how"] == "PCA of z"
    latent = np.array(p["latent"])
    assert latent.shape == (359, 2) and len(p["latent_labels"]) == 359
    assert latent[:, 0].var() >= latent[:, 1].var()  # first principal component first
    errors = np.array(p["recon_errors"])
    assert errors.shape == (359,)
    worst = np.array(p["anomaly_index"])
    np.testing.assert_array_equal(worst, np.argsort(-errors, kind="stable")[:8])
    x, y = np.array(p["anomaly_inputs"]), np.array(p["anomaly_outputs"])
    np.testing.assert_allclose(((x - y) ** 2).reshape(8, -1).mean(1), errors[worst], atol=1e-3)


def test_vae_latent_projection_interpolation_and_grid():
    p = payload_of("vae")
    assert p["latent_how"] == "PCA of z" and np.array(p["latent"]).shape == (359, 2)
    strips = np.array(p["interpolation"])
    assert strips.shape == (4, 8, 1, 8, 8)
    assert float(np.abs(strips[:, 0] - strips[:, -1]).mean()) > 1e-3  # the two ends differ
    grid = np.array(p["latent_grid"])
    assert grid.shape == (8, 8, 1, 8, 8) and len(set(p["latent_grid_dims"])) == 2


def test_forecaster_series_and_predicted_vs_true():
    p = payload_of("lstm_sine_forecaster")
    pred, true = np.array(p["regression_pred"]), np.array(p["regression_true"])
    assert pred.shape == true.shape and len(pred) > 50
    assert np.array(p["series_input"]).shape == (4, 16) and np.array(p["series_pred"]).shape == (4, 1)


def test_many_to_many_output_per_step():
    p = payload_of("rnn_many_to_many")
    assert np.array(p["series_pred"]).shape == np.array(p["series_true"]).shape == (4, 16)


def test_conv_kernels_and_maximising_inputs():
    p = payload_of("lenet_digits")
    assert p["kernels_node"] == "conv1" and np.array(p["kernels"]).shape == (6, 5, 5)
    maxed = np.array(p["maximised"])
    assert maxed.shape == (6, 1, 8, 8) and float(np.abs(maxed[0] - maxed[1]).mean()) > 1e-3
    classes = np.array(p["maximised_classes"])  # one picture per digit, each its own
    assert classes.shape == (10, 1, 8, 8) and float(np.abs(classes[3] - classes[8]).mean()) > 1e-3


def test_maximise_channels_picks_which_channels_are_maximised():
    p = payload_of("lenet_digits", maximise_channels=[4, 1])
    assert p["maximised_channels"] == [4, 1]
    maxed = np.array(p["maximised"])
    assert maxed.shape == (2, 1, 8, 8) and float(np.abs(maxed[0] - maxed[1]).mean()) > 1e-3


def test_maximise_classes_and_interpolation_pairs_choose_what_is_shown():
    p = payload_of("lenet_digits", maximise_classes=[7, 3])
    assert p["maximised_class_ids"] == [7, 3] and np.array(p["maximised_classes"]).shape == (2, 1, 8, 8)
    p = payload_of("vae", interpolation_pairs=[[5, 0], [2, 9], [1, 3]])
    assert p["interpolation_pairs"] == [[5, 0], [2, 9], [1, 3]]
    strips = np.array(p["interpolation"])
    assert strips.shape[:2] == (3, 8)
    default = payload_of("vae")
    first = np.array(default["interpolation"])[0]  # the default 0→1
    assert np.allclose(first[0], strips[0][-1], atol=2e-3)  # 5→0 ends where 0→1 starts: sample #0 decoded
    assert not np.allclose(first[-1], strips[0][0], atol=2e-3)  # and starts elsewhere (#5, not #1)


def test_choices_the_network_does_not_have_are_refused_before_training():
    graph = load_graph("presets/lenet_digits.json")
    for chosen, message in (({"maximise_channels": [2, 6]}, "'maximise_channels' asks for channel 6 of 'conv1', "
                             "which has 6 (0..5)"),
                            ({"maximise_classes": [10]}, "'maximise_classes' asks for class 10 of the network's "
                             "output, which has 10 (0..9)"),
                            ({"interpolation_pairs": [[0, 9999]]}, "'interpolation_pairs' asks for validation "
                             "sample 9999")):
        events = run_events(graph, epochs=1, samples=True, **chosen)
        assert [e["event"] for e in events if e["event"] in ("epoch", "failed")] == ["failed"]
        assert message in events[-1]["message"]
