"""Parts of a trained network run on their own, sharing its layers.

`SubModel` compiles the graph up to some nodes, or the part downstream of a
node (a VAE's decoder fed with z ~ N(0, I)), on the meta device — no weights
allocated — then points every layer at the trained model's module, so it
always computes with the current weights.
"""

from __future__ import annotations

from typing import Any, Sequence

import torch

from netbuilder.core.graph import Graph


def share_modules(sub: torch.fx.GraphModule, model: torch.fx.GraphModule) -> None:
    ours, theirs = sub.meta["netbuilder_modules"], model.meta["netbuilder_modules"]
    for nid, attr in ours.items():
        if hasattr(sub, attr) and nid in theirs:
            setattr(sub, attr, getattr(model, theirs[nid]))


def compile_shared(graph: Graph, outputs: Sequence[str], model: torch.fx.GraphModule) -> torch.fx.GraphModule:
    from netbuilder.core.compile import compile_graph

    sub = compile_graph(graph, outputs=list(outputs), device="meta")
    sub.graph.eliminate_dead_code()
    sub.recompile()
    share_modules(sub, model)
    return sub


class SubModel:
    """graph's Input → `outputs`, built on first call for a given model."""

    def __init__(self, graph: Graph, outputs: Sequence[str]) -> None:
        self.graph, self.outputs = graph, list(outputs)
        self.gm: Any = None
        self.owner: Any = None

    def __call__(self, model: torch.fx.GraphModule, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        if self.gm is None or self.owner is not model:
            self.gm, self.owner = compile_shared(self.graph, self.outputs, model), model
        return self.gm(*inputs)


def downstream_graph(graph: Graph, node_id: str, shape: Sequence[int | None]) -> Graph | None:
    """The nodes fed (directly or not) by `node_id`, with an Input 'z' of
    `shape` in its place; None when they also read other parts of the net."""
    from netbuilder.core.io import graph_from_dict, graph_to_dict

    keep: set[str] = set()
    frontier = [e.dst for e in graph.out_edges(node_id)]
    while frontier:
        nid = frontier.pop()
        if nid not in keep:
            keep.add(nid)
            frontier += [e.dst for e in graph.out_edges(nid)]
    if not keep or "z" in keep:
        return None
    for nid in keep:
        if any(e.src != node_id and e.src not in keep for e in graph.in_edges(nid)):
            return None
    data = graph_to_dict(graph)
    data["nodes"] = [{"id": "z", "type": "Input", "params": {"shape": list(shape)}}] + [
        n for n in data["nodes"] if n["id"] in keep]
    edges = []
    for e in data["edges"]:
        if e["dst"] in keep:
            edges.append({**e, "src": "z", "src_port": 0} if e["src"] == node_id else e)
    data["edges"] = edges
    data.pop("training", None)
    data.pop("groups", None)  # they may name nodes left out
    return graph_from_dict(data)
