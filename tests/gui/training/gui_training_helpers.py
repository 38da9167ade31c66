"""Helpers for the training dock tests: small graphs, a bare window hosting
the dock, and a scripted in-process runner for unit tests of the wiring (the
end-to-end tests use the real child-process runner). A uniquely named module,
so test files never import another directory's conftest by mistake."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QMainWindow
from PySide6.QtCore import Qt

from netbuilder.core.graph import Graph


def lenet_digits(epochs: int = 2, **training: Any) -> Graph:
    """A small LeNet-style classifier for the built-in 8×8 digits."""
    g = Graph(name="lenet-digits")
    g.add_node("Input", {"shape": [1, 8, 8]}, id="x")
    g.add_node("Conv2d", {"out_channels": 4, "kernel_size": 3, "padding": 1}, id="conv1")
    g.add_node("ReLU", id="relu1")
    g.add_node("MaxPool2d", {"kernel_size": 2}, id="pool1")
    g.add_node("Flatten", id="flat")
    g.add_node("Linear", {"out_features": 10}, id="fc")
    g.add_node("Output", id="out")
    for a, b in [("x", "conv1"), ("conv1", "relu1"), ("relu1", "pool1"), ("pool1", "flat"), ("flat", "fc"), ("fc", "out")]:
        g.add_edge(a, b)
    g.set_meta(training={"dataset": "digits", "epochs": epochs, "batch_size": 64, "lr": 0.01, "seed": 0, **training})
    return g


def linear_digits(epochs: int = 2, **training: Any) -> Graph:
    """Softmax regression on the flat digits: no ReLU to die, so a huge lr really diverges."""
    g = Graph(name="linear-digits")
    g.add_node("Input", {"shape": [64]}, id="x")
    g.add_node("Linear", {"out_features": 10}, id="fc")
    g.add_node("Output", id="out")
    g.add_edge("x", "fc")
    g.add_edge("fc", "out")
    g.set_meta(training={"dataset": "digits", "epochs": epochs, "batch_size": 64, "lr": 0.01, "seed": 0, **training})
    return g


def autoencoder_digits(epochs: int = 2) -> Graph:
    g = Graph(name="ae-digits")
    g.add_node("Input", {"shape": [64]}, id="x")
    g.add_node("Linear", {"out_features": 16}, id="enc")
    g.add_node("ReLU", id="act")
    g.add_node("Linear", {"out_features": 64}, id="dec")
    g.add_node("Output", id="out")
    for a, b in [("x", "enc"), ("enc", "act"), ("act", "dec"), ("dec", "out")]:
        g.add_edge(a, b)
    g.set_meta(training={"dataset": "digits", "task": "reconstruction", "epochs": epochs, "batch_size": 64,
                         "lr": 0.01, "seed": 0, "standardize": True,
                         "loss": [{"type": "mse", "target": "input", "weight": 1.0}]})
    return g


class Host(QMainWindow):
    """The part of the editor's MainWindow contract the dock uses."""

    def __init__(self, graph: Graph) -> None:
        super().__init__()
        self.graph = graph
        self.undo_stack = QUndoStack(self)
        self.current_path = None
        from netbuilder.gui.training.dock import TrainingDock

        self.training_dock = TrainingDock(self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.training_dock)


class FakeRun:
    """Scripted stand-in for TrainingRun: emits `epochs` × `steps` steps,
    a few per poll, honours pause/resume/stop; optional NaN at `nan_at`."""

    instances: list["FakeRun"] = []

    def __init__(self, graph_dict: dict, settings: dict | None = None, steps: int = 5,
                 nan_at: int | None = None) -> None:
        self.graph_dict, self.settings = graph_dict, dict(settings or {})
        self.epochs = int(self.settings.get("epochs", 2))
        self.steps, self.nan_at = steps, nan_at
        self._queue: list[dict] = []
        self._step = 0
        self.paused = self.stopped = self.done = False
        self.started = False
        FakeRun.instances.append(self)

    def start(self) -> None:
        self.started = True
        self._queue.append({"event": "started", "epochs": self.epochs, "steps_per_epoch": self.steps,
                            "device": "cpu", "task": "classification", "input_shape": [1, 8, 8], "num_classes": 10})

    @property
    def running(self) -> bool:
        return self.started and not self.done

    def pause(self) -> None:
        self.paused = True
        self._queue.append({"event": "paused"})

    def resume(self) -> None:
        self.paused = False
        self._queue.append({"event": "resumed"})

    def stop(self, timeout: float = 5.0) -> None:
        if not self.done:
            self.stopped = True
            self._queue.append({"event": "stopped"})

    def poll(self, max_events: int = 1000) -> list[dict]:
        if not self.paused and not self.stopped and not self.done:
            self._advance()
        out, self._queue = self._queue[:max_events], self._queue[max_events:]
        if any(e["event"] in ("stopped", "failed", "finished") for e in out):
            self.done = True
        return out

    def _advance(self) -> None:
        total = self.epochs * self.steps
        if self._step >= total:
            return
        self._step += 1
        s, epoch = self._step, (self._step - 1) // self.steps + 1
        loss = math.nan if self.nan_at is not None and s >= self.nan_at else 2.0 / s
        self._queue.append({"event": "step", "step": s, "epoch": epoch, "progress": s / total, "train_loss": loss,
                            "terms": {"cross_entropy": loss}, "samples_per_sec": 1000.0, "eta_s": total - s})
        if self.nan_at is not None and s >= self.nan_at:
            self._queue.append({"event": "failed", "kind": "nan", "step": s, "message": "loss is nan"})
            return
        if s % self.steps == 0:
            self._queue.append({"event": "epoch", "epoch": epoch, "epochs": self.epochs, "train_loss": loss,
                                "val_loss": loss * 1.1, "val_accuracy": 1 - loss / 4, "val_mae": None,
                                "val_mape": None, "terms": {"cross_entropy": loss}, "lr": 0.01, "elapsed_s": s})
        if s == total:
            self._queue.append({"event": "finished", "epochs": self.epochs})
