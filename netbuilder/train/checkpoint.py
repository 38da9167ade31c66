"""Checkpoints: one file holding the graph JSON, the weights and the run's state.

Saved with torch.save as a plain dict of tensors, numbers, strings, lists
and dicts — never a pickled module — and read back with
torch.load(weights_only=True), which refuses anything else: a checkpoint
carrying Python objects (which could run code when unpickled) is rejected
with a CheckpointError, never loaded.

    {"format": "netbuilder-checkpoint", "version": 1,
     "graph": "<graph JSON text>", "settings": "<settings JSON text>",
     "model": state_dict, "optimizer": state_dict | None, "scheduler": state_dict | None,
     "scaler": state_dict | None, "epoch": int (epochs completed), "step": int,
     "history": "<JSON list of epoch events>", "best": "<JSON {best_value, best_epoch, bad_epochs, ...}>",
     "best_weights": state_dict | None (early stopping's best epoch, with restore_best),
     "standardize": {"mean": tensor, "std": tensor} | None}
"""

from __future__ import annotations

import json
import os
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from netbuilder.core.io import atomic_write

FORMAT = "netbuilder-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that cannot (or must not) be loaded; the message says why."""


def save_checkpoint(path: str | os.PathLike, *, graph: dict[str, Any], settings: dict[str, Any],
                    model: torch.nn.Module, optimizer: Any = None, scheduler: Any = None, scaler: Any = None,
                    epoch: int = 0, step: int = 0, history: list[dict[str, Any]] | None = None,
                    best: dict[str, Any] | None = None, best_weights: dict[str, torch.Tensor] | None = None,
                    standardize: dict[str, Any] | None = None) -> None:
    """Write atomically (temp file + rename), so a crash never leaves half a checkpoint."""
    state = {
        "format": FORMAT,
        "version": VERSION,
        "graph": json.dumps(graph),
        "settings": json.dumps(settings, default=str),
        "model": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer": _cpu(optimizer.state_dict()) if optimizer is not None else None,
        "scheduler": _cpu(scheduler.state_dict()) if scheduler is not None else None,
        "scaler": scaler.state_dict() if scaler is not None and scaler.is_enabled() else None,
        "epoch": int(epoch),
        "step": int(step),
        "history": json.dumps(history or [], default=_nan_safe),
        "best": json.dumps(best or {}, default=_nan_safe),
        "best_weights": {k: v.detach().cpu() for k, v in best_weights.items()} if best_weights else None,
        "standardize": standardize,
    }
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda f: torch.save(state, f))  # a kill mid-save keeps the previous checkpoint


def _cpu(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, dict):
        return {k: _cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cpu(v) for v in value)
    return value


def _nan_safe(value: Any) -> Any:
    return str(value)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint dict with graph/settings/history/best parsed from JSON."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise CheckpointError(f"{path}: no such checkpoint file") from None
    except (pickle.UnpicklingError, RuntimeError, AttributeError, TypeError) as exc:
        text = str(exc)
        found = re.search(r"Unsupported global: GLOBAL ([\w.]+)", text)
        if found or "global" in text.lower():
            what = f" ({found.group(1)})" if found else ""
            raise CheckpointError(f"{path}: refused — the file contains Python objects{what}, not just tensors "
                                  f"and numbers; loading it could run arbitrary code. Only load checkpoints "
                                  f"saved by NetBuilder from a source you trust") from None
        raise CheckpointError(f"{path}: not a readable checkpoint (damaged, or not made by torch.save)") from None
    except (OSError, EOFError, ValueError) as exc:
        raise CheckpointError(f"{path}: not a readable checkpoint ({exc})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a NetBuilder checkpoint (no 'format': {FORMAT!r})")
    if not isinstance(state.get("version"), int) or state["version"] > VERSION:
        raise CheckpointError(f"{path}: checkpoint version {state.get('version')!r} is newer than this NetBuilder")
    try:
        for key, default in (("graph", "{}"), ("settings", "{}"), ("history", "[]"), ("best", "{}")):
            state[key] = json.loads(state.get(key) or default)
    except (TypeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: damaged checkpoint ({exc})") from None
    return state
