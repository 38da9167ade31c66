"""Contrastive divergence (CD-k) for an RBM node: the `"mode": "rbm_cd"` trainer.

The visible data v₀ is whatever feeds the RBM node (e.g. flattened digits
in [0, 1], used as Bernoulli probabilities). k steps of block Gibbs sampling
give v_k; the CD update is the gradient of F(v₀) − F(v_k) with v_k held fixed,
F being the free energy, so any optimizer (SGD with momentum, by tradition)
applies it. What is reported as the loss is the reconstruction error
mean (v₀ − p(v | p(h | v₀)))², which falls as the RBM learns; the free-energy
gap is reported as a term beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from netbuilder.core.compile import module_names
from netbuilder.core.graph import Graph
from netbuilder.train.losses import LossError

TERMS = ("reconstruction_error", "free_energy_gap")


def cd_objective(rbm: torch.nn.Module, v0: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(F(v₀) − F(v_k) averaged over the batch — backward gives the CD-k gradient,
    reconstruction error — no gradient)."""
    with torch.no_grad():
        vk = rbm.gibbs(v0, k)
        recon = rbm.visible_probs(rbm.hidden_probs(v0))
        error = (v0 - recon).pow(2).mean()
    gap = rbm.free_energy(v0).mean() - rbm.free_energy(vk).mean()
    return gap, error


@dataclass
class RBMPlan:
    node: str
    attr: str
    visible_ref: str
    k: int = 1

    @property
    def refs(self) -> list[str]:
        return [self.visible_ref]

    @property
    def names(self) -> list[str]:
        return list(TERMS)

    def rbm(self, model: torch.nn.Module) -> torch.nn.Module:
        return getattr(model, self.attr)

    def compute(self, model: torch.nn.Module, visible: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                                               list[torch.Tensor]]:
        """(objective to backpropagate, reported loss, [recon error, gap])."""
        v0 = visible.detach().flatten(1).clamp(0.0, 1.0)
        gap, error = cd_objective(self.rbm(model), v0, self.k)
        return gap, error, [error, gap.detach()]

    def filters(self, model: torch.nn.Module, limit: int = 64) -> torch.Tensor:
        """The weights into each hidden unit, one row per unit (visible-sized)."""
        return self.rbm(model).weight.detach()[:, :limit].t()

    def reconstruct(self, model: torch.nn.Module, visible: torch.Tensor) -> torch.Tensor:
        rbm = self.rbm(model)
        v0 = visible.flatten(1).clamp(0.0, 1.0)
        return rbm.visible_probs(rbm.hidden_probs(v0))


def build_rbm_plan(graph: Graph, node: str | None, k: int) -> RBMPlan:
    rbms = graph.nodes_of_type("RBM")
    if node is None:
        if len(rbms) != 1:
            raise LossError(f"mode rbm_cd trains one RBM node; the graph has {len(rbms)}"
                            + (" — say which with \"rbm_node\"" if rbms else ""))
        node = rbms[0].id
    if node not in graph.nodes or graph.nodes[node].type != "RBM":
        raise LossError(f"rbm_node {node!r} is not an RBM node of this graph")
    (edge,) = graph.in_edges(node) or (None,)
    if edge is None:
        raise LossError(f"RBM node {node!r} has no input connected")
    return RBMPlan(node, module_names(graph)[node], f"{edge.src}:{edge.src_port}", k)
