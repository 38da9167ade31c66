"""Checkpoints: one file holding the graph JSON, the weights and the run's state.

Saved with torch.save as a plain dict of tensors, numbers, strings, lists
and dicts — never a pickled module — and read back with
torch.load(weights_only=True), which refuses anything else: a checkpoint
carrying Python objects (which could run code when unpickled) is rejected
with a CheckpointError, never loaded.

    {"format": "netbuilder-checkpoint", "version": 2, "sha256": hex digest of everything else,
     "graph": "<graph JSON text>", "settings": "<settings JSON text>",
     "model": state_dict, "optimizer": state_dict | None, "scheduler": state_dict | None,
     "scaler": state_dict | None, "epoch": int (epochs completed), "step": int,
     "history": "<JSON list of epoch events>", "best": "<JSON {best_value, best_epoch, bad_epochs, ...}>",
     "best_weights": state_dict | None (early stopping's best epoch, with restore_best),
     "standardize": {"mean": tensor, "std": tensor} | None}

torch does not check the zip's CRCs, so a flipped bit in a tensor loads silently: version 2
stores a SHA-256 of the whole state (tensors' bytes, dtypes and shapes, every other value,
in key order) and load_checkpoint refuses a file whose state no longer matches it. Version 1
files (no digest) still load. Every field is checked (epoch and step whole numbers ≥ 0, ...)
before a run resumes from it.

Where a checkpoint may be written: settings.file_checkpoint_path turns a path suggested by
a graph file into one beside that file (never outside its folder); `check_writable` refuses
to replace anything that is not a regular file (a device such as /dev/full, a FIFO, a folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import re
import reprlib
import stat
import warnings
from pathlib import Path
from typing import Any

import torch

from netbuilder.core.io import atomic_write

FORMAT = "netbuilder-checkpoint"
VERSION = 2


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
    state["sha256"] = state_digest(state)
    path = Path(path)
    check_writable(path)
    try:
        if path.parent and not path.parent.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda f: torch.save(state, f))  # a kill mid-save keeps the previous checkpoint
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write the checkpoint ({exc.strerror or exc})") from None
    except RuntimeError as exc:  # torch's zip writer: "[enforce fail at inline_container.cc] ... file write failed"
        raise CheckpointError(f"{path}: cannot write the checkpoint (the disk may be full or the folder "
                              f"not writable; {_first_line(exc)})") from None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return reprlib.repr(lines[0])[1:-1] if lines else type(exc).__name__


def check_writable(path: Path) -> None:
    """Refuse to replace what is not a regular file: os.replace would swap out a device node
    (/dev/full as root), a FIFO or a symlink itself."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise CheckpointError(f"{path}: cannot write the checkpoint ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise CheckpointError(f"{path}: refusing to write a checkpoint over something that is not a regular file "
                              "(a device, pipe, folder or link); choose another checkpoint path")


def state_digest(state: dict[str, Any]) -> str:
    """SHA-256 of everything in `state` except its own "sha256" entry."""
    h = hashlib.sha256()
    _feed(h, {k: v for k, v in state.items() if k != "sha256"})
    return h.hexdigest()


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    elif isinstance(value, dict):
        h.update(f"D{len(value)}".encode())
        for key in sorted(value, key=repr):
            _feed(h, key)
            _feed(h, value[key])
    elif isinstance(value, (list, tuple)):
        h.update(f"L{len(value)}".encode())
        for item in value:
            _feed(h, item)
    else:
        h.update(f"V{type(value).__name__}:{value!r};".encode())


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
        with warnings.catch_warnings():
            # a damaged header can read as "pickle protocol 130": torch warns, then fails or not —
            # either way the outcome below is what the user sees, not a warning
            warnings.simplefilter("ignore", UserWarning)
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
    except (IndexError, KeyError, AssertionError, UnicodeDecodeError, OverflowError, MemoryError) as exc:
        # a damaged pickle stream trips torch's restricted unpickler in many ways (a memo index
        # past its stack...): all of them mean the same thing to the user
        raise CheckpointError(f"{path}: not a readable checkpoint (damaged: {type(exc).__name__})") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a NetBuilder checkpoint (no 'format': {FORMAT!r})")
    version = state.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise CheckpointError(f"{path}: damaged checkpoint (field 'version' is {reprlib.repr(version)})")
    if version > VERSION:
        raise CheckpointError(f"{path}: checkpoint version {version} is newer than this NetBuilder")
    _verify_digest(path, state, required=version >= 2)
    try:
        for key, default in (("graph", "{}"), ("settings", "{}"), ("history", "[]"), ("best", "{}")):
            state[key] = json.loads(state.get(key) or default)
    except (TypeError, json.JSONDecodeError, RecursionError) as exc:
        raise CheckpointError(f"{path}: damaged checkpoint ({reprlib.repr(str(exc))[1:-1]})") from None
    _check_fields(path, state)
    return state


def _verify_digest(path: Any, state: dict[str, Any], required: bool) -> None:
    stored = state.get("sha256")
    if stored is None and not required:
        return
    if not isinstance(stored, str):
        raise CheckpointError(f"{path}: damaged checkpoint (its integrity hash is missing)")
    if state_digest(state) != stored:
        raise CheckpointError(f"{path}: damaged checkpoint — its contents do not match the hash stored in it "
                              "(the file was changed or corrupted after it was saved); refusing to resume from it")


_FIELDS: dict[str, tuple[type, ...]] = {"graph": (dict,), "settings": (dict,), "history": (list,), "best": (dict,),
                                         "model": (dict,), "optimizer": (dict, type(None)),
                                         "scheduler": (dict, type(None)), "scaler": (dict, type(None)),
                                         "best_weights": (dict, type(None)), "standardize": (dict, type(None))}


def _check_fields(path: Any, state: dict[str, Any]) -> None:
    """Every field the trainer reads, of the right kind: a bad one is refused here, naming it,
    never half-used (an epoch of -5 resumed and ran 8 epochs for --epochs 3)."""
    for key in ("epoch", "step"):
        value = state.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CheckpointError(f"{path}: damaged checkpoint (field '{key}' must be a whole number ≥ 0, "
                                  f"got {reprlib.repr(value)})")
    for key, kinds in _FIELDS.items():
        if not isinstance(state.get(key), kinds):
            raise CheckpointError(f"{path}: damaged checkpoint (field '{key}' is a "
                                  f"{type(state.get(key)).__name__}, not a {kinds[0].__name__})")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in state["model"].items()):
        raise CheckpointError(f"{path}: damaged checkpoint (field 'model' must map names to tensors)")
