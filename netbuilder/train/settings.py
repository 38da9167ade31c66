"""The `training` block of a graph file: its schema, defaults and validation.

This block is the contract between the trainer, the presets and the GUI.
Every key is optional; `resolve_settings` fills in the defaults below and
checks types and ranges, raising SettingsError with a message that names the
key. Unknown keys are kept (other tools may store their own) but ignored.

    "training": {
      "dataset": "digits",            # built-in name (see data.BUILTIN_DATASETS), a downloaded-once name
                                      #   (mnist, fashion_mnist, kmnist, cifar10, cifar100: train/datasets),
                                      #   a folder of their official files, or a path:
                                      #   .csv/.tsv, .npz (x, y), MNIST IDX file (or .gz), a folder of
                                      #   class sub-folders of images, or a folder holding IDX files.
                                      #   Absent: a built-in that fits the graph's Input shape
                                      #   (a 1×H×W Input gets digits resized to H×W).
      "dataset_options": {},          # per dataset, e.g. mnist/cifar {"normalize": true, "augment": {"crop":
                                      #   4, "flip": true}}, cifar100 {"labels": "fine"|"coarse"}, text
                                      #   csv {"text_column", "target_column", "vocab_size", "padding"},
                                      #   digits {"layout": "image"|"sequence"|"flat",
                                      #   "size": [32, 32] (bilinear resize of the 8×8 images, values
                                      #   stay in [0, 1]; absent: a 1×H×W Input's H×W, else 8×8)},
                                      #   sine {"window": 16, "many_to_many": false, "noise": 0.05,
                                      #   "offset": 2.0}, moons {"n_samples": 500, "noise": 0.1},
                                      #   gaussian_blobs {"centers": 3, "n_features": 2}, iris/wine/
                                      #   breast_cancer {"binary": "<class>"}, csv {"target": "species"
                                      #   (name or index; null = none), "delimiter", "header"}, npz {"x",
                                      #   "y"} (array names), IDX {"labels": path}, image folder {"size":
                                      #   [28, 28], "channels": 1, "preload_limit": 20000}
      "task": "classification",       # or "regression" | "reconstruction"; absent: the dataset's own
      "loss": [                       # weighted sum of terms; absent or null: default_loss_terms()
        {"type": "cross_entropy", "output": "output", "weight": 1.0}
      ],
      "optimizer": "adam",            # sgd | adam | adamw | rmsprop
      "lr": 0.001, "batch_size": 64, "epochs": 10, "seed": 0,
      "momentum": 0.0,                # sgd and rmsprop (PyTorch's default for both: 0)
      "nesterov": false,              # Nesterov momentum (sgd, when momentum > 0)
      "betas": [0.9, 0.999],          # adam and adamw: the running averages' decay rates (PyTorch's default)
      "weight_decay": 0.0,            # the optimizer's (decoupled for adamw)
      "device": "auto",               # auto | cpu | cuda | cuda:N | mps
      "amp": false,                   # mixed precision (float16 autocast + GradScaler), CUDA only
      "grad_clip": null,              # a number = max gradient norm, or {"type": "norm"|"value", "max": 1.0}
      "early_stopping": null,         # patience as a number, or {"patience": 5, "monitor": "val_loss",
                                      #   "min_delta": 0.0, "restore_best": true}; monitor is val_loss,
                                      #   val_accuracy, val_mae, val_mape or train_loss
      "schedule": null,               # "step" | "cosine" | "plateau", or {"type": "step", "step_size": 10,
                                      #   "gamma": 0.1} / {"type": "cosine", "eta_min": 0} / {"type":
                                      #   "plateau", "factor": 0.1, "patience": 3, "threshold": 1e-4}; stepped
                                      #   once per epoch (plateau watches val_loss, else train_loss)
      "val_split": 0.2,               # fraction held out for validation (0 = none), shuffled with seed
      "validation": null,             # "test": the dataset's official test split (the default for mnist,
                                      #   cifar10... and their folders); a number: that fraction instead
      "standardize": false,           # z-score each input feature with the training split's mean/std
      "mode": "backprop",             # or "rbm_cd": train the RBM node by contrastive divergence
      "cd_k": 1,                      # Gibbs steps per CD update (rbm_cd)
      "rbm_node": null,               # which RBM node (rbm_cd); null = the only one
      "feature_node": null,           # node whose feature maps the samples events show; null = first conv
      "latent_node": null,            # node whose output is the code in the Latent view (all dims, top-2 PCA);
                                      #   null = a Sampling node's mean, else an autoencoder's bottleneck
      "maximise_channels": null,      # channels of the feature conv whose maximising inputs the Kernels view
                                      #   shows, e.g. [3, 12] (at most 16); null = its first 8
      "maximise_classes": null,       # classes whose maximising inputs the Classes view shows (at most 16);
                                      #   null = every class of a net with 2 to 16 classes
      "interpolation_pairs": null,    # pairs of validation samples a VAE's Interpolation view decodes
                                      #   between, e.g. [[0, 5], [2, 7]] (at most 8); null = 0→1, 2→3, ...
      "samples": true,                # send a small `samples` event after every epoch
      "checkpoint": null,             # path: saved after every epoch (graph JSON + state_dict + optimizer).
                                      #   From a file it is only a suggestion: relative, resolved beside
                                      #   the file, never outside its folder (file_checkpoint_path); a
                                      #   path the user chose (CLI --checkpoint) sets "checkpoint_chosen"
      "threads": null,                # CPU threads (1 to MAX_THREADS); null = 1 for small nets (threads only
                                      #   add overhead there), PyTorch's default for nets over 50 M MACs per batch
      "step_interval": 0.25,          # seconds between step events (losses reach the host only then)
      "health_every": null,           # layer-health sample every N steps (train/health.py); null = about
                                      #   4 per epoch, at least 50 steps apart; 0 = off
      "max_device_mb": 512            # data larger than this stays in host memory, copied per batch
    }

Loss term objects (see losses.py for each formula):

    {"type": "cross_entropy"|"nll"|"mse"|"mae"|"mape"|"bce"|"bce_with_logits"|"huber",
     "output": "node" or "node:port" (default: the first Output), "target": "label" (default) | "input",
     "weight": 1.0, "delta": 1.0 (huber)}
    {"type": "reconstruction", "output": ..., "loss": "mse" (default) | "bce" | "mae"}  # output vs the input
    {"type": "kl_gaussian", "node": "<Sampling node id>" (or "mu" and "logvar" refs), "normalize": "input" | "none"}
    {"type": "sparsity_l1", "node": "<hidden node>"}
    {"type": "sparsity_kl", "node": "<hidden node>", "rho": 0.05}
    {"type": "contractive", "node": "<encoder node>", "lambda": 1.0}
    {"type": "weight_decay"}                  # ½·Σ w² over weight matrices and kernels
"""

from __future__ import annotations

import copy
import math
import os
import re
import reprlib
from pathlib import Path
from typing import Any

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
TASKS = ("classification", "regression", "reconstruction")
SCHEDULES = ("step", "cosine", "plateau")
MODES = ("backprop", "rbm_cd")
MONITORS = ("val_loss", "val_accuracy", "val_mae", "val_mape", "train_loss")
MAX_THREADS = 256  # libgomp crashed (SIGSEGV) asked for 1,000,000 threads
MAX_COUNT = 2**31 - 1  # batch size, epochs, cd_k, step sizes: beyond int32 torch overflows ("unpacking long long")
MAX_SEED = 2**63 - 1  # torch.manual_seed takes a signed 64-bit seed
MAX_PATH = 4096  # characters in a dataset or checkpoint path
MAX_MAXIMISED = 16  # inputs maximised per epoch: each costs a few dozen forward/backward passes
MAX_PAIRS = 8  # interpolation strips per epoch
# what the views show, chosen in their tabs (gui/training/views/choice_rows.py)
VIEW_CHOICES = ("maximise_channels", "maximise_classes", "interpolation_pairs")
_DEVICE = re.compile(r"(auto|cpu|mps|cuda(:\d{1,4})?)\Z")

DEFAULTS: dict[str, Any] = {
    "dataset": None,
    "dataset_options": {},
    "task": None,
    "loss": None,
    "optimizer": "adam",
    "lr": 1e-3,
    "batch_size": 64,
    "epochs": 10,
    "seed": 0,
    "momentum": 0.0,  # PyTorch's default for SGD and RMSprop; 0.9 kept LeNet/rmsprop at chance
    "nesterov": False,
    "betas": [0.9, 0.999],
    "weight_decay": 0.0,
    "device": "auto",
    "amp": False,
    "grad_clip": None,
    "early_stopping": None,
    "schedule": None,
    "val_split": 0.2,
    "validation": None,
    "standardize": False,
    "mode": "backprop",
    "cd_k": 1,
    "rbm_node": None,
    "feature_node": None,
    "latent_node": None,
    "maximise_channels": None,
    "maximise_classes": None,
    "interpolation_pairs": None,
    "samples": True,
    "checkpoint": None,
    "checkpoint_chosen": False,  # set by the caller, never by a file: the user chose `checkpoint` (not confined)
    "threads": None,
    # how often step events are sent (seconds); losses are synced only then
    "step_interval": 0.25,
    "health_every": None,  # layer health: steps between samples; None = health.default_interval, 0 = off
    # tensors larger than this stay in host memory and are copied per batch
    "max_device_mb": 512,
}


class SettingsError(ValueError):
    """A training setting has the wrong type or value; the message names it."""


def resolve_settings(graph_dict: dict[str, Any] | None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then the graph's `training` block, then `overrides`;
    validated and normalised. An override of None puts that key back to its
    default (e.g. "early_stopping": None turns it off, "task": None is auto)."""
    block = dict((graph_dict or {}).get("training") or {})
    block.pop("checkpoint_chosen", None)  # a file never vouches for its own checkpoint path
    merged = copy.deepcopy(DEFAULTS)
    merged.update(copy.deepcopy(block))
    for key, value in (overrides or {}).items():
        merged[key] = copy.deepcopy(value if value is not None else DEFAULTS.get(key))
    if (overrides or {}).get("checkpoint") is not None:
        merged["checkpoint_chosen"] = True  # the caller (CLI, GUI, API) chose this path, not the file
    return validate(merged)


def settings_help() -> dict[str, str]:
    """key → its help text, read from the block documented at the top of this module (one source)."""
    helps: dict[str, str] = {}
    key = None
    for line in (__doc__ or "").splitlines():
        found = re.match(r'\s*"(\w+)":[^#]*#\s?(.*)', line)
        if found:
            key = found.group(1)
            helps[key] = found.group(2).strip()
        elif key and re.match(r"\s+#\s", line):
            helps[key] += " " + line.split("#", 1)[1].strip()
        elif line.strip().startswith("Loss term objects"):
            break
        else:
            key = None if line.strip() and not line.strip().startswith('"') else key
    return helps


def validate(s: dict[str, Any]) -> dict[str, Any]:
    s["optimizer"] = _choice(s, "optimizer", OPTIMIZERS)
    s["mode"] = _choice(s, "mode", MODES)
    if s["task"] is not None:
        s["task"] = _choice(s, "task", TASKS)
    s["lr"] = _number(s, "lr", lo=0.0, lo_open=True)
    s["batch_size"] = _integer(s, "batch_size", 1)
    s["epochs"] = _integer(s, "epochs", 1)
    s["seed"] = _integer(s, "seed", 0, MAX_SEED)
    s["cd_k"] = _integer(s, "cd_k", 1)
    s["momentum"] = _number(s, "momentum", lo=0.0, hi=1.0)
    s["weight_decay"] = _number(s, "weight_decay", lo=0.0)
    s["betas"] = _betas(s["betas"])
    s["val_split"] = _number(s, "val_split", lo=0.0, hi=0.9)
    if s["validation"] is not None and s["validation"] != "test":
        s["validation"] = _number(s, "validation", lo=0.0, hi=0.9)
    s["step_interval"] = _number(s, "step_interval", lo=0.0)
    s["max_device_mb"] = _number(s, "max_device_mb", lo=0.0)
    for key in ("nesterov", "amp", "standardize", "samples", "checkpoint_chosen"):
        if not isinstance(s[key], bool):
            raise SettingsError(f"training setting '{key}' must be true or false, got {_brief(s[key])}")
    if s["threads"] is not None:
        s["threads"] = _integer(s, "threads", 1, MAX_THREADS)
    if s["health_every"] is not None:
        s["health_every"] = _integer(s, "health_every", 0)
    if s["dataset"] is not None and (not isinstance(s["dataset"], str) or len(s["dataset"]) > MAX_PATH):
        raise SettingsError(f"training setting 'dataset' must be a name or a path, got {_brief(s['dataset'])}")
    for key in ("rbm_node", "feature_node", "latent_node"):
        if s[key] is not None and (not isinstance(s[key], str) or len(s[key]) > MAX_PATH):
            raise SettingsError(f"training setting '{key}' must be a node id or null, got {_brief(s[key])}")
    s["maximise_channels"] = _indices(s, "maximise_channels")
    s["maximise_classes"] = _indices(s, "maximise_classes")
    s["interpolation_pairs"] = _pairs(s["interpolation_pairs"])
    s["checkpoint"] = _checkpoint(s["checkpoint"], s["checkpoint_chosen"])
    if not isinstance(s["dataset_options"] or {}, dict):
        raise SettingsError("training setting 'dataset_options' must be an object")
    s["dataset_options"] = dict(s["dataset_options"] or {})
    if not isinstance(s["device"], str) or not _DEVICE.match(s["device"]):
        raise SettingsError(f"training setting 'device' must be auto, cpu, cuda, cuda:N or mps, "
                            f"got {_brief(s['device'])}")
    if s["loss"] is not None:
        s["loss"] = _loss_terms(s["loss"])
    s["grad_clip"] = _grad_clip(s["grad_clip"])
    s["early_stopping"] = _early_stopping(s["early_stopping"])
    s["schedule"] = _schedule(s["schedule"])
    if s["optimizer"] != "sgd" and s["nesterov"]:
        s["nesterov"] = False  # only SGD has it; harmless elsewhere
    return s


# ------------------------------------------------------------------ checks
def _brief(value: Any) -> str:
    """repr for a message, shortened: a 10 MB value is never echoed whole."""
    return reprlib.repr(value)


def _index(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2 ** 31


def _indices(s: dict, key: str) -> list[int] | None:
    """Channel or class numbers: null, or 1..MAX_MAXIMISED different ints >= 0, in the order given."""
    value = s[key]
    if value is None:
        return None
    if not (isinstance(value, list) and 0 < len(value) <= MAX_MAXIMISED and all(_index(c) for c in value)
            and len(set(value)) == len(value)):
        raise SettingsError(f"training setting '{key}' must be null or a list of 1 to {MAX_MAXIMISED} "
                            f"different numbers (0, 1, ...), got {_brief(value)}")
    return list(value)


def _pairs(value: Any) -> list[list[int]] | None:
    """`interpolation_pairs`: null, or 1..MAX_PAIRS pairs [a, b] of different sample numbers."""
    if value is None:
        return None
    if not (isinstance(value, list) and 0 < len(value) <= MAX_PAIRS and all(
            isinstance(p, list) and len(p) == 2 and all(_index(i) for i in p) and p[0] != p[1] for p in value)):
        raise SettingsError(f"training setting 'interpolation_pairs' must be null or a list of 1 to {MAX_PAIRS} "
                            f"pairs [a, b] of different sample numbers, got {_brief(value)}")
    return [list(p) for p in value]


def _choice(s: dict, key: str, choices: tuple[str, ...]) -> str:
    value = s[key]
    text = value.lower() if isinstance(value, str) else value
    if text not in choices:
        raise SettingsError(f"training setting '{key}' must be one of {', '.join(choices)}; got {_brief(value)}")
    return text


def _checkpoint(value: Any, chosen: bool) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_PATH or "\0" in value:
        raise SettingsError(f"training setting 'checkpoint' must be a file path, got {_brief(value)}")
    if not chosen:
        confined(value, None)
    return value


def confined(value: str, base: Path | None) -> None:
    """Refuse a file-suggested path that could leave `base` (or any folder): absolute, '..'."""
    raw = Path(value)
    if raw.is_absolute() or raw.drive or raw.anchor or ".." in raw.parts or "\\" in value and ".." in value:
        where = f" ({base})" if base is not None else ""
        raise SettingsError(f"training setting 'checkpoint' {_brief(value)}: a path from a graph file must be "
                            f"relative and stay inside the file's folder{where}; choose the path yourself "
                            "(netbuilder train --checkpoint PATH) to write elsewhere")


def file_checkpoint_path(value: str, graph_file: str | os.PathLike | None) -> str:
    """The checkpoint path a graph file suggests, made safe: relative, resolved beside the file
    (or in the current folder for a graph with no file), never outside that folder — no absolute
    path, no '..', no symlinked folder leading out. Pass the result on with "checkpoint_chosen":
    True. A path the user chose (the CLI's --checkpoint, a file dialog) does not come here."""
    base = Path(graph_file).resolve().parent if graph_file is not None else Path.cwd().resolve()
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATH:
        raise SettingsError(f"training setting 'checkpoint' must be a file path, got {_brief(value)}")
    confined(value, base)
    target = (base / value).resolve()
    if base not in target.parents:
        raise SettingsError(f"training setting 'checkpoint' {_brief(value)}: leads outside the file's folder "
                            f"({base}) through a link; choose the path yourself to write there")
    return str(target)


def _finite(value: Any) -> bool:
    """A finite JSON number; 10**400 (an int no float can hold) is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


def _number(s: dict, key: str, lo: float | None = None, hi: float | None = None, lo_open: bool = False,
            what: str | None = None) -> float:
    value = s[key]
    name = what or f"training setting '{key}'"
    if not _finite(value):
        raise SettingsError(f"{name} must be a number, got {_brief(value)}")
    if lo is not None and (value < lo or (lo_open and value == lo)):
        raise SettingsError(f"{name} must be {'>' if lo_open else '≥'} {lo}, got {value:g}")
    if hi is not None and value > hi:
        raise SettingsError(f"{name} must be ≤ {hi}, got {value:g}")
    return float(value)


def _integer(s: dict, key: str, lo: int, hi: int = MAX_COUNT, what: str | None = None) -> int:
    value = s[key]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    name = what or f"training setting '{key}'"
    if isinstance(value, bool) or not isinstance(value, int) or value < lo:
        raise SettingsError(f"{name} must be a whole number ≥ {lo}, got {_brief(value)}")
    if value > hi:
        raise SettingsError(f"{name} must be at most {hi:,}, got {value:,}" if value < 10**30 else
                            f"{name} must be at most {hi:,}, got a number with about {int(value.bit_length() * 0.30103) + 1} digits")
    return value


def _loss_terms(terms: Any) -> list[dict[str, Any]]:
    if not isinstance(terms, list):
        raise SettingsError("training setting 'loss' must be a list of terms like "
                            '[{"type": "cross_entropy", "weight": 1.0}]')
    out = []
    for i, term in enumerate(terms):
        if isinstance(term, str):
            term = {"type": term}
        if not isinstance(term, dict) or not isinstance(term.get("type"), str) or len(term["type"]) > 100:
            raise SettingsError(f"loss term {i + 1} must be an object with a 'type', got {_brief(term)}")
        name = f"loss term {i + 1} ({_brief(term['type'])[1:-1]})"
        weight = term.get("weight", 1.0)
        if not _finite(weight):
            raise SettingsError(f"{name}: 'weight' must be a number, got {_brief(weight)}")
        for key in ("output", "target", "node", "mu", "logvar", "loss", "normalize"):
            if key in term and not (isinstance(term[key], str) and len(term[key]) <= MAX_PATH):
                raise SettingsError(f"{name}: '{key}' must be text (a node or a name), got {_brief(term[key])}")
        for key in ("delta", "rho", "lambda"):
            if key in term and not _finite(term[key]):
                raise SettingsError(f"{name}: '{key}' must be a number, got {_brief(term[key])}")
        out.append({**term, "weight": float(weight)})
    return out


def _betas(value: Any) -> list[float]:
    ok = isinstance(value, (list, tuple)) and len(value) == 2 and all(
        isinstance(b, (int, float)) and not isinstance(b, bool) and _finite(b) and 0 <= b < 1 for b in value)
    if not ok:
        raise SettingsError(f"training setting 'betas' must be two numbers in [0, 1), e.g. [0.9, 0.999], "
                            f"got {_brief(value)}")
    return [float(b) for b in value]


def _grad_clip(value: Any) -> dict[str, Any] | None:
    if value is None or value is False or value == 0:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = {"type": "norm", "max": value}
    if not isinstance(value, dict):
        raise SettingsError(f"training setting 'grad_clip' must be a number or {{\"type\", \"max\"}}, "
                            f"got {_brief(value)}")
    kind = value.get("type", "norm")
    limit = value.get("max", value.get("max_norm", value.get("value", 1.0)))
    if kind not in ("norm", "value"):
        raise SettingsError(f"grad_clip type must be 'norm' or 'value', got {_brief(kind)}")
    if not _finite(limit) or not limit > 0:
        raise SettingsError(f"grad_clip max must be a positive number, got {_brief(limit)}")
    return {"type": kind, "max": float(limit)}


def _early_stopping(value: Any) -> dict[str, Any] | None:
    if value is None or value is False:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"patience": value}
    if value is True:
        value = {}
    if not isinstance(value, dict):
        raise SettingsError(f"training setting 'early_stopping' must be a patience or an object, "
                            f"got {_brief(value)}")
    out = {"patience": 5, "monitor": "val_loss", "min_delta": 0.0, "restore_best": True, **value}
    if not isinstance(out["monitor"], str) or out["monitor"] not in MONITORS:
        raise SettingsError(f"early_stopping monitor must be one of {', '.join(MONITORS)}; "
                            f"got {_brief(out['monitor'])}")
    out["patience"] = _integer(out, "patience", 1, what="early_stopping patience")
    out["min_delta"] = _number(out, "min_delta", lo=0.0, what="early_stopping min_delta")
    if not isinstance(out["restore_best"], bool):
        raise SettingsError(f"early_stopping restore_best must be true or false, got {_brief(out['restore_best'])}")
    return out


def _schedule(value: Any) -> dict[str, Any] | None:
    if value is None or value in ("none", ""):
        return None
    if isinstance(value, str):
        value = {"type": value}
    if not isinstance(value, dict) or not isinstance(value.get("type"), str) or value["type"] not in SCHEDULES:
        raise SettingsError(f"training setting 'schedule' must be one of {', '.join(SCHEDULES)} "
                            f"(or an object with that 'type'); got {_brief(value)}")
    defaults = {"step": {"step_size": 10, "gamma": 0.1}, "cosine": {"eta_min": 0.0},
                "plateau": {"factor": 0.1, "patience": 3}}[value["type"]]
    out = {**defaults, **value}
    # checked here, before the first epoch: a step_size of 0 used to fail only after a whole epoch
    # (ZeroDivisionError inside StepLR), and t_max 0 likewise inside CosineAnnealingLR
    what = f"schedule ({out['type']})"
    for key, lo in (("step_size", 1), ("t_max", 1), ("patience", 0)):
        if key in out:
            out[key] = _integer(out, key, lo, what=f"{what} {key}")
    for key, lo, hi, lo_open in (("gamma", 0.0, None, True), ("eta_min", 0.0, None, False),
                                 ("factor", 0.0, 1.0, True), ("threshold", 0.0, None, False),
                                 ("min_lr", 0.0, None, False)):
        if key in out:
            out[key] = _number(out, key, lo=lo, hi=hi, lo_open=lo_open, what=f"{what} {key}")
    if out["type"] == "plateau" and out["factor"] >= 1.0:
        raise SettingsError(f"{what} factor must be < 1 (the learning rate is multiplied by it), got {out['factor']}")
    return out
