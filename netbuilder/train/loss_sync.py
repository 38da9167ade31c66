"""The Trainer's host side of the step losses: one transfer per sync, NaN found, step/health events.

A mixin of trainer.Trainer, kept apart so trainer.py reads as the loop itself. The loop appends one
detached row per step to `_pending` (metrics.loss_row) and calls `_sync` only when an event is due
or MAX_PENDING rows wait: a `.item()` per step would stall the device every step. `_sync` finds the
exact step and term of a first non-finite loss; `_step_event` reports the means since the previous
step event, not the last step's.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Iterator

import torch

from netbuilder.train.events import Failed, Health, Step
from netbuilder.train.failures import data_is_finite, non_finite_loss
from netbuilder.train.metrics import row_values

if TYPE_CHECKING:  # only for the annotations: the Trainer sets these up in _run
    from netbuilder.train.health import HealthMonitor
    from netbuilder.train.setup import Setup


class LossSync:
    """Mixed into Trainer; reads and updates the loop's counters and loss windows (see trainer.py)."""

    setup: Setup | None
    health: HealthMonitor | None
    step: int
    epoch: int
    total_steps: int
    t0: float
    epoch_sum: list[float]
    epoch_steps: int
    _pending: list[tuple[torch.Tensor, ...]]
    _first_loss: tuple[int, float] | None
    _last_loss: tuple[int, float] | None
    _paused_s: float
    _epoch_health: list[dict[str, Any]]
    _win_t: float
    _win_samples: int
    _win_sum: list[float]
    _win_steps: int

    def _sync(self) -> Failed | None:
        """Bring the pending step losses to the host (one transfer)."""
        if not self._pending:
            return None
        pending, self._pending = self._pending, []
        names = self.setup.plan.names
        width, n = len(names) + 1, len(pending)
        # one stack and one transfer; the rest is Python on a few floats (each tiny tensor op
        # here cost more than the whole check: benchmarks/README.md)
        values = row_values(pending, width)
        first_step = self.step - n + 1
        if not math.isfinite(sum(values)):  # a float64 sum of float32 values is finite iff all are
            bad = next(i for i, v in enumerate(values) if not math.isfinite(v))
            row = bad // width
            term = next((names[c - 1] for c in range(1, width) if not math.isfinite(values[row * width + c])),
                        "the total loss")
            if row:
                self._note_losses(first_step, values[:row * width], width)
            return self._nan_failure(first_step + row, term)
        self._note_losses(first_step, values, width)
        sums = [sum(values[c::width]) for c in range(width)]
        self.epoch_sum = _add(self.epoch_sum, sums)
        self.epoch_steps += n
        self._win_sum, self._win_steps = _add(self._win_sum, sums), self._win_steps + n
        return None

    def _note_losses(self, first_step: int, values: list[float], width: int) -> None:
        """The first and the latest finite total loss, (step, value), for the NaN message."""
        if self._first_loss is None:
            self._first_loss = (first_step, values[0])
        self._last_loss = (first_step + len(values) // width - 1, values[-width])

    def _nan_failure(self, step: int | None, term: str) -> Failed:
        s = self.setup
        lr = s.optimizer.param_groups[0]["lr"]
        return non_finite_loss(step, self.epoch, term, self._first_loss, self._last_loss, lr,
                               data_is_finite(s.train) if step is not None else None)

    def _step_event(self, epoch: int) -> Step:
        s = self.setup
        now = time.perf_counter()
        values = [v / self._win_steps for v in self._win_sum] if self._win_steps else \
            [math.nan] * (len(s.plan.names) + 1)
        elapsed = now - self.t0 - self._paused_s
        done = self.step - int(s.resume.get("step", 0))
        remaining = self.total_steps - self.step
        eta = elapsed / done * remaining if done else None
        event = Step(self.step, epoch, min(1.0, self.step / max(self.total_steps, 1)), values[0],
                     dict(zip(s.plan.names, values[1:])), self._win_samples / max(now - self._win_t, 1e-9), eta)
        self._win_t, self._win_samples, self._win_sum, self._win_steps = now, 0, [], 0
        return event

    def _health_event(self, epoch: int, failed: bool = False) -> Iterator[Health]:
        """The health samples since the last one (one transfer), with this epoch's diagnostics so far;
        after a failure, with the last step's gradients too."""
        if self.health is None:
            return
        if failed:
            self.health.post_mortem(self.step)
        samples = self.health.flush()
        if samples:
            self._epoch_health += samples
            yield Health(epoch, samples, self.health.summary(self._epoch_health)[1])


def _add(a: list[float], b: list[float]) -> list[float]:
    return b if not a else [x + y for x, y in zip(a, b)]
