"""Validation: loss per term, accuracy, MAE/MAPE and the confusion matrix.

MAPE (the metric `val_mape`, in percent) is 100 · mean |ŷ − y| / |y| over the targets
with |y| > MAPE_ZERO only: a zero target has no percentage error (dividing by an
epsilon there reported 3.28e8 % for a series crossing zero). Zero targets are
skipped; when every target is zero `val_mape` is None. The `mape` *loss* term keeps
its ε-clamped denominator (losses.py), since training needs a value for every sample.

Everything stays on the device; the host sees one transfer per evaluation.
Predictions and per-batch losses are kept and reduced once per pass, not
per batch: on a small network a handful of extra tiny tensor ops per batch
cost more than the forward pass (benchmarks/README.md).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Callable

import torch

from netbuilder.train.losses import EPS, Batch, LossPlan, target_for
from netbuilder.train.rbm import RBMPlan

MAPE_ZERO = 1e-8  # targets at most this far from 0 are left out of val_mape (see the module docstring)


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


def loss_row(reported: torch.Tensor, terms: list[torch.Tensor]) -> tuple[torch.Tensor, ...]:
    """One step's or batch's (total, *terms), detached; a lone term that is
    the total itself is kept once (`row_values` widens it again)."""
    if len(terms) == 1 and terms[0] is reported:
        return (reported.detach(),)
    return (reported.detach(), *[t.detach() for t in terms])


def row_values(rows: list[tuple[torch.Tensor, ...]], width: int) -> list[float]:
    """The rows' values on the host, `width` per row, in one stack and one
    transfer; a row holding only its total (its only term) is widened here,
    in Python, rather than stacking each tensor twice."""
    flat = torch.stack([t for row in rows for t in row]).tolist()
    if len(flat) == len(rows) * width:
        return flat
    out, i = [], 0
    for row in rows:
        out += flat[i:i + len(row)] if len(row) == width else flat[i:i + 1] * width
        i += len(row)
    return out


def evaluate(raw_model: torch.nn.Module, plan: LossPlan | RBMPlan, refs: list[str], batches: Any, task: str,
             num_classes: int | None, autocast: Callable[[], AbstractContextManager],
             confusion: bool = True, forward: Callable[..., Any] | None = None) -> dict[str, Any]:
    """{val_loss, val_terms, val_accuracy, val_mae, val_mape, confusion} over all batches, with the
    compiled graph itself (not a DDP wrapper: evaluation needs no gradient exchange), called
    through `forward` when given (fast_forward.py). The confusion matrix only when asked for
    (only the samples event shows it)."""
    acc = _Pass(len(plan.names) + 1, num_classes if confusion else None)
    was_training = raw_model.training
    raw_model.eval()
    forward = forward or raw_model
    try:
        with torch.no_grad():
            for xb, yb in batches.epoch(0):
                with autocast():
                    result = forward(xb)
                outs = outputs_dict(refs, result, as_float=True)
                batch = Batch(outs, xb, yb, raw_model)
                if isinstance(plan, RBMPlan):
                    _, reported, terms = plan.compute(raw_model, outs[plan.visible_ref])
                else:
                    reported, terms = plan.compute(batch)
                    acc.add_metrics(plan, batch, task)
                acc.losses.append((reported,) if len(terms) == 1 and terms[0] is reported else (reported, *terms))
                acc.sizes.append(len(xb))
    finally:
        raw_model.train(was_training)
    return acc.summary(plan.names, task)


class _Pass:
    """What one validation pass keeps per batch: 0-d loss tensors, correct
    counts, error sums (and predictions and labels for a confusion matrix).
    All of them reach the host in one stack and one transfer at the end:
    the pass costs a few tiny tensor ops in all, not a dozen per batch."""

    def __init__(self, width: int, num_classes: int | None) -> None:
        self.width = width  # total + terms
        self.num_classes = num_classes  # for the confusion matrix; None: not wanted
        self.losses: list[tuple[torch.Tensor, ...]] = []
        self.sizes: list[int] = []
        self.correct: list[torch.Tensor] = []  # per batch, float32 (exact: a batch has < 2^24 samples)
        self.labelled = 0
        self.preds: list[torch.Tensor] = []
        self.labels: list[torch.Tensor] = []
        self.errors: list[torch.Tensor] = []  # per batch: Σ|err|, Σ|err|/|y| over y ≠ 0, count of y ≠ 0
        self.count = 0  # values compared (regression, reconstruction)

    def add_metrics(self, plan: LossPlan, batch: Batch, task: str) -> None:
        out = batch.outs[plan.primary]
        y = batch.y
        if task == "classification" and y is not None and not y.is_floating_point():
            pred = predictions(out, plan.primary_type)
            labels = y if y.dim() == 1 else y.reshape(-1)
            if pred is not None and pred.shape == labels.shape:
                self.correct.append((pred == labels).sum(dtype=torch.float32))
                self.labelled += labels.numel()
                if self.num_classes:
                    self.preds.append(pred)
                    self.labels.append(labels)
        elif task in ("regression", "reconstruction"):
            out = out.float()
            target = _target(plan, batch, task, out)
            if target is None:
                return
            diff = (out - target).abs()
            nonzero = target.abs() > MAPE_ZERO
            ratio = torch.where(nonzero, diff / target.abs().clamp_min(EPS), torch.zeros_like(diff))
            self.errors += [diff.sum(), ratio.sum(), nonzero.sum(dtype=torch.float32)]
            self.count += diff.numel()

    def summary(self, names: list[str], task: str) -> dict[str, Any]:
        """Everything to the host in one transfer; the means and sums finish there, in float64."""
        width, nb, nc = self.width, len(self.sizes), self.num_classes
        scalars = [t for row in self.losses for t in (row if len(row) == width else row * width)]
        scalars += self.errors + self.correct
        values = torch.stack(scalars) if scalars else torch.zeros(0)
        if self.preds and nc:
            pred, labels = _cat(self.preds), _cat(self.labels)
            valid = (labels < nc) & (pred < nc) & (pred >= 0)
            matrix = torch.bincount((labels * nc + pred)[valid], minlength=nc * nc)
            # float32 holds counts exactly up to 2^24
            values = torch.cat([values if self.labelled < 2**24 else values.double(), matrix])
        values = values.tolist()  # the one sync
        n = max(sum(self.sizes), 1)
        means = [sum(values[b * width + j] * k for b, k in enumerate(self.sizes)) / n for j in range(width)]
        at = nb * width
        errors, at = values[at:at + len(self.errors)], at + len(self.errors)
        correct, matrix = values[at:at + len(self.correct)], values[at + len(self.correct):]
        out: dict[str, Any] = {"val_loss": means[0], "val_terms": dict(zip(names, means[1:])),
                               "val_accuracy": None, "val_mae": None, "val_mape": None, "confusion": None}
        if self.labelled:
            out["val_accuracy"] = sum(correct) / self.labelled
            if matrix:
                out["confusion"] = [[int(v) for v in matrix[r * nc:(r + 1) * nc]] for r in range(nc)]
        if self.count and task in ("regression", "reconstruction"):
            out["val_mae"] = sum(errors[0::3]) / self.count
            nonzero = sum(errors[2::3])
            out["val_mape"] = 100.0 * sum(errors[1::3]) / nonzero if task == "regression" and nonzero else None
        return out


def _cat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return tensors[0] if len(tensors) == 1 else torch.cat(tensors)


def _target(plan: LossPlan, batch: Batch, task: str, out: torch.Tensor) -> torch.Tensor | None:
    source = "input" if task == "reconstruction" else "label"
    if source == "label" and (batch.y is None or not batch.y.is_floating_point()):
        return None
    try:
        return target_for("mae", out, batch, source, None, "metric").float()
    except ValueError:
        return None
