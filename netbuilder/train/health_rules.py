"""The four layer-health diagnostics, from sampled statistics (health.py), each naming
the node and the fix the course teaches. Pure Python on floats: testable without training.

- vanishing_gradient: an early layer's gradient norm is VANISH_RATIO (three orders of
  magnitude) below the last layer's, in the median over the samples;
- exploding_gradient: a non-finite gradient norm, or the total norm EXPLODE_RATIO times
  the run's first sample's (growing without bound);
- dead_units: over half of a ReLU layer's units output 0 for a whole batch (latest sample);
- saturated: over half of a sigmoid/tanh's outputs beyond 0.99 of their range (latest sample).
"""

from __future__ import annotations

import math
import statistics
from typing import Any

KINDS = ("vanishing_gradient", "exploding_gradient", "dead_units", "saturated")
VANISH_RATIO = 1e-3
EXPLODE_RATIO = 100.0
DEAD_LIMIT = 0.5
SATURATED_LIMIT = 0.5


def diagnose(samples: list[dict[str, Any]], layer_ids: list[str], kinds: dict[str, str | None],
             first_grad_total: float | None) -> list[dict[str, str]]:
    """Diagnostics over `samples` ({"step", "layers": {node: stats}}, oldest first); `layer_ids`
    are the nodes with parameters in graph order, `kinds` maps a node to "dead", "sigmoid",
    "tanh" or None."""
    if not samples:
        return []
    out = _exploding(samples, first_grad_total)
    if not any(d["kind"] == "exploding_gradient" for d in out):
        out += _vanishing(samples, layer_ids)
    latest = samples[-1]["layers"]
    for nid, kind in kinds.items():
        stats = latest.get(nid, {})
        if kind == "dead" and stats.get("dead_fraction", 0.0) > DEAD_LIMIT:
            out.append(_diag(nid, "dead_units", f"{stats['dead_fraction']:.0%} of {nid}'s units output 0 for "
                             "every sample: they no longer learn. Try LeakyReLU, a lower learning rate, or He "
                             "(kaiming) initialisation."))
        elif kind in ("sigmoid", "tanh") and stats.get("saturated_fraction", 0.0) > SATURATED_LIMIT:
            out.append(_diag(nid, "saturated", f"{stats['saturated_fraction']:.0%} of {nid}'s {kind} outputs "
                             "are stuck at their bounds, where the gradient is almost 0. Try ReLU, or "
                             "BatchNorm before the activation."))
    return out


def _vanishing(samples: list[dict[str, Any]], layer_ids: list[str]) -> list[dict[str, str]]:
    norms = {nid: _median([s["layers"].get(nid, {}).get("grad_norm") for s in samples]) for nid in layer_ids}
    known = [nid for nid in layer_ids if math.isfinite(norms[nid])]
    if len(known) < 3:
        return []
    last = norms[known[-1]]
    if not last > 0:
        return []
    early = known[: max(1, len(known) // 2)]
    for nid in early:  # the first one that vanishes: it is where the learning stops
        ratio = norms[nid] / last
        if ratio < VANISH_RATIO:
            return [_diag(nid, "vanishing_gradient",
                          f"{nid}'s gradient norm ({norms[nid]:.2g}) is {_orders(ratio)} orders of magnitude "
                          f"below the last layer {known[-1]}'s ({last:.2g}): the early layers barely learn. "
                          "Try ReLU instead of sigmoid/tanh, BatchNorm, He initialisation, or residual "
                          "connections.")]
    return []


def _exploding(samples: list[dict[str, Any]], first: float | None) -> list[dict[str, str]]:
    for sample in samples:
        for nid, stats in sample["layers"].items():
            g = stats.get("grad_norm")
            if g is not None and not math.isfinite(g):
                return [_diag(nid, "exploding_gradient",
                              f"{nid}'s gradient became non-finite at step {sample['step']}. " + _EXPLODE_FIX)]
    latest = samples[-1]["layers"]
    grads = {nid: s["grad_norm"] for nid, s in latest.items() if "grad_norm" in s}
    total = math.sqrt(sum(g * g for g in grads.values())) if grads else math.nan
    if first and first > 0 and total > EXPLODE_RATIO * first:
        worst = max(grads, key=grads.get)
        return [_diag(worst, "exploding_gradient",
                      f"the gradient norm grew {total / first:.0f}× since the first step ({first:.2g} → "
                      f"{total:.2g}), largest at {worst}. " + _EXPLODE_FIX)]
    return []


_EXPLODE_FIX = "Try gradient clipping (training ▸ grad_clip), a lower learning rate, or an LSTM/GRU."


def _diag(nid: str, kind: str, message: str) -> dict[str, str]:
    return {"node": nid, "kind": kind, "message": message}


def _median(values: list[float | None]) -> float:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else math.nan


def _orders(ratio: float) -> str:
    return f"{-math.log10(ratio):.0f}" if ratio > 0 else "many"
