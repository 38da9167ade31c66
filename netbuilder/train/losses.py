"""Loss terms: each a formula reading named node outputs; the loss is their weighted sum.

Formulas (N samples in a batch; "mean" is over the batch unless said):
    cross_entropy   −mean log softmax(z)[y]                      (z: logits)
    nll             −mean p[y]                                   (p: log-probabilities, e.g. LogSoftmax)
    mse             mean (ŷ − y)²          mae   mean |ŷ − y|
    mape            100 · mean |ŷ − y| / max(|y|, ε), ε = 1e-8   (percent, for forecasting; the val_mape
                    metric instead skips zero targets, metrics.py)
    bce             −mean [y log p + (1 − y) log(1 − p)]         (p: probabilities)
    bce_with_logits the same with p = sigmoid(z), computed stably
    huber           mean of ½d² if |d| ≤ δ else δ(|d| − ½δ)       (d = ŷ − y, δ = "delta", 1)
    reconstruction  mse (or "loss": bce | mae) between the output and the network's input
    kl_gaussian     mean_n −½ Σ_j (1 + log σ²_nj − μ²_nj − σ²_nj), divided by the number of
                    input values D when "normalize" is "input" (the default: it then pairs with a
                    per-value mean reconstruction, i.e. the negative ELBO / D); reads the two
                    inputs of the Sampling node ("node")
    sparsity_l1     mean_n Σ_j |h_nj|                            (h: the "node" output)
    sparsity_kl     Σ_j ρ log(ρ/ρ̂_j) + (1 − ρ) log((1 − ρ)/(1 − ρ̂_j)), ρ̂_j = mean_n h_nj, ρ = "rho"
    contractive     λ · mean_n ‖∂h_n/∂x_n‖²_F, h = the "node" output, x = the network input,
                    λ = "lambda" (1) (regularizers.py: closed form for dense encoders, autograd otherwise)
    weight_decay    ½ Σ w² over weight matrices and kernels (not biases)

Targets: "label" (default) is the dataset's y; class labels become one-hot
for mse/mae/bce when the output has one column per class, a 0/1 column when
it has one column. "input" is the network input. A target with the output's
number of values per sample is reshaped to the output's shape; anything else
is a LossError naming both shapes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F

from netbuilder.core.graph import Graph
from netbuilder.train import regularizers

# names, LossError and the default terms need no torch (the GUI reads them at start-up): re-exported
from netbuilder.train.loss_defaults import LOSS_TERMS, SUPERVISED, LossError, default_loss_terms  # noqa: F401
from netbuilder.train.loss_defaults import _default_output

EPS = 1e-8
_HALF = (torch.float16, torch.bfloat16)


# ------------------------------------------------------------------ formulas
def mape(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return 100.0 * ((pred - target).abs() / target.abs().clamp_min(EPS)).mean()


def kl_gaussian(mu: torch.Tensor, logvar: torch.Tensor, divide_by: float = 1.0) -> torch.Tensor:
    kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return kl.flatten(1).sum(dim=1).mean() / divide_by


def sparsity_l1(h: torch.Tensor) -> torch.Tensor:
    return h.abs().flatten(1).sum(dim=1).mean()


def sparsity_kl(h: torch.Tensor, rho: float) -> torch.Tensor:
    rho_hat = h.flatten(1).mean(dim=0).clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def weight_decay(params: list[torch.Tensor]) -> torch.Tensor:
    if not params:
        return torch.zeros(())
    return 0.5 * torch.stack([p.pow(2).sum() for p in params]).sum()


_POINTWISE: dict[str, Callable[..., torch.Tensor]] = {
    "mse": F.mse_loss,
    "mae": F.l1_loss,
    "mape": mape,
    "bce": F.binary_cross_entropy,
    "bce_with_logits": F.binary_cross_entropy_with_logits,
}


# ------------------------------------------------------------------ terms
@dataclass
class Batch:
    """What a term may read: the model outputs by ref, the input, the target."""

    outs: dict[str, torch.Tensor]
    x: torch.Tensor
    y: torch.Tensor | None
    model: torch.nn.Module


@dataclass
class Term:
    name: str
    type: str
    weight: float
    reads: list[str]  # model output refs
    fn: Callable[[Batch], torch.Tensor]
    spec: dict[str, Any] = field(default_factory=dict)


@dataclass
class LossPlan:
    terms: list[Term]
    refs: list[str]  # every output the model must return, in order
    primary: str  # the output that metrics and predictions read
    primary_type: str

    def compute(self, batch: Batch) -> tuple[torch.Tensor, list[torch.Tensor]]:
        if len(self.terms) == 1 and self.terms[0].weight == 1.0:  # the usual case, with the least Python
            value = self.terms[0].fn(batch)
            return (value.float() if value.dtype in _HALF else value), [value]
        values = [t.fn(batch) for t in self.terms]
        # The weighted sum without a zeros tensor to start from and without ×1.0:
        # three fewer autograd ops per step, ~8% of a small MLP's CPU step
        # (benchmarks/README.md). Half-precision parts are summed in float32,
        # as adding them to a float32 zero did, so values and dtypes are unchanged.
        total = None
        for t, v in zip(self.terms, values):
            part = v if t.weight == 1.0 else t.weight * v
            if part.dtype in _HALF:
                part = part.float()
            total = part if total is None else total + part
        if total is None:
            total = torch.zeros((), device=batch.x.device)
        return total, values

    @property
    def names(self) -> list[str]:
        return [t.name for t in self.terms]


def build_plan(graph: Graph, specs: list[dict[str, Any]], task: str, num_classes: int | None,
               input_numel: int) -> LossPlan:
    if not specs:
        raise LossError("no loss terms: add at least one (e.g. cross_entropy for classification)")
    default_out = _default_output(graph)
    terms, names = [], set()
    for i, spec in enumerate(specs):
        kind = spec["type"]
        if kind not in LOSS_TERMS:
            raise LossError(f"loss term {i + 1}: unknown type {kind!r}; known: {', '.join(LOSS_TERMS)}")
        name = kind if kind not in names else f"{kind}_{i + 1}"
        names.add(name)
        maker = _MAKERS.get(kind, _make_pointwise)
        reads, fn = maker(graph, spec, default_out, task, num_classes, input_numel)
        for ref in reads:
            _check_ref(graph, ref, name)
        terms.append(Term(name, kind, float(spec.get("weight", 1.0)), reads, fn, dict(spec)))
    refs: list[str] = []
    for t in terms:
        refs += [r for r in t.reads if r not in refs]
    first = next((t for t in terms if t.type in SUPERVISED + ("reconstruction",)), None)
    primary = first.reads[0] if first else default_out
    if primary not in refs:
        refs.insert(0, primary)
    return LossPlan(terms, refs, primary, first.type if first else "")


def _check_ref(graph: Graph, ref: str, term: str) -> None:
    node = ref.partition(":")[0]
    if node not in graph.nodes:
        raise LossError(f"loss term {term} reads node {node!r}, which is not in the graph")


def _ref(spec: dict[str, Any], key: str, default: str | None, term: str) -> str:
    value = spec.get(key) or default
    if not isinstance(value, str):
        raise LossError(f"loss term {term} needs '{key}': the id of the node it reads")
    return value


def target_for(kind: str, out: torch.Tensor, batch: Batch, source: str, num_classes: int | None,
               term: str) -> torch.Tensor:
    """The target tensor shaped like `out` (see the module docstring)."""
    if source == "input":
        target = batch.x
    elif batch.y is None:
        raise LossError(f"loss term {term} compares with labels, but the dataset has none; "
                        f"use target 'input' or a reconstruction term")
    else:
        target = batch.y
    if kind in ("cross_entropy", "nll"):
        if target.is_floating_point():
            raise LossError(f"loss term {term} needs class labels; the targets are real numbers (a regression "
                            f"dataset): use mse, mae or mape")
        return target.reshape(out.shape[0], *out.shape[2:]) if out.dim() > 2 else target.reshape(-1)
    if not target.is_floating_point():
        width = out.shape[-1] if out.dim() >= 2 else 1
        if out.dim() == 2 and width > 1 and width == num_classes:
            return F.one_hot(target.reshape(-1), width).to(out.dtype)
        target = target.to(out.dtype)
    if target.shape == out.shape:
        return target
    if target[0].numel() == out[0].numel():
        return target.reshape(out.shape)
    raise LossError(f"loss term {term}: the output has shape {_dims(out)} per sample but the "
                    f"{'input' if source == 'input' else 'target'} has {_dims(target)}")


def _dims(t: torch.Tensor) -> str:
    return "×".join(str(d) for d in t.shape[1:]) or "1"


def _make_pointwise(graph, spec, default_out, task, num_classes, input_numel):
    kind = spec["type"]
    out_ref = _ref(spec, "output", default_out, kind)
    source = spec.get("target", "label")
    if source not in ("label", "input"):
        raise LossError(f"loss term {kind}: target must be 'label' or 'input', got {source!r}")
    delta = float(spec.get("delta", 1.0))
    if kind == "cross_entropy" and source == "label":
        def cross_entropy(b: Batch) -> torch.Tensor:
            out, y = b.outs[out_ref], b.y
            if y is not None and y.dim() == 1 and out.dim() == 2 and not y.is_floating_point():
                return F.cross_entropy(out, y)  # class indices already as it wants them: no target_for
            return F.cross_entropy(out, target_for(kind, out, b, source, num_classes, kind))
        return [out_ref], cross_entropy

    def fn(b: Batch) -> torch.Tensor:
        out = b.outs[out_ref]
        target = target_for(kind, out, b, source, num_classes, kind)
        if kind == "cross_entropy":
            return F.cross_entropy(out, target)
        if kind == "nll":
            return F.nll_loss(out, target)
        if kind == "huber":
            return F.huber_loss(out, target, delta=delta)
        if kind == "bce":
            return F.binary_cross_entropy(out.float().clamp(0.0, 1.0), target.float())
        return _POINTWISE[kind](out, target)

    return [out_ref], fn


def _make_reconstruction(graph, spec, default_out, task, num_classes, input_numel):
    out_ref = _ref(spec, "output", default_out, "reconstruction")
    inner = spec.get("loss", "mse")
    if inner not in ("mse", "mae", "bce", "bce_with_logits", "huber"):
        raise LossError(f"loss term reconstruction: 'loss' must be mse, mae, bce, bce_with_logits or huber, "
                        f"got {inner!r}")
    pointwise = _make_pointwise(graph, {**spec, "type": inner, "target": "input"}, default_out, task,
                                num_classes, input_numel)[1]
    return [out_ref], pointwise


def _make_kl(graph, spec, default_out, task, num_classes, input_numel):
    mu_ref, logvar_ref = spec.get("mu"), spec.get("logvar")
    if not (mu_ref and logvar_ref):
        node = spec.get("node") or _only(graph, "Sampling", "kl_gaussian")
        if node not in graph.nodes or graph.nodes[node].type != "Sampling":
            raise LossError(f"loss term kl_gaussian reads a Sampling node; {node!r} is not one")
        ins = {e.dst_port: f"{e.src}:{e.src_port}" for e in graph.in_edges(node)}
        if 0 not in ins or 1 not in ins:
            raise LossError(f"loss term kl_gaussian: Sampling node {node!r} needs both mu and logvar connected")
        mu_ref, logvar_ref = ins[0], ins[1]
    normalize = spec.get("normalize", "input")
    if normalize not in ("input", "none"):
        raise LossError(f"loss term kl_gaussian: 'normalize' must be 'input' or 'none', got {normalize!r}")
    divide = float(input_numel) if normalize == "input" else 1.0
    return [mu_ref, logvar_ref], lambda b: kl_gaussian(b.outs[mu_ref], b.outs[logvar_ref], divide)


def _only(graph: Graph, type_name: str, term: str) -> str:
    nodes = graph.nodes_of_type(type_name)
    if len(nodes) != 1:
        raise LossError(f"loss term {term}: say which {type_name} node it reads (\"node\": id); "
                        f"the graph has {len(nodes)}")
    return nodes[0].id


def _make_sparsity(graph, spec, default_out, task, num_classes, input_numel):
    kind = spec["type"]
    node = _ref(spec, "node", None, kind)
    if kind == "sparsity_l1":
        return [node], lambda b: sparsity_l1(b.outs[node])
    rho = float(spec.get("rho", 0.05))
    if not 0 < rho < 1:
        raise LossError(f"loss term sparsity_kl: 'rho' must be between 0 and 1, got {rho}")
    return [node], lambda b: sparsity_kl(b.outs[node], rho)


def _make_contractive(graph, spec, default_out, task, num_classes, input_numel):
    node = _ref(spec, "node", None, "contractive")
    scale = float(spec.get("lambda", 1.0))
    reads, fn = regularizers.contractive_term(graph, node)
    return reads, lambda b: scale * fn(b)


def _make_weight_decay(graph, spec, default_out, task, num_classes, input_numel):
    cache: dict[int, list[torch.Tensor]] = {}

    def fn(b: Batch) -> torch.Tensor:
        params = cache.setdefault(id(b.model), [p for p in b.model.parameters() if p.dim() >= 2])
        return weight_decay(params).to(b.x.device)

    return [], fn


_MAKERS = {
    "reconstruction": _make_reconstruction,
    "kl_gaussian": _make_kl,
    "sparsity_l1": _make_sparsity,
    "sparsity_kl": _make_sparsity,
    "contractive": _make_contractive,
    "weight_decay": _make_weight_decay,
}
