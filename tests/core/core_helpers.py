"""Small helpers shared by the core tests: graphs in code, real forward passes."""

from __future__ import annotations

from typing import Sequence

import torch

from netbuilder.core.graph import Graph

BATCH = 2


def chain(*layers: tuple[str, dict] | str, shape: Sequence[int | None] = (1, 8, 8), output: bool = True) -> Graph:
    """Input(shape) → layers... → Output, ids input, l1, l2, ..., output."""
    graph = Graph(name="chain")
    prev = graph.add_node("Input", {"shape": list(shape)}, id="input").id
    for i, layer in enumerate(layers, start=1):
        type_name, params = (layer, {}) if isinstance(layer, str) else layer
        node = graph.add_node(type_name, params, pos=(100 * i, 0), id=f"l{i}")
        graph.add_edge(prev, node.id)
        prev = node.id
    if output:
        graph.add_node("Output", pos=(100 * (len(layers) + 1), 0), id="output")
        graph.add_edge(prev, "output")
    return graph


def filled(shape: Sequence[int | None], size: int) -> tuple[int, ...]:
    return tuple(size if s is None else s for s in shape)


def input_tensors(graph: Graph, size: int = 5, high: int = 5) -> list[torch.Tensor]:
    """One random batch per Input node (file order); None dims become `size`."""
    out = []
    for node in graph.nodes_of_type("Input"):
        shape = (BATCH, *filled(node.params["shape"], size))
        if node.params["dtype"] == "int64":
            out.append(torch.randint(0, high, shape))
        else:
            out.append(torch.randn(shape))
    return out


def as_tuple(result) -> tuple[torch.Tensor, ...]:
    return result if isinstance(result, tuple) else (result,)


def compatible(inferred: Sequence[int | None] | None, real: Sequence[int]) -> bool:
    """Same rank, and every known inferred size equals the real one."""
    return inferred is not None and len(inferred) == len(real) and all(
        i is None or i == r for i, r in zip(inferred, real))
