"""Fuzz every catalog type: random valid params on random input shapes.

check() must never raise (a broken rule would put a traceback in the user's
face); whenever it says ok, the compiled node must run in train and eval mode
and produce exactly the inferred shapes.
"""

from __future__ import annotations

import os
import warnings

import torch
from core_helpers import BATCH, as_tuple, compatible
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from netbuilder.core.compile import compile_graph
from netbuilder.core.graph import Graph
from netbuilder.core.params import Param
from netbuilder.core.shapes import check
from netbuilder.core.spec import all_specs

SPECS = [s for s in all_specs() if s.type not in ("Input", "Output")]
_IGNORED_WARNINGS = ("Using padding='same' with even kernel",)


def _int(p: Param, lo_default: int = -4, span: int = 6) -> st.SearchStrategy[int]:
    lo = int(p.min) if p.min is not None else lo_default
    hi = lo + span if p.max is None else min(int(p.max), lo + span)
    return st.integers(lo, hi)


def _ints(p: Param) -> st.SearchStrategy:
    one = _int(p, 0, 4)
    sizes = [p.length] if p.length else [1, 2, 3]
    return one | st.sampled_from(sizes).flatmap(lambda n: st.lists(one, min_size=n, max_size=n))


def param_values(p: Param) -> st.SearchStrategy:
    """Values the param itself accepts (the fuzz is about shapes, not validation)."""
    kind = p.kind
    if kind == "int":
        return _int(p)
    if kind == "float":
        lo = p.min if p.min is not None else -1.0
        hi = p.max if p.max is not None else lo + 3.0
        return st.floats(lo, min(hi, lo + 3.0), allow_nan=False)
    if kind == "bool":
        return st.booleans()
    if kind == "choice":
        return st.sampled_from(p.choices)
    if kind == "ints":
        return _ints(p)
    if kind == "optional_ints":
        return st.none() | _ints(p)
    if kind == "optional_int":
        return st.none() | _int(p)
    if kind == "padding":
        return st.sampled_from(["same", "valid"]) | _ints(p)
    if kind == "groups":
        return st.sampled_from([1, 2, 3, "depthwise"])
    if kind == "int_list":
        return st.lists(_int(p, span=5), min_size=1, max_size=3)
    raise AssertionError(f"add a strategy for param kind {kind!r}")  # pragma: no cover


@st.composite
def cases(draw):
    spec = draw(st.sampled_from(SPECS))
    params = {p.name: draw(param_values(p)) for p in spec.params if draw(st.booleans())}
    params = spec.validate_params(params)
    rank = draw(st.integers(1, 4))
    shape = draw(st.lists(st.integers(1, 7), min_size=rank, max_size=rank))
    n_in = len(spec.input_ports(params))
    shapes = [shape] * n_in if draw(st.booleans()) else [
        draw(st.lists(st.integers(1, 7), min_size=rank, max_size=rank)) for _ in range(n_in)]
    if draw(st.integers(0, 3)) == 0:  # sometimes a variable (None) size
        shapes = [[None if i == draw(st.integers(0, rank)) else d for i, d in enumerate(s)] for s in shapes]
    return spec, params, shapes


def _fill(shapes: list[list]) -> list[list[int]]:
    """Sizes for the variable dims that fit the other inputs (as data would:
    an Add of ? and 4 gets 4), else 6."""
    def size(i: int) -> int:
        return next((s[i] for s in shapes if i < len(s) and s[i] is not None), 6)
    return [[size(i) if d is None else d for i, d in enumerate(s)] for s in shapes]


def _graph(spec, params, shapes) -> Graph:
    graph = Graph()
    dtype = "int64" if spec.type == "Embedding" else "float32"
    for i, shape in enumerate(shapes):
        graph.add_node("Input", {"shape": shape, "dtype": dtype}, id=f"in{i}")
    node = graph.add_node(spec.type, params, id="layer")
    for i in range(len(shapes)):
        graph.add_edge(f"in{i}", "layer", 0, i)
    for port in range(len(node.output_ports())):
        graph.add_node("Output", id=f"out{port}")
        graph.add_edge("layer", f"out{port}", port, 0)
    return graph


@settings(max_examples=int(os.environ.get("NB_HYPOTHESIS_EXAMPLES", "150")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(case=cases())
def test_check_ok_means_the_compiled_node_runs_with_those_shapes(case):
    spec, params, shapes = case
    graph = _graph(spec, params, shapes)
    report = check(graph)  # never raises
    info = report.nodes["layer"]
    event(info.status)
    assert info.status in ("ok", "error")
    if info.status == "error":
        assert info.message and "Traceback" not in info.message
        return
    variable = any(d is None for s in shapes for d in s)
    with warnings.catch_warnings():
        for message in _IGNORED_WARNINGS:
            warnings.filterwarnings("ignore", message=message)
        gm = compile_graph(graph, report=report)
        high = params.get("num_embeddings", 5)
        filled = _fill(shapes)
        inputs = [torch.randint(0, high, (BATCH, *s)) if spec.type == "Embedding" else torch.randn(BATCH, *s)
                  for s in filled]
        for train in (True, False):
            gm.train(train)
            try:
                outs = as_tuple(gm(*inputs))
            except (RuntimeError, IndexError):
                if variable:  # a variable size may turn out not to fit; only fixed sizes are promised
                    return
                raise
            real = [tuple(o.shape[1:]) for o in outs]
            assert all(compatible(i, r) for i, r in zip(info.outputs, real)), (spec.type, params, shapes, real)
            if not variable:
                assert real == info.outputs, (spec.type, params, shapes)
