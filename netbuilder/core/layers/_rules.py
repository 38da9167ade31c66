"""Shared pure helpers for shape rules: tuples, rank checks, conv arithmetic.

Every formula here is PyTorch's own, so inferred shapes equal real ones.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from netbuilder.core.params import Param
from netbuilder.core.spec import Shape, ShapeError


def ntuple(value: Any, n: int) -> tuple[int, ...]:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ShapeError(f"expected 1 or {n} values, got {list(value)}")
        return tuple(value)
    return (value,) * n


def dims(shape: Shape) -> str:
    return "×".join("?" if s is None else str(s) for s in shape) or "scalar"


def need_rank(type_name: str, shape: Shape, ranks: Sequence[int], what: str) -> None:
    """Refuse an input whose rank (batch excluded) is not one of `ranks`."""
    if len(shape) not in ranks:
        raise ShapeError(
            f"{type_name} expects {what}; received shape {dims(shape)} "
            f"({len(shape)} dims without batch)"
        )


def conv_out(n: int | None, k: int, s: int, p: int, d: int, *, name: str, axis: str) -> int | None:
    """floor((n + 2p − d(k−1) − 1)/s) + 1, with an error that names the values."""
    if n is None:
        return None
    span = d * (k - 1) + 1
    padded = n + 2 * p
    if span > padded:
        fix = max(0, math.ceil((span - n) / 2))
        eff = f"{k} (dilation {d} → spans {span})" if d > 1 else f"{k}"
        raise ShapeError(
            f"{name}: kernel {eff} is larger than the padded input {padded} along {axis} "
            f"(input {n} + 2·padding {p}); use padding ≥ {fix} or kernel ≤ {padded if d == 1 else 'smaller'}"
        )
    return (padded - span) // s + 1


def pool_out(n: int | None, k: int, s: int, p: int, d: int, ceil_mode: bool, *, name: str, axis: str) -> int | None:
    """PyTorch's pooling size, including ceil_mode's 'last window must start
    inside the input' rule and the padding ≤ kernel/2 limit."""
    if p * 2 > k:
        raise ShapeError(f"{name}: padding {p} must be at most half the kernel {k} (PyTorch's rule); use padding ≤ {k // 2}")
    if n is None:
        return None
    span = d * (k - 1) + 1
    padded = n + 2 * p
    if span > padded:
        raise ShapeError(
            f"{name}: window {k} is larger than the padded input {padded} along {axis} "
            f"(input {n} + 2·padding {p}); use a kernel ≤ {padded} or more padding"
        )
    if ceil_mode:
        out = -(-(padded - span) // s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
    else:
        out = (padded - span) // s + 1
    return out


def prod(values: Sequence[int | None]) -> int:
    total = 1
    for v in values:
        total *= v or 1
    return total


def known(type_name: str, value: int | None, what: str) -> int:
    """A size the layer needs to build its weights must be known."""
    if value is None:
        raise ShapeError(f"{type_name} needs a known {what}, but it is variable (null) here")
    return value


# Params shared by several specs, declared once.
def p_kernel(n: int, default: Any = 3) -> Param:
    return Param("kernel_size", "ints", default, "window size (one value or one per axis)", min=1, length=n)


def p_stride(n: int, default: Any = 1, optional: bool = False) -> Param:
    if optional:
        return Param("stride", "optional_ints", None, "step between windows; empty = kernel_size", min=1, length=n)
    return Param("stride", "ints", default, "step between windows", min=1, length=n)


def p_dilation(n: int) -> Param:
    return Param("dilation", "ints", 1, "spacing between kernel taps", min=1, length=n)


def p_padding_int(n: int) -> Param:
    return Param("padding", "ints", 0, "zeros added on each side", min=0, length=n)


AXES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}
