"""Shared pure helpers for shape rules: tuples, rank checks, conv arithmetic.

Every formula here is PyTorch's own, so inferred shapes equal real ones.
"""

from __future__ import annotations

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


def merged_size(column: Sequence[int | None]) -> int | None:
    """The size of an element-wise result along one axis, inputs already
    known to agree: a known size, except that a known 1 beside a variable
    size is variable (PyTorch broadcasts 1 against any n)."""
    known_sizes = [d for d in column if d is not None]
    if not known_sizes or (len(known_sizes) < len(column) and known_sizes[0] == 1):
        return None
    return known_sizes[0]


def broadcast(type_name: str, shapes: Sequence[Shape], names: Sequence[str]) -> Shape:
    """torch.broadcast_shapes of per-sample shapes, the batch included.

    Every input must have the same rank: with fewer dims, PyTorch would line
    one input's batch dim up with a feature dim of another (a result that
    depends on the batch size), which is never what a layer graph means.
    Per dim: equal sizes or 1; a variable size (None) beside a known n > 1 is
    n (PyTorch refuses any other value at run time), beside 1 or None it stays
    variable."""
    first = shapes[0]
    for name, s in zip(names[1:], shapes[1:]):
        if len(s) != len(first):
            raise ShapeError(
                f"{type_name} cannot broadcast {names[0]} {dims(first)} with {name} {dims(s)}: they have "
                f"{len(first) + 1} and {len(s) + 1} dims with the batch, and PyTorch would line the batch "
                "of one up with a feature dim of the other; give both the same number of dims "
                "(Unflatten or Reshape to add size-1 dims)")
    out: list[int | None] = []
    for axis, column in enumerate(zip(*shapes), start=1):
        sizes = {d for d in column if d is not None and d != 1}
        if len(sizes) > 1:
            parts = ", ".join(f"{n} is {dims(s)}" for n, s in zip(names, shapes))
            found = " vs ".join("?" if d is None else str(d) for d in column)
            raise ShapeError(f"{type_name} cannot broadcast its inputs: {parts}; dim {axis} is {found} "
                             "(sizes must be equal or 1) — insert a 1×1 Conv2d or Linear to match them")
        if sizes:
            out.append(sizes.pop())
        else:
            out.append(None if None in column else 1)
    return tuple(out)


def need_rank(type_name: str, shape: Shape, ranks: Sequence[int], what: str) -> None:
    """Refuse an input whose rank (batch excluded) is not one of `ranks`."""
    if len(shape) not in ranks:
        raise ShapeError(
            f"{type_name} expects {what}; received shape {dims(shape)} "
            f"({len(shape)} dims without batch)"
        )


INT32_MAX = 2**31 - 1


def window_fits(name: str, axis: str, n: int | None, k: int, s: int, left: int, right: int, d: int) -> None:
    """PyTorch's pooling (and parts of its convolution) arithmetic is 32-bit:
    beyond 2^31 − 1 it overflows (avg_pool1d refuses a kernel of 2^31, max_pool1d
    miscomputes a dilation of 2^31 − 1), so such a window is a shape error here."""
    values = {"kernel_size": k, "stride": s, "padding": max(left, right), "dilation": d,
              "dilated kernel d·(k−1)+1": d * (k - 1) + 1}
    if n is not None:
        values["padded input"] = n + left + right
    for what, value in values.items():
        if value > INT32_MAX:
            raise ShapeError(f"{name}: {what} {value} along {axis} is more than {INT32_MAX}, the largest size "
                             "PyTorch's convolution and pooling arithmetic handles; use a smaller value")


def conv_out(n: int | None, k: int, s: int, p: int | tuple[int, int], d: int, *, name: str, axis: str) -> int | None:
    """floor((n + 2p − d(k−1) − 1)/s) + 1, with an error that names the values.

    `p` is the padding on each side, or a (left, right) pair for the
    asymmetric padding PyTorch uses for 'same' with an even kernel."""
    left, right = (p, p) if isinstance(p, int) else p
    window_fits(name, axis, n, k, s, left, right, d)
    if n is None:
        return None
    span = d * (k - 1) + 1
    padded = n + left + right
    if span > padded:
        fix = max(0, -((n - span) // 2))  # ceil((span − n)/2) in ints: sizes may exceed a float
        pad_text = f"2·padding {left}" if left == right else f"padding {left}+{right}"
        if d > 1:
            eff = f"{k} (dilation {d} → spans {span})"
            smaller = f"kernel ≤ {(padded - 1) // d + 1} or a smaller dilation"
        else:
            eff, smaller = f"{k}", f"kernel ≤ {padded}"
        raise ShapeError(
            f"{name}: kernel {eff} is larger than the padded input {padded} along {axis} "
            f"(input {n} + {pad_text}); use padding ≥ {fix} or {smaller}"
        )
    return (padded - span) // s + 1


def pool_out(n: int | None, k: int, s: int, p: int, d: int, ceil_mode: bool, *, name: str, axis: str) -> int | None:
    """PyTorch's pooling size (aten pooling_output_shape), including
    ceil_mode's 'last window must start inside the input' rule and the
    padding ≤ kernel/2 limit (on the kernel itself, not the dilated span)."""
    window_fits(name, axis, n, k, s, p, p, d)
    if p > k // 2:
        raise ShapeError(f"{name}: padding {p} must be at most half the kernel {k} (PyTorch's rule); "
                         f"use padding ≤ {k // 2} or a kernel ≥ {2 * p}")
    if n is None:
        return None
    span = d * (k - 1) + 1
    padded = n + 2 * p
    out = (padded - span + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= n + p:
        out -= 1  # the last window would start in the right padding: PyTorch drops it
    if out < 1:
        raise ShapeError(_window_too_large(name, axis, n, k, s, p, d, ceil_mode))
    return out


def _window_too_large(name: str, axis: str, n: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> str:
    """The pooling 'output size is too small' error, with only the fixes that work."""
    span, padded = d * (k - 1) + 1, n + 2 * p
    fixes = [f"a kernel ≤ {(padded - 1) // d + 1}"]
    need_pad = -((n - span) // 2)  # ceil((span − n)/2), exact for any size
    if need_pad <= k // 2:
        fixes.append(f"padding ≥ {need_pad}")
    if not ceil_mode and span - padded <= s - 1:
        fixes.append("ceil_mode")
    eff = f"{k} (dilation {d} → spans {span})" if d > 1 else f"{k}"
    return (f"{name}: window {eff} is larger than the padded input {padded} along {axis} "
            f"(input {n} + 2·padding {p}); use {' or '.join(fixes)}")


def prod(values: Sequence[int | None]) -> int:
    total = 1
    for v in values:
        total *= v or 1
    return total


def known(type_name: str, value: int | None, what: str, fix: str = "") -> int:
    """A size the layer needs to build its weights must be known."""
    if value is None:
        raise ShapeError(f"{type_name} needs a known {what}, but it is variable (null) here; "
                         + (fix or "give that size a number in the Input's shape"))
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
