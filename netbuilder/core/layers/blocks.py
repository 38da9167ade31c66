"""Composite blocks usable as single nodes: dense and conv encoders/decoders."""

from __future__ import annotations

from netbuilder.core.layers._rules import dims, known, need_rank, prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register

_ACTS = ("relu", "tanh", "sigmoid", "leaky_relu", "elu", "gelu", "silu", "identity")


def _stack_params(default_sizes: list[int], sizes_name: str, sizes_help: str, last: str) -> tuple[Param, ...]:
    return (
        Param(sizes_name, "int_list", default_sizes, sizes_help, min=1, max=1_000_000_000),
        Param("activation", "choice", "relu", "activation after each layer", choices=_ACTS),
        Param("last_activation", "choice", last, "activation after the last layer ('same' = as the others)",
              choices=("same",) + _ACTS),
    )


def _dense_infer(type_name: str):
    def infer(ins, p):
        (x,) = ins
        if not x:
            raise ShapeError(f"{type_name} needs a feature dimension; received a scalar")
        known(type_name, x[-1], f"last dimension of input {dims(x)}")
        return [(*x[:-1], p["sizes"][-1])]
    return infer


def _dense_macs(ins, outs, p):
    rows, width, total = prod(ins[0][:-1]), ins[0][-1], 0
    for size in p["sizes"]:
        total += rows * width * size
        width = size
    return total


for _name, _sizes, _last, _help in (
    ("Encoder", [128, 32], "same", "Dense encoder: Linear + activation for each size (the last is the code)."),
    ("Decoder", [128, 64], "sigmoid", "Dense decoder: Linear + activation for each size (the last is the output)."),
):
    register(LayerSpec(
        type=_name, category="Blocks", help=_help,
        params=_stack_params(_sizes, "sizes", "output size of each Linear layer, in order", _last),
        infer=_dense_infer(_name),
        module=lambda ins, p: ModuleCall("netbuilder.core.modules.DenseStack", (ins[0][-1], list(p["sizes"])),
                                         {"activation": p["activation"], "last_activation": p["last_activation"]}),
        macs=_dense_macs,
    ))


def _conv_stack_infer(type_name: str, transposed: bool):
    def infer(ins, p):
        (x,) = ins
        need_rank(type_name, x, (3,), "(channels, height, width)")
        known(type_name, x[0], "number of channels")
        if p["kernel_size"] % 2 == 0:
            raise ShapeError(f"{type_name}: kernel_size must be odd so each layer exactly halves/doubles, "
                             f"got {p['kernel_size']}")
        h, w = x[1], x[2]
        for _ in p["channels"]:
            if transposed:
                h, w = (None if h is None else 2 * h), (None if w is None else 2 * w)
            else:
                h, w = (None if h is None else (h + 1) // 2), (None if w is None else (w + 1) // 2)
        return [(p["channels"][-1], h, w)]
    return infer


def _conv_stack_macs(transposed: bool):
    def macs(ins, outs, p):
        """Per layer: a conv costs out elements × in_ch × k²; a transposed conv
        in elements × out_ch × k² (the sizes halve or double each layer)."""
        ch, h, w = ins[0]
        total, k2 = 0, p["kernel_size"] ** 2
        for out_ch in p["channels"]:
            nh, nw = (2 * h, 2 * w) if transposed else ((h + 1) // 2, (w + 1) // 2)
            total += (h * w if transposed else nh * nw) * ch * out_ch * k2
            ch, h, w = out_ch, nh, nw
        return total
    return macs


for _name, _transposed, _last, _help in (
    ("ConvEncoder", False, "same", "Conv encoder: Conv2d (stride 2) + activation per channel count; halves H and W."),
    ("ConvDecoder", True, "sigmoid",
     "Conv decoder: ConvTranspose2d (stride 2) + activation per channel count; doubles H and W."),
):
    register(LayerSpec(
        type=_name, category="Blocks", help=_help,
        params=_stack_params([16, 32] if not _transposed else [16, 1], "channels",
                             "output channels of each layer, in order", _last)
        + (Param("kernel_size", "int", 3, "odd kernel size of every layer", min=1, max=31),),
        infer=_conv_stack_infer(_name, _transposed),
        macs=_conv_stack_macs(_transposed),
        module=lambda ins, p, _t=_transposed: ModuleCall(
            "netbuilder.core.modules.ConvStack", (ins[0][0], list(p["channels"])),
            {"kernel_size": p["kernel_size"], "activation": p["activation"],
             "last_activation": p["last_activation"], "transposed": _t}),
    ))
