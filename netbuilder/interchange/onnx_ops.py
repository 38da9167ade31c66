"""ONNX operators → catalog layers: one small rule per op type.

A rule reads one ONNX node (its attributes, which inputs are constants, the
ranks ONNX shape inference found) and returns the layer that computes the
same thing, with the weights it needs under PyTorch's state_dict names; or
raises Unmappable saying why not. ONNX tensors carry the batch as dim 0,
so axis 0 is refused wherever a catalog layer keeps the batch.
"""

from __future__ import annotations

import reprlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from netbuilder.interchange.fx_rules import Unmappable, compact


@dataclass
class Mapped:
    type: str
    params: dict[str, Any]
    inputs: list[str]  # ONNX tensor names feeding the layer's ports, in port order
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # state_dict key (without the node) -> value
    outputs: list[str] | None = None  # ONNX tensors of the output ports; None: the node's first output
    name: str = ""  # for a helper node of a rule that makes several: added to the ONNX node's name


class OpContext:
    """What a rule may ask about one ONNX node."""

    def __init__(self, node: Any, consts: dict[str, np.ndarray], dims: dict[str, list], batch: int | None):
        import onnx

        self.node = node
        self.attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        self._consts = consts
        self._dims = dims  # tensor -> sizes from ONNX shape inference (None = symbolic), batch included
        self.batch = batch  # the model's fixed batch size, None when it is symbolic

    def const(self, name: str) -> np.ndarray | None:
        return self._consts.get(name) if name else None

    def dims_of(self, name: str) -> list | None:
        return self._dims.get(name)

    def rank(self, name: str) -> int | None:
        return len(self._dims[name]) if name in self._dims else None

    def sample_size(self, name: str) -> int | None:
        """Elements per sample (all dims but the batch), None when a size is unknown."""
        sizes = self._dims.get(name)
        if sizes is None or any(s is None for s in sizes[1:]):
            return None
        return int(np.prod(sizes[1:]))

    def inputs(self) -> list[str]:
        return [n for n in self.node.input if n]

    def dynamic(self) -> list[str]:
        """Inputs that are computed (not initializers or constants)."""
        return [n for n in self.inputs() if self.const(n) is None]

    def only_input(self) -> str:
        dyn = self.dynamic()
        if len(dyn) != 1:
            raise Unmappable(f"expects one computed input, got {len(dyn)}")
        return dyn[0]

    def attr(self, name: str, default: Any = None) -> Any:
        value = self.attrs.get(name, default)
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else value

    def ints(self, name: str, count: int, default: int) -> list[int]:
        """An INTS attribute of exactly `count` values (each `default` when it is absent); a file
        from elsewhere may give a string or the wrong length, which is named here, not an IndexError."""
        value = self.attrs.get(name)
        if value is None:
            return [default] * count
        if (not isinstance(value, (list, tuple)) or len(value) != count
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            raise Unmappable(f"attribute {name!r} must be {count} integers here, got {reprlib.repr(value)}")
        return [int(v) for v in value]


def _no_batch_axis(ctx: OpContext, axis: int, tensor: str) -> int:
    """A non-negative axis that counts the batch as 0; the batch itself is refused."""
    rank = ctx.rank(tensor)
    if axis < 0:
        if rank is None:
            raise Unmappable(f"axis {axis} on an input of unknown rank")
        axis += rank
    if axis == 0:
        raise Unmappable("works along the batch axis (0); NetBuilder layers keep the batch")
    return axis


def _symmetric_pads(ctx: OpContext, dims: int) -> int | list[int]:
    if ctx.attr("auto_pad", "NOTSET") not in ("NOTSET", "VALID"):
        raise Unmappable(f"auto_pad={ctx.attr('auto_pad')} (give explicit pads)")
    pads = ctx.ints("pads", 2 * dims, 0)
    begin, end = pads[:dims], pads[dims:]
    if begin != end:
        raise Unmappable(f"asymmetric pads {pads}")
    return compact(begin)


def _conv(ctx: OpContext) -> Mapped:
    w = ctx.const(ctx.node.input[1])
    if w is None:
        raise Unmappable("the weight is computed, not a constant")
    dims = w.ndim - 2
    if dims not in (1, 2):
        raise Unmappable(f"{dims}-d convolution (only 1-d and 2-d are in the catalog)")
    check_kernel(ctx, w, dims)
    b = ctx.const(ctx.node.input[2]) if len(ctx.node.input) > 2 and ctx.node.input[2] else None
    params = {"out_channels": int(w.shape[0]), "kernel_size": compact(w.shape[2:]),
              "stride": compact(ctx.ints("strides", dims, 1)), "padding": _symmetric_pads(ctx, dims),
              "dilation": compact(ctx.ints("dilations", dims, 1)), "groups": group(ctx),
              "bias": b is not None}
    weights = {"weight": w} | ({"bias": b} if b is not None else {})
    return Mapped(f"Conv{dims}d", params, [ctx.node.input[0]], weights)


def check_kernel(ctx: OpContext, w: np.ndarray, dims: int) -> None:
    """kernel_shape, when given, must be the weight's own (ONNX allows it to be written out)."""
    if "kernel_shape" in ctx.attrs and ctx.ints("kernel_shape", dims, 1) != [int(s) for s in w.shape[2:]]:
        raise Unmappable(f"kernel_shape {ctx.attrs['kernel_shape']} differs from the weight's {list(w.shape[2:])}")


def group(ctx: OpContext) -> int:
    value = ctx.attr("group", 1)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise Unmappable(f"attribute 'group' must be a positive integer, got {reprlib.repr(value)}")
    return value


def _gemm(ctx: OpContext) -> Mapped:
    a, b = ctx.node.input[0], ctx.node.input[1]
    w = ctx.const(b)
    if w is None or ctx.const(a) is not None:
        raise Unmappable("only x @ constant weight maps to Linear")
    if ctx.attr("transA", 0) or ctx.attr("alpha", 1.0) != 1.0 or ctx.attr("beta", 1.0) != 1.0:
        raise Unmappable("transA, alpha or beta other than the defaults")
    if w.ndim != 2:
        raise Unmappable(f"the weight has {w.ndim} dims (Gemm multiplies by a matrix)")
    w = w if ctx.attr("transB", 0) else w.T  # Linear keeps (out, in)
    c = ctx.const(ctx.node.input[2]) if len(ctx.node.input) > 2 and ctx.node.input[2] else None
    if c is not None:
        if c.size not in (1, w.shape[0]) or c.ndim > 2:
            raise Unmappable(f"the bias of shape {list(c.shape)} is not one value per output ({w.shape[0]})")
        c = np.broadcast_to(c.reshape(-1), (w.shape[0],)).copy()
    return _linear(a, w, c)


def _linear(x: str, w: np.ndarray, bias: np.ndarray | None) -> Mapped:
    weights = {"weight": np.ascontiguousarray(w)} | ({"bias": bias} if bias is not None else {})
    return Mapped("Linear", {"out_features": int(w.shape[0]), "bias": bias is not None}, [x], weights)


def _matmul(ctx: OpContext) -> Mapped:
    a, b = ctx.node.input[0], ctx.node.input[1]
    w = ctx.const(b)
    if w is None and ctx.const(a) is None:
        return Mapped("MatMul", {}, [a, b])
    if w is not None and w.ndim == 2 and ctx.const(a) is None:
        return _linear(a, w.T, None)  # a following Add of a bias is folded in by the importer
    raise Unmappable("a constant left operand, or a constant right operand that is not 2-d")


def _batch_norm(ctx: OpContext) -> Mapped:
    x = ctx.node.input[0]
    scale, bias, mean, var = (ctx.const(n) for n in ctx.node.input[1:5])
    if any(v is None for v in (scale, bias, mean, var)):
        raise Unmappable("scale, bias, mean and variance must be constants")
    rank = ctx.rank(x)
    if rank not in (2, 3, 4):
        raise Unmappable(f"input of rank {rank} (BatchNorm1d takes 2 or 3, BatchNorm2d 4)")
    weights = {"weight": scale, "bias": bias, "running_mean": mean, "running_var": var,
               "num_batches_tracked": np.array(0, dtype=np.int64)}
    eps = float(f"{ctx.attr('epsilon', 1e-5):.6g}")  # undo float32 rounding (1e-5, not 9.99e-6)
    params = {"eps": eps, "momentum": round(1.0 - float(ctx.attr("momentum", 0.9)), 6)}
    return Mapped("BatchNorm2d" if rank == 4 else "BatchNorm1d", params, [x], weights)


def _pool(kind: str) -> Callable[[OpContext], Mapped]:
    def rule(ctx: OpContext) -> Mapped:
        kernel = ctx.attrs.get("kernel_shape")
        dims = len(kernel) if isinstance(kernel, (list, tuple)) else 0
        if dims not in (1, 2):
            raise Unmappable(f"kernel_shape {reprlib.repr(kernel)} (1-d and 2-d pooling only)")
        kernel = ctx.ints("kernel_shape", dims, 1)
        strides = compact(ctx.ints("strides", dims, 1))
        params = {"kernel_size": compact(kernel), "stride": None if strides == compact(kernel) else strides,
                  "padding": _symmetric_pads(ctx, dims), "ceil_mode": bool(ctx.attr("ceil_mode", 0))}
        if kind == "Max":
            if len(ctx.node.output) > 1 and ctx.node.output[1]:
                raise Unmappable("returns indices")
            params["dilation"] = compact(ctx.ints("dilations", dims, 1))
        else:
            params["count_include_pad"] = bool(ctx.attr("count_include_pad", 0))
        return Mapped(f"{kind}Pool{dims}d", params, [ctx.only_input()])
    return rule


def _global_pool(kind: str) -> Callable[[OpContext], Mapped]:
    def rule(ctx: OpContext) -> Mapped:
        x = ctx.only_input()
        if ctx.rank(x) != 4:
            raise Unmappable(f"input of rank {ctx.rank(x)} (only N×C×H×W)")
        return Mapped(f"Adaptive{kind}Pool2d", {"output_size": 1}, [x])  # keeps 1×1 like ONNX
    return rule


def _flatten(ctx: OpContext) -> Mapped:
    x = ctx.only_input()
    axis = int(ctx.attr("axis", 1))
    if axis < 0 and ctx.rank(x) is not None:
        axis += ctx.rank(x)
    if axis != 1:
        raise Unmappable(f"axis={axis} (only 1: keep the batch, flatten the rest)")
    return Mapped("Flatten", {}, [x])


def _reshape(ctx: OpContext) -> Mapped:
    x, target = ctx.node.input[0], ctx.const(ctx.node.input[1])
    if target is None:
        raise Unmappable("the new shape is computed, not a constant")
    sizes = [int(s) for s in target]
    if (ctx.attr("allowzero", 0) and 0 in sizes) or not sizes or sizes[0] not in (0, -1, ctx.batch):
        raise Unmappable(f"shape {sizes} does not keep the batch as dim 0")
    rest = sizes[1:]
    if sizes[0] == -1 and -1 in rest:
        raise Unmappable(f"shape {sizes} has two -1")
    if 0 in rest:
        raise Unmappable(f"shape {sizes} copies a dim with 0 (write the size)")
    if len(rest) == 1 and (ctx.rank(x) or 0) > 2 and rest[0] in (-1, ctx.sample_size(x)):
        return Mapped("Flatten", {}, [x])  # how exporters write x.flatten(1)
    return Mapped("Reshape", {"shape": rest or [1]}, [x])


def _concat(ctx: OpContext) -> Mapped:
    dyn = ctx.dynamic()
    if len(dyn) != len(ctx.inputs()):
        raise Unmappable("joins a constant tensor")
    return Mapped("Concat", {"num_inputs": len(dyn), "dim": _no_batch_axis(ctx, int(ctx.attr("axis")), dyn[0])}, dyn)


def _merge(type_name: str) -> Callable[[OpContext], Mapped]:
    def rule(ctx: OpContext) -> Mapped:
        dyn = ctx.dynamic()
        if len(dyn) != len(ctx.inputs()) or len(dyn) < 2:
            raise Unmappable("one operand is a constant (only computed tensors merge)")
        return Mapped(type_name, {"num_inputs": len(dyn)}, dyn)
    return rule


def _softmax(type_name: str) -> Callable[[OpContext], Mapped]:
    def rule(ctx: OpContext) -> Mapped:
        x = ctx.only_input()
        axis = int(ctx.attr("axis", -1))
        return Mapped(type_name, {"dim": axis if axis < 0 else _no_batch_axis(ctx, axis, x)}, [x])
    return rule


def _transpose(ctx: OpContext) -> Mapped:
    x = ctx.only_input()
    perm = [int(p) for p in ctx.attr("perm", [])]
    if not perm or perm[0] != 0:
        raise Unmappable(f"perm {perm} moves the batch axis")
    return Mapped("Permute", {"dims": perm}, [x])


def _unary(type_name: str, **names: str) -> Callable[[OpContext], Mapped]:
    """An elementwise op; `names` maps catalog params to ONNX attributes."""
    def rule(ctx: OpContext) -> Mapped:
        return Mapped(type_name, {p: float(ctx.attr(a)) for p, a in names.items() if a in ctx.attrs},
                      [ctx.only_input()])
    return rule


def _clip(ctx: OpContext) -> Mapped:
    bounds = [ctx.const(n) for n in ctx.node.input[1:3]] if len(ctx.node.input) > 1 else []
    low = float(bounds[0]) if bounds and bounds[0] is not None else ctx.attr("min")
    high = float(bounds[1]) if len(bounds) > 1 and bounds[1] is not None else ctx.attr("max")
    if (low, high) != (0.0, 6.0):
        raise Unmappable(f"Clip to [{low}, {high}] (only [0, 6] = ReLU6)")
    return Mapped("ReLU6", {}, [ctx.node.input[0]])


def _hard_sigmoid(ctx: OpContext) -> Mapped:
    if abs(ctx.attr("alpha", 0.2) - 1 / 6) > 1e-6 or abs(ctx.attr("beta", 0.5) - 0.5) > 1e-6:
        raise Unmappable("alpha/beta other than PyTorch's 1/6 and 0.5")
    return Mapped("Hardsigmoid", {}, [ctx.only_input()])


def _prelu(ctx: OpContext) -> Mapped:
    slope = ctx.const(ctx.node.input[1])
    if slope is None:
        raise Unmappable("the slope is computed, not a constant")
    flat = slope.reshape(-1)
    return Mapped("PReLU", {"num_parameters": int(flat.size)}, [ctx.node.input[0]], {"weight": flat.copy()})


def _identity(ctx: OpContext) -> Mapped:
    return Mapped("Identity", {}, [ctx.only_input()])


RULES: dict[str, Callable[[OpContext], Mapped]] = {
    "Conv": _conv, "Gemm": _gemm, "MatMul": _matmul, "BatchNormalization": _batch_norm,
    "MaxPool": _pool("Max"), "AveragePool": _pool("Avg"),
    "GlobalAveragePool": _global_pool("Avg"), "GlobalMaxPool": _global_pool("Max"),
    "Flatten": _flatten, "Reshape": _reshape, "Concat": _concat, "Transpose": _transpose,
    "Sum": _merge("Add"),  # Add, Mul (which may have a constant operand): onnx_shape_ops.py
    "Softmax": _softmax("Softmax"), "LogSoftmax": _softmax("LogSoftmax"),
    "Relu": _unary("ReLU"), "Sigmoid": _unary("Sigmoid"), "Tanh": _unary("Tanh"),
    "LeakyRelu": _unary("LeakyReLU", negative_slope="alpha"), "Elu": _unary("ELU", alpha="alpha"),
    "Softplus": _unary("Softplus"), "HardSwish": _unary("Hardswish"), "Mish": _unary("Mish"),
    "Gelu": lambda ctx: Mapped("GELU", {"approximate": ctx.attr("approximate", "none")}, [ctx.only_input()]), "HardSigmoid": _hard_sigmoid, "Clip": _clip, "PRelu": _prelu,
    "Dropout": _identity,
}
