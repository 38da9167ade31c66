"""Validation metrics: reduced once per pass over several batches, equal to a hand computation."""

from __future__ import annotations

from contextlib import nullcontext

import numpy as np
import pytest
import torch
from train_graphs import mlp, regressor
from train_helpers import assert_finished, of_kind

from netbuilder.train.failures import non_finite_loss
from netbuilder.train.metrics import evaluate
from netbuilder.train.trainer import Trainer


def trained(graph, **settings) -> tuple[Trainer, list[dict]]:
    trainer = Trainer(graph, {"epochs": 1, "batch_size": 64, "device": "cpu", "samples": False, **settings})
    events = [e.to_dict() for e in trainer.run()]
    assert_finished(events)
    return trainer, events


def test_classification_metrics_over_uneven_batches_match_a_hand_computation():
    trainer, events = trained(mlp())
    s = trainer.setup
    sizes = [len(xb) for xb, _ in s.val.epoch(0)]
    assert len(sizes) == 2 and sizes[0] != sizes[1]  # 359 samples: 256 + 103
    with torch.no_grad():
        logits = s.model(s.prep.x_val)[0]
    labels = s.prep.y_val
    pred = logits.argmax(dim=1)
    expected = np.zeros((10, 10), dtype=int)
    for y, p in zip(labels.tolist(), pred.tolist()):
        expected[y, p] += 1
    got = evaluate(s.model, s.plan, s.refs, s.val, s.task, 10, nullcontext)
    assert got["val_loss"] == pytest.approx(float(torch.nn.functional.cross_entropy(logits, labels)), rel=1e-5)
    assert got["val_terms"] == {"cross_entropy": pytest.approx(got["val_loss"])}
    assert got["val_accuracy"] == pytest.approx(float((pred == labels).double().mean()))
    assert got["confusion"] == expected.tolist() and got["val_mae"] is None
    epoch = of_kind(events, "epoch")[-1]  # the trainer's own pass, on the same weights
    assert epoch["val_loss"] == pytest.approx(got["val_loss"]) and epoch["val_accuracy"] == got["val_accuracy"]
    assert evaluate(s.model, s.plan, s.refs, s.val, s.task, 10, nullcontext, confusion=False)["confusion"] is None


def test_regression_mae_and_mape_over_several_batches_match_a_hand_computation():
    trainer, _ = trained(regressor(), dataset_options={"n_samples": 1500})
    s = trainer.setup
    assert len(s.val) == 2  # 300 windows: 256 + 44
    with torch.no_grad():
        out = s.model(s.prep.x_val)[0]
    target = s.prep.y_val.reshape(out.shape)
    diff = (out - target).abs()
    got = evaluate(s.model, s.plan, s.refs, s.val, s.task, None, nullcontext)
    assert got["val_mae"] == pytest.approx(float(diff.mean()), rel=1e-5)
    assert got["val_mape"] == pytest.approx(float(100 * (diff / target.abs().clamp_min(1e-8)).mean()), rel=1e-5)
    assert got["val_loss"] == pytest.approx(float((diff ** 2).mean()), rel=1e-5)  # the default mse term
    assert got["val_accuracy"] is None and got["confusion"] is None


@pytest.mark.parametrize(("step", "first", "previous", "finite", "says"), [
    (1, None, None, True, "at the very first step, before any weight update: the network or the loss itself"),
    (1, None, None, None, "the inputs, the targets or the network"),
    (7, (1, 2.3), (6, 5e9), True, "right after 5e+09 at step 6 (up from 2.3 at step 1): training diverged — the "
                                   "learning rate 0.5 is probably too large"),
    (7, (1, 2.3), (6, 2.1), None, "right after 2.1 at step 6"),
    (7, (1, 2.3), (6, 2.1), False, "the training data holds NaN or infinite values"),
])
def test_non_finite_loss_messages_say_what_is_known(step, first, previous, finite, says):
    failed = non_finite_loss(step, 1, "mse", first, previous, 0.5, finite).to_dict()
    assert failed["message"].startswith(f"the loss became NaN or infinite at step {step} (epoch 1), in mse")
    assert says in failed["message"] and failed["kind"] == "nan" and failed["term"] == "mse"
    if finite is None and step > 1:
        assert "learning rate" not in failed["message"]  # a plain jump with data not checked: no guess

