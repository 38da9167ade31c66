"""Reordering dims and channels: Permute, Transpose, ChannelShuffle, PixelShuffle/PixelUnshuffle, RepeatVector.

Dims count the batch as 0, as torch does; the batch always stays first, so
`Permute([0, 2, 3, 1])` is NCHW → NHWC and `Transpose(1, 2)` swaps the
first two dims of each sample.
"""

from __future__ import annotations

from netbuilder.core.layers._rules import dims, known, need_rank
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register


def _dim(type_name: str, what: str, dim: int, rank: int) -> int:
    """A torch dim (batch = 0, negatives from the end) as an index 0..rank-1."""
    if not -rank <= dim < rank:
        raise ShapeError(f"{type_name}: {what} {dim} is out of range for a tensor of rank {rank} with the "
                         f"batch (use {-rank}..{rank - 1})")
    return dim % rank


def _permute_infer(ins, p):
    (x,) = ins
    rank = len(x) + 1
    order = p["dims"]
    if len(order) != rank:
        raise ShapeError(f"Permute: dims {order} name {len(order)} dims, but the input {dims(x)} has {rank} "
                         f"with the batch; list each of 0..{rank - 1} once, starting with 0")
    norm = [_dim("Permute", "dim", d, rank) for d in order]
    if sorted(norm) != list(range(rank)):
        raise ShapeError(f"Permute: dims {order} must list each of 0..{rank - 1} exactly once")
    if norm[0] != 0:
        raise ShapeError(f"Permute: dims {order} must start with 0 — the batch dim stays first")
    full = (0, *x)  # placeholder batch
    return [tuple(full[d] for d in norm[1:])]


def _permute_emit(g, args, shapes, p):
    import torch
    return [g.call_function(torch.permute, (args[0], tuple(p["dims"])))]


register(LayerSpec(
    type="Permute",
    category="Reshape",
    help="Reorders the dims (torch.permute; the batch is 0 and stays first), e.g. [0, 2, 3, 1]: NCHW → NHWC.",
    params=(Param("dims", "int_list", [0, 2, 1], "the new order of the dims, batch (0) first"),),
    infer=_permute_infer, emit=_permute_emit,
    expr=lambda names, shapes, p: f"torch.permute({names[0]}, {tuple(p['dims'])})",
))


def _transpose_infer(ins, p):
    (x,) = ins
    rank = len(x) + 1
    a = _dim("Transpose", "dim0", p["dim0"], rank)
    b = _dim("Transpose", "dim1", p["dim1"], rank)
    if 0 in (a, b):
        raise ShapeError("Transpose: dim 0 is the batch dimension, which stays first; swap dims 1 or more")
    full = list((0, *x))
    full[a], full[b] = full[b], full[a]
    return [tuple(full[1:])]


def _transpose_emit(g, args, shapes, p):
    import torch
    return [g.call_function(torch.transpose, (args[0], p["dim0"], p["dim1"]))]


register(LayerSpec(
    type="Transpose",
    category="Reshape",
    help="Swaps two dims (torch.transpose; the batch is 0), e.g. (channels, length) ↔ (length, channels).",
    params=(Param("dim0", "int", 1, "first dim to swap (batch is 0)"),
            Param("dim1", "int", 2, "second dim to swap")),
    infer=_transpose_infer, emit=_transpose_emit,
    expr=lambda names, shapes, p: f"torch.transpose({names[0]}, {p['dim0']}, {p['dim1']})",
))


def _shuffle_infer(ins, p):
    (x,) = ins
    if not x:
        raise ShapeError("ChannelShuffle expects (channels, ...); received a scalar")
    channels = known("ChannelShuffle", x[0], "number of channels")
    if channels % p["groups"]:
        raise ShapeError(f"ChannelShuffle: {channels} channels do not split into {p['groups']} groups; "
                         f"use groups that divide {channels}")
    return [x]


register(LayerSpec(
    type="ChannelShuffle",
    category="Reshape",
    help="Interleaves the channels of its groups (ShuffleNet) so grouped convolutions mix information.",
    params=(Param("groups", "int", 2, "number of channel groups (must divide the channels)", min=1),),
    infer=_shuffle_infer,
    module=lambda ins, p: ModuleCall("netbuilder.core.modules.ChannelShuffle", (p["groups"],)),
))


def _repeat_infer(ins, p):
    (x,) = ins
    return [(p["n"], *x)]


register(LayerSpec(
    type="RepeatVector",
    category="Reshape",
    help="Repeats each sample n times as a sequence: a vector (F,) → (n, F), the input of a one-to-many RNN.",
    params=(Param("n", "int", 4, "number of steps", min=1, max=1_000_000),),
    infer=_repeat_infer,
    module=lambda ins, p: ModuleCall("netbuilder.core.modules.RepeatVector", (p["n"],)),
))


def _pixel_shuffle_infer(ins, p):
    (x,) = ins
    need_rank("PixelShuffle", x, (3,), "(channels, height, width)")
    r = p["upscale_factor"]
    channels = known("PixelShuffle", x[0], "number of channels")
    if channels % (r * r):
        raise ShapeError(f"PixelShuffle: {channels} channels do not split into {r}×{r} = {r * r} sub-pixels; "
                         f"the channels must be a multiple of {r * r}")
    return [(channels // (r * r), *(None if s is None else s * r for s in x[1:]))]


def _pixel_unshuffle_infer(ins, p):
    (x,) = ins
    need_rank("PixelUnshuffle", x, (3,), "(channels, height, width)")
    r = p["downscale_factor"]
    for axis, size in zip(("height", "width"), x[1:]):
        if size is not None and size % r:
            raise ShapeError(f"PixelUnshuffle: {axis} {size} is not a multiple of downscale_factor {r}")
    return [(None if x[0] is None else x[0] * r * r, *(None if s is None else s // r for s in x[1:]))]


register(LayerSpec(
    type="PixelShuffle",
    category="Reshape",
    help="Rearranges (C·r², H, W) into (C, H·r, W·r): each group of r² channels becomes an r×r block of "
         "pixels (sub-pixel convolution for super-resolution).",
    params=(Param("upscale_factor", "int", 2, "r: how much larger each side gets", min=1, max=1024),),
    infer=_pixel_shuffle_infer,
    module=lambda ins, p: ModuleCall("torch.nn.PixelShuffle", (p["upscale_factor"],)),
))

register(LayerSpec(
    type="PixelUnshuffle",
    category="Reshape",
    help="The reverse of PixelShuffle: (C, H·r, W·r) → (C·r², H, W).",
    params=(Param("downscale_factor", "int", 2, "r: how much smaller each side gets", min=1, max=1024),),
    infer=_pixel_unshuffle_infer,
    module=lambda ins, p: ModuleCall("torch.nn.PixelUnshuffle", (p["downscale_factor"],)),
))
