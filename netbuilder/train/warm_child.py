"""A training child spawned ahead of time, so Start does not wait for imports.

    child = WarmChild()
    child.start()                  # spawn now: it imports torch and the trainer, then waits
    ...
    run = TrainingRun(graph_dict, settings, warm=child)
    run.start()                    # the job goes to the waiting child; no new interpreter

A fresh interpreter spends seconds importing torch, the trainer and (through the
first optimizer) torch._dynamo before it can take a step; a waiting child has
done all that already, so a run reaches its first step in tens of milliseconds.
Each child runs one job and exits (no state carries from one run to the next);
the GUI spawns the next one when a run ends. The child obeys the same rules as
a fresh one: it exits when its parent dies (runner._exit_with_parent) and is a
daemon. Importing this module does not import torch.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
from typing import Any, Callable

from netbuilder.train.runner import RUN, _child_skips_main, _exit_with_parent

CLOSE_WAIT_S = 0.3  # an idle child reads the "no job" word at once; one still importing is terminated


class WarmChild:
    """One spawned child process waiting for one training job."""

    def __init__(self) -> None:
        ctx = mp.get_context("spawn")
        self.events: Any = ctx.Queue()
        self.control: Any = ctx.RawValue("b", RUN)
        self._ready: Any = ctx.RawValue("b", 0)
        self._jobs: Any = ctx.Queue()
        # a child that died without reading its job must not make the parent's exit wait for the pipe
        self._jobs.cancel_join_thread()
        self.process: Any = ctx.Process(target=_warm_main, name="netbuilder-training", daemon=True,
                                        args=(self._jobs, self.events, self.control, self._ready))
        self.taken = False

    def start(self) -> bool:
        """Spawn the child; False when the system refuses a new process."""
        try:
            with _child_skips_main():
                self.process.start()
        except Exception:  # noqa: BLE001 — Start then spawns its own child and reports what is wrong
            return False
        return True

    @property
    def pid(self) -> int | None:
        return self.process.pid

    @property
    def alive(self) -> bool:
        return self.process.pid is not None and self.process.is_alive()

    @property
    def ready(self) -> bool:
        """Alive, with torch and the trainer imported: a job starts at once."""
        return bool(self._ready.value) and self.alive

    def take(self) -> bool:
        """Claim the child for one run; False if it is gone or already claimed."""
        if self.taken or not self.alive:
            return False
        self.taken = True
        return True

    def submit(self, target: Callable[..., Any], args: tuple) -> None:
        """Hand the claimed child its job: it calls target(*args, events, control).
        A queue (not a bare pipe) so a large graph never blocks the caller while the child is
        still importing."""
        self._jobs.put((target, args))

    def close(self) -> None:
        """End an unclaimed child (a claimed one belongs to its TrainingRun). Never raises."""
        if self.taken or self.process.pid is None:
            return
        self.taken = True
        try:
            self._jobs.put(None)
            self.process.join(CLOSE_WAIT_S)
            if self.process.is_alive():
                self.process.terminate()
                self.process.join(1.0)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(1.0)
        except Exception:  # noqa: BLE001 — closing the editor must not fail on a child
            pass

    def __del__(self) -> None:  # an unclaimed child is never left waiting
        try:
            if not self.taken and self.process.pid is not None and self.process.is_alive():
                self.process.kill()
        except Exception:  # noqa: BLE001
            pass


def _prepare() -> None:
    """What every run needs before its first step: torch, the trainer and its helpers, and
    torch._dynamo, which the first optimizer imports (torch 2.13's wrappers of Optimizer.step and
    add_param_group import it on first call, ~1 s), plus one tiny step so autograd and the
    optimizer kernels are loaded. Nothing random is drawn, so a run without a seed is as random here
    as in a fresh child.
    The built-in digits (the default network's data, a text table: ~40 ms to parse, cached by its
    loader) are read too; other data are read by the run."""
    import torch

    import netbuilder.train.trainer  # noqa: F401 — setup, data, losses, metrics, health, checkpoint
    from netbuilder.train import builtin_data, file_data  # noqa: F401 — imported by the first load

    builtin_data.load_digits({})

    weight = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.Adam([weight])
    (weight * 2.0).sum().backward()
    optimizer.step()
    optimizer.zero_grad()


def _warm_main(jobs: Any, events: Any, control: Any, ready: Any) -> None:
    """The child: import, say ready, wait for one job (None: exit) and run it."""
    _exit_with_parent()
    try:
        _prepare()
    except BaseException:  # noqa: BLE001 — the job imports again and reports the real error
        pass
    ready.value = 1
    job = jobs.get()
    if job is not None:
        target, args = job
        target(*args, events, control)  # flushes and closes `events` itself
    _exit_now()


def _exit_now() -> None:
    """The interpreter's own teardown with torch loaded takes about a second of CPU, which the
    next warm child (spawned when a run ends) and the editor need: nothing is left to clean up."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(0)
