"""The checks behind `settings.validate`: one per structured value, plus where a checkpoint may go.

Kept apart from settings.py so that module stays the readable schema (documented block,
defaults, the order keys are checked in) while the fiddly rules live here: which JSON
values count as numbers (no bools, no 10**400), how big a count may be before torch
overflows, what a loss term, grad_clip, early_stopping or schedule object may hold, and
why a checkpoint path a graph file suggests must stay inside that file's folder.
Everything raises SettingsError with a message that names the setting; settings.py
re-exports the public names (SettingsError, the limits, confined, file_checkpoint_path).
"""

from __future__ import annotations

import math
import os
import reprlib
from pathlib import Path
from typing import Any

SCHEDULES = ("step", "cosine", "plateau")
MONITORS = ("val_loss", "val_accuracy", "val_mae", "val_mape", "train_loss")
MAX_COUNT = 2**31 - 1  # batch size, epochs, cd_k, step sizes: beyond int32 torch overflows ("unpacking long long")
MAX_PATH = 4096  # characters in a dataset or checkpoint path
MAX_MAXIMISED = 16  # inputs maximised per epoch: each costs a few dozen forward/backward passes
MAX_PAIRS = 8  # interpolation strips per epoch


class SettingsError(ValueError):
    """A training setting has the wrong type or value; the message names it."""


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
