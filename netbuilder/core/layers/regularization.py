"""Normalization and regularization: batch/layer norm, dropout, noise."""

from __future__ import annotations

from netbuilder.core.layers._rules import dims, known, need_rank, prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register

_EPS = Param("eps", "float", 1e-5, "added to the variance for stability (> 0)", min=1e-12)


def _bn_infer(type_name: str, ranks: tuple[int, ...], what: str):
    def infer(ins, p):
        need_rank(type_name, ins[0], ranks, what)
        known(type_name, ins[0][0], "number of channels")
        return [ins[0]]
    return infer


for _n, _ranks, _what in ((1, (1, 2), "(features,) or (channels, length)"), (2, (3,), "(channels, height, width)")):
    register(LayerSpec(
        type=f"BatchNorm{_n}d",
        category="Normalization",
        help="Normalises each channel over the batch, then scales and shifts (num_features inferred).",
        params=(_EPS, Param("momentum", "float", 0.1, "running-statistics update rate", min=0.0, max=1.0),
                Param("affine", "bool", True, "learn scale and shift"),
                Param("track_running_stats", "bool", True, "keep running mean/var for eval mode")),
        infer=_bn_infer(f"BatchNorm{_n}d", _ranks, _what),
        module=lambda ins, p, _n=_n: ModuleCall(f"torch.nn.BatchNorm{_n}d", (ins[0][0],), dict(p)),
        macs=lambda ins, outs, p: 2 * prod(outs[0]),
    ))


def _ln_infer(ins, p):
    (x,) = ins
    n = p["normalized_dims"]
    if n > len(x):
        raise ShapeError(f"LayerNorm: normalized_dims {n} exceeds the input's {len(x)} dims ({dims(x)})")
    for s in x[len(x) - n:]:
        known("LayerNorm", s, f"size of the normalised dims of {dims(x)}")
    return [x]


register(LayerSpec(
    type="LayerNorm",
    category="Normalization",
    help="Normalises each sample over its last normalized_dims dimensions (shape inferred).",
    params=(Param("normalized_dims", "int", 1, "how many trailing dims to normalise over", min=1),
            _EPS, Param("elementwise_affine", "bool", True, "learn scale and shift")),
    infer=_ln_infer,
    module=lambda ins, p: ModuleCall("torch.nn.LayerNorm", (list(ins[0][len(ins[0]) - p["normalized_dims"]:]),),
                                     {"eps": p["eps"], "elementwise_affine": p["elementwise_affine"]}),
    macs=lambda ins, outs, p: 2 * prod(outs[0]),
))

_P = Param("p", "float", 0.5, "probability of zeroing an element during training", min=0.0, max=1.0)

register(LayerSpec(
    type="Dropout",
    category="Regularization",
    help="Zeroes random elements with probability p in training (scaled by 1/(1−p)); identity in eval.",
    params=(_P,),
    infer=lambda ins, p: [ins[0]],
    module=lambda ins, p: ModuleCall("torch.nn.Dropout", (), {"p": p["p"]}),
))


def _d2_infer(ins, p):
    need_rank("Dropout2d", ins[0], (3,), "(channels, height, width)")
    return [ins[0]]


register(LayerSpec(
    type="Dropout2d",
    category="Regularization",
    help="Zeroes whole feature maps with probability p in training.",
    params=(_P,),
    infer=_d2_infer,
    module=lambda ins, p: ModuleCall("torch.nn.Dropout2d", (), {"p": p["p"]}),
))

register(LayerSpec(
    type="GaussianNoise",
    category="Regularization",
    help="Adds N(0, std²) noise in training only — corrupts the input of a denoising autoencoder.",
    params=(Param("std", "float", 0.1, "standard deviation of the noise", min=0.0),),
    infer=lambda ins, p: [ins[0]],
    module=lambda ins, p: ModuleCall("netbuilder.core.modules.GaussianNoise", (), {"std": p["std"]}),
))


def _gn_infer(ins, p):
    (x,) = ins
    if not x:
        raise ShapeError("GroupNorm expects (channels, ...); received a scalar")
    channels = known("GroupNorm", x[0], "number of channels")
    if channels % p["num_groups"]:
        raise ShapeError(f"GroupNorm: {channels} channels do not split into num_groups {p['num_groups']} "
                         f"equal groups; use num_groups that divides {channels}")
    return [x]


register(LayerSpec(
    type="GroupNorm",
    category="Normalization",
    help="Normalises each sample over groups of channels, then scales and shifts (num_channels inferred).",
    params=(Param("num_groups", "int", 1, "number of channel groups (must divide the channels)", min=1),
            _EPS, Param("affine", "bool", True, "learn a scale and shift per channel")),
    infer=_gn_infer,
    module=lambda ins, p: ModuleCall("torch.nn.GroupNorm", (p["num_groups"], ins[0][0]),
                                     {"eps": p["eps"], "affine": p["affine"]}),
    macs=lambda ins, outs, p: 2 * prod(outs[0]),
))


def _in_infer(ins, p):
    (x,) = ins
    need_rank("InstanceNorm2d", x, (3,), "(channels, height, width)")
    known("InstanceNorm2d", x[0], "number of channels")
    if x[1] == 1 and x[2] == 1:
        raise ShapeError(f"InstanceNorm2d: input {dims(x)} has one spatial element per channel, which "
                         "PyTorch cannot normalise in training; normalise before pooling to 1×1")
    return [x]


register(LayerSpec(
    type="InstanceNorm2d",
    category="Normalization",
    help="Normalises each channel of each sample over height and width (style transfer; num_features inferred).",
    params=(_EPS, Param("momentum", "float", 0.1, "running-statistics update rate", min=0.0, max=1.0),
            Param("affine", "bool", False, "learn scale and shift"),
            Param("track_running_stats", "bool", False, "keep running mean/var for eval mode")),
    infer=_in_infer,
    module=lambda ins, p: ModuleCall("torch.nn.InstanceNorm2d", (ins[0][0],), dict(p)),
    macs=lambda ins, outs, p: 2 * prod(outs[0]),
))

register(LayerSpec(
    type="StochasticDepth",
    category="Regularization",
    help="Drops the whole residual branch with probability p in training (per sample: row, or the whole "
         "batch), scaled by 1/(1−p); identity in eval (EfficientNet, ConvNeXt).",
    params=(Param("p", "float", 0.5, "probability of dropping the input", min=0.0, max=1.0),
            Param("mode", "choice", "row", "row: one draw per sample; batch: one draw for the batch",
                  choices=("row", "batch"))),
    infer=lambda ins, p: [ins[0]],
    module=lambda ins, p: ModuleCall("netbuilder.core.modules.StochasticDepth", (p["p"], p["mode"])),
))
