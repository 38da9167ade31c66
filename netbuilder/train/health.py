"""Layer health, sampled every K steps without a per-step device sync.

On a sample step the trainer calls the model itself (not its lean training
view, so the activation modules' forward hooks fire) and, around the
optimizer step, `grads()` and `updates()`. Every number is a 0-d tensor on
the device; one sample becomes one stacked vector kept on the device until
`flush()`, which the trainer calls when it syncs anyway (step events, epoch
end): one transfer for all samples since the last flush.

Per node (absent keys where they do not apply):
- layers with parameters: grad_norm (before clipping), weight_norm (after the
  step), update_ratio = ‖Δw‖ / ‖w‖ of that step, act_mean, act_std;
- activations: act_mean, act_std; ReLU/ReLU6 add dead_fraction (units — each
  output position — that are 0 for every sample of the batch); Sigmoid/Tanh
  add saturated_fraction (outputs beyond 0.99 of their range, i.e. |y| > 0.99
  for tanh, y < 0.005 or y > 0.995 for sigmoid).
The diagnostics are pure functions of these numbers (health_rules.py).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from netbuilder.train.health_rules import diagnose

DEAD_TYPES = (nn.ReLU, nn.ReLU6)
SATURATING = {nn.Sigmoid: "sigmoid", nn.Tanh: "tanh"}
TARGET_SAMPLES_PER_EPOCH = 4  # enough points for a sparkline, few enough to cost < 5 % (benchmarks/)
MIN_INTERVAL = 50  # a sample costs about half a small MLP step (benchmarks/bench_health.py)
HIST_BINS = 30
MISSING = -2.0 ** 127  # exactly representable in float32; no statistic takes it


def default_interval(steps_per_epoch: int) -> int:
    """K: about TARGET_SAMPLES_PER_EPOCH samples per epoch, never more often than every MIN_INTERVAL steps."""
    return max(MIN_INTERVAL, steps_per_epoch // TARGET_SAMPLES_PER_EPOCH)


class HealthMonitor:
    """Collects layer statistics of `model` (a compiled GraphModule) every `interval` steps."""

    def __init__(self, model: torch.fx.GraphModule, order: list[str], interval: int) -> None:
        self.interval = max(1, int(interval))
        names: dict[str, str] = model.meta.get("netbuilder_modules", {})
        seen: set[str] = set()
        self.layers: list[tuple[str, list[nn.Parameter]]] = []  # (node id, trainable params), graph order
        self.acts: list[tuple[str, nn.Module, str | None]] = []  # (node id, module, "dead"/"sigmoid"/"tanh")
        for nid in order:
            name = names.get(nid)
            if name is None or name in seen:  # a node sharing a module reports under its owner
                continue
            seen.add(name)
            module = model.get_submodule(name)
            params = [p for p in module.parameters() if p.requires_grad]
            extra = "dead" if isinstance(module, DEAD_TYPES) else SATURATING.get(type(module))
            if params:
                self.layers.append((nid, params))
            if params or extra or _is_activation(module):
                self.acts.append((nid, module, extra))
        self.kinds = {nid: extra for nid, _, extra in self.acts}
        self.layer_ids = [nid for nid, _ in self.layers]
        self._keys = self._layout()
        self._pending: list[tuple[int, torch.Tensor]] = []
        self._params = [p for _, ps in self.layers for p in ps]
        self._segments = torch.tensor([i for i, (_, ps) in enumerate(self.layers) for _ in ps], dtype=torch.long)
        self._acts: dict[str, torch.Tensor] = {}  # node → its stacked activation statistics, this step
        self._grad: torch.Tensor | None = None
        self._before: list[torch.Tensor] | None = None
        self._handles: list[Any] = []
        self.first_grad_total: float | None = None  # the run's first sampled total gradient norm

    @property
    def empty(self) -> bool:
        return not self.layers

    def due(self, step: int) -> bool:
        """Sample global step `step` (counted from 1)? The first step always is (a baseline)."""
        return not self.empty and (step == 1 or step % self.interval == 0)

    # ------------------------------------------------------- on a sample step
    # Few, batched kernels: a sample step costs about half a plain step on a small MLP, so
    # the norms are foreach ops over all parameters and one scatter into per-layer sums.
    def attach(self) -> None:
        """Forward hooks on the measured modules, for this step's forward only."""
        self._acts = {}
        for nid, module, extra in self.acts:
            self._handles.append(module.register_forward_hook(self._hook(nid, extra)))

    def _hook(self, nid: str, extra: str | None):
        def hook(_module: nn.Module, _inputs: Any, output: Any) -> None:
            out = output[0] if isinstance(output, (tuple, list)) else output
            if isinstance(out, torch.Tensor) and out.is_floating_point() and out.numel():
                self._acts[nid] = _activation_stats(out.detach(), extra)
        return hook

    def detach_hooks(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []

    def grads(self) -> None:
        """After backward (unscaled, before clipping): gradient norms; keep the weights for the update."""
        flat = self._params
        if self._segments.device != flat[0].device:  # once: the index lives beside the weights
            self._segments = self._segments.to(flat[0].device)
        grads = [p.grad for p in flat if p.grad is not None]
        if len(grads) == len(flat):
            self._grad = _per_layer(torch._foreach_norm(grads), self._segments, len(self.layers))
        else:  # some parameters got no gradient (off the loss path): layer by layer
            self._grad = torch.stack([_norm([p.grad for p in ps if p.grad is not None], flat[0].device)
                                      for _, ps in self.layers])
        self._before = torch._foreach_mul([p.detach() for p in flat], 1.0)  # copies, one call

    def updates(self, step: int) -> None:
        """After the optimizer step: weight norms and update ratios; the sample is complete."""
        if self._before is None or not self.layers:
            return
        now = [p.detach() for p in self._params]
        n = len(self.layers)
        weight = _per_layer(torch._foreach_norm(now), self._segments, n)
        update = _per_layer(torch._foreach_norm(torch._foreach_sub(now, self._before)), self._segments, n)
        device = weight.device
        missing = torch.full((1,), MISSING, device=device)
        parts = [self._grad.float().to(device), weight, update / weight.clamp_min(1e-12)]
        for nid, _module, extra in self.acts:
            width = 2 + (extra is not None)
            got = self._acts.get(nid)
            parts.append(got.to(device) if got is not None else missing.expand(width))
        self._pending.append((step, torch.cat(parts)))
        self._before, self._grad, self._acts = None, None, {}

    def post_mortem(self, step: int) -> None:
        """When the loss went non-finite: the latest step's gradients and weights as a sample
        (its gradients are still in .grad), so a run that blows up between two samples still
        shows what exploded."""
        if self.empty or (self._pending and self._pending[-1][0] == step):
            return
        self.grads()
        self._before = [p.detach() for p in self._params]  # no update to measure: ratio 0
        self.updates(step)

    def histograms(self, bins: int = HIST_BINS) -> dict[str, dict[str, dict[str, Any]]]:
        """Per layer, histograms of its weights and of its latest gradients (the epoch-end
        view, TensorBoard-style): {node: {"weights"|"grads": {"lo", "hi", "counts"}}}. Built on
        the device; one transfer."""
        rows, names = [], []
        for nid, params in self.layers:
            for what, tensors in (("weights", [p.detach() for p in params]),
                                  ("grads", [p.grad for p in params if p.grad is not None])):
                if tensors:
                    rows.append(_histogram(torch.cat([t.reshape(-1).float() for t in tensors]), bins))
                    names.append((nid, what))
        if not rows:
            return {}
        out: dict[str, dict[str, dict[str, Any]]] = {}
        for (nid, what), row in zip(names, torch.stack([r.to(rows[0].device) for r in rows]).cpu().tolist()):
            out.setdefault(nid, {})[what] = {"lo": row[0], "hi": row[1], "counts": [int(c) for c in row[2:]]}
        return out

    # ------------------------------------------------------------ syncing
    def flush(self) -> list[dict[str, Any]]:
        """The samples since the last flush, on the host (one transfer)."""
        if not self._pending:
            return []
        pending, self._pending = self._pending, []
        table = torch.stack([t for _, t in pending]).cpu().tolist()
        out = []
        for (step, _), values in zip(pending, table):
            layers: dict[str, dict[str, float]] = {}
            for key, value in zip(self._keys, values):
                nid, _, stat = key.partition("\0")
                if value != MISSING:
                    layers.setdefault(nid, {})[stat] = value
            sample = {"step": step, "layers": layers}
            if self.first_grad_total is None:
                self.first_grad_total = total_grad_norm(layers)
            out.append(sample)
        return out

    def summary(self, samples: list[dict[str, Any]]) -> tuple[dict[str, dict[str, float]], list[dict[str, str]]]:
        """Per node: the mean of each statistic over `samples` (an epoch's); and their diagnostics."""
        layers: dict[str, dict[str, float]] = {}
        for sample in samples:
            for nid, stats in sample["layers"].items():
                for stat, value in stats.items():
                    layers.setdefault(nid, {}).setdefault(stat, []).append(value)  # type: ignore[arg-type]
        means = {nid: {stat: _mean(vs) for stat, vs in stats.items()} for nid, stats in layers.items()}
        return means, diagnose(samples, self.layer_ids, self.kinds, self.first_grad_total)

    def _layout(self) -> list[str]:
        """The names of the sample vector's entries, in updates()' order."""
        keys = [f"{nid}\0{stat}" for stat in ("grad_norm", "weight_norm", "update_ratio") for nid, _ in self.layers]
        for nid, _module, extra in self.acts:
            keys += [f"{nid}\0act_mean", f"{nid}\0act_std"]
            if extra == "dead":
                keys.append(f"{nid}\0dead_fraction")
            elif extra is not None:
                keys.append(f"{nid}\0saturated_fraction")
        return keys


def total_grad_norm(layers: dict[str, dict[str, float]]) -> float:
    """‖all gradients‖ from the per-layer norms (sqrt of the sum of squares)."""
    squares = [s["grad_norm"] ** 2 for s in layers.values() if "grad_norm" in s]
    return math.sqrt(sum(squares)) if squares else math.nan


def _activation_stats(out: torch.Tensor, extra: str | None) -> torch.Tensor:
    """[mean, std] and, for ReLU, the dead fraction; for sigmoid/tanh, the saturated fraction."""
    out = out.float()
    # E[x²] − E[x]²: two plain reductions (torch.std_mean's two-pass kernel cost 5× more here)
    mean = out.mean()
    std = ((out * out).mean() - mean * mean).clamp_min(0).sqrt()
    if extra == "dead":
        flat = out.reshape(out.shape[0], -1) if out.dim() > 1 else out.reshape(-1, 1)
        return torch.stack([mean, std, (flat == 0).all(dim=0).float().mean()])
    if extra == "sigmoid":
        return torch.stack([mean, std, ((out * 2 - 1).abs() > 0.99).float().mean()])
    if extra == "tanh":
        return torch.stack([mean, std, (out.abs() > 0.99).float().mean()])
    return torch.stack([mean, std])


def _histogram(x: torch.Tensor, bins: int) -> torch.Tensor:
    """[lo, hi, counts…] of the finite values of x, without leaving the device (no .item())."""
    finite = torch.isfinite(x)
    safe = torch.where(finite, x, torch.zeros_like(x))
    big = torch.finfo(x.dtype).max
    lo = torch.where(finite, x, torch.full_like(x, big)).min()
    hi = torch.where(finite, x, torch.full_like(x, -big)).max()
    hi = torch.maximum(hi, lo)
    width = (hi - lo).clamp_min(1e-12)
    index = ((safe - lo) / width * bins).long().clamp(0, bins - 1)
    counts = torch.zeros(bins, device=x.device).index_add_(0, index, finite.float())
    return torch.cat([torch.stack([lo, hi]), counts])


def _per_layer(norms: list[torch.Tensor] | tuple, segments: torch.Tensor, n: int) -> torch.Tensor:
    """Per-parameter norms → per-layer norms (sqrt of the sum of squares within a layer)."""
    squares = torch.stack(list(norms)).float().pow(2)
    return torch.zeros(n, device=squares.device).index_add_(0, segments, squares).sqrt()


def _norm(tensors: list[torch.Tensor], device: torch.device) -> torch.Tensor:
    if not tensors:  # no gradient reached this layer: reported as absent
        return torch.tensor(MISSING, device=device)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(t.float()) for t in tensors]))


def _is_activation(module: nn.Module) -> bool:
    return type(module).__module__ == "torch.nn.modules.activation"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan
