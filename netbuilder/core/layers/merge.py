"""Merges (Add, Multiply, Concat), Chunk and Split: functional ops, no weights.

They compile to call_function nodes (operator.add, torch.cat, ...) rather
than modules, and print as the same expressions in exported code.
"""

from __future__ import annotations

import operator

from netbuilder.core.layers._rules import broadcast, dims, prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ShapeError, register

_NUM_INPUTS = Param("num_inputs", "int", 2, "number of input ports", min=2, max=64)


def _ports(p) -> tuple[str, ...]:
    return tuple(f"in{i + 1}" for i in range(p["num_inputs"]))


def _elementwise_infer(type_name: str):
    def infer(ins, p):
        # PyTorch broadcasting, batch included (SE block: 32×1×1 * 32×112×112)
        return [broadcast(type_name, ins, _ports(p))]
    return infer


def _chain(fn, symbol: str):
    def emit(g, args, shapes, p):
        out = args[0]
        for a in args[1:]:
            out = g.call_function(fn, (out, a))
        return [out]

    def expr(names, shapes, p):
        return f" {symbol} ".join(names)
    return emit, expr


for _name, _fn, _sym, _help in (
    ("Add", operator.add, "+", "Element-wise sum of its inputs (ResNet's skip connection); "
     "shapes broadcast as in PyTorch (a size 1 stretches)."),
    ("Multiply", operator.mul, "*", "Element-wise product of its inputs (gating, squeeze-and-excite: "
     "C×1×1 * C×H×W); shapes broadcast as in PyTorch."),
):
    _emit, _expr = _chain(_fn, _sym)
    register(LayerSpec(
        type=_name, category="Merge", help=_help, params=(_NUM_INPUTS,),
        infer=_elementwise_infer(_name), emit=_emit, expr=_expr, inputs=_ports,
        macs=lambda ins, outs, p: prod(outs[0]) * (p["num_inputs"] - 1),
    ))


def _cat_axis(type_name: str, dim: int, rank: int) -> int:
    if not -rank <= dim < rank or dim % rank == 0:
        raise ShapeError(f"{type_name}: dim {dim} must be a non-batch dim of a rank-{rank} tensor (1..{rank - 1})")
    return dim % rank - 1  # index into the batch-less shape


def _concat_infer(ins, p):
    first = ins[0]
    axis = _cat_axis("Concat", p["dim"], len(first) + 1)
    total: int | None = 0
    for i, s in enumerate(ins, start=1):
        if len(s) != len(first):
            raise ShapeError(f"Concat needs inputs of the same rank; in1 is {dims(first)} but in{i} is {dims(s)}")
        for j, (a, b) in enumerate(zip(first, s)):
            if j != axis and a is not None and b is not None and a != b:
                raise ShapeError(f"Concat along dim {p['dim']}: in1 {dims(first)} and in{i} {dims(s)} "
                                 f"differ in dim {j + 1} ({a} vs {b}); only dim {p['dim']} may differ")
        total = None if total is None or s[axis] is None else total + s[axis]
    return [(*first[:axis], total, *first[axis + 1:])]


def _concat_emit(g, args, shapes, p):
    import torch
    return [g.call_function(torch.cat, (list(args),), {"dim": p["dim"]})]


register(LayerSpec(
    type="Concat", category="Merge",
    help="Joins its inputs along dim (1 = channels/features): GoogLeNet's parallel branches.",
    params=(_NUM_INPUTS, Param("dim", "int", 1, "dimension to join along (batch is 0)")),
    infer=_concat_infer, emit=_concat_emit,
    expr=lambda names, shapes, p: f"torch.cat([{', '.join(names)}], dim={p['dim']})",
    inputs=_ports,
))


def _chunk_infer(ins, p):
    (x,) = ins
    axis = _cat_axis("Chunk", p["dim"], len(x) + 1)
    size, n = x[axis], p["chunks"]
    if size is not None and size % n:
        raise ShapeError(f"Chunk: dim {p['dim']} of size {size} does not split into {n} equal parts; "
                         f"use chunks that divide {size}")
    part = None if size is None else size // n
    return [(*x[:axis], part, *x[axis + 1:])] * n


def _chunk_emit(g, args, shapes, p):
    import torch
    whole = g.call_function(torch.chunk, (args[0], p["chunks"]), {"dim": p["dim"]})
    return [g.call_function(operator.getitem, (whole, i)) for i in range(p["chunks"])]


register(LayerSpec(
    type="Chunk", category="Merge",
    help="Splits its input into equal parts along dim, one output port each (e.g. μ and log σ²).",
    params=(Param("chunks", "int", 2, "number of equal parts (output ports)", min=2, max=64),
            Param("dim", "int", 1, "dimension to split (batch is 0)")),
    infer=_chunk_infer, emit=_chunk_emit,
    expr=lambda names, shapes, p: f"torch.chunk({names[0]}, {p['chunks']}, dim={p['dim']})",
    outputs=lambda p: tuple(f"out{i + 1}" for i in range(p["chunks"])),
))


def _split_infer(ins, p):
    (x,) = ins
    axis = _cat_axis("Split", p["dim"], len(x) + 1)
    sizes, size = p["split_size_or_sections"], x[axis]
    if len(sizes) < 2:
        raise ShapeError("Split needs at least two sections, e.g. [16, 4]; for one part use Identity")
    if size is not None and sum(sizes) != size:
        raise ShapeError(f"Split: sections {sizes} sum to {sum(sizes)} but dim {p['dim']} has size {size}; "
                         f"make them add up to {size}")
    return [(*x[:axis], s, *x[axis + 1:]) for s in sizes]


def _split_emit(g, args, shapes, p):
    import torch
    sizes = list(p["split_size_or_sections"])
    parts = g.call_function(torch.split, (args[0], sizes), {"dim": p["dim"]})
    return [g.call_function(operator.getitem, (parts, i)) for i in range(len(sizes))]


register(LayerSpec(
    type="Split", category="Merge",
    help="Splits its input into parts of the given sizes along dim, one output port each "
         "(e.g. 16 features and 4 into two heads).",
    params=(Param("split_size_or_sections", "int_list", [1, 1], "size of each part (output ports); "
                  "they must add up to the dim's size", min=1),
            Param("dim", "int", 1, "dimension to split (batch is 0)")),
    infer=_split_infer, emit=_split_emit,
    expr=lambda names, shapes, p: f"torch.split({names[0]}, {list(p['split_size_or_sections'])}, dim={p['dim']})",
    outputs=lambda p: tuple(f"out{i + 1}" for i in range(len(p["split_size_or_sections"]))),
))


def _matmul_infer(ins, p):
    a, b = ins
    for name, s in (("input", a), ("other", b)):
        if len(s) < 2:
            raise ShapeError(f"MatMul needs matrices: {name} is {dims(s)}, but each input needs at least 2 dims "
                             "besides the batch (rows, columns) — for a vector use Linear, or Unflatten it to 1×n")
    lead = broadcast("MatMul", [a[:-2], b[:-2]], ("input's leading dims", "other's leading dims"))
    if a[-1] is not None and b[-2] is not None and a[-1] != b[-2]:
        raise ShapeError(f"MatMul: input {dims(a)} has {a[-1]} columns but other {dims(b)} has {b[-2]} rows; "
                         "they must be equal (input's last dim = other's second-last)")
    return [(*lead, a[-2], b[-1])]


def _matmul_emit(g, args, shapes, p):
    import torch
    return [g.call_function(torch.matmul, (args[0], args[1]))]


register(LayerSpec(
    type="MatMul", category="Merge",
    help="Matrix product torch.matmul(input, other) of each sample's last two dims (attention scores "
         "Q·Kᵀ, weights · values); leading dims broadcast.",
    params=(), infer=_matmul_infer, emit=_matmul_emit,
    expr=lambda names, shapes, p: f"torch.matmul({names[0]}, {names[1]})",
    inputs=("input", "other"),
    macs=lambda ins, outs, p: prod(outs[0]) * (ins[0][-1] or 0),
))
