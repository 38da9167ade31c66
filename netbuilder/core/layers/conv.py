"""Convolutions: Conv1d, Conv2d, ConvTranspose1d/2d.

in_channels is inferred from the input; "same"/"valid" padding, dilation,
groups (or "depthwise" = one filter group per input channel) as in PyTorch.
"""

from __future__ import annotations

import math

from netbuilder.core.layers._rules import AXES, conv_out, dims, known, need_rank, ntuple, p_dilation, p_kernel, prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register


def _groups(type_name: str, in_ch: int, p) -> int:
    groups = in_ch if p["groups"] == "depthwise" else p["groups"]
    out_ch = p["out_channels"]
    if in_ch % groups or out_ch % groups:
        if p["groups"] == "depthwise":
            fix = f"use out_channels a multiple of {in_ch} (e.g. {in_ch} or {2 * in_ch})"
        else:
            fix = f"use groups that divide both (e.g. {math.gcd(in_ch, out_ch)})"
        raise ShapeError(
            f"{type_name}: groups {groups} must divide both in_channels {in_ch} and out_channels {out_ch}; {fix}"
        )
    return groups


def _padding(type_name: str, p, n: int, k: tuple, d: tuple, s: tuple) -> tuple[tuple[int, int], ...]:
    """(left, right) padding per axis, as PyTorch computes it ('same' may be
    asymmetric for an even kernel); refuse what PyTorch refuses."""
    pad = p["padding"]
    if pad == "valid":
        return ((0, 0),) * n
    if pad == "same":
        if any(x != 1 for x in s):
            raise ShapeError(
                f"{type_name}: padding 'same' needs stride 1 (PyTorch's rule), got stride {p['stride']}; "
                "use a number for padding, e.g. kernel_size // 2"
            )
        totals = [di * (ki - 1) for ki, di in zip(k, d)]
        return tuple((t // 2, t - t // 2) for t in totals)
    return tuple((x, x) for x in ntuple(pad, n))


def _check_padding_mode(type_name: str, p, pads: tuple, sizes: tuple) -> None:
    """reflect needs padding < input size, circular ≤ input size (F.pad's rules)."""
    mode = p["padding_mode"]
    if mode not in ("reflect", "circular"):
        return
    for (left, right), size in zip(pads, sizes):
        biggest = max(left, right)
        if size is None or (biggest < size if mode == "reflect" else biggest <= size):
            continue
        limit = f"smaller than the input size {size}" if mode == "reflect" else f"at most the input size {size}"
        raise ShapeError(f"{type_name}: padding_mode '{mode}' needs padding {biggest} {limit} "
                         f"(input {dims(sizes)}); use less padding or padding_mode 'zeros'")


def _conv_infer(type_name: str, n: int):
    def infer(ins, p):
        (x,) = ins
        need_rank(type_name, x, (n + 1,), f"(channels, {', '.join(AXES[n])})")
        in_ch = known(type_name, x[0], "number of channels")
        _groups(type_name, in_ch, p)
        k, s, d = ntuple(p["kernel_size"], n), ntuple(p["stride"], n), ntuple(p["dilation"], n)
        pads = _padding(type_name, p, n, k, d, s)
        _check_padding_mode(type_name, p, pads, x[1:])
        spatial = tuple(conv_out(x[i + 1], k[i], s[i], pads[i], d[i], name=type_name, axis=AXES[n][i])
                        for i in range(n))
        return [(p["out_channels"], *spatial)]
    return infer


def _conv_module(n: int):
    def module(ins, p):
        in_ch = ins[0][0]
        kwargs = {"stride": p["stride"], "padding": p["padding"], "dilation": p["dilation"],
                  "groups": _groups(f"Conv{n}d", in_ch, p), "bias": p["bias"], "padding_mode": p["padding_mode"]}
        return ModuleCall(f"torch.nn.Conv{n}d", (in_ch, p["out_channels"], p["kernel_size"]), kwargs)
    return module


def _conv_macs(n: int):
    def macs(ins, outs, p):
        in_ch = ins[0][0]
        groups = in_ch if p["groups"] == "depthwise" else p["groups"]
        return prod(outs[0]) * (in_ch // groups) * prod(ntuple(p["kernel_size"], n))
    return macs


def _conv_params(n: int, padding_help: str, transposed: bool) -> tuple[Param, ...]:
    common = (
        Param("out_channels", "int", 16, "number of filters (output feature maps)", min=1, max=1_000_000_000),
        p_kernel(n),
        Param("stride", "ints", 1, "step of the filter", min=1, length=n),
        Param("padding", "padding", 0, padding_help, min=0, length=n),
    )
    tail = (
        p_dilation(n),
        Param("groups", "groups", 1, "split channels into groups; 'depthwise' = one group per input channel",
              min=1),
        Param("bias", "bool", True, "learn an additive bias per filter"),
    )
    if transposed:
        return common + (Param("output_padding", "ints", 0, "extra size added to one side of the output",
                               min=0, length=n),) + tail
    return common + tail + (Param("padding_mode", "choice", "zeros", "how the border is filled",
                                  choices=("zeros", "reflect", "replicate", "circular")),)


for _n in (1, 2):
    _name = f"Conv{_n}d"
    register(LayerSpec(
        type=_name,
        category="Convolution",
        help=f"{_n}-D convolution: out = ⌊(n + 2p − d(k−1) − 1)/s⌋ + 1 per axis; in_channels inferred.",
        params=_conv_params(_n, "zeros on each side: a number, 'valid' (= 0) or 'same' (keeps size; stride 1)", False),
        infer=_conv_infer(_name, _n),
        module=_conv_module(_n),
        macs=_conv_macs(_n),
    ))


def _tconv_padding(type_name: str, p, n: int, k: tuple, d: tuple, s: tuple) -> tuple[int, ...]:
    """ConvTranspose takes only numbers in PyTorch; 'same' (stride 1) is
    resolved here to the padding that keeps the size, d·(k−1)/2."""
    pad = p["padding"]
    if pad == "valid":
        return (0,) * n
    if pad == "same":
        if any(x != 1 for x in s):
            raise ShapeError(f"{type_name}: padding 'same' needs stride 1, got stride {p['stride']}; "
                             "use numbers: kernel 4, stride 2, padding 1 exactly doubles the size")
        if any(ntuple(p["output_padding"], n)):
            raise ShapeError(f"{type_name}: padding 'same' keeps the size, so output_padding must be 0, "
                             f"got {p['output_padding']}; set output_padding to 0 or use a number for padding")
        odd = [ki for ki, di in zip(k, d) if di * (ki - 1) % 2]
        if odd:
            raise ShapeError(f"{type_name}: padding 'same' needs an odd kernel (or an even dilation), got kernel "
                             f"{p['kernel_size']}; use an odd kernel_size such as {odd[0] + 1}")
        return tuple(di * (ki - 1) // 2 for ki, di in zip(k, d))
    return ntuple(pad, n)


def _tconv_infer(type_name: str, n: int):
    def infer(ins, p):
        (x,) = ins
        need_rank(type_name, x, (n + 1,), f"(channels, {', '.join(AXES[n])})")
        in_ch = known(type_name, x[0], "number of channels")
        _groups(type_name, in_ch, p)
        k, s, d = ntuple(p["kernel_size"], n), ntuple(p["stride"], n), ntuple(p["dilation"], n)
        pad = _tconv_padding(type_name, p, n, k, d, s)
        op = ntuple(p["output_padding"], n)
        out = []
        for i in range(n):
            if op[i] >= max(s[i], d[i]):
                raise ShapeError(f"{type_name}: output_padding {op[i]} must be smaller than stride {s[i]} "
                                 f"or dilation {d[i]} (PyTorch's rule)")
            size = x[i + 1]
            if size is None:
                out.append(None)
                continue
            value = (size - 1) * s[i] - 2 * pad[i] + d[i] * (k[i] - 1) + op[i] + 1
            if value < 1:
                raise ShapeError(f"{type_name}: output {AXES[n][i]} would be {value} for input {size} "
                                 f"with padding {pad[i]}; use less padding")
            out.append(value)
        return [(p["out_channels"], *out)]
    return infer


def _tconv_module(n: int):
    def module(ins, p):
        in_ch = ins[0][0]
        k, s, d = ntuple(p["kernel_size"], n), ntuple(p["stride"], n), ntuple(p["dilation"], n)
        pad = _tconv_padding(f"ConvTranspose{n}d", p, n, k, d, s)
        kwargs = {"stride": p["stride"], "padding": list(pad) if n > 1 else pad[0],
                  "output_padding": p["output_padding"], "groups": _groups(f"ConvTranspose{n}d", in_ch, p),
                  "bias": p["bias"], "dilation": p["dilation"]}
        return ModuleCall(f"torch.nn.ConvTranspose{n}d", (in_ch, p["out_channels"], p["kernel_size"]), kwargs)
    return module


for _n in (1, 2):
    _name = f"ConvTranspose{_n}d"
    register(LayerSpec(
        type=_name,
        category="Convolution",
        help=f"{_n}-D transposed convolution (upsampling): out = (n−1)s − 2p + d(k−1) + output_padding + 1.",
        params=_conv_params(_n, "removed from each side of the output: a number, 'valid' (= 0) or 'same' (stride 1)",
                            True),
        infer=_tconv_infer(_name, _n),
        module=_tconv_module(_n),
        macs=lambda ins, outs, p, _n=_n: prod(ins[0]) * (outs[0][0] // (ins[0][0] if p["groups"] == "depthwise"
                                                                      else p["groups"]))
        * prod(ntuple(p["kernel_size"], _n)),
    ))
