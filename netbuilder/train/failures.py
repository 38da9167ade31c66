"""Plain-language `failed` events for numbers that left the finite range.

The trainer finds a non-finite loss only when it syncs (a few times a
second), so it knows the exact step and term, and the finite losses before
it, but not what the weights looked like at that step. These texts say
what is known for certain and, where the losses show it, the likely cause.
"""

from __future__ import annotations

from typing import Any

import torch

from netbuilder.train.events import Failed

GROWTH = 100.0  # a loss this many times its first value before turning non-finite: training diverged


class OptimizerOverflow(RuntimeError):
    """The optimizer could not even compute its update (a setting overflows the weights' dtype)."""


def non_finite_loss(step: int | None, epoch: int, term: str, first: tuple[int, float] | None,
                    previous: tuple[int, float] | None, lr: float, data_finite: bool | None) -> Failed:
    """The loss of `step` is NaN or infinite in `term` (step None: the validation pass).
    `first`/`previous`: (step, total loss) of the run's first and of the last finite step;
    `data_finite`: whether the training tensors are all finite (None: not known)."""
    where = f"at step {step} (epoch {epoch})" if step is not None else f"in epoch {epoch}"
    message = f"the loss became NaN or infinite {where}, in {term}"
    if data_finite is False:
        return Failed(f"{message}: the training data holds NaN or infinite values (fix or drop those samples)",
                      step, "nan", term=term)
    if step == 1:
        source = "the network or the loss itself" if data_finite else "the inputs, the targets or the network"
        message += f" — at the very first step, before any weight update: {source} produce NaN or infinite values"
    elif previous is not None and step is not None:
        message += f", right after {previous[1]:.3g} at step {previous[0]}"
        grew = first is not None and first[0] < previous[0] and \
            abs(previous[1]) > GROWTH * max(abs(first[1]), 1e-6)
        if grew:
            message += f" (up from {first[1]:.3g} at step {first[0]}): training diverged"
        if grew or data_finite:  # finite data: only the weight updates changed since that finite loss
            message += f" — the learning rate {lr:g} is probably too large"
    return Failed(message, step, "nan", term=term)


def data_is_finite(batches: Any) -> bool | None:
    """Whether the training tensors hold only finite numbers (None for data read on demand)."""
    tensors = [getattr(batches, "x", None), getattr(batches, "y", None)]
    if tensors[0] is None:
        return None
    return all(bool(torch.isfinite(t).all()) for t in tensors if t is not None and t.is_floating_point())


def optimizer_overflow(step: int, epoch: int, exc: BaseException, optimizer: Any) -> Failed:
    """The optimizer step raised an overflow (e.g. lr 1e300 cannot be a float32 factor)."""
    group = optimizer.param_groups[0]
    params = [p for g in optimizer.param_groups for p in g["params"]]
    dtype = params[0].dtype if params else torch.float32
    name, largest = str(dtype).replace("torch.", ""), torch.finfo(dtype).max
    lr, decay = float(group.get("lr", 0.0)), float(group.get("weight_decay", 0.0) or 0.0)
    if abs(lr) > largest:
        why = f"learning rate {lr:g} is larger than {name} weights can hold (at most {largest:.3g}); use a much " \
              f"smaller learning rate (0.001 to 0.1 is usual)"
    elif abs(decay) > largest:
        why = f"weight decay {decay:g} is larger than {name} weights can hold (at most {largest:.3g})"
    else:
        text = str(exc).strip().splitlines()
        why = f"a setting of the optimizer is too large for {name} weights ({text[0] if text else exc})"
    return Failed(f"the weights would become NaN or infinite at step {step} (epoch {epoch}), in the optimizer "
                  f"step: {why}", step, "nan")
