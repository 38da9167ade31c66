"""The contractive penalty mean_n ‖∂h_n/∂x_n‖²_F (h: the code node, x: the
network input), computed efficiently.

For a dense layer h = a(W x + b) with an element-wise activation a, the
Jacobian is diag(a′(z)) W, so ‖J_n‖²_F = Σ_k a′(z_nk)² ‖W_k‖² — one matrix
product, no second backward pass; a′ is read back from h itself (sigmoid:
h(1 − h), tanh: 1 − h², ReLU: [h > 0]). That covers an Encoder node with one
layer, a Linear node, and an activation node fed by a Linear node, when only
reshapes (Flatten, ...) lie between the Input and the layer. Any other
encoder runs again from the input (sharing the weights) under autograd with
create_graph: exactly, one batched backward pass
over the code units (up to 512 of them), or above that an unbiased estimate
from 16 random projections (E‖vᵀJ‖² = ‖J‖²_F for v ~ N(0, I)).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from netbuilder.core.graph import Graph

EXACT_LIMIT = 512
PROBES = 16

# a′ expressed through the activation's output h
_DERIVATIVE: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": lambda h: h * (1 - h),
    "tanh": lambda h: 1 - h * h,
    "relu": lambda h: (h > 0).to(h.dtype),
    "identity": lambda h: torch.ones_like(h),
}
_NODE_ACTIVATIONS = {"Sigmoid": "sigmoid", "Tanh": "tanh", "ReLU": "relu", "Identity": "identity"}


def dense_jacobian_norm(h: torch.Tensor, weight: torch.Tensor, activation: str) -> torch.Tensor:
    """mean_n Σ_k a′(z_nk)² Σ_i W_ki² for h = a(W x + b); weight is (out, in) as nn.Linear's."""
    d = _DERIVATIVE[activation](h.flatten(1))
    return (d.pow(2) @ weight.pow(2).sum(dim=1)).mean()


def autograd_jacobian_norm(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """mean_n ‖∂fn(x)_n/∂x_n‖²_F (samples must not interact, e.g. no BatchNorm in training).
    Differentiable (create_graph) when called with grad enabled, i.e. in training."""
    create = torch.is_grad_enabled()
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        h = fn(x).flatten(1)
        n, k = h.shape
        if k <= EXACT_LIMIT:
            eye = torch.eye(k, device=h.device, dtype=h.dtype).unsqueeze(1).expand(k, n, k)
            try:
                (grads,) = torch.autograd.grad(h, x, grad_outputs=eye, is_grads_batched=True,
                                               create_graph=create)
                return grads.pow(2).sum() / n
            except RuntimeError:  # an op without a batching rule: one unit at a time
                total = h.new_zeros(())
                for j in range(k):
                    (g,) = torch.autograd.grad(h[:, j].sum(), x, retain_graph=True, create_graph=create)
                    total = total + g.pow(2).sum()
                return total / n
        probes = torch.randn(PROBES, n, k, device=h.device, dtype=h.dtype)
        (grads,) = torch.autograd.grad(h, x, grad_outputs=probes, is_grads_batched=True, create_graph=create)
        return grads.pow(2).sum() / (PROBES * n)


def contractive_term(graph: Graph, node_id: str) -> tuple[list[str], Callable[[Any], torch.Tensor]]:
    """(refs the term reads, fn(batch) -> penalty) for the code node `node_id`;
    x is the network input (layers that only reshape it may come between)."""
    from netbuilder.core.compile import module_names
    from netbuilder.train.losses import LossError

    if node_id not in graph.nodes:
        raise LossError(f"loss term contractive reads node {node_id!r}, which is not in the graph")
    if graph.nodes[node_id].type in ("Input", "Output"):
        raise LossError(f"loss term contractive needs the code (encoder) node, not {node_id!r}")
    closed = _closed_form(graph, node_id, module_names(graph))
    if closed is not None:
        module_name, layer_index, activation = closed

        def fn(b: Any) -> torch.Tensor:
            module = getattr(b.model, module_name)
            linear = module if layer_index is None else module.layers[layer_index]
            return dense_jacobian_norm(b.outs[node_id], linear.weight, activation)

        return [node_id], fn
    from netbuilder.train.subgraph import SubModel

    encoder = SubModel(graph, [node_id])
    return [], lambda b: autograd_jacobian_norm(lambda x: encoder(b.model, x)[0], b.x)


def _reshape_only_path(graph: Graph, node_id: str) -> bool:
    """True when the node's input is the network input, only reshaped."""
    edges = graph.in_edges(node_id)
    while len(edges) == 1:
        src = graph.nodes[edges[0].src]
        if src.type == "Input":
            return True
        if src.type not in ("Flatten", "Reshape", "Unflatten", "Identity"):
            return False
        edges = graph.in_edges(src.id)
    return False


def _closed_form(graph: Graph, node_id: str, names: dict[str, str]) -> tuple[str, int | None, str] | None:
    """(module attribute, index of the Linear inside it or None, activation) when h = a(W x + b)."""
    node = graph.nodes[node_id]
    if node.type == "Encoder" and len(node.params.get("sizes", [])) == 1 and _reshape_only_path(graph, node_id):
        last = node.params.get("last_activation", "same")
        activation = node.params.get("activation") if last == "same" else last
        if activation in _DERIVATIVE:
            return names[node_id], 0, activation
    if node.type == "Linear" and _reshape_only_path(graph, node_id):
        return names[node_id], None, "identity"
    if node.type in _NODE_ACTIVATIONS and len(graph.in_edges(node_id)) == 1:
        (edge,) = graph.in_edges(node_id)
        src = graph.nodes[edge.src]
        if src.type == "Linear" and _reshape_only_path(graph, src.id):
            return names[src.id], None, _NODE_ACTIVATIONS[node.type]
    return None
