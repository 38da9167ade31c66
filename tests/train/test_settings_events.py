"""The training block's schema and the event dicts."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from netbuilder.train.events import Epoch, Failed, Samples, json_line
from netbuilder.train.settings import DEFAULTS, SettingsError, resolve_settings


def test_defaults_then_block_then_overrides():
    graph = {"training": {"lr": 0.01, "epochs": 5, "optimizer": "SGD", "early_stopping": 3, "batch_size": 8}}
    s = resolve_settings(graph, {"epochs": 7, "early_stopping": None, "batch_size": None})
    assert s["lr"] == 0.01 and s["epochs"] == 7 and s["optimizer"] == "sgd"
    assert s["early_stopping"] is None  # an explicit None switches it off
    assert s["batch_size"] == DEFAULTS["batch_size"]  # ... or puts back the default
    assert graph["training"]["epochs"] == 5  # the graph's block is not modified


def test_shorthands_are_normalised():
    s = resolve_settings({}, {"grad_clip": 1, "early_stopping": 3, "schedule": "cosine",
                              "loss": ["mse", {"type": "mae", "weight": 2}]})
    assert s["grad_clip"] == {"type": "norm", "max": 1.0}
    assert s["early_stopping"]["patience"] == 3 and s["early_stopping"]["restore_best"] is True
    assert s["schedule"] == {"type": "cosine", "eta_min": 0.0}
    assert s["loss"] == [{"type": "mse", "weight": 1.0}, {"type": "mae", "weight": 2.0}]


@pytest.mark.parametrize("override, words", [
    ({"lr": 0}, "'lr' must be > 0"),
    ({"epochs": 2.5}, "'epochs' must be a whole number"),
    ({"optimizer": "lbfgs"}, "must be one of adam, adamw, sgd, rmsprop"),
    ({"device": "tpu"}, "'device' must be auto, cpu"),
    ({"val_split": 0.95}, "'val_split' must be ≤ 0.9"),
    ({"early_stopping": {"monitor": "f1"}}, "monitor must be one of"),
    ({"schedule": "exponential"}, "'schedule' must be one of step, cosine, plateau"),
    ({"loss": {"type": "mse"}}, "must be a list"),
    ({"loss": [{"type": "mse", "weight": "big"}]}, "'weight' must be a number"),
    ({"task": "clustering"}, "'task' must be one of"),
    ({"standardize": "yes"}, "true or false"),
])
def test_bad_settings_name_the_key(override, words):
    with pytest.raises(SettingsError, match=words):
        resolve_settings({}, override)


def test_event_dicts_are_plain_and_json_lines_strict():
    epoch = Epoch(1, 3, 0.5, math.nan, None, None, None, {"mse": 0.5}, 0.1, 2.0)
    d = epoch.to_dict()
    assert d["event"] == "epoch" and d["val_loss"] != d["val_loss"]  # NaN kept for the GUI
    assert json.loads(json_line(d))["val_loss"] is None  # strict JSON on disk
    failed = Failed("boom", 3, "nan", term="mse").to_dict()
    assert failed["kind"] == "nan" and failed["event"] == "failed" and failed["step"] == 3
    samples = Samples(2, [1, 8, 8], {"confusion": np.eye(2, dtype=int), "inputs": np.zeros((1, 2), np.float32)})
    s = samples.to_dict()
    assert s["confusion"] == [[1, 0], [0, 1]] and s["inputs"] == [[0.0, 0.0]] and s["image_shape"] == [1, 8, 8]
    json.dumps(s)
