"""A Lightning-style training loop, written here without the dependency.

It reproduces the per-step machinery that makes such frameworks convenient:
a DataLoader over a TensorDataset (per-sample indexing and collation), a
batch-to-device hook, every hook called on the module and on each callback
inside a profiler context, the optimizer step through a closure, `self.log`
into metric objects (running means and accuracy, torchmetrics-style), and a
progress bar reading the logged values (`.item()`) after each step.
Used by bench_training.py as the "framework" baseline.
"""

from __future__ import annotations

import time
from contextlib import nullcontext
from typing import Any

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

CLOCK = time.perf_counter  # bench_training.py --clock cpu sets time.thread_time

HOOKS = ("on_fit_start", "on_train_epoch_start", "on_train_batch_start", "on_before_zero_grad",
         "on_before_backward", "on_after_backward", "on_before_optimizer_step", "on_train_batch_end",
         "on_train_epoch_end", "on_validation_epoch_start", "on_validation_batch_start",
         "on_validation_batch_end", "on_validation_epoch_end", "on_fit_end")


class MeanMetric:
    """Weighted running mean kept as tensors (torchmetrics' MeanMetric)."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total, self.weight = torch.zeros((), dtype=torch.float64), torch.zeros((), dtype=torch.float64)

    def update(self, value: torch.Tensor, weight: float = 1.0) -> None:
        self.total += value.detach().double() * weight
        self.weight += weight

    def compute(self) -> torch.Tensor:
        return self.total / self.weight.clamp_min(1)


class Accuracy(MeanMetric):
    def update(self, logits: torch.Tensor, target: torch.Tensor) -> None:  # type: ignore[override]
        self.total += (logits.argmax(1) == target).sum()
        self.weight += target.numel()


class Callback:
    """Every hook, doing nothing — like a user's callback that overrides one."""


for _hook in HOOKS:
    setattr(Callback, _hook, lambda self, *args, **kwargs: None)


class ProgressBar(Callback):
    def __init__(self) -> None:
        self.shown: dict[str, float] = {}

    def on_train_batch_end(self, trainer: "MiniTrainer", module: "LitModule", *args: Any) -> None:
        self.shown = {k: float(v.item()) for k, v in trainer.progress_metrics().items()}


class LitModule(torch.nn.Module):
    """A LightningModule: the net plus training_step / validation_step."""

    def __init__(self, net: torch.nn.Module, lr: float) -> None:
        super().__init__()
        self.net, self.lr = net, lr
        self.trainer: MiniTrainer | None = None
        self.train_loss, self.val_loss, self.val_acc = MeanMetric(), MeanMetric(), Accuracy()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def log(self, name: str, value: torch.Tensor, prog_bar: bool = False) -> None:
        assert self.trainer is not None
        self.trainer.logged[name] = (value.detach(), prog_bar)

    def training_step(self, batch: tuple, batch_idx: int) -> torch.Tensor:
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.train_loss.update(loss, len(x))
        self.log("train_loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch: tuple, batch_idx: int) -> None:
        x, y = batch
        out = self(x)
        self.val_loss.update(F.cross_entropy(out, y), len(x))
        self.val_acc.update(out, y)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.Adam(self.parameters(), lr=self.lr)


for _hook in HOOKS:
    setattr(LitModule, _hook, lambda self, *args, **kwargs: None)


class MiniTrainer:
    def __init__(self, max_epochs: int, callbacks: list[Callback]) -> None:
        self.max_epochs, self.callbacks = max_epochs, callbacks
        self.logged: dict[str, tuple[torch.Tensor, bool]] = {}
        self.epoch_metrics: list[dict[str, float]] = []

    def profile(self, name: str) -> Any:
        return nullcontext()  # the PassThroughProfiler

    def call(self, hook: str, module: LitModule, *args: Any) -> None:
        with self.profile(f"[LightningModule]{type(module).__name__}.{hook}"):
            getattr(module, hook)(*args)
        for cb in self.callbacks:
            with self.profile(f"[Callback]{type(cb).__name__}.{hook}"):
                getattr(cb, hook)(self, module, *args)

    def progress_metrics(self) -> dict[str, torch.Tensor]:
        return {k: v for k, (v, bar) in self.logged.items() if bar}

    @staticmethod
    def to_device(batch: list, device: torch.device) -> tuple:
        return tuple(t.to(device) for t in batch)

    def fit(self, module: LitModule, train: DataLoader, val: DataLoader) -> list[float]:
        module.trainer = self
        device = next(module.parameters()).device
        opt = module.configure_optimizers()
        self.call("on_fit_start", module)
        times, t = [], CLOCK()
        for epoch in range(self.max_epochs):
            module.train()
            module.train_loss.reset()
            self.call("on_train_epoch_start", module)
            for i, batch in enumerate(train):
                batch = self.to_device(batch, device)
                self.call("on_train_batch_start", module, batch, i)
                holder: dict[str, torch.Tensor] = {}

                def closure() -> torch.Tensor:
                    loss = module.training_step(batch, i)
                    self.call("on_before_zero_grad", module, opt)
                    opt.zero_grad(set_to_none=True)
                    self.call("on_before_backward", module, loss)
                    loss.backward()
                    self.call("on_after_backward", module)
                    holder["loss"] = loss
                    return loss

                self.call("on_before_optimizer_step", module, opt)
                opt.step(closure)
                self.call("on_train_batch_end", module, holder["loss"], batch, i)
            self.call("on_train_epoch_end", module)
            self._validate(module, val, device)
            self.epoch_metrics.append({"train_loss": float(module.train_loss.compute()),
                                       "val_loss": float(module.val_loss.compute()),
                                       "val_acc": float(module.val_acc.compute())})
            now = CLOCK()
            times.append(now - t)
            t = now
        self.call("on_fit_end", module)
        return times

    def _validate(self, module: LitModule, val: DataLoader, device: torch.device) -> None:
        module.eval()
        module.val_loss.reset()
        module.val_acc.reset()
        self.call("on_validation_epoch_start", module)
        with torch.no_grad():
            for i, batch in enumerate(val):
                batch = self.to_device(batch, device)
                self.call("on_validation_batch_start", module, batch, i)
                module.validation_step(batch, i)
                self.call("on_validation_batch_end", module, None, batch, i)
        self.call("on_validation_epoch_end", module)


def fit(net: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, xv: torch.Tensor, yv: torch.Tensor, *,
        epochs: int, batch_size: int, lr: float) -> list[float]:
    """Epoch durations of a Lightning-style run over the given split."""
    gen = torch.Generator().manual_seed(0)
    train = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, generator=gen)
    val = DataLoader(TensorDataset(xv, yv), batch_size=256)
    trainer = MiniTrainer(epochs, [ProgressBar(), Callback()])
    return trainer.fit(LitModule(net, lr), train, val)
