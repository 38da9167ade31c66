"""Convolution and pooling worked by hand, the way the course does it on paper.

`worked_example` slides a kernel over a small 2-D input with the node's
stride, padding and dilation and returns the output matrix plus, for every
output cell, the terms that made it (input position, input value, kernel
value), so a view can spell out "1·0 + 2·1 + … = 7" for the cell under the
cursor. Plain numpy loops on purpose: each number is computed the way it is
explained. Results equal torch's conv2d / max_pool2d / avg_pool2d
(count_include_pad=True, torch's default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

OPS = ("conv", "max", "avg")
POOL_TYPES = {"MaxPool2d": "max", "AvgPool2d": "avg"}


class ByHandError(ValueError):
    """The matrices or settings cannot be worked; the message says which."""


@dataclass(frozen=True)
class Term:
    row: int  # position in the padded input (may lie in the padding)
    col: int
    value: float  # input value there (0 in zero padding)
    weight: float  # kernel value (1 for max pooling, 1/k² for average pooling)
    padding: bool = False


@dataclass
class Worked:
    output: np.ndarray
    terms: list[list[list[Term]]] = field(default_factory=list)
    op: str = "conv"
    bias: float = 0.0

    def explain(self, i: int, j: int) -> str:
        """The sum (or max) of output cell (i, j), spelled out."""
        terms = self.terms[i][j]
        value = self.output[i, j]
        if self.op == "max":
            return f"max({', '.join(_num(t.value) for t in terms)}) = {_num(value)}"
        parts = " + ".join(f"{_num(t.value)}·{_num(t.weight)}" for t in terms)
        if self.op == "avg":
            return f"({' + '.join(_num(t.value) for t in terms)}) / {len(terms)} = {_num(value)}"
        bias = f" + {_num(self.bias)}" if self.bias else ""
        return f"{parts}{bias} = {_num(value)}"


def _num(v: float) -> str:
    text = f"{float(v):.4g}"
    return f"({text})" if text.startswith("-") else text


def pair(value: Any, name: str) -> tuple[int, int]:
    """An int or a pair of ints, as torch takes them."""
    try:
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ByHandError(f"{name} must be one number or two, got {list(value)}")
            return int(value[0]), int(value[1])
        return int(value), int(value)
    except (TypeError, ValueError):
        raise ByHandError(f"{name} must be a whole number or two, got {value!r}") from None


def parse_matrix(text: str, name: str = "matrix") -> np.ndarray:
    """Rows on lines (or separated by ';'), numbers by spaces or commas."""
    rows = [r for r in (line.replace(",", " ").split() for line in text.replace(";", "\n").splitlines()) if r]
    if not rows:
        raise ByHandError(f"the {name} is empty: type rows of numbers, one row per line")
    if len({len(r) for r in rows}) != 1:
        raise ByHandError(f"the {name}'s rows have different lengths ({', '.join(str(len(r)) for r in rows)})")
    try:
        return np.array([[float(v) for v in r] for r in rows], dtype=np.float64)
    except ValueError as exc:
        raise ByHandError(f"the {name} holds something that is not a number ({exc})") from None


def worked_example(x: np.ndarray, op: str = "conv", kernel: np.ndarray | None = None,
                   kernel_size: Any = 3, stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                   bias: float = 0.0) -> Worked:
    """Slide over `x` (H, W). For op='conv' the kernel is `kernel` (cross-correlation,
    as torch); for pooling it is a kernel_size window."""
    if op not in OPS:
        raise ByHandError(f"unknown operation {op!r} (one of {', '.join(OPS)})")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ByHandError("the input must be a matrix (rows of numbers)")
    if op == "conv":
        if kernel is None:
            raise ByHandError("a convolution needs kernel values")
        kernel = np.asarray(kernel, dtype=np.float64)
        kh, kw = kernel.shape
    else:
        kh, kw = pair(kernel_size, "kernel_size")
    sh, sw = pair(stride if stride is not None else (kh, kw), "stride")
    ph, pw = pair(padding, "padding")
    dh, dw = pair(dilation, "dilation")
    if min(sh, sw, dh, dw, kh, kw) < 1 or min(ph, pw) < 0:
        raise ByHandError("stride, dilation and kernel size must be at least 1, padding at least 0")
    fill = -np.inf if op == "max" else 0.0
    padded = np.pad(x, ((ph, ph), (pw, pw)), constant_values=fill)
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    oh, ow = (padded.shape[0] - span_h) // sh + 1, (padded.shape[1] - span_w) // sw + 1
    if oh < 1 or ow < 1:
        raise ByHandError(f"the {kh}×{kw} kernel (dilation {dh}×{dw}) does not fit in the "
                          f"{x.shape[0]}×{x.shape[1]} input with padding {ph}×{pw}")
    out = np.zeros((oh, ow))
    terms: list[list[list[Term]]] = []
    for i in range(oh):
        row_terms = []
        for j in range(ow):
            cell = _cell(padded, kernel, op, i * sh, j * sw, kh, kw, dh, dw, (ph, pw), x.shape)
            out[i, j] = _combine(cell, op, bias)
            row_terms.append(cell)
        terms.append(row_terms)
    return Worked(out, terms, op, float(bias) if op == "conv" else 0.0)


def _cell(padded: np.ndarray, kernel: np.ndarray | None, op: str, top: int, left: int, kh: int, kw: int,
          dh: int, dw: int, pad: tuple[int, int], shape: tuple[int, ...]) -> list[Term]:
    cell = []
    for a in range(kh):
        for b in range(kw):
            r, c = top + a * dh, left + b * dw
            inside = pad[0] <= r < pad[0] + shape[0] and pad[1] <= c < pad[1] + shape[1]
            if op == "max" and not inside:
                continue  # torch's max pooling pads with -inf: padding never wins
            weight = float(kernel[a, b]) if op == "conv" else (1.0 if op == "max" else 1.0 / (kh * kw))
            cell.append(Term(r - pad[0], c - pad[1], float(padded[r, c]) if inside else 0.0, weight, not inside))
    return cell


def _combine(cell: list[Term], op: str, bias: float) -> float:
    if op == "max":
        return max(t.value for t in cell)
    if op == "avg":
        return sum(t.value for t in cell) * cell[0].weight
    return sum(t.value * t.weight for t in cell) + bias


def node_settings(node_type: str, params: dict[str, Any]) -> dict[str, Any]:
    """worked_example keyword arguments for a Conv2d / MaxPool2d / AvgPool2d node."""
    if node_type == "Conv2d":
        return {"op": "conv", "stride": params.get("stride", 1), "padding": params.get("padding", 0),
                "dilation": params.get("dilation", 1), "kernel_size": params.get("kernel_size", 3)}
    if node_type in POOL_TYPES:
        return {"op": POOL_TYPES[node_type], "kernel_size": params.get("kernel_size", 2),
                "stride": params.get("stride"), "padding": params.get("padding", 0),
                "dilation": params.get("dilation", 1) if node_type == "MaxPool2d" else 1}
    raise ByHandError(f"{node_type} has no worked example (Conv2d, MaxPool2d and AvgPool2d do)")
