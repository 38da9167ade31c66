"""More ONNX rules: transposed convolution, Resize, Squeeze/Unsqueeze,
Split, and arithmetic with a constant operand (onnx_ops.py has the rest).

A constant operand (x * 2 + 1, x - mean) becomes a fixed Parameter node
(trainable off: a buffer saved with the weights, never trained) holding the
constant's value, shaped so that PyTorch broadcasting gives the same result.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from netbuilder.interchange.fx_rules import Unmappable, compact
from netbuilder.interchange.onnx_ops import Mapped, OpContext, _no_batch_axis, _symmetric_pads, check_kernel, group


def _conv_transpose(ctx: OpContext) -> Mapped:
    w = ctx.const(ctx.node.input[1])
    if w is None:
        raise Unmappable("the weight is computed, not a constant")
    dims = w.ndim - 2
    if dims not in (1, 2):
        raise Unmappable(f"{dims}-d transposed convolution (only 1-d and 2-d are in the catalog)")
    if "output_shape" in ctx.attrs:
        raise Unmappable("output_shape is given (write pads and output_padding instead)")
    check_kernel(ctx, w, dims)
    groups = group(ctx)
    b = ctx.const(ctx.node.input[2]) if len(ctx.node.input) > 2 and ctx.node.input[2] else None
    params = {"out_channels": int(w.shape[1]) * groups, "kernel_size": compact(w.shape[2:]),
              "stride": compact(ctx.ints("strides", dims, 1)), "padding": _symmetric_pads(ctx, dims),
              "output_padding": compact(ctx.ints("output_padding", dims, 0)),
              "dilation": compact(ctx.ints("dilations", dims, 1)), "groups": groups, "bias": b is not None}
    weights = {"weight": w} | ({"bias": b} if b is not None else {})
    return Mapped(f"ConvTranspose{dims}d", params, [ctx.node.input[0]], weights)


# ONNX Resize attributes that give exactly what nn.Upsample computes (align_corners=False)
_RESIZE_MODES = {"nearest": ("asymmetric", "nearest"), "linear": ("half_pixel", "linear")}


def _resize(ctx: OpContext) -> Mapped:
    x = ctx.node.input[0]
    mode, coords = ctx.attr("mode", "nearest"), ctx.attr("coordinate_transformation_mode", "half_pixel")
    if mode not in _RESIZE_MODES:
        raise Unmappable(f"mode {mode!r} (Upsample has nearest and (bi)linear)")
    want, _ = _RESIZE_MODES[mode]
    if coords.replace("pytorch_", "") != want or (mode == "nearest" and ctx.attr("nearest_mode", "round_prefer_floor")
                                                  != "floor"):
        raise Unmappable(f"coordinate_transformation_mode {coords!r} with mode {mode!r} "
                         "(Upsample matches only PyTorch's own: align_corners=False)")
    rank = ctx.rank(x)
    if rank not in (3, 4):
        raise Unmappable(f"input of rank {rank} (Upsample takes N×C×L or N×C×H×W)")
    scales = ctx.const(ctx.node.input[2]) if len(ctx.node.input) > 2 and ctx.node.input[2] else None
    sizes = ctx.const(ctx.node.input[3]) if len(ctx.node.input) > 3 and ctx.node.input[3] else None
    upsample_mode = "nearest" if mode == "nearest" else ("bilinear" if rank == 4 else "linear")
    axes = ctx.attr("axes")  # opset 18: scales or sizes for these axes only
    if axes is not None and scales is not None and scales.size:
        full = np.ones(rank)
        full[[int(a) % rank for a in axes]] = scales
        scales = full
    elif axes is not None:
        raise Unmappable("sizes for some axes only (give scales, or sizes for every axis)")
    if scales is not None and scales.size:
        kept, spatial = [float(s) for s in scales[:2]], {float(s) for s in scales[2:]}
        if kept != [1.0, 1.0] or len(spatial) != 1:
            raise Unmappable(f"scales {scales.tolist()} (Upsample keeps batch and channels and scales every "
                             "spatial axis by one factor)")
        return Mapped("Upsample", {"scale_factor": spatial.pop(), "size": None, "mode": upsample_mode}, [x])
    if sizes is not None and sizes.size:
        return Mapped("Upsample", {"scale_factor": 2.0, "size": compact(sizes[2:]), "mode": upsample_mode}, [x])
    raise Unmappable("the scales or sizes are computed, not constants")


def _squeeze(ctx: OpContext) -> Mapped:
    """Squeeze/Unsqueeze keep the data order, so a Reshape to the inferred shape is the same thing."""
    x = ctx.node.input[0]
    axes = ctx.const(ctx.node.input[1]) if len(ctx.node.input) > 1 else ctx.attr("axes")
    if axes is None:
        raise Unmappable("no constant axes (squeezing every size-1 dim needs known sizes)")
    axes = [int(a) for a in np.atleast_1d(axes)]
    rank_in = ctx.rank(x)
    if rank_in is None:
        raise Unmappable("the input has an unknown rank")
    rank = rank_in + (len(axes) if ctx.node.op_type == "Unsqueeze" else 0)  # Unsqueeze counts output axes
    if any(a % rank == 0 for a in axes):
        raise Unmappable("works along the batch axis (0); NetBuilder layers keep the batch")
    out = ctx.dims_of(ctx.node.output[0])
    if out is None or any(s is None for s in out[1:]):
        raise Unmappable("the output shape is unknown (ONNX shape inference found no sizes)")
    if len(out) < 2:
        raise Unmappable("leaves only the batch dim (NetBuilder tensors keep at least one more)")
    return Mapped("Reshape", {"shape": [int(s) for s in out[1:]]}, [x])


def _split(ctx: OpContext) -> Mapped:
    x = ctx.node.input[0]
    axis = _no_batch_axis(ctx, int(ctx.attr("axis", 0)), x)
    sizes = ctx.const(ctx.node.input[1]) if len(ctx.node.input) > 1 and ctx.node.input[1] else ctx.attr("split")
    count = len(ctx.node.output)
    if sizes is None:  # equal parts (num_outputs in opset 18, or just the output count)
        whole = (ctx.dims_of(x) or [None] * (axis + 1))[axis]
        if whole is None or whole % count:
            raise Unmappable(f"equal split of a dim of unknown or indivisible size into {count}")
        sizes = [whole // count] * count
    sizes = [int(s) for s in np.atleast_1d(sizes)]
    return Mapped("Split", {"split_size_or_sections": sizes, "dim": axis}, [x], outputs=list(ctx.node.output))


def _constant_operand(ctx: OpContext, value: np.ndarray, x: str, suffix: str) -> Mapped:
    """A Parameter node holding `value`, shaped to broadcast against x as the constant does."""
    rank = ctx.rank(x)
    if rank is None:
        raise Unmappable("the computed operand has an unknown rank")
    if np.asarray(value).dtype.kind != "f":
        raise Unmappable(f"the constant operand is of type {np.asarray(value).dtype} (a Parameter holds floats)")
    value = np.asarray(value, dtype=np.float32)
    if value.ndim >= rank:
        if value.ndim > rank or value.shape[0] != 1:
            raise Unmappable(f"the constant's shape {list(value.shape)} spans the batch axis")
        value = value[0]
    shape = [1] * (rank - 1 - value.ndim) + list(value.shape)
    tensor = f"{ctx.node.output[0]}::{suffix}"
    return Mapped("Parameter", {"shape": shape or [1], "init": "zeros", "trainable": False}, [x],
                  {"weight": value.reshape(1, *shape).copy()}, outputs=[tensor], name=suffix)


def _arith(op: str) -> Callable[[OpContext], list[Mapped]]:
    """Add, Mul, Sub, Div: two computed operands merge; one constant operand becomes a Parameter."""
    merge = {"Add": "Add", "Mul": "Multiply"}

    def rule(ctx: OpContext) -> list[Mapped]:
        a, b = ctx.node.input[0], ctx.node.input[1]
        ca, cb = ctx.const(a), ctx.const(b)
        if ca is None and cb is None:
            if op not in merge:
                raise Unmappable(f"{op} of two computed tensors (the catalog has Add and Multiply only)")
            return [Mapped(merge[op], {"num_inputs": 2}, [a, b])]
        if ca is not None and cb is not None:
            raise Unmappable("both operands are constants")
        x, c, const_first = (b, ca, True) if ca is not None else (a, cb, False)
        out = ctx.node.output[0]
        if op == "Sub" and const_first:  # c - x = c + (-1)·x
            neg = _constant_operand(ctx, np.float32(-1.0), x, "minus_one")
            flip = Mapped("Multiply", {"num_inputs": 2}, [x, neg.outputs[0]], outputs=[f"{out}::negated"],
                          name="negate")
            const = _constant_operand(ctx, c, x, "const")
            return [neg, flip, const, Mapped("Add", {"num_inputs": 2}, [flip.outputs[0], const.outputs[0]])]
        if op == "Div" and const_first:
            raise Unmappable("divides a constant by a computed tensor (no reciprocal layer)")
        if op == "Div" and not np.all(np.asarray(c)):
            raise Unmappable("divides by a constant that contains 0")
        value = {"Add": c, "Mul": c, "Sub": -c, "Div": 1.0 / np.asarray(c, dtype=np.float64)}[op]
        const = _constant_operand(ctx, value, x, "const")
        pair = [const.outputs[0], x] if const_first else [x, const.outputs[0]]
        return [const, Mapped("Add" if op in ("Add", "Sub") else "Multiply", {"num_inputs": 2}, pair)]
    return rule


RULES: dict[str, Callable[[OpContext], Mapped | list[Mapped]]] = {
    "ConvTranspose": _conv_transpose, "Resize": _resize,
    "Squeeze": _squeeze, "Unsqueeze": _squeeze, "Split": _split,
    "Add": _arith("Add"), "Mul": _arith("Mul"), "Sub": _arith("Sub"), "Div": _arith("Div"),
}
