"""Run a Trainer in a spawned child process and stream its events.

    run = TrainingRun(graph_dict, {"epochs": 5})
    run.start()
    while run.running:
        for event in run.poll():   # plain dicts, as Event.to_dict()
            ...
    run.stop()

The child is started with the "spawn" context (safe with CUDA and with a Qt
parent), gets the graph as a dict and sends event dicts over a queue. It
does not import the parent's `__main__` (which spawn does by default): it
needs nothing from it, and a parent run from stdin (`python -`), an
interactive session or a script without a `__name__` guard would otherwise
make the child fail, or train twice. With `warm=` (a warm_child.WarmChild
spawned ahead, torch already imported) the job goes to that waiting child
instead, so Start skips seconds of imports. Pause,
resume and stop are a shared byte the trainer reads once per step (a memory
read, no system call). A crash, an exception or a killed child becomes a
`failed` event: the parent never raises. Importing this module does not
import torch; the helpers the GUI calls (`resolve_settings`,
`available_devices`, `default_loss_terms`) are cheap.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import platform
import queue
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from typing import Any, Iterator

from netbuilder.train.settings import file_checkpoint_path, resolve_settings

__all__ = ["TrainingRun", "resolve_settings", "available_devices", "default_loss_terms"]

RUN, PAUSE, STOP = 0, 1, 2
TERMINAL = ("finished", "failed", "stopped")
_STATES = {RUN: "run", PAUSE: "pause", STOP: "stop"}


def available_devices() -> list[str]:
    """Devices for the GUI's list. Asks torch only if it is already imported
    (importing it takes seconds); otherwise looks for an NVIDIA driver or
    Apple silicon. Training reports a clear error for an unusable choice."""
    devices = ["auto", "cpu"]
    torch = sys.modules.get("torch")
    if torch is not None:
        devices += [f"cuda:{i}" if i else "cuda" for i in range(torch.cuda.device_count())]
        backend = getattr(torch.backends, "mps", None)
        if backend is not None and backend.is_available():
            devices.append("mps")
        return devices
    if os.path.exists("/dev/nvidiactl") or os.path.exists("/proc/driver/nvidia/version"):
        devices.append("cuda")
    if sys.platform == "darwin" and platform.machine() == "arm64":
        devices.append("mps")
    return devices


def default_loss_terms(graph: Any, task: str | None = None) -> list[dict[str, Any]]:
    """cross_entropy for classification, mse for regression, reconstruction
    (+ kl_gaussian per Sampling node) for reconstruction; [] for rbm_cd."""
    from netbuilder.train.loss_defaults import default_loss_terms as terms  # no torch

    return terms(graph, task)


def confine_checkpoint(settings: dict[str, Any], graph_file: str | os.PathLike | None) -> dict[str, Any]:
    """The CLI's rule for the GUI's runs: a checkpoint path the user did not choose (one that came
    with the graph, "checkpoint_chosen" not True) is resolved beside `graph_file` (the current
    folder for an unsaved graph) and may never lead outside it; SettingsError otherwise. Checked
    here, in the parent, so a bad path is refused before a child starts."""
    value = settings.get("checkpoint")
    if value is None or value == "" or settings.get("checkpoint_chosen") is True:
        return settings
    return {**settings, "checkpoint": file_checkpoint_path(value, graph_file), "checkpoint_chosen": True}


class TrainingRun:
    def __init__(self, graph_dict: dict[str, Any], settings: dict[str, Any] | None = None,
                 resume: str | None = None, graph_file: str | os.PathLike | None = None,
                 warm: Any = None) -> None:
        self.graph_dict = graph_dict
        self._warm = warm  # a warm_child.WarmChild spawned ahead: start() hands it the job
        # the rule applies to a path that came with a graph file; a path typed into the form is the user's own
        self.settings = dict(settings or {}) if graph_file is None else confine_checkpoint(dict(settings or {}),
                                                                                          graph_file)
        self.resume_from = resume
        self._ctx = mp.get_context("spawn")
        self._process: Any = None
        self._queue: Any = None
        self._control: Any = None
        self._pending: list[dict[str, Any]] = []
        self._ended = False  # a terminal event was handed out, or stop() finished
        self._terminal_seen = False

    # ---------------------------------------------------------------- control
    def start(self) -> None:
        if self._process is not None:
            raise RuntimeError("this TrainingRun was already started; make a new one")
        if self._warm is not None and self._adopt(self._warm):
            return
        self._queue = self._ctx.Queue()
        self._control = self._ctx.RawValue("b", RUN)
        self._process = self._ctx.Process(target=_child_main, name="netbuilder-training", daemon=True,
                                          args=(self.graph_dict, self.settings, self.resume_from, self._queue,
                                                self._control))
        try:
            with _child_skips_main():
                self._process.start()
        except Exception as exc:  # noqa: BLE001 — e.g. no more processes allowed
            self._pending.append(_failed(f"could not start the training process: {exc}"))
            self._terminal_seen = True

    def _adopt(self, warm: Any) -> bool:
        """Run in a child spawned ahead (torch already imported); False if it is gone, and then
        start() spawns a fresh one. `_child_main` is looked up now, as for a fresh child."""
        if not warm.take():
            return False
        try:
            warm.submit(_child_main, (self.graph_dict, self.settings, self.resume_from))
        except Exception:  # noqa: BLE001 — e.g. its pipe is closed: a fresh child does the job
            warm.process.kill()
            return False
        self._process, self._queue, self._control = warm.process, warm.events, warm.control
        return True

    def pause(self) -> None:
        if self._control is not None and self._control.value == RUN:
            self._control.value = PAUSE

    def resume(self) -> None:
        if self._control is not None and self._control.value == PAUSE:
            self._control.value = RUN

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the child to stop (it saves a checkpoint when configured), wait
        up to `timeout` seconds, then terminate it. Never raises."""
        if self._process is None:
            self._ended = True
            return
        self._control.value = STOP
        deadline = time.monotonic() + max(timeout, 0.0)
        while self._process.is_alive() and time.monotonic() < deadline:
            self._drain()  # a full pipe would keep the child from exiting
            self._process.join(0.05)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(1.0)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(1.0)
        self._drain()
        if not self._terminal_seen:
            self._pending.append({"event": "stopped", "epoch": None, "step": None, "checkpoint": None})
            self._terminal_seen = True
        self._ended = True

    # ----------------------------------------------------------------- events
    def poll(self, max_events: int = 1000) -> list[dict[str, Any]]:
        """Events received since the last call (non-blocking)."""
        self._drain(max_events)
        if self._process is not None and not self._process.is_alive() and not self._terminal_seen:
            self._drain()
            if not self._terminal_seen:
                code = self._process.exitcode
                self._pending.append(_failed(f"the training process ended unexpectedly (exit code {code})"))
                self._terminal_seen = True
        out, self._pending = self._pending[:max_events], self._pending[max_events:]
        if any(e.get("event") in TERMINAL for e in out):
            self._ended = True
        return out

    @property
    def running(self) -> bool:
        """True from start() until a terminal event (finished, failed,
        stopped) has been handed out by poll(), or stop() returned."""
        if self._process is None or self._ended:
            return False
        if self._process.is_alive():
            return True
        self._drain()
        return bool(self._pending) or not self._terminal_seen

    @property
    def pid(self) -> int | None:
        """The training child's process id (None before start())."""
        return self._process.pid if self._process is not None else None

    @property
    def paused(self) -> bool:
        return self._control is not None and self._control.value == PAUSE

    def _drain(self, limit: int = 1_000_000) -> None:
        if self._queue is None:
            return
        for _ in range(limit):
            try:
                event = self._queue.get_nowait()
            except (queue.Empty, EOFError, OSError, ValueError):
                return
            if event.get("event") in TERMINAL:
                if self._terminal_seen:
                    continue
                self._terminal_seen = True
            self._pending.append(event)

    def __del__(self) -> None:  # never leave an orphan child training
        try:
            if self._process is not None and self._process.is_alive():
                self._process.kill()
        except Exception:  # noqa: BLE001
            pass


_MAIN_LOCK = threading.Lock()


@contextmanager
def _child_skips_main() -> Iterator[None]:
    """Hide the parent's __main__ from spawn while a child starts.

    spawn records `__main__.__spec__.name` or `__main__.__file__` and the
    child imports that module first. The child runs `_child_main` from this
    package with plain data, so it needs nothing from there, and the import
    breaks it when the parent runs from stdin (`__file__` is '<stdin>', no
    such file) or re-runs a script that has no `if __name__ == "__main__"`
    guard. Without both attributes spawn leaves __main__ alone.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    missing = object()
    with _MAIN_LOCK:
        saved = {name: getattr(main, name, missing) for name in ("__spec__", "__file__")}
        try:
            main.__spec__ = None
            if saved["__file__"] is not missing:
                del main.__file__
            yield
        finally:
            for name, value in saved.items():
                if value is not missing:
                    setattr(main, name, value)


def _failed(message: str, kind: str = "error") -> dict[str, Any]:
    return {"event": "failed", "message": message, "step": None, "kind": kind}


_WATCHING = False


def _exit_with_parent() -> None:
    """daemon=True ends the child when the parent exits normally, not when it is killed (kill -9, a
    crash): then a thread that waits on the parent's sentinel ends the child too, so no orphan keeps
    a GPU busy."""
    global _WATCHING
    parent = mp.parent_process()
    if parent is None or _WATCHING:  # a warm child watches from before its job
        return
    _WATCHING = True

    def watch() -> None:
        parent.join()
        os._exit(3)

    threading.Thread(target=watch, name="netbuilder-parent-watch", daemon=True).start()


def _child_main(graph_dict: dict[str, Any], settings: dict[str, Any], resume: str | None, events: Any,
                control: Any) -> None:
    """The child process: train, sending every event as a dict."""
    _exit_with_parent()
    try:
        from netbuilder.train.trainer import Trainer

        trainer = Trainer(graph_dict, settings, resume=resume, control=lambda: _STATES.get(control.value, "run"))
        for event in trainer.run():
            events.put(event.to_dict())
    except BaseException as exc:  # noqa: BLE001 — the parent must hear about it
        events.put({**_failed(f"{type(exc).__name__}: {exc}"), "detail": traceback.format_exc(limit=8)})
    finally:
        events.close()
        events.join_thread()
