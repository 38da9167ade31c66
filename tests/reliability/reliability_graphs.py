"""Seeded generators for the reliability fuzz: random valid graphs.

A random DAG is grown node by node: a random catalog type with random
in-range params, each input port wired to an earlier node's output port.
A node whose shape check fails is usually taken back and another tried, so
most graphs check ok (and get a real forward) while some keep an error
(and must get a clear diagnostic instead).
"""

from __future__ import annotations

import random
from typing import Any

from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.params import Param, ParamError
from netbuilder.core.shapes import check
from netbuilder.core.spec import LayerSpec, all_specs

SPECS: list[LayerSpec] = [s for s in all_specs() if s.type not in ("Input", "Output")]
_BY_TYPE = {s.type: s for s in all_specs()}


def _int(rng: random.Random, p: Param, lo_default: int = -4, span: int = 6) -> int:
    lo = int(p.min) if p.min is not None else lo_default
    hi = lo + span if p.max is None else min(int(p.max), lo + span)
    return rng.randint(lo, hi)


def _ints(rng: random.Random, p: Param) -> int | list[int]:
    n = p.length or rng.choice([1, 2, 3])
    if rng.random() < 0.5:
        return _int(rng, p, 0, 4)
    return [_int(rng, p, 0, 4) for _ in range(n)]


EXTREME_INTS = [10**6, 10**9, 2**31, 2**62, 2**63 - 1]
EXTREME_FLOATS = [1e-300, 1e9, 1e30, 3.4e38]  # float params stop at float32's largest


def _extreme(rng: random.Random, p: Param) -> Any:
    """The largest values the param accepts (what a user may type in the inspector)."""
    if p.kind == "float":
        hi = p.max if p.max is not None else rng.choice(EXTREME_FLOATS)
        return max(hi, p.min) if p.min is not None else hi
    top = int(p.max) if p.max is not None else rng.choice(EXTREME_INTS)
    if p.kind == "int_list":
        return [top] * rng.randint(1, 3)
    if p.kind == "shape":
        return [rng.choice([1, top]) for _ in range(rng.randint(1, 4))]
    return top


def param_value(rng: random.Random, p: Param, big: bool = False, extreme: bool = False) -> Any:
    """A value the param itself accepts: small enough to stay fast, or with
    `big`, sizes up to thousands (to reach the size budget), or with `extreme`
    the largest accepted values (check() must still never raise)."""
    kind = p.kind
    if extreme and kind in ("int", "float", "ints", "optional_ints", "padding", "int_list", "shape") \
            and (p.min is None or p.min >= 0):
        return _extreme(rng, p)
    if big and kind in ("int", "ints", "int_list") and p.min is not None and p.min >= 1:
        top = 4096 if p.max is None else min(int(p.max), 4096)
        return rng.randint(int(p.min), top)
    if kind == "int":
        return _int(rng, p)
    if kind == "float":
        lo = p.min if p.min is not None else -1.0
        hi = min(p.max if p.max is not None else lo + 3.0, lo + 3.0)
        return rng.uniform(lo, hi)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "choice":
        return rng.choice(p.choices)
    if kind == "ints":
        return _ints(rng, p)
    if kind == "optional_ints":
        return None if rng.random() < 0.4 else _ints(rng, p)
    if kind == "optional_int":
        return None if rng.random() < 0.4 else _int(rng, p)
    if kind == "padding":
        return rng.choice(["same", "valid"]) if rng.random() < 0.4 else _ints(rng, p)
    if kind == "groups":
        return rng.choice([1, 1, 2, 3, "depthwise"])
    if kind == "int_list":
        return [_int(rng, p, span=5) for _ in range(rng.randint(1, 3))]
    if kind == "shape":
        return random_shape(rng)
    if kind == "str":
        return rng.choice(["", "x", "é"])
    raise AssertionError(f"add a generator for param kind {kind!r}")


def random_params(rng: random.Random, spec: LayerSpec, big: bool = False, extreme: bool = False) -> dict[str, Any]:
    """Some params at random values, the others left to their defaults."""
    for _ in range(20):
        params = {p.name: param_value(rng, p, big and rng.random() < 0.5, extreme and rng.random() < 0.3)
                  for p in spec.params if rng.random() < 0.6}
        try:
            return spec.validate_params(params)
        except ParamError:  # e.g. a group count the kind refuses; draw again
            continue
    return spec.defaults()


def random_shape(rng: random.Random, variable: float = 0.1, big: bool = False) -> list[int | None]:
    rank = rng.choice([1, 1, 2, 3, 3, 3, 4])
    top = 512 if big else 8
    return [None if rng.random() < variable else rng.randint(1, top) for _ in range(rank)]


def _sources(graph: Graph, float_only: bool) -> list[tuple[str, int]]:
    """(node, port) pairs a new node may read; int64 Inputs feed only Embedding."""
    out = []
    for node in graph:
        if node.type == "Output":
            continue
        is_int = node.type == "Input" and node.params["dtype"] == "int64"
        if float_only == is_int:
            continue
        out.extend((node.id, port) for port in range(len(node.output_ports())))
    return out


def _try_add(rng: random.Random, graph: Graph, spec: LayerSpec, cache: dict, keep_error: float,
             big: bool = False, extreme: bool = False) -> bool:
    sources = _sources(graph, float_only=spec.type != "Embedding")
    if not sources:
        return False
    node = graph.add_node(spec.type, random_params(rng, spec, big, extreme), pos=(rng.uniform(0, 2000), rng.uniform(0, 2000)))
    for port in range(len(node.input_ports())):
        src, src_port = rng.choice(sources)
        try:
            graph.add_edge(src, node.id, src_port, port)
        except GraphError:  # cannot happen for a fresh node, but never leave one half wired
            graph.remove_node(node.id)
            return False
    status = check(graph, cache).nodes[node.id].status
    if status == "ok" or rng.random() < keep_error:
        return True
    graph.remove_node(node.id)
    return False


def random_graph(rng: random.Random, max_layers: int = 12, keep_error: float = 0.05, big: float = 0.1,
                 extreme: float = 0.05) -> Graph:
    """A random, structurally valid graph: a DAG of catalog nodes with valid params.
    A fraction `big` of the graphs get large sizes (most then exceed the test budget),
    a fraction `extreme` the largest values each param accepts."""
    large = rng.random() < big
    huge = not large and rng.random() < extreme
    graph = Graph(name=f"fuzz {rng.randrange(10**6)}", description=rng.choice(["", "random graph ✓"]))
    cache: dict = {}
    for i in range(rng.choice([1, 1, 1, 2, 3])):
        if rng.random() < 0.1:
            graph.add_node("Input", {"shape": [rng.randint(1, 6)], "dtype": "int64"}, id=f"tokens{i}")
            graph.add_node("Embedding", random_params(rng, _BY_TYPE["Embedding"]), id=f"embed{i}")
            graph.add_edge(f"tokens{i}", f"embed{i}")
        else:
            shape = _extreme(rng, _BY_TYPE["Input"].param("shape")) if huge and rng.random() < 0.5 \
                else random_shape(rng, big=large)
            graph.add_node("Input", {"shape": shape}, id=f"in{i}")
    for _ in range(rng.randint(1, max_layers)):
        for _attempt in range(8):
            if _try_add(rng, graph, rng.choice(SPECS), cache, keep_error, large, huge):
                break
    read = {e.src for e in graph.edges}
    for node in list(graph):
        if node.id not in read and node.type not in ("Input", "Output") and rng.random() < 0.9:
            out = graph.add_node("Output", pos=(node.pos[0] + 200, node.pos[1]))
            graph.add_edge(node.id, out.id)
    return graph
