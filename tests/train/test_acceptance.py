"""The issue's acceptance runs: real nets on the bundled digits, on the CPU, in seconds."""

from __future__ import annotations

import pytest
from train_graphs import cnn, dense_autoencoder, lstm, mlp, rbm, vae
from train_helpers import assert_finished, of_kind, run_events

pytestmark = pytest.mark.slow


def best_accuracy(events) -> float:
    assert_finished(events)
    return max(e["val_accuracy"] for e in of_kind(events, "epoch"))


def test_mlp_on_digits_reaches_95_percent_within_20_epochs():
    events = run_events(mlp(), epochs=20, lr=0.003, batch_size=32)
    assert best_accuracy(events) >= 0.95


def test_small_cnn_on_digits_reaches_97_percent_within_20_epochs():
    events = run_events(cnn(), epochs=20, lr=0.003, batch_size=32)
    assert best_accuracy(events) >= 0.97


def test_lstm_on_digits_as_sequences_reaches_90_percent():
    events = run_events(lstm(), epochs=20, lr=0.005, batch_size=32)
    assert events[0]["input_shape"] == [8, 8]  # 8 steps of 8 pixels
    assert best_accuracy(events) >= 0.90


def test_dense_autoencoder_reconstruction_loss_falls_five_fold():
    events = run_events(dense_autoencoder(), epochs=20, lr=0.005, batch_size=32, step_interval=0)
    assert_finished(events)
    initial = of_kind(events, "step")[0]["train_loss"]  # step 1: the untrained network
    final = of_kind(events, "epoch")[-1]["val_loss"]
    assert initial / final >= 5, (initial, final)


def test_vae_elbo_falls():
    events = run_events(vae(latent=2), epochs=15, lr=0.003, batch_size=32)
    assert_finished(events)
    epochs = of_kind(events, "epoch")
    assert set(epochs[0]["terms"]) == {"reconstruction", "kl_gaussian"}
    assert epochs[-1]["val_loss"] < epochs[0]["val_loss"]  # the negative ELBO (per input value)
    assert epochs[-1]["train_loss"] < epochs[0]["train_loss"]


def test_rbm_reconstruction_error_falls_under_cd1():
    events = run_events(rbm(), epochs=10, batch_size=32, cd_k=1)
    assert_finished(events)
    epochs = of_kind(events, "epoch")
    assert set(epochs[0]["terms"]) == {"reconstruction_error", "free_energy_gap"}
    assert epochs[-1]["val_loss"] < 0.8 * epochs[0]["val_loss"]
