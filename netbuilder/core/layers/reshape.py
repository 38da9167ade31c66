"""Reshaping: Flatten, Unflatten, Reshape, Upsample, Identity.

Dims follow PyTorch (the batch is dim 0), so Flatten's default start_dim=1
keeps the batch — exactly nn.Flatten.
"""

from __future__ import annotations

import math

from netbuilder.core.layers._rules import dims, ntuple, prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register


def _axis(type_name: str, dim: int, rank: int, what: str = "dim") -> int:
    """Normalise a torch dim (batch = 0) for a tensor of `rank` incl. batch."""
    if not -rank <= dim < rank:
        raise ShapeError(f"{type_name}: {what} {dim} is out of range for a tensor of rank {rank} with batch")
    dim = dim % rank
    if dim == 0:
        raise ShapeError(f"{type_name}: {what} 0 is the batch dimension; use 1 or more")
    return dim


def _flatten_infer(ins, p):
    (x,) = ins
    full = (0, *x)  # placeholder batch
    start = _axis("Flatten", p["start_dim"], len(full), "start_dim")
    end = _axis("Flatten", p["end_dim"], len(full), "end_dim")
    if start > end:
        raise ShapeError(f"Flatten: start_dim {p['start_dim']} comes after end_dim {p['end_dim']}")
    middle = full[start:end + 1]
    merged = None if any(s is None for s in middle) else prod(middle)
    return [(*full[1:start], merged, *full[end + 1:])]


register(LayerSpec(
    type="Flatten",
    category="Reshape",
    help="Flattens dims start_dim..end_dim into one (e.g. 16×5×5 → 400) before dense layers.",
    params=(Param("start_dim", "int", 1, "first dim to flatten (batch is 0)"),
            Param("end_dim", "int", -1, "last dim to flatten (-1 = last)")),
    infer=_flatten_infer,
    module=lambda ins, p: ModuleCall("torch.nn.Flatten", (), {"start_dim": p["start_dim"], "end_dim": p["end_dim"]}),
))


def _unflatten_infer(ins, p):
    (x,) = ins
    dim = _axis("Unflatten", p["dim"], len(x) + 1)
    size = x[dim - 1]
    target = p["unflattened_size"]
    if size is not None and prod(target) != size:
        raise ShapeError(f"Unflatten: sizes {dims(target)} multiply to {prod(target)}, but dim {p['dim']} has {size}")
    return [(*x[:dim - 1], *target, *x[dim:])]


register(LayerSpec(
    type="Unflatten",
    category="Reshape",
    help="Splits one dim into several, e.g. 400 → 16×5×5 (the inverse of Flatten).",
    params=(Param("dim", "int", 1, "dim to split (batch is 0)"),
            Param("unflattened_size", "int_list", [1, 8, 8], "the new sizes; their product must equal the dim",
                  min=1)),
    infer=_unflatten_infer,
    module=lambda ins, p: ModuleCall("torch.nn.Unflatten", (p["dim"], tuple(p["unflattened_size"]))),
))


def _reshape_infer(ins, p):
    (x,) = ins
    target = list(p["shape"])
    if any(s == 0 or s < -1 for s in target) or target.count(-1) > 1:
        raise ShapeError(f"Reshape: shape {target} may hold positive sizes and at most one -1")
    if any(s is None for s in x):
        if -1 in target:
            return [tuple(None if s == -1 else s for s in target)]
        return [tuple(target)]
    total = prod(x)
    fixed = prod([s for s in target if s != -1])
    if -1 in target:
        if total % fixed:
            raise ShapeError(f"Reshape: cannot fit {total} elements ({dims(x)}) into {target}: "
                             f"{total} is not divisible by {fixed}")
        target[target.index(-1)] = total // fixed
    elif fixed != total:
        raise ShapeError(f"Reshape: input {dims(x)} has {total} elements, shape {target} needs {fixed}")
    return [tuple(target)]


register(LayerSpec(
    type="Reshape",
    category="Reshape",
    help="Reshapes each sample (batch kept) to a new shape; one size may be -1 (inferred).",
    params=(Param("shape", "int_list", [-1], "new sizes without the batch; one may be -1", min=-1),),
    infer=_reshape_infer,
    module=lambda ins, p: ModuleCall("netbuilder.core.modules.Reshape", (tuple(p["shape"]),)),
))


def _upsample_infer(ins, p):
    (x,) = ins
    if len(x) not in (2, 3):
        raise ShapeError(f"Upsample expects (channels, length) or (channels, height, width); received {dims(x)}")
    n = len(x) - 1
    if p["mode"] == "bilinear" and n != 2:
        raise ShapeError("Upsample: mode 'bilinear' needs a 2-D input (channels, height, width); use 'linear'")
    if p["mode"] == "linear" and n != 1:
        raise ShapeError("Upsample: mode 'linear' needs a 1-D input (channels, length); use 'bilinear'")
    if p["size"] is not None:
        size = p["size"]
        if isinstance(size, list) and len(size) != n:
            raise ShapeError(f"Upsample: size {size} needs 1 or {n} values for input {dims(x)}")
        return [(x[0], *ntuple(size, n))]
    scale = p["scale_factor"]
    # PyTorch: floor(input size × scale), computed in double precision.
    out = tuple(None if s is None else _scaled(s, scale, x) for s in x[1:])
    if any(o is not None and o < 1 for o in out):
        raise ShapeError(f"Upsample: scale_factor {scale} turns input {dims(x)} into {dims((x[0], *out))}; "
                         f"every size must stay ≥ 1, so use scale_factor ≥ {1 / min(s for s in x[1:] if s):.3g}")
    return [(x[0], *out)]


def _scaled(size: int, scale: float, x: tuple) -> int:
    try:
        value = size * scale
    except OverflowError:  # a size beyond any float
        value = math.inf
    if not math.isfinite(value):  # e.g. 10^9 × 1e300: no tensor can be that large
        raise ShapeError(f"Upsample: scale_factor {scale:g} makes input {dims(x)} larger than any tensor can be; "
                         "use a smaller scale_factor")
    return int(math.floor(value))


def _upsample_module(ins, p):
    kwargs = {"size": p["size"]} if p["size"] is not None else {"scale_factor": p["scale_factor"]}
    kwargs["mode"] = p["mode"]
    if p["mode"] in ("linear", "bilinear"):
        kwargs["align_corners"] = False
    return ModuleCall("torch.nn.Upsample", (), kwargs)


register(LayerSpec(
    type="Upsample",
    category="Reshape",
    help="Upsamples feature maps by scale_factor (or to size): a decoder's way back up.",
    params=(Param("scale_factor", "float", 2.0, "multiplier for each spatial size", min=1e-3),
            Param("size", "optional_ints", None, "fixed output size instead of a scale", min=1),
            Param("mode", "choice", "nearest", "interpolation", choices=("nearest", "linear", "bilinear"))),
    infer=_upsample_infer,
    module=_upsample_module,
))

register(LayerSpec(
    type="Identity",
    category="Reshape",
    help="Passes its input through unchanged (a placeholder or a named tap).",
    params=(),
    infer=lambda ins, p: [ins[0]],
    module=lambda ins, p: ModuleCall("torch.nn.Identity"),
))
