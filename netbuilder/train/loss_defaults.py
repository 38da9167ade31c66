"""Loss term names and the default terms of a graph, without torch.

The editor shows the default loss terms as soon as a network is open; keeping
this out of losses.py (which imports torch) spares the GUI's start-up the
~1 s torch import (benchmarks/README.md). losses.py re-exports all of it.
"""

from __future__ import annotations

from typing import Any

from netbuilder.core.compile import output_nodes
from netbuilder.core.graph import Graph

LOSS_TERMS = ("cross_entropy", "nll", "mse", "mae", "mape", "bce", "bce_with_logits", "huber",
              "reconstruction", "kl_gaussian", "sparsity_l1", "sparsity_kl", "contractive", "weight_decay")
SUPERVISED = ("cross_entropy", "nll", "mse", "mae", "mape", "bce", "bce_with_logits", "huber")


class LossError(ValueError):
    """A loss term that cannot be computed for this graph and data."""


def default_loss_terms(graph: Graph | dict, task: str | None = None) -> list[dict[str, Any]]:
    """What a graph trains on when its block names no loss: cross_entropy (nll
    after LogSoftmax) for classification, mse for regression, reconstruction
    (+ kl_gaussian per Sampling node) for reconstruction; nothing for an RBM
    trained by CD. `graph` is a Graph or its file dict."""
    if isinstance(graph, dict):
        from netbuilder.core.io import graph_from_dict

        graph = graph_from_dict(graph)
    training = graph.training or {}
    if training.get("mode") == "rbm_cd":
        return []
    task = task or training.get("task") or _dataset_task(training.get("dataset"))
    out = _default_output(graph)
    if task == "reconstruction":
        terms = [{"type": "reconstruction", "output": out, "target": "input", "weight": 1.0}]
        for node in graph.nodes_of_type("Sampling"):
            terms.append({"type": "kl_gaussian", "node": node.id, "weight": 1.0})
        return terms
    if task == "regression":
        return [{"type": "mse", "output": out, "weight": 1.0}]
    last = _last_layer(graph, out)
    kind = "nll" if last == "LogSoftmax" else "cross_entropy"
    return [{"type": kind, "output": out, "weight": 1.0}]


def _default_output(graph: Graph) -> str:
    outs = output_nodes(graph)
    if not outs:
        raise LossError("the graph has no output to train: add an Output node")
    return outs[0]


def _last_layer(graph: Graph, node_id: str) -> str | None:
    node = graph.nodes[node_id]
    if node.type == "Output":
        ins = graph.in_edges(node_id)
        return graph.nodes[ins[0].src].type if ins else None
    return node.type


def _dataset_task(dataset: Any) -> str:
    from netbuilder.train.data import BUILTIN_DATASETS

    info = BUILTIN_DATASETS.get(str(dataset or "").lower())
    return info.task if info else "classification"
