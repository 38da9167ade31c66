"""Padding layers: zero, constant, reflection and replication, 1-D and 2-D, as torch.nn names them.

`padding` is one size for every side, or one per side in PyTorch's order — (left, right) for
1-D, (left, right, top, bottom) for 2-D. Reflection mirrors the input without repeating its
edge, so each pad must be smaller than the size it mirrors (PyTorch refuses it at run time:
here it is a shape error on the node); replication repeats the edge and needs a non-empty
size. Fast style transfer's ConvLayer (ReflectionPad2d before each Conv2d) imports as written.
"""

from __future__ import annotations

from netbuilder.core.layers._rules import AXES, dims, need_rank
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register

MODES = {
    "Zero": "zeros added at each border",
    "Constant": "`value` added at each border",
    "Reflection": "the input mirrored at each border, without repeating the edge (pad < size)",
    "Replication": "the edge value repeated outwards",
}


def _sides(p: dict, n: int) -> tuple[int, ...]:
    """(left, right[, top, bottom]) from one size or one per side."""
    value = p["padding"]
    return tuple(value) if isinstance(value, list) else (value,) * (2 * n)


def _pad_infer(type_name: str, mode: str, n: int):
    def infer(ins, p):
        (x,) = ins
        need_rank(type_name, x, (n + 1,), f"(channels, {', '.join(AXES[n])})")
        sides = _sides(p, n)
        spatial = []
        for i in range(n):  # torch pads the last dim with the first pair, the one before with the next
            axis = n - 1 - i
            size, before, after = x[axis + 1], sides[2 * i], sides[2 * i + 1]
            if size is not None and mode == "Reflection" and max(before, after) >= size:
                raise ShapeError(f"{type_name}: padding {max(before, after)} must be smaller than the "
                                 f"{AXES[n][axis]} {size} it mirrors (input {dims(x)})")
            if size is not None and mode == "Replication" and size == 0:
                raise ShapeError(f"{type_name}: cannot repeat the edge of an empty {AXES[n][axis]}")
            spatial.append(None if size is None else size + before + after)
        return [(x[0], *reversed(spatial))]
    return infer


def _module(mode: str, n: int):
    def module(ins, p):
        args = (p["padding"] if not isinstance(p["padding"], list) else tuple(p["padding"]),)
        if mode == "Constant":
            args += (p["value"],)
        return ModuleCall(f"torch.nn.{mode}Pad{n}d", args)
    return module


for _n in (1, 2):
    _sides_help = "left, right" if _n == 1 else "left, right, top, bottom"
    for _mode, _what in MODES.items():
        _params = (Param("padding", "ints", 1, f"added on every side, or one size per side ({_sides_help})",
                         min=0, max=1_000_000, length=2 * _n),)
        if _mode == "Constant":
            _params += (Param("value", "float", 0.0, "the value added at the borders"),)
        register(LayerSpec(
            type=f"{_mode}Pad{_n}d",
            category="Convolution",
            help=f"Pads each {'sequence' if _n == 1 else 'feature map'} with {_what}.",
            params=_params,
            infer=_pad_infer(f"{_mode}Pad{_n}d", _mode, _n),
            module=_module(_mode, _n),
        ))
