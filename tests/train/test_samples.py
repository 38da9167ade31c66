"""The per-epoch `samples` payloads the GUI draws."""

from __future__ import annotations

import json

import numpy as np
from train_graphs import cnn, dense_autoencoder, mlp, rbm, vae
from train_helpers import assert_finished, of_kind, run_events


def samples_of(graph, **settings) -> dict:
    events = run_events(graph, **{"epochs": 1, "samples": True, **settings})
    assert_finished(events)
    (payload,) = of_kind(events, "samples")
    json.dumps(payload)
    return payload


def test_classifier_confusion_matrix_and_predictions():
    payload = samples_of(mlp(), batch_size=64)
    confusion = np.array(payload["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == 359  # every validation sample once
    assert np.trace(confusion) > confusion.sum() / 2  # mostly on the diagonal after one epoch
    inputs = np.array(payload["inputs"])
    assert inputs.shape == (16, 1, 8, 8) and payload["image_shape"] == [1, 8, 8]
    assert len(payload["predictions"]) == len(payload["labels"]) == 16


def test_autoencoder_inputs_and_reconstructions():
    payload = samples_of(dense_autoencoder())
    assert np.array(payload["inputs"]).shape == np.array(payload["reconstructions"]).shape == (16, 1, 8, 8)
    assert "confusion" not in payload


def test_vae_prior_samples_and_latent_points():
    payload = samples_of(vae(latent=2))
    prior = np.array(payload["prior_samples"])
    assert prior.shape == (16, 64) and 0.0 <= prior.min() and prior.max() <= 1.0  # decoded through the sigmoid
    latent = np.array(payload["latent"])
    assert latent.shape == (359, 2) and len(payload["latent_labels"]) == 359


def test_rbm_filters():
    payload = samples_of(rbm(hidden=20))
    assert np.array(payload["filters"]).shape == (20, 64)
    assert np.array(payload["reconstructions"]).shape == (16, 64)


def test_conv_net_feature_maps_of_the_first_conv_or_a_chosen_node():
    payload = samples_of(cnn())
    assert payload["feature_node"] == "conv1" and np.array(payload["feature_maps"]).shape == (1, 16, 8, 8)
    chosen = samples_of(cnn(), feature_node="relu2")
    assert chosen["feature_node"] == "relu2" and np.array(chosen["feature_maps"]).shape == (1, 16, 4, 4)
