"""What the trainer reports: plain dataclasses, turned into JSON-able dicts.

`event.to_dict()` gives {"event": "epoch", ...} with only floats, ints,
strings, None, lists and dicts — what the runner sends between processes,
the CLI writes as JSON lines and the GUI draws. Non-finite floats stay floats
(NaN curves are drawn as gaps); `json_line` writes them as null.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, fields
from typing import Any


def plain(value: Any) -> Any:
    """Numpy arrays/scalars and tuples as lists and Python numbers."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "tolist"):  # numpy array or scalar, torch tensor
        return value.tolist()
    return value


@dataclass
class Event:
    kind = "event"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.kind}
        for f in fields(self):
            if f.name == "extra":
                out.update(plain(getattr(self, f.name)))
            else:
                out[f.name] = plain(getattr(self, f.name))
        return out


@dataclass
class Started(Event):
    kind = "started"
    epochs: int
    steps_per_epoch: int
    device: str
    task: str
    input_shape: list[int | None]
    num_classes: int | None
    class_names: list[str] | None = None
    image_shape: list[int] | None = None
    start_epoch: int = 0  # > 0 when resuming
    num_train: int = 0
    num_val: int = 0
    loss_terms: list[str] = field(default_factory=list)
    amp: bool = False


@dataclass
class Step(Event):
    kind = "step"
    step: int  # global step, counted from 1 over the whole run
    epoch: int
    progress: float  # 0..1 over the whole run
    train_loss: float  # mean over the steps since the previous step event
    terms: dict[str, float]
    samples_per_sec: float
    eta_s: float | None


@dataclass
class Epoch(Event):
    kind = "epoch"
    epoch: int
    epochs: int
    train_loss: float
    val_loss: float | None
    val_accuracy: float | None
    val_mae: float | None
    val_mape: float | None
    terms: dict[str, float]
    lr: float
    elapsed_s: float
    val_terms: dict[str, float] = field(default_factory=dict)
    replayed: bool = False  # True for epochs from a resumed checkpoint's history
    # layer health over the epoch's samples (train/health.py): {node: {stat: mean}}, and its diagnostics
    layers: dict[str, dict[str, float]] = field(default_factory=dict)
    diagnostics: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Health(Event):
    """Layer-health samples since the previous health event (train/health.py), sent with the
    step events: samples = [{"step", "layers": {node: {stat: value}}}]; diagnostics so far
    this epoch: [{"node", "kind", "message"}]; after each epoch event, one with histograms."""

    kind = "health"
    epoch: int
    samples: list[dict[str, Any]]
    diagnostics: list[dict[str, str]] = field(default_factory=list)
    # at each epoch's end: {node: {"weights"|"grads": {"lo", "hi", "counts"}}} (health.histograms)
    histograms: dict[str, Any] = field(default_factory=dict)


@dataclass
class Samples(Event):
    """Small arrays for the 'what it learned' views; keys in `extra`:
    confusion, inputs, predictions, labels, reconstructions, prior_samples,
    latent, latent_labels, feature_maps, feature_node, filters."""

    kind = "samples"
    epoch: int
    image_shape: list[int] | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Finished(Event):
    kind = "finished"
    epochs_run: int
    best_val_loss: float | None
    stopped_early: bool
    checkpoint: str | None
    best_epoch: int | None = None


@dataclass
class Failed(Event):
    kind = "failed"
    message: str
    step: int | None = None
    kind_: str = "error"  # nan | oom | error
    term: str | None = None
    detail: str | None = None  # traceback, for bug reports (never shown first)

    def to_dict(self) -> dict[str, Any]:
        out = super().to_dict()
        out["kind"] = out.pop("kind_")
        return out


@dataclass
class Stopped(Event):
    kind = "stopped"
    epoch: int
    step: int
    checkpoint: str | None = None


@dataclass
class Paused(Event):
    kind = "paused"
    epoch: int
    step: int


@dataclass
class Resumed(Event):
    kind = "resumed"
    epoch: int
    step: int


def json_line(event: dict[str, Any]) -> str:
    """One JSON line; NaN and infinities become null (strict JSON)."""
    return json.dumps(_finite(event), ensure_ascii=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
