"""Validation: loss per term, accuracy, MAE/MAPE and the confusion matrix.

Everything accumulates on the device; the host sees one transfer per
evaluation.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Callable

import torch

from netbuilder.train.losses import EPS, Batch, LossPlan, target_for
from netbuilder.train.rbm import RBMPlan


def predictions(out: torch.Tensor, primary_type: str) -> torch.Tensor | None:
    """Class predictions from a classifier's output: argmax over columns, or a
    threshold for a single column (0 for logits, 0.5 for probabilities)."""
    if out.dim() == 2 and out.shape[1] > 1:
        return out.argmax(dim=1)
    if out.dim() == 1 or (out.dim() == 2 and out.shape[1] == 1):
        threshold = 0.0 if primary_type == "bce_with_logits" else 0.5
        return (out.reshape(-1) > threshold).long()
    return None


def outputs_dict(refs: list[str], result: Any, as_float: bool = False) -> dict[str, torch.Tensor]:
    """The model's outputs by ref; half-precision ones as float32 with `as_float`."""
    values = result if isinstance(result, tuple) else (result,)
    if as_float:
        values = tuple(v.float() if v.is_floating_point() and v.dtype != torch.float32 else v for v in values)
    return dict(zip(refs, values))


def evaluate(raw_model: torch.nn.Module, plan: LossPlan | RBMPlan, refs: list[str], batches: Any, task: str,
             num_classes: int | None, autocast: Callable[[], AbstractContextManager]) -> dict[str, Any]:
    """{val_loss, val_terms, val_accuracy, val_mae, val_mape, confusion} over all batches, with the
    compiled graph itself (not a DDP wrapper: evaluation needs no gradient exchange)."""
    names = plan.names
    device = next(raw_model.parameters(), torch.zeros(())).device
    sums = torch.zeros(len(names) + 1, device=device, dtype=torch.float64)
    stats = torch.zeros(5, device=device, dtype=torch.float64)  # correct, labelled, |err|, |err|/|y|, values
    confusion = torch.zeros(num_classes * num_classes, device=device, dtype=torch.long) if (
        task == "classification" and num_classes) else None
    n = 0
    was_training = raw_model.training
    raw_model.eval()
    try:
        with torch.no_grad():
            for xb, yb in batches.epoch(0):
                with autocast():
                    result = raw_model(xb)
                outs = outputs_dict(refs, result, as_float=True)
                batch = Batch(outs, xb, yb, raw_model)
                if isinstance(plan, RBMPlan):
                    _, reported, terms = plan.compute(raw_model, outs[plan.visible_ref])
                else:
                    reported, terms = plan.compute(batch)
                k = len(xb)
                n += k
                sums += torch.stack([reported.detach(), *[t.detach() for t in terms]]).double() * k
                if isinstance(plan, LossPlan):
                    _metrics(plan, batch, task, num_classes, stats, confusion)
    finally:
        raw_model.train(was_training)
    values = torch.cat([sums / max(n, 1), stats]).tolist()  # the one sync
    loss, terms = values[0], dict(zip(names, values[1:len(names) + 1]))
    correct, labelled, abs_err, pct_err, count = values[len(names) + 1:]
    out: dict[str, Any] = {"val_loss": loss, "val_terms": terms, "val_accuracy": None, "val_mae": None,
                           "val_mape": None, "confusion": None}
    if task == "classification" and labelled:
        out["val_accuracy"] = correct / labelled
    if task in ("regression", "reconstruction") and count:
        out["val_mae"] = abs_err / count
        out["val_mape"] = 100.0 * pct_err / count if task == "regression" else None
    if confusion is not None and labelled:
        out["confusion"] = confusion.reshape(num_classes, num_classes).tolist()
    return out


def _metrics(plan: LossPlan, batch: Batch, task: str, num_classes: int | None, stats: torch.Tensor,
             confusion: torch.Tensor | None) -> None:
    out = batch.outs[plan.primary].float()
    if task == "classification" and batch.y is not None and not batch.y.is_floating_point():
        pred = predictions(out, plan.primary_type)
        if pred is None or pred.shape != batch.y.reshape(-1).shape:
            return
        labels = batch.y.reshape(-1)
        stats[0] += (pred == labels).sum()
        stats[1] += labels.numel()
        if confusion is not None:
            valid = (labels < num_classes) & (pred < num_classes) & (pred >= 0)
            confusion += torch.bincount((labels * num_classes + pred)[valid], minlength=confusion.numel())
    elif task in ("regression", "reconstruction"):
        target = _target(plan, batch, task, out)
        if target is None:
            return
        diff = (out - target).abs()
        stats[2] += diff.sum()
        stats[3] += (diff / target.abs().clamp_min(EPS)).sum()
        stats[4] += diff.numel()


def _target(plan: LossPlan, batch: Batch, task: str, out: torch.Tensor) -> torch.Tensor | None:
    source = "input" if task == "reconstruction" else "label"
    if source == "label" and (batch.y is None or not batch.y.is_floating_point()):
        return None
    try:
        return target_for("mae", out, batch, source, None, "metric").float()
    except ValueError:
        return None
