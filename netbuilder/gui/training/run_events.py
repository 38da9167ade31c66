"""What the Training dock does with the events a training child sends: curves, run bar, messages.

A mixin of TrainingDock, kept apart from dock.py so that module is about starting, pausing and
stopping runs while this one is about showing them. The dock's QTimer calls `drain` every
POLL_MS; each event goes through `self._handle` (looked up on the instance, so tests can wrap
it), and a terminal event ("finished", "failed", "stopped") ends the run via `_end`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netbuilder.gui.training.messages import failure_text, finished_text

if TYPE_CHECKING:  # only for the annotations: the dock builds these, this module never does
    from PySide6.QtCore import QTimer, SignalInstance

    from netbuilder.gui.training.controls import TrainingControls
    from netbuilder.gui.training.curves_panel import CurvesPanel
    from netbuilder.gui.training.layers_tab import LayersTab
    from netbuilder.gui.training.run_panel import RunPanel
    from netbuilder.gui.training.samples_view import SamplesView
    from netbuilder.gui.training.warm_keeper import WarmKeeper

TERMINAL = {"finished", "failed", "stopped"}


class RunEvents:
    """Mixed in before QDockWidget; uses the dock's run, timer, panels and signals (see dock.py)."""

    run: Any
    outcome: str
    last_epoch: dict[str, Any]
    epochs: int
    steps_per_epoch: int | None
    _discard_run: bool
    timer: QTimer
    controls: TrainingControls
    run_panel: RunPanel
    curves: CurvesPanel
    samples: SamplesView
    layers_tab: LayersTab
    warm: WarmKeeper
    run_ended: SignalInstance
    health_changed: SignalInstance

    def drain(self) -> None:
        """Handle what the child sent since the last tick, then redraw once."""
        run = self.run
        if run is None:
            self.timer.stop()
            return
        try:
            events = run.poll(500)
        except Exception as exc:  # noqa: BLE001 — a broken pipe is a dead child
            events = [{"event": "failed", "kind": "error", "message": f"lost contact with the training process ({exc})"}]
        if self._discard_run:
            events = [e for e in events if e.get("event") in TERMINAL]
        for event in events:
            self._handle(event)
            if self.run is None:
                break
        self.curves.refresh()
        if self.run is not None and not events and not run.running:
            self._end("failed", {"event": "failed", "kind": "error",
                                 "message": "the training process ended without a word (it may have crashed)"})

    def _handle(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "started":
            self.epochs = int(event.get("epochs") or self.epochs)
            self.steps_per_epoch = event.get("steps_per_epoch")
            self.curves.curves.current.epochs = self.epochs
            self.samples.image_shape = tuple(event.get("image_shape") or event.get("input_shape") or ()) or None
            self.samples.class_names = event.get("class_names")
            self.run_panel.set_state("running")
            self.run_panel.show_started(event)
        elif kind == "step":
            self.curves.curves.add_step(event)
            self.run_panel.show_step(event, self.epochs, self.steps_per_epoch)
        elif kind == "epoch":
            self.last_epoch = event
            self.curves.curves.add_epoch(event)
            self.run_panel.show_epoch(event)
            if event.get("diagnostics"):
                self._show_health({"samples": [], "diagnostics": event["diagnostics"]})
        elif kind == "samples":
            self.samples.show_payload(event)
        elif kind == "health":
            self._show_health(event)
        elif kind == "paused":
            self.run_panel.set_state("paused")
            self.run_panel.show_done("paused")
        elif kind == "resumed":
            self.run_panel.set_state("running")
        elif kind in TERMINAL:
            self._end(kind, event)

    def _show_health(self, event: dict[str, Any]) -> None:
        """Layer health: the Layers tab (added after the learned views; reset() drops it) and listeners."""
        if self.samples.indexOf(self.layers_tab) < 0:
            self.samples.addTab(self.layers_tab, "Layers")
        self.layers_tab.add_health(event)
        self.health_changed.emit()

    def _end(self, outcome: str, event: dict[str, Any]) -> None:
        self.outcome = outcome
        self.timer.stop()
        self.run = None
        self.warm.prepare()  # each child runs once: the next Start gets a new one, already waiting
        self.run_panel.set_state("idle")
        self.controls.set_running(False)
        if self._discard_run:  # it trained the network open before: no message about it here
            self._discard_run = False
            self.run_panel.show_done("not started", 0.0)
        elif outcome == "failed":
            self.run_panel.show_message("error", failure_text(event))
            self.run_panel.show_done("failed")
        elif outcome == "stopped":
            self.run_panel.show_message("info", finished_text(self.last_epoch, "Stopped"))
            self.run_panel.show_done("stopped")
        else:
            self.run_panel.show_message("ok", finished_text(self.last_epoch or event))
            self.run_panel.show_done("finished", 1.0)
        self.run_ended.emit(outcome)
