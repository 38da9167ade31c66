"""The training loop: a generator of events, no printing, no GUI.

    for event in Trainer(graph_dict, {"epochs": 5}).run():
        print(event.to_dict())

Per-step losses stay on the device: each step appends one small detached
tensor (total + terms) to a list, and the host only looks at them when an
event is due (`step_interval`, a few per second) or at the end of an epoch —
never `.item()` per step. A non-finite loss is found then, with the exact
step and term it first appeared in, and becomes a `failed` event. Any error
is a `failed` event too: `run()` never raises.

A step event is sent when due and at the end of every epoch (so even a run
of a few seconds has a point per epoch); its losses are the means over the
steps since the previous step event, not the last step's.
"""

from __future__ import annotations

import dataclasses
import math
import time
import traceback
from contextlib import nullcontext
from typing import Any, Callable, Iterator

import torch

from netbuilder.train import optim
from netbuilder.train.batches import Shard
from netbuilder.train.checkpoint import save_checkpoint
from netbuilder.train.events import Epoch, Event, Failed, Finished, Health, Paused, Resumed, Started, Stopped
from netbuilder.train.failures import OptimizerOverflow, optimizer_overflow
from netbuilder.train.losses import Batch
from netbuilder.train.fast_forward import direct_forward, inline_activations
from netbuilder.train.health import HealthMonitor, default_interval
from netbuilder.train.loss_sync import LossSync
from netbuilder.train.metrics import evaluate, loss_row, outputs_dict
from netbuilder.train.rbm import RBMPlan
from netbuilder.train.settings import resolve_settings
from netbuilder.train.setup import USER_ERRORS, Setup, build
from netbuilder.train.stopping import EarlyStopping

# the checkpoint's history: the curves, not the layer health (too big, and only for the live views)
_HISTORY_KEYS = tuple(f.name for f in dataclasses.fields(Epoch) if f.name not in ("replayed", "layers", "diagnostics"))
MAX_PENDING = 4096  # steps kept on the device before a silent sync (bounds memory on huge epochs)


class Trainer(LossSync):
    """Train `graph` (a Graph or its file dict) with `settings` over the graph's
    training block. `control()` (optional) returns "run", "pause" or "stop" and
    is asked once per step; `distributed` is a distributed.Context under DDP. `health_every`:
    sample layer health every K steps (None: health.default_interval, 0: off). The step losses'
    sync, NaN check and step/health events are loss_sync.LossSync's."""

    def __init__(self, graph: Any, settings: dict[str, Any] | None = None, *, resume: Any = None,
                 control: Callable[[], str] | None = None, distributed: Any = None,
                 health_every: int | None = None) -> None:
        if not isinstance(graph, dict):
            from netbuilder.core.io import graph_to_dict

            graph = graph_to_dict(graph)
        self.graph_dict = graph
        self.overrides = dict(settings or {})
        self.resume = resume
        self.control = control
        self.dist = distributed
        if distributed is not None:
            self.overrides["device"] = distributed.device  # one device per process
        self.setup: Setup | None = None
        self.history: list[dict[str, Any]] = []
        self.step = 0
        self.epoch = 0
        self._pending: list[tuple[torch.Tensor, ...]] = []  # per step: metrics.loss_row(total, terms)
        # (step, total loss) of the run's first step and of the latest synced one, for the NaN message
        self._first_loss: tuple[int, float] | None = None
        self._last_loss: tuple[int, float] | None = None
        self._paused_s = 0.0
        self.health_every = health_every
        self.health: HealthMonitor | None = None
        self._epoch_health: list[dict[str, Any]] = []  # this epoch's health samples, on the host
        self._unsent: list[dict[str, Any]] = []  # of those, the ones no health event carried yet

    # ----------------------------------------------------------------- API
    def run(self) -> Iterator[Event]:
        threads = torch.get_num_threads()
        try:
            yield from self._run()
        except USER_ERRORS as exc:
            yield Failed(str(exc), None, "error")
        except MemoryError:
            yield Failed("out of memory", self.step or None, "oom")
        except Exception as exc:  # noqa: BLE001 — every failure is an event
            oom = isinstance(exc, getattr(torch, "OutOfMemoryError", ())) or "out of memory" in str(exc)
            yield Failed(_first_line(exc), self.step or None, "oom" if oom else "error",
                         detail=traceback.format_exc(limit=8))
        finally:
            torch.set_num_threads(threads)

    @property
    def model(self) -> torch.nn.Module | None:
        return self.setup.model if self.setup else None

    # ---------------------------------------------------------------- loop
    def _run(self) -> Iterator[Event]:
        settings = resolve_settings(self.graph_dict, self.overrides)
        shard = self.dist.shard if self.dist else Shard()
        self.setup = s = build(self.graph_dict, settings, self.resume, shard)
        if s.threads:
            torch.set_num_threads(s.threads)
        self.manual_allreduce = self.dist is not None and isinstance(s.plan, RBMPlan)
        self.net = s.model
        # the forward the loop calls: a leaner view of s.model (same weights), or the DDP wrapper
        self._fast = inline_activations(s.model) if self.dist is None else None
        self._forward: Callable[..., Any] = s.model
        if self.dist is not None and not self.manual_allreduce:
            from netbuilder.train.distributed import weights_off_the_loss_path

            loss_refs = [r for t in s.plan.terms for r in t.reads] or s.plan.refs
            self.net = self.dist.wrap(s.model, weights_off_the_loss_path(s.graph, s.model, loss_refs))
        self.amp = settings["amp"] and s.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp) if self.amp else None
        if self.scaler is not None and s.resume.get("scaler"):
            self.scaler.load_state_dict(s.resume["scaler"])
        self.stopper = EarlyStopping(settings["early_stopping"])
        start_epoch = int(s.resume.get("epoch", 0))
        self.step = int(s.resume.get("step", 0))
        self.history = list(s.resume.get("history", []))
        self.stopper.restore(s.resume.get("best") or {}, s.resume.get("best_weights"), s.device)
        self.total_steps = settings["epochs"] * len(s.train)
        every = next((v for v in (self.health_every, settings["health_every"]) if v is not None), None)
        every = default_interval(len(s.train)) if every is None else every
        if every and self._is_main:
            self.health = HealthMonitor(s.model, s.graph.topological_order(), every)
        self.t0 = time.perf_counter()
        # since the last step event: time, samples, loss sums (total + terms), steps
        self._win_t, self._win_samples, self._win_sum, self._win_steps = self.t0, 0, [], 0
        yield self._started(start_epoch)
        for past in self.history:
            yield Epoch(**{**past, "replayed": True})
        stopped_early = False
        for epoch in range(start_epoch + 1, settings["epochs"] + 1):
            self.epoch = epoch
            outcome = yield from self._train_epoch(epoch)
            if outcome is not None:
                yield outcome
                return
            event = self._end_epoch(epoch)
            yield event
            if self.health is not None:
                yield Health(epoch, self._unsent, event.diagnostics, histograms=self.health.histograms())
            if s.samples is not None and self._is_main:
                yield s.samples.make(s.model, s.refs, epoch, self._confusion)
            if not all(math.isfinite(v) for v in (event.train_loss, event.val_loss or 0.0)):
                yield self._nan_failure(None, "the validation loss")
                return
            optim.step_scheduler(s.scheduler, event.val_loss, event.train_loss)
            if self.stopper.update(self.history[-1], epoch, s.model):
                stopped_early = True
            self._save(epoch)
            if stopped_early:
                break
        if self.stopper.restore_weights(s.model):
            self._save(self.epoch)
        yield Finished(self.epoch - start_epoch if self.epoch else 0, self.stopper.best_val_loss, stopped_early,
                       settings["checkpoint"], self.stopper.best_epoch)

    def _started(self, start_epoch: int) -> Started:
        s = self.setup
        names = s.plan.names
        return Started(s.settings["epochs"], len(s.train), str(s.device), s.task, s.input_shape,
                       s.data.num_classes if s.task == "classification" else None, s.data.class_names,
                       list(s.data.image_shape) if s.data.image_shape else None, start_epoch,
                       s.train.num_samples, 0 if s.val is None else s.val.num_samples, names, self.amp)

    @property
    def _is_main(self) -> bool:
        return self.dist is None or self.dist.rank == 0

    def _train_epoch(self, epoch: int) -> Iterator[Event]:
        """Yields step events; returns a terminal event (failed/stopped) or None."""
        s = self.setup
        self.epoch_sum: list[float] = []
        self.epoch_steps = 0
        self._epoch_health = []
        if not s.model.training:  # evaluate() puts training mode back; train() walks every module
            s.model.train()
        self._forward = direct_forward(self._fast) if self._fast is not None else self.net
        params = [p for g in s.optimizer.param_groups for p in g["params"]]
        interval = s.settings["step_interval"]
        for xb, yb in s.train.epoch(epoch):
            if s.augment is not None:
                xb = s.augment(xb)  # on the device, training batches only
            if self.control is not None:
                terminal = yield from self._obey()
                if terminal is not None:
                    return terminal
            try:
                self._one_step(xb, yb, params)
            except OptimizerOverflow as exc:
                yield from self._health_event(epoch, failed=True)
                return self._sync() or optimizer_overflow(self.step + 1, epoch, exc.__cause__ or exc, s.optimizer)
            self._win_samples += len(xb)
            due = time.perf_counter() - self._win_t >= interval or self.step == 1
            if due or len(self._pending) >= MAX_PENDING:
                failure = self._sync()
                if failure is not None:
                    yield from self._health_event(epoch, failed=True)  # what the gradients did
                    return failure
                if due and self._is_main:
                    yield self._step_event(epoch)
                    yield from self._health_event(epoch)
        failure = self._sync()
        if failure is not None:
            yield from self._health_event(epoch, failed=True)
        if failure is None and self._win_steps and self._is_main:
            # close the window at the epoch's end (the losses were just synced anyway): a fast
            # run still gets a step point per epoch, and no window straddles two epochs
            yield self._step_event(epoch)
        return failure

    def _one_step(self, xb: torch.Tensor, yb: torch.Tensor | None, params: list) -> None:
        s = self.setup
        sample = self.health is not None and self.health.due(self.step + 1)
        forward = self._forward
        if sample:  # the model itself, not the lean view: the activation modules' hooks fire
            self.health.attach()
            forward = s.model if self.dist is None else self.net
        try:
            if self.amp:
                with torch.autocast("cuda", dtype=torch.float16):
                    result = forward(xb)
            else:
                result = forward(xb)
        finally:
            if sample:
                self.health.detach_hooks()
        # losses in float32, outside autocast (binary_cross_entropy refuses to run under it)
        outs = outputs_dict(s.refs, result, as_float=self.amp)
        if isinstance(s.plan, RBMPlan):
            objective, reported, terms = s.plan.compute(s.model, outs[s.plan.visible_ref])
        else:
            objective, terms = s.plan.compute(Batch(outs, xb, yb, s.model))
            reported = objective
        s.optimizer.zero_grad(set_to_none=True)
        try:
            self._update(objective, params, sample)
        except RuntimeError as exc:
            if "overflow" not in str(exc):
                raise
            raise OptimizerOverflow(str(exc)) from exc
        # detached values only; _sync stacks them all at once (a stack per step
        # cost ~10 µs, 2% of a small MLP's CPU step — benchmarks/README.md)
        self._pending.append(loss_row(reported, terms))
        self.step += 1

    def _update(self, objective: torch.Tensor, params: list, sample: bool = False) -> None:
        """Backward and optimizer step (scaled under AMP, averaged by hand for the RBM under DDP);
        on a health `sample` step, the gradients before clipping and the update are measured."""
        s = self.setup
        if self.scaler is not None:
            self.scaler.scale(objective).backward()
            if s.settings["grad_clip"] or sample:
                self.scaler.unscale_(s.optimizer)
            if sample:
                self.health.grads()
            if s.settings["grad_clip"]:
                optim.clip_gradients(params, s.settings["grad_clip"])
            self.scaler.step(s.optimizer)
            self.scaler.update()
        else:
            objective.backward()
            if self.manual_allreduce:
                self.dist.average_gradients(params)
            if sample:
                self.health.grads()
            if s.settings["grad_clip"]:
                optim.clip_gradients(params, s.settings["grad_clip"])
            s.optimizer.step()
        if sample:
            self.health.updates(self.step + 1)

    # ------------------------------------------------------------ epoch end
    def _end_epoch(self, epoch: int) -> Epoch:
        s = self.setup
        sums = self.epoch_sum or [math.nan] * (len(s.plan.names) + 1)
        count = self.epoch_steps
        if self.dist is not None:
            sums, count = self.dist.average(sums, count)
        train = [v / max(count, 1) for v in sums]
        autocast = (lambda: torch.autocast("cuda", dtype=torch.float16)) if self.amp else nullcontext
        val: dict[str, Any] = {"val_loss": None, "val_terms": {}, "val_accuracy": None, "val_mae": None,
                               "val_mape": None, "confusion": None}
        if s.val is not None:
            val = evaluate(s.model, s.plan, s.refs, s.val, s.task, s.data.num_classes, autocast,
                           confusion=s.samples is not None,
                           forward=direct_forward(self._fast) if self._fast is not None else None)
        self._confusion = val.pop("confusion")
        layers, diagnostics = self._epoch_summary()
        event = Epoch(epoch, s.settings["epochs"], train[0], val["val_loss"], val["val_accuracy"], val["val_mae"],
                      val["val_mape"], dict(zip(s.plan.names, train[1:])), s.optimizer.param_groups[0]["lr"],
                      time.perf_counter() - self.t0 - self._paused_s, val["val_terms"], layers=layers,
                      diagnostics=diagnostics)
        # what to_dict() would give, less "event" and "replayed", without its generic walk
        self.history.append({k: dict(v) if isinstance(v, dict) else v for k in _HISTORY_KEYS
                             for v in (getattr(event, k),)})
        return event

    def _epoch_summary(self) -> tuple[dict[str, dict[str, float]], list[dict[str, str]]]:
        if self.health is None:
            return {}, []
        self._unsent = self.health.flush()  # sent with the epoch-end health event
        self._epoch_health += self._unsent
        return self.health.summary(self._epoch_health)

    def _save(self, epoch: int) -> str | None:
        s = self.setup
        path = s.settings["checkpoint"]
        if not path or not self._is_main:
            return None
        std = None
        if s.prep.mean is not None:
            std = {"mean": s.prep.mean, "std": s.prep.std}
        save_checkpoint(path, graph=s.graph_dict, settings=s.settings, model=s.model, optimizer=s.optimizer,
                        scheduler=s.scheduler, scaler=self.scaler, epoch=epoch, step=self.step,
                        history=self.history, best=self.stopper.state(), best_weights=self.stopper.weights(),
                        standardize=std)
        return path

    # -------------------------------------------------------- pause / stop
    def _obey(self) -> Iterator[Event]:
        """Follow control(): pause (yield Paused, wait), resume, or stop."""
        state = self.control()
        if state == "run":
            return None
        if state == "pause":
            yield Paused(self.epoch, self.step)
            began = time.perf_counter()
            while (state := self.control()) == "pause":
                time.sleep(0.05)
            self._paused_s += time.perf_counter() - began
            self._win_t, self._win_samples = time.perf_counter(), 0
            if state != "stop":
                yield Resumed(self.epoch, self.step)
                return None
        failure = self._sync()
        if failure is not None:
            return failure
        checkpoint = self._save(self.epoch - 1) if self.epoch > 1 else None
        return Stopped(self.epoch, self.step, checkpoint)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
