"""Optimizers, learning-rate schedules, gradient clipping, devices, seeds."""

from __future__ import annotations

import random
from typing import Any, Iterable

import numpy as np
import torch


def make_optimizer(params: Iterable[torch.nn.Parameter], s: dict[str, Any]) -> torch.optim.Optimizer:
    """PyTorch's own defaults for everything the file does not set (settings.DEFAULTS: momentum 0,
    weight decay 0; Adam's betas and eps, RMSprop's alpha 0.99 are torch's)."""
    params = [p for p in params if p.requires_grad]
    name, lr, wd = s["optimizer"], s["lr"], s["weight_decay"]
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=s["momentum"], nesterov=s["nesterov"] and s["momentum"] > 0,
                               weight_decay=wd)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=tuple(s.get("betas", (0.9, 0.999))), weight_decay=wd)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=tuple(s.get("betas", (0.9, 0.999))), weight_decay=wd)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, momentum=s["momentum"] if s["momentum"] < 1 else 0.0,
                                   weight_decay=wd)
    raise ValueError(f"unknown optimizer {name!r}")


def make_scheduler(opt: torch.optim.Optimizer, schedule: dict[str, Any] | None, epochs: int) -> Any:
    if schedule is None:
        return None
    kind = schedule["type"]
    if kind == "step":
        return torch.optim.lr_scheduler.StepLR(opt, step_size=int(schedule["step_size"]),
                                               gamma=float(schedule["gamma"]))
    if kind == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=int(schedule.get("t_max", epochs)),
                                                          eta_min=float(schedule["eta_min"]))
    return torch.optim.lr_scheduler.ReduceLROnPlateau(opt, mode="min", factor=float(schedule["factor"]),
                                                      patience=int(schedule["patience"]),
                                                      threshold=float(schedule.get("threshold", 1e-4)),
                                                      min_lr=float(schedule.get("min_lr", 0.0)))


def step_scheduler(scheduler: Any, val_loss: float | None, train_loss: float) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(val_loss if val_loss is not None else train_loss)
    else:
        scheduler.step()


def clip_gradients(params: list[torch.nn.Parameter], clip: dict[str, Any] | None) -> None:
    if clip is None:
        return
    if clip["type"] == "norm":
        # foreach keeps it a handful of kernels; the total norm is never synced to the host
        torch.nn.utils.clip_grad_norm_(params, clip["max"], foreach=True)
    else:
        torch.nn.utils.clip_grad_value_(params, clip["max"], foreach=True)


def pick_device(name: str) -> torch.device:
    """auto → cuda, then mps, then cpu. An unavailable device is a clear error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    kind = name.split(":")[0]
    if kind == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(f"device {name!r} was asked for, but this PyTorch build sees no CUDA GPU; "
                           f"use device auto or cpu")
    if kind == "cuda" and ":" in name and int(name.split(":")[1]) >= torch.cuda.device_count():
        raise RuntimeError(f"device {name!r} does not exist; this machine has {torch.cuda.device_count()} GPU(s)")
    if kind == "mps" and not _mps_available():
        raise RuntimeError("device 'mps' was asked for, but Apple's Metal backend is not available here")
    return torch.device(name)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
