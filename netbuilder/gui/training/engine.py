"""The dock's one door into netbuilder.train: choices for the controls,
default loss terms, and the dataset that suits a graph's Input.

Imports of the engine (and so of torch) happen inside functions, so building
the main window does not pay for torch until training is first needed.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# used when the engine does not list its own choices
_FALLBACK_DATASETS = ("digits", "iris", "wine", "breast_cancer")
_FALLBACK_OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
_FALLBACK_LOSSES = ("cross_entropy", "mse", "mae", "mape", "bce", "kl_gaussian", "sparsity_l1", "sparsity_kl",
                    "contractive")
_FALLBACK_TASKS = ("classification", "regression", "reconstruction")


def _attr(module: str, *names: str) -> Any:
    import importlib

    try:
        mod = importlib.import_module(f"netbuilder.train.{module}")
    except ImportError:
        return None
    for name in names:
        if hasattr(mod, name):
            return getattr(mod, name)
    return None


def _names(value: Any, fallback: tuple[str, ...]) -> list[str]:
    if callable(value):
        value = value()
    if isinstance(value, dict):
        return list(value)
    if value:
        return [str(v) for v in value]
    return list(fallback)


@lru_cache(maxsize=1)
def builtin_datasets() -> list[str]:
    return _names(_attr("data", "BUILTIN_DATASETS", "builtin_datasets", "BUILTINS", "DATASETS"), _FALLBACK_DATASETS)


def dataset_help(name: str) -> str:
    info = (_attr("data", "BUILTIN_DATASETS") or {}).get(name)
    return str(getattr(info, "help", "")) if info is not None else ""


@lru_cache(maxsize=1)
def optimizers() -> list[str]:
    return _names(_attr("settings", "OPTIMIZERS") or _attr("trainer", "OPTIMIZERS"), _FALLBACK_OPTIMIZERS)


@lru_cache(maxsize=1)
def loss_types() -> list[str]:
    names = _attr("loss_defaults", "LOSS_TERMS") or _attr("losses", "LOSS_TERMS", "LOSSES", "TERMS", "loss_names")
    return _names(names, _FALLBACK_LOSSES)


@lru_cache(maxsize=1)
def tasks() -> list[str]:
    return _names(_attr("settings", "TASKS"), _FALLBACK_TASKS)


def devices() -> list[str]:
    fn = _attr("runner", "available_devices")
    if fn is not None:
        return list(fn())
    import torch

    return ["cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]


def default_loss_terms(graph: Any, task: str | None) -> list[dict[str, Any]]:
    # loss_defaults needs no torch (losses does: ~1 s on the start-up path)
    fn = _attr("loss_defaults", "default_loss_terms") or _attr("losses", "default_loss_terms") \
        or _attr("runner", "default_loss_terms")
    if fn is None:
        return []
    try:
        return [dict(t) for t in fn(graph, task)]
    except Exception:  # noqa: BLE001 — a half-drawn graph has no defaults yet
        return []


def resolve_settings(graph_dict: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    fn = _attr("runner", "resolve_settings") or _attr("settings", "resolve_settings")
    return fn(graph_dict, overrides or {}) if fn else {**graph_dict.get("training", {}), **(overrides or {})}


def dataset_for_input(shape: tuple | list | None) -> str:
    """A built-in dataset whose samples fit an Input of this shape."""
    fn = _attr("data", "dataset_for_shape", "builtin_for_shape")
    if fn is not None:
        try:
            name = fn(tuple(shape) if shape else None)
            if name:
                return str(name)
        except Exception:  # noqa: BLE001 — fall back to the table below
            pass
    if not shape:
        return "digits"
    size = 1
    for d in shape:
        size *= int(d or 1)
    return {4: "iris", 13: "wine", 30: "breast_cancer"}.get(size, "digits")
