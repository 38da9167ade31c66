"""Tensors an ONNX graph computes from other tensors' sizes (ONNX Shape).

Exporters write `x.view(x.size(0), -1)` as Shape → Gather → Unsqueeze →
Concat → Reshape, and a recurrent layer's zero initial state as Shape → … →
ConstantOfShape(0). No layer computes sizes, so these nodes are not added;
they are followed here instead: each such tensor is either "zeros" (a
zero-filled tensor) or "size" with, where it can be worked out, its value
as a list of ints with BATCH for the (symbolic) batch size. A Reshape whose
target works out to [BATCH, …] then keeps the batch like one written [0, …].
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

BATCH = "batch"
# a zero tensor built from sizes is allocated by onnxruntime when the import is verified: one that
# would hold more values per sample than this is not followed (the node is then listed as unmapped)
MAX_ZEROS = 2**28


class TooLarge(Exception):
    """A tensor built from sizes would be too large to allocate; the message says how large."""
_FOLLOWED = {"Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Cast", "Reshape", "Expand", "Add", "Sub",
             "Mul", "Div", "Identity"}
_KEEPS_ZEROS = {"Gather", "Unsqueeze", "Squeeze", "Slice", "Cast", "Reshape", "Expand", "Identity"}
_KEEPS_VALUE = {"Unsqueeze", "Squeeze", "Cast", "Identity", "Reshape"}  # a 0-d or 1-d size keeps its entries


class SizeTracker:
    def __init__(self, consts: dict[str, np.ndarray], dims: dict[str, list],
                 batch_axis: Callable[[str], int | None]):
        self.consts = consts
        self.dims = dims
        self.batch_axis = batch_axis  # which dim of a tensor is the batch (0 for the values the importer has)
        self.kind: dict[str, str] = {}  # tensor -> "size" or "zeros"
        self.value: dict[str, list] = {}  # a "size" tensor's entries (ints and BATCH), when known

    def __contains__(self, tensor: str) -> bool:
        return tensor in self.kind

    def is_zeros(self, tensor: str) -> bool:
        return self.kind.get(tensor) == "zeros" or _all_zero(self.consts.get(tensor))

    def handle(self, node: Any) -> bool:
        """True when `node` computes sizes (or zeros) only: it is followed here, not imported."""
        ins, out, op = [t for t in node.input if t], node.output[0], node.op_type
        if op == "Shape":
            self.kind[out] = "size"
            self._shape(node, out)
            return True
        if op == "ConstantOfShape" and ins and ins[0] in self.kind:
            _refuse_big(self._entries(ins[0]))
            self.kind[out] = "zeros" if _fill(node) == 0 else "size"
            return True
        if op == "Expand" and len(ins) > 1:
            _refuse_big(self._entries(ins[1]))
        if op not in _FOLLOWED or not ins or not any(t in self.kind for t in ins) or not all(
                t in self.kind or t in self.consts for t in ins):
            return False
        zeros = op in _KEEPS_ZEROS and self.is_zeros(ins[0])
        self.kind[out] = "zeros" if zeros else "size"
        if not zeros:
            value = self._value(node, ins)
            if value is not None:
                self.value[out] = value
        return True

    def resolve(self, tensor: str) -> np.ndarray | None:
        """A Reshape target [BATCH, sizes…] as the constant [0, sizes…] (0 copies the batch)."""
        value = self.value.get(tensor)
        if not value or value[0] != BATCH or any(not isinstance(v, int) for v in value[1:]):
            return None
        return np.array([0, *value[1:]], dtype=np.int64)

    def _shape(self, node: Any, out: str) -> None:
        sizes, axis = self.dims.get(node.input[0]), self.batch_axis(node.input[0])
        if sizes is None or axis is None:
            return
        attrs = {a.name: a.i for a in node.attribute}
        entries = [BATCH if i == axis else int(s) if s is not None else None for i, s in enumerate(sizes)]
        self.value[out] = entries[attrs.get("start", 0):attrs.get("end", len(entries)) or None]

    def _entries(self, tensor: str) -> list | None:
        if tensor in self.value:
            return self.value[tensor]
        const = self.consts.get(tensor)
        if const is None or const.dtype.kind not in "iu" or const.ndim > 1:
            return None
        return [int(v) for v in np.atleast_1d(const)]

    def _value(self, node: Any, ins: list[str]) -> list | None:
        op = node.op_type
        first = self._entries(ins[0])
        if op in _KEEPS_VALUE:
            return first
        if op == "Concat":
            parts = [self._entries(t) for t in ins]
            return None if any(p is None for p in parts) else [v for p in parts for v in p]
        if op == "Gather" and first is not None and len(ins) > 1:
            index = self.consts.get(ins[1])
            if index is not None and index.size == 1 and -len(first) <= int(index.reshape(-1)[0]) < len(first):
                return [first[int(index.reshape(-1)[0])]]
        if op == "Slice" and first is not None:
            return _slice(first, [self.consts.get(t) for t in ins[1:]])
        if op == "Mul" and len(ins) == 2:
            second = self._entries(ins[1])
            if first and second and len(first) == len(second) == 1 and all(
                    isinstance(v, int) for v in (*first, *second)):
                return [first[0] * second[0]]
        return None  # other arithmetic on sizes: the value is not worked out


def _refuse_big(entries: list | None) -> None:
    """Raise TooLarge for a shape whose known sizes (the batch left out) multiply past MAX_ZEROS."""
    sizes = [v for v in entries or [] if isinstance(v, int)]
    total = 1
    for v in sizes:
        total *= max(v, 0)
    if total > MAX_ZEROS:
        raise TooLarge(f"builds a tensor of shape {[v if isinstance(v, int) else 'N' for v in entries][:8]} from "
                       f"sizes: {total:,} values per sample, more than the limit of {MAX_ZEROS:,}")


def _slice(entries: list, args: list) -> list | None:
    """Slice(data, starts, ends[, axes[, steps]]) of a 1-d size tensor, all constants."""
    if any(a is None for a in args) or len(args) < 2:
        return None
    starts, ends = (int(np.atleast_1d(a)[0]) for a in args[:2])
    steps = int(np.atleast_1d(args[3])[0]) if len(args) > 3 else 1
    if len(args) > 2 and int(np.atleast_1d(args[2])[0]) not in (0, -1):
        return None
    return entries[slice(starts, min(ends, len(entries)) if ends > 0 else ends, steps)]


def _fill(node: Any) -> float:
    import onnx

    value = next((a.t for a in node.attribute if a.name == "value"), None)
    return 0.0 if value is None else float(onnx.numpy_helper.to_array(value).reshape(-1)[0])


def _all_zero(value: np.ndarray | None) -> bool:
    return value is not None and value.dtype.kind == "f" and not value.any()
