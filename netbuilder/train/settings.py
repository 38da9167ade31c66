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
import re
from typing import Any

# the per-value checks live in settings_checks.py; the names other modules import from here stay importable
from netbuilder.train.settings_checks import (  # noqa: F401  (re-exported)
    MAX_COUNT,
    MAX_MAXIMISED,
    MAX_PAIRS,
    MAX_PATH,
    MONITORS,
    SCHEDULES,
    SettingsError,
    _betas,
    _brief,
    _checkpoint,
    _choice,
    _early_stopping,
    _grad_clip,
    _indices,
    _integer,
    _loss_terms,
    _number,
    _pairs,
    _schedule,
    confined,
    file_checkpoint_path,
)

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
TASKS = ("classification", "regression", "reconstruction")
MODES = ("backprop", "rbm_cd")
MAX_THREADS = 256  # libgomp crashed (SIGSEGV) asked for 1,000,000 threads
MAX_SEED = 2**63 - 1  # torch.manual_seed takes a signed 64-bit seed
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
    """Check and normalise every key of a merged block in place (and return it). The order is the
    order of the messages a user meets; each value's own rules are in settings_checks.py."""
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
