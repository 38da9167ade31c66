"""The training loop: events, syncing, NaN, early stopping, optimizers, schedules."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from train_graphs import chain, mlp, regressor
from train_helpers import assert_finished, of_kind, run_events

from netbuilder.train import optim
from netbuilder.train.trainer import Trainer

STEP_KEYS = {"step", "epoch", "progress", "train_loss", "terms", "samples_per_sec", "eta_s"}
EPOCH_KEYS = {"epoch", "epochs", "train_loss", "val_loss", "val_accuracy", "val_mae", "val_mape", "terms", "lr",
              "elapsed_s"}


def iris_mlp(**training):
    return mlp((4,), hidden=16, classes=3, **{"dataset": "iris", "standardize": True, **training})


def test_events_carry_the_documented_fields_and_are_plain_json():
    events = run_events(iris_mlp(), epochs=2, batch_size=16, step_interval=0)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "started" and kinds[-1] == "finished"
    started = events[0]
    assert {"epochs", "steps_per_epoch", "device", "task", "input_shape", "num_classes"} <= set(started)
    assert started["task"] == "classification" and started["num_classes"] == 3 and started["input_shape"] == [4]
    steps = of_kind(events, "step")
    assert len(steps) == 2 * started["steps_per_epoch"]  # step_interval 0: one per step
    assert STEP_KEYS <= set(steps[0]) and steps[-1]["progress"] == 1.0
    assert [s["step"] for s in steps] == list(range(1, len(steps) + 1))
    epochs = of_kind(events, "epoch")
    assert [e["epoch"] for e in epochs] == [1, 2] and EPOCH_KEYS <= set(epochs[0])
    assert 0.0 <= epochs[-1]["val_accuracy"] <= 1.0 and epochs[-1]["val_mae"] is None
    assert set(epochs[0]["terms"]) == {"cross_entropy"}
    finished = events[-1]
    assert finished["epochs_run"] == 2 and finished["stopped_early"] is False
    assert finished["best_val_loss"] == min(e["val_loss"] for e in epochs)
    json.dumps(events)  # nothing but plain values


def test_losses_are_synced_only_when_an_event_is_due(monkeypatch):
    syncs = []
    original = Trainer._sync
    monkeypatch.setattr(Trainer, "_sync", lambda self: syncs.append(len(self._pending)) or original(self))
    events = run_events(mlp(), epochs=2, batch_size=32, step_interval=1e6)
    assert_finished(events)
    steps = events[0]["steps_per_epoch"]
    reports = of_kind(events, "step")  # the very first step, then each epoch's end
    assert [r["step"] for r in reports] == [1, steps, 2 * steps]
    assert [r["progress"] for r in reports[1:]] == [0.5, 1.0]
    # a step event's loss is the mean since the previous one: step 1 + steps 2..N make epoch 1's mean
    first_epoch = of_kind(events, "epoch")[0]["train_loss"]
    window_sum = reports[0]["train_loss"] + reports[1]["train_loss"] * (steps - 1)
    assert window_sum / steps == pytest.approx(first_epoch, rel=1e-5)
    assert len(syncs) == 3 and sum(syncs) == 2 * steps  # step 1, then once per epoch end
    syncs.clear()
    monkeypatch.setattr("netbuilder.train.trainer.MAX_PENDING", 10)
    events = run_events(mlp(), epochs=1, batch_size=32, step_interval=1e6)
    assert max(syncs) == 10 and sum(syncs) == steps  # a long epoch never piles up more than MAX_PENDING
    assert of_kind(events, "epoch")[0]["train_loss"] > 0


def test_huge_learning_rate_fails_with_the_step_and_term():
    events = run_events(iris_mlp(), epochs=5, optimizer="sgd", momentum=0.0, lr=1e30, batch_size=16)
    failed = events[-1]
    assert failed["event"] == "failed" and failed["kind"] == "nan"
    assert isinstance(failed["step"], int) and failed["step"] >= 1
    assert "cross_entropy" in failed["message"] and f"step {failed['step']}" in failed["message"]
    assert not of_kind(events, "finished")


def test_a_diverging_run_names_the_step_the_term_and_the_learning_rate():
    events = run_events(iris_mlp(), epochs=5, optimizer="sgd", lr=1e12, batch_size=16, step_interval=0)
    failed, steps = events[-1], of_kind(events, "step")
    assert failed["event"] == "failed" and failed["kind"] == "nan" and failed["term"] == "cross_entropy"
    assert all(math.isfinite(s["train_loss"]) for s in steps)  # every step before it was reported, finite
    assert failed["step"] == steps[-1]["step"] + 1 > 1
    message = failed["message"]
    assert f"at step {failed['step']} (epoch 1), in cross_entropy" in message
    assert f"right after {steps[-1]['train_loss']:.3g} at step {steps[-1]['step']}" in message
    assert "training diverged" in message and "learning rate 1e+12 is probably too large" in message


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
def test_a_learning_rate_beyond_float32_fails_at_the_first_optimizer_step(optimizer):
    """lr 1e300 cannot even be applied to float32 weights: torch raises an
    overflow inside the optimizer, which becomes a clear `failed` event."""
    events = run_events(iris_mlp(), epochs=2, optimizer=optimizer, lr=1e300, batch_size=16)
    failed = events[-1]
    assert failed["event"] == "failed" and failed["kind"] == "nan" and failed["step"] == 1
    assert failed["detail"] is None  # an explanation, not a traceback
    assert "at step 1 (epoch 1), in the optimizer step" in failed["message"]
    assert "learning rate 1e+300 is larger than float32 weights can hold" in failed["message"]


def test_non_finite_term_is_named_exactly(tmp_path):
    x = np.random.default_rng(0).random((8, 2)).astype(np.float32)
    y = np.ones((8, 1), np.float32)
    y[5] = np.inf  # only the mse term sees it
    np.savez(tmp_path / "bad.npz", x=x, y=y)
    graph = chain([("input", "Input", {"shape": [2]}), ("fc", "Linear", {"out_features": 1}),
                   ("output", "Output", {})])
    events = run_events(graph, dataset=str(tmp_path / "bad.npz"), batch_size=8, val_split=0.0, epochs=1,
                        loss=[{"type": "weight_decay", "weight": 0.1}, {"type": "mse"}])
    failed = events[-1]
    assert failed["event"] == "failed" and failed["step"] == 1 and failed["term"] == "mse"
    assert "the training data holds NaN or infinite values" in failed["message"]


def test_early_stopping_restores_the_best_weights():
    graph = iris_mlp()
    trainer = Trainer(graph, {"epochs": 10, "batch_size": 16, "lr": 0.01, "device": "cpu", "samples": False,
                              "early_stopping": {"patience": 2, "min_delta": 10.0}})
    events = [e.to_dict() for e in trainer.run()]
    finished = assert_finished(events)
    epochs = of_kind(events, "epoch")
    # nothing can improve by 10: epoch 1 stays best, patience 2 stops after epoch 3
    assert finished["stopped_early"] and finished["epochs_run"] == 3 and finished["best_epoch"] == 1
    s = trainer.setup
    with torch.no_grad():
        logits = s.model(s.prep.x_val)[0]
    restored = float(torch.nn.functional.cross_entropy(logits, s.prep.y_val))
    assert restored == pytest.approx(epochs[0]["val_loss"], rel=1e-5)
    assert restored != pytest.approx(epochs[-1]["val_loss"], rel=1e-5)


def test_early_stopping_on_accuracy_with_a_patience_number():
    events = run_events(iris_mlp(), epochs=30, batch_size=16, lr=0.05,
                        early_stopping={"patience": 1, "monitor": "val_accuracy"})
    finished = assert_finished(events)
    assert finished["stopped_early"] and finished["epochs_run"] < 30


@pytest.mark.parametrize("optimizer, extra", [("sgd", {"momentum": 0.9, "nesterov": True}), ("adam", {}),
                                              ("adamw", {"weight_decay": 0.01}), ("rmsprop", {"lr": 0.003})])
def test_every_optimizer_lowers_the_loss(optimizer, extra):
    events = run_events(iris_mlp(), **{"epochs": 4, "batch_size": 16, "lr": 0.02, "optimizer": optimizer, **extra})
    assert_finished(events)
    losses = [e["train_loss"] for e in of_kind(events, "epoch")]
    assert losses[-1] < losses[0]


def test_optimizer_settings_reach_torch():
    params = [torch.nn.Parameter(torch.zeros(2))]
    base = {"lr": 0.1, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}
    sgd = optim.make_optimizer(params, {**base, "optimizer": "sgd"})
    assert isinstance(sgd, torch.optim.SGD) and sgd.defaults["nesterov"] and sgd.defaults["momentum"] == 0.8
    assert isinstance(optim.make_optimizer(params, {**base, "optimizer": "adamw"}), torch.optim.AdamW)
    assert isinstance(optim.make_optimizer(params, {**base, "optimizer": "rmsprop"}), torch.optim.RMSprop)


@pytest.mark.parametrize("schedule, expected", [
    ({"type": "step", "step_size": 1, "gamma": 0.5}, [0.04, 0.02, 0.01]),
    ("cosine", [0.04, 0.04 * (1 + math.cos(math.pi / 3)) / 2, 0.04 * (1 + math.cos(2 * math.pi / 3)) / 2]),
])
def test_learning_rate_schedules(schedule, expected):
    events = run_events(iris_mlp(), epochs=3, batch_size=16, lr=0.04, schedule=schedule)
    assert [e["lr"] for e in of_kind(events, "epoch")] == pytest.approx(expected)


def test_plateau_schedule_lowers_the_rate_when_stuck():
    # after the first, no epoch improves the loss by half (threshold 0.5): the rate halves after each
    events = run_events(iris_mlp(), epochs=4, batch_size=16, lr=0.01,
                        schedule={"type": "plateau", "patience": 0, "factor": 0.5, "threshold": 0.5})
    assert [e["lr"] for e in of_kind(events, "epoch")] == pytest.approx([0.01, 0.01, 0.005, 0.0025])


@pytest.mark.parametrize("clip", [{"type": "norm", "max": 0.5}, {"type": "value", "max": 0.01}])
def test_gradient_clipping(clip):
    p = torch.nn.Parameter(torch.zeros(4))
    p.grad = torch.tensor([3.0, -4.0, 0.0, 0.005])
    optim.clip_gradients([p], clip)
    if clip["type"] == "norm":
        assert float(p.grad.norm()) == pytest.approx(0.5, rel=1e-4)
    else:
        assert p.grad.tolist() == pytest.approx([0.01, -0.01, 0.0, 0.005])
    assert_finished(run_events(iris_mlp(), epochs=1, batch_size=16, grad_clip=clip))


def test_amp_falls_back_to_full_precision_on_cpu():
    events = run_events(iris_mlp(), epochs=1, batch_size=16, amp=True)
    assert events[0]["amp"] is False
    assert_finished(events)


def test_same_seed_same_curve():
    a = [e["train_loss"] for e in of_kind(run_events(iris_mlp(), epochs=2, seed=3), "epoch")]
    b = [e["train_loss"] for e in of_kind(run_events(iris_mlp(), epochs=2, seed=3), "epoch")]
    c = [e["train_loss"] for e in of_kind(run_events(iris_mlp(), epochs=2, seed=4), "epoch")]
    assert a == b and a != c


def test_regression_reports_mae_and_mape():
    events = run_events(regressor(), epochs=2, lr=0.01, batch_size=32)
    assert_finished(events)
    assert events[0]["task"] == "regression" and events[0]["num_classes"] is None
    last = of_kind(events, "epoch")[-1]
    assert last["val_accuracy"] is None and last["val_mae"] > 0 and last["val_mape"] > 0
    # the values are around 2 (the sine's offset), so MAPE ≈ 100 · MAE / 2
    assert last["val_mape"] == pytest.approx(100 * last["val_mae"] / 2, rel=0.5)


@pytest.mark.parametrize("graph, settings, words", [
    (mlp, {"dataset": "digits", "optimizer": "adagrad"}, "optimizer' must be one of"),
    (mlp, {"dataset": "iris"}, r"4 values\), but the graph's Input expects 1×8×8"),
    (mlp, {"dataset": "digits", "device": "cuda:7"}, "cuda"),
    (mlp, {"dataset": "digits", "loss": [{"type": "mse", "output": "ghost"}]}, "ghost"),
    (iris_mlp, {"dataset": "sine", "task": "classification"}, "class labels"),
])
def test_setup_problems_are_failed_events_with_clear_messages(graph, settings, words):
    if "cuda" in str(settings.get("device")) and torch.cuda.is_available():
        pytest.skip("this machine has GPUs")
    events = run_events(graph(), epochs=1, **settings)
    assert [e["event"] for e in events] == ["failed"]
    assert events[0]["kind"] == "error"
    assert __import__("re").search(words, events[0]["message"]), events[0]["message"]


def test_graph_with_shape_errors_does_not_train():
    graph = mlp()
    graph.set_params("input", {"shape": [3, 4, 5]})
    graph.add_node("Conv2d", {"out_channels": 2, "kernel_size": 9}, id="big")
    graph.add_edge("input", "big")
    events = run_events(graph, epochs=1)
    assert events[-1]["event"] == "failed" and "shape errors" in events[-1]["message"]
