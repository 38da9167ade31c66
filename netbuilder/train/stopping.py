"""Early stopping on a monitored metric, with patience and best-weights restore.

Also tracks the best validation loss of the run (for the `finished` event)
whether early stopping is on or not.
"""

from __future__ import annotations

import math
from typing import Any

import torch


class EarlyStopping:
    def __init__(self, config: dict[str, Any] | None) -> None:
        self.config = config
        self.monitor = config["monitor"] if config else "val_loss"
        self.maximize = self.monitor == "val_accuracy"
        self.best_value: float | None = None  # of the monitored metric
        self.best_epoch: int | None = None
        self.best_val_loss: float | None = None
        self.bad_epochs = 0
        self.best_weights: dict[str, torch.Tensor] | None = None
        self.restored = False

    def update(self, epoch_event: dict[str, Any], epoch: int, model: torch.nn.Module) -> bool:
        """Record an epoch; True when training should stop now."""
        val_loss = epoch_event.get("val_loss")
        if _finite(val_loss) and (self.best_val_loss is None or val_loss < self.best_val_loss):
            self.best_val_loss = val_loss
        value = epoch_event.get(self.monitor)
        if value is None and self.monitor == "val_loss":
            value = epoch_event.get("train_loss")  # no validation split: watch the training loss
        if not _finite(value):
            return False
        if self._improved(value):
            self.best_value, self.best_epoch, self.bad_epochs = value, epoch, 0
            if self.config and self.config["restore_best"]:
                self.best_weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
            return False
        self.bad_epochs += 1
        return bool(self.config) and self.bad_epochs >= self.config["patience"]

    def _improved(self, value: float) -> bool:
        if self.best_value is None:
            return True
        delta = self.config["min_delta"] if self.config else 0.0
        return value > self.best_value + delta if self.maximize else value < self.best_value - delta

    def restore_weights(self, model: torch.nn.Module) -> bool:
        """Put the best epoch's weights back (restore_best); True when changed."""
        if self.best_weights is None or self.restored or self.bad_epochs == 0:
            return False
        model.load_state_dict(self.best_weights)
        self.restored = True
        return True

    def state(self) -> dict[str, Any]:
        """The record a checkpoint keeps (JSON); the best weights go next to it (`weights()`)."""
        return {"best_value": self.best_value, "best_epoch": self.best_epoch, "best_val_loss": self.best_val_loss,
                "bad_epochs": self.bad_epochs}

    def weights(self) -> dict[str, torch.Tensor] | None:
        """The best epoch's weights (restore_best), for the checkpoint: a run
        stopped and resumed must still be able to put them back at the end."""
        return self.best_weights

    def restore(self, state: dict[str, Any], best_weights: dict[str, torch.Tensor] | None = None,
                device: torch.device | None = None) -> None:
        """Continue from a checkpoint's record and best weights (absent in
        checkpoints from before they were kept: then there is nothing to restore)."""
        self.best_value = state.get("best_value")
        self.best_epoch = state.get("best_epoch")
        self.best_val_loss = state.get("best_val_loss")
        self.bad_epochs = int(state.get("bad_epochs") or 0)
        if best_weights and self.config and self.config["restore_best"]:
            self.best_weights = {k: v.to(device) if device is not None else v for k, v in best_weights.items()}


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)
