"""Pooling: max, average, sum (course notes), adaptive and global."""

from __future__ import annotations

from netbuilder.core.layers._rules import AXES, dims, known, need_rank, ntuple, p_kernel, p_stride, pool_out, prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register


def _pool_infer(type_name: str, n: int, has_dilation: bool):
    def infer(ins, p):
        (x,) = ins
        need_rank(type_name, x, (n + 1,), f"(channels, {', '.join(AXES[n])})")
        k = ntuple(p["kernel_size"], n)
        s = ntuple(p["stride"] if p["stride"] is not None else p["kernel_size"], n)
        pad = ntuple(p["padding"], n)
        d = ntuple(p["dilation"], n) if has_dilation else (1,) * n
        spatial = tuple(pool_out(x[i + 1], k[i], s[i], pad[i], d[i], p["ceil_mode"], name=type_name, axis=AXES[n][i])
                        for i in range(n))
        return [(x[0], *spatial)]
    return infer


def _pool_params(n: int, extra: tuple[Param, ...]) -> tuple[Param, ...]:
    return (
        p_kernel(n, 2),
        p_stride(n, optional=True),
        Param("padding", "ints", 0, "implicit padding on each side (at most half the kernel)", min=0, length=n),
        *extra,
        Param("ceil_mode", "bool", False, "round the output size up instead of down"),
    )


def _pool_macs(n: int):
    return lambda ins, outs, p: prod(outs[0]) * prod(ntuple(p["kernel_size"], n))


def _kwargs(p, keys) -> dict:
    return {k: p[k] for k in keys}


for _n in (1, 2):
    register(LayerSpec(
        type=f"MaxPool{_n}d",
        category="Pooling",
        help="Max pooling: the largest value in each window (2×2, stride 2 halves the size).",
        params=_pool_params(_n, (Param("dilation", "ints", 1, "spacing between window taps", min=1, length=_n),)),
        infer=_pool_infer(f"MaxPool{_n}d", _n, True),
        module=lambda ins, p, _n=_n: ModuleCall(
            f"torch.nn.MaxPool{_n}d", (p["kernel_size"],),
            _kwargs(p, ("stride", "padding", "dilation", "ceil_mode"))),
        macs=_pool_macs(_n),
    ))
    register(LayerSpec(
        type=f"AvgPool{_n}d",
        category="Pooling",
        help="Average pooling: the mean of each window.",
        params=_pool_params(_n, (Param("count_include_pad", "bool", True, "count padding zeros in the mean"),)),
        infer=_pool_infer(f"AvgPool{_n}d", _n, False),
        module=lambda ins, p, _n=_n: ModuleCall(
            f"torch.nn.AvgPool{_n}d", (p["kernel_size"],),
            _kwargs(p, ("stride", "padding", "ceil_mode", "count_include_pad"))),
        macs=_pool_macs(_n),
    ))

register(LayerSpec(
    type="SumPool2d",
    category="Pooling",
    help="Sum pooling (course notes): the sum of each window = average pooling × k².",
    params=_pool_params(2, ()),
    infer=_pool_infer("SumPool2d", 2, False),
    # divisor_override=1 turns PyTorch's average pool into an exact sum pool.
    module=lambda ins, p: ModuleCall("torch.nn.AvgPool2d", (p["kernel_size"],),
                                     {**_kwargs(p, ("stride", "padding", "ceil_mode")), "divisor_override": 1}),
    macs=_pool_macs(2),
))


def _adaptive_infer(type_name: str):
    def infer(ins, p):
        (x,) = ins
        need_rank(type_name, x, (3,), "(channels, height, width)")
        out = ntuple(p["output_size"], 2)
        return [(x[0], *out)]
    return infer


for _kind in ("Avg", "Max"):
    register(LayerSpec(
        type=f"Adaptive{_kind}Pool2d",
        category="Pooling",
        help=f"Adaptive {_kind.lower()} pooling to a fixed output size, whatever the input size.",
        params=(Param("output_size", "ints", 1, "output height and width", min=1, length=2),),
        infer=_adaptive_infer(f"Adaptive{_kind}Pool2d"),
        module=lambda ins, p, _kind=_kind: ModuleCall(f"torch.nn.Adaptive{_kind}Pool2d", (p["output_size"],)),
        macs=lambda ins, outs, p: prod(ins[0]),
    ))


def _global_infer(type_name: str):
    def infer(ins, p):
        (x,) = ins
        if len(x) < 2:
            raise ShapeError(f"{type_name} expects (channels, ...spatial); received shape {dims(x)} — nothing "
                             "to pool; use it after a conv layer, or drop it")
        known(type_name, x[0], "number of channels")
        return [(x[0],)]
    return infer


for _kind, _what in (("Avg", "mean"), ("Max", "maximum")):
    register(LayerSpec(
        type=f"Global{_kind}Pool",
        category="Pooling",
        help=f"Global {_kind.lower()} pooling (GoogLeNet): the {_what} of each feature map → (C,).",
        params=(),
        infer=_global_infer(f"Global{_kind}Pool"),
        module=lambda ins, p, _kind=_kind: ModuleCall(f"netbuilder.core.modules.Global{_kind}Pool"),
        macs=lambda ins, outs, p: prod(ins[0]),
    ))
