"""Generative nodes: the VAE's Sampling and the Restricted Boltzmann Machine."""

from __future__ import annotations

from netbuilder.core.layers._rules import dims, known, merged_size, need_rank
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register


def _sampling_infer(ins, p):
    mu, logvar = ins
    if len(mu) != len(logvar) or any(a is not None and b is not None and a != b for a, b in zip(mu, logvar)):
        raise ShapeError(f"Sampling needs mu and logvar of the same shape; got mu {dims(mu)} and logvar {dims(logvar)}")
    return [tuple(merged_size(column) for column in zip(mu, logvar))]  # 1 beside ? broadcasts


register(LayerSpec(
    type="Sampling", category="Generative",
    help="VAE reparameterisation z = μ + σ·ε (σ = exp(½ log σ²)); the KL loss term reads its inputs.",
    params=(Param("sample_in_eval", "bool", False, "also sample in eval mode (otherwise z = μ)"),),
    infer=_sampling_infer,
    module=lambda ins, p: ModuleCall("netbuilder.core.modules.Sampling", (), {"sample_in_eval": p["sample_in_eval"]}),
    inputs=("mu", "logvar"),
))


def _rbm_infer(ins, p):
    (x,) = ins
    need_rank("RBM", x, (1,), "a flat vector of visible units (features,) — add a Flatten before it")
    known("RBM", x[0], "number of visible units")
    return [(p["num_hidden"],)]


register(LayerSpec(
    type="RBM", category="Generative",
    help="Restricted Boltzmann machine: visible → hidden probabilities; trained by contrastive divergence (CD-k).",
    params=(Param("num_hidden", "int", 64, "number of hidden units", min=1, max=1_000_000),),
    infer=_rbm_infer,
    module=lambda ins, p: ModuleCall("netbuilder.core.modules.RBM", (ins[0][0], p["num_hidden"])),
    macs=lambda ins, outs, p: ins[0][0] * p["num_hidden"],
))
