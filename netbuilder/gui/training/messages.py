"""Plain-language texts for the training banner."""

from __future__ import annotations

import math
from typing import Any

HINTS = {
    "nan": "Try a smaller learning rate, gradient clipping (grad_clip), or normalised inputs (standardize).",
    "oom": "Try a smaller batch size, a smaller network, or the CPU.",
    "error": "Your graph and settings are unchanged; fix the cause and press Start again.",
}


def graph_problem(graph: Any, batch_size: int = 1) -> str | None:
    """Why the graph cannot train yet, naming nodes (None when it can): a shape
    error, or a size over the budget (10^6 channels pass the shape check but ask
    for terabytes) — found here on the meta device, before a child is started."""
    from netbuilder.core.budget import Budget, budget_problems
    from netbuilder.core.shapes import check

    if not any(n.type == "Input" for n in graph):
        return "The graph has no Input node; add one (Input / Output in the palette) before training."
    report = check(graph)
    if report.ok:
        problems = budget_problems(graph, report, Budget.from_env(batch_size=max(1, batch_size)))
        if not problems:
            return None
        return f"The network is too large to train — {_first(problems)}."
    return f"Fix the graph before training — {_first(report.errors)}."


def _first(problems: list[tuple[str, str]]) -> str:
    """The first three (node, message) pairs; a count of the rest."""
    first = "; ".join(msg if msg.startswith(node) else f"{node}: {msg}" for node, msg in problems[:3])
    return first + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")


def failure_text(event: dict[str, Any]) -> str:
    """'The loss became NaN ... at step 2 (epoch 1), in cross_entropy. Try a smaller learning rate...'"""
    kind = event.get("kind") or "error"
    message = str(event.get("message") or "").strip().rstrip(".")
    step = event.get("step")
    where = f" at step {step}" if step is not None else ""
    generic = {"nan": f"The loss became NaN or infinite{where}",
               "oom": f"Out of memory{where}"}.get(kind, f"Training failed{where}")
    says_it = {"nan": ("became nan", "nan or inf"), "oom": ("memory",)}.get(kind, ())
    if not message:
        title = generic
    elif any(word in message.lower() for word in says_it):
        title = message[0].upper() + message[1:]  # the trainer's message already names the cause
    else:
        title = f"{generic}: {message}"
    return f"{title}. {HINTS.get(kind, HINTS['error'])}"


def finished_text(epoch: dict[str, Any], verb: str = "Finished") -> str:
    """'Finished after 5 epochs: val loss 0.12, accuracy 96.4%.'"""
    if not epoch:
        return f"{verb}."
    parts = []
    for key, label, scale, unit in (("val_loss", "val loss", 1, ""), ("val_accuracy", "accuracy", 100, "%"),
                                    ("val_mae", "MAE", 1, ""), ("val_mape", "MAPE", 1, "%")):
        value = epoch.get(key)
        if isinstance(value, (int, float)) and math.isfinite(value):
            parts.append(f"{label} {value * scale:.4g}{unit}")
    n = epoch.get("epoch") or epoch.get("epochs")
    head = f"{verb} after {n} epoch{'s' if n != 1 else ''}" if n else verb
    return f"{head}: {', '.join(parts)}." if parts else f"{head}."
