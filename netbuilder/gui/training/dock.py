"""The Training dock: settings, Start/Pause/Stop, live curves, what the net learned.

Training never runs in the GUI process: Start snapshots the graph to JSON and
hands it to `netbuilder.train.runner.TrainingRun`, a spawned child process. A
QTimer drains the child's events every 40 ms, appends them to the curves'
buffers and redraws once per tick, so the editor stays responsive and keeps
every edit even when the child dies of NaN, out-of-memory or a crash.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, QTimer, Qt, Signal
from PySide6.QtWidgets import QApplication, QDockWidget, QScrollArea, QSplitter, QVBoxLayout, QWidget

from netbuilder.gui.training.controls import TrainingControls
from netbuilder.gui.training.curves_panel import CurvesPanel
from netbuilder.gui.training.downloads import DownloadRow, needs_download
from netbuilder.gui.training.layers_tab import LayersTab
from netbuilder.gui.training.messages import graph_problem
from netbuilder.gui.training.run_events import RunEvents
from netbuilder.gui.training.run_panel import RunPanel
from netbuilder.gui.training.samples_view import SamplesView
from netbuilder.gui.training.settings_command import SetTrainingCommand
from netbuilder.gui.training.start_weights import StartWeights
from netbuilder.gui.training.warm_keeper import WarmKeeper
from netbuilder.train.settings import VIEW_CHOICES

POLL_MS = 40
STOP_TIMEOUT_S = 3.0  # then the child is terminated: Stop always works
WARM_AFTER_MS = 800  # the first warm training child is spawned this long after the window shows
STRUCTURAL = {"node_added", "node_removed", "edge_added", "edge_removed", "params_changed", "reset"}
# default loss terms follow the graph this long after the last edit: finding them reads every node
# (2-3 ms at 20,000), which an edit's push must not pay, and a burst of edits pays once
DEFAULTS_AFTER_MS = 150


class TrainingDock(RunEvents, QDockWidget):
    """The dock itself: layout, graph link, Start/Pause/Stop; run_events.RunEvents shows what a run sends."""

    run_started = Signal()
    run_ended = Signal(str)  # "finished" | "failed" | "stopped"
    health_changed = Signal()  # new layer-health samples or diagnostics in self.layers_tab.store

    def __init__(self, window: QWidget) -> None:
        super().__init__("Training", window)
        self.setObjectName("TrainingDock")
        self.main_window = window
        self.run: Any = None
        self.run_count = 0
        self.outcome = ""
        self.last_epoch: dict[str, Any] = {}
        self.epochs = 1
        self.steps_per_epoch: int | None = None
        self._warned_edit = False
        self._discard_run = False  # the run going on when another network was opened
        self._writing = False
        self._unsubscribe = None
        self.run_factory: Any = None  # tests may swap the runner; None = netbuilder.train.runner.TrainingRun
        self.warm = WarmKeeper()  # a training child waiting for Start, once keep_child_warm() was called
        self.start_weights = StartWeights()  # what Start trains from (an ONNX import's weights)

        self.controls = TrainingControls()
        self.run_panel = RunPanel()
        self.curves = CurvesPanel()
        self.samples = SamplesView()
        self.layers_tab = LayersTab()  # a tab beside the learned views, from the first health event
        # parentless until then: it would outlive the dock (and its lambdas keep it and the window)
        self.destroyed.connect(self.layers_tab.deleteLater)
        self.download = DownloadRow()  # a named dataset's files, fetched before its first run
        self._after_download: dict[str, Any] | None = None  # the overrides of the run that waits for it
        self.setWidget(self._layout())
        self.download.downloaded.connect(self._on_downloaded)
        self.download.failed.connect(lambda text: self._download_ended("error", text))
        self.download.cancelled.connect(lambda: self._download_ended(
            "info", "Download cancelled; the part already downloaded is kept and the next Start resumes it."))

        self.run_panel.start_clicked.connect(self.start)
        self.run_panel.pause_clicked.connect(self.pause)
        self.run_panel.resume_clicked.connect(self.resume)
        self.run_panel.stop_clicked.connect(self.stop)
        self.controls.changed.connect(self._on_settings_edited)
        self.samples.feature_node_chosen.connect(lambda node: self.controls.set_setting("feature_node", node))
        self.samples.latent_node_chosen.connect(lambda node: self.controls.set_setting("latent_node", node))
        self.samples.view_setting_chosen.connect(self.controls.set_setting)

        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.drain)
        self._stopper: threading.Thread | None = None
        self._stop_watch = QTimer(self)
        self._stop_watch.setInterval(50)
        self._stop_watch.timeout.connect(self._check_stopped)
        self._close_check = _soon(self, self._after_close)
        self._fill_devices = _soon(self.controls, self.controls.fill_devices)
        self._follow_defaults = _soon(self, self._refresh_default_loss)
        self._follow_defaults.setInterval(DEFAULTS_AFTER_MS)

        window.installEventFilter(self)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        QTimer.singleShot(0, self._attach)

    def _layout(self) -> QWidget:
        """Run bar across the top; below it settings | curves | learned views."""
        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(self.controls.minimumSizeHint().width() + 14)  # + a vertical scroll bar
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("trainingSplitter")
        splitter.addWidget(scroll)
        splitter.addWidget(self.curves)
        splitter.addWidget(self.samples)
        splitter.setCollapsible(1, False)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 3)
        splitter.setSizes([scroll.minimumWidth(), 760, 520])
        self.splitter = splitter
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(self.run_panel)
        column.addWidget(self.download)
        column.addWidget(splitter, 1)
        return body

    # -------------------------------------------------------------- graph
    @property
    def graph(self) -> Any:
        return getattr(self.main_window, "graph", None)

    def _attach(self) -> None:
        """Subscribe to the graph and show its training block (after the
        main window has finished building itself)."""
        graph = self.graph
        if graph is None or self._unsubscribe is not None:
            return
        self._unsubscribe = graph.subscribe(self._on_graph_event)
        self.controls.load(graph.training, graph)
        self._fill_devices.start()

    def _on_graph_event(self, event: Any) -> None:
        if event.kind == "reset":  # New or Open: another network, whose results these are not
            self.clear_results()
        # the form is rebuilt only when the training block may differ (renaming the network is not)
        retrain = event.kind == "reset" or (event.kind == "meta_changed" and "training" in (event.data or {}))
        if retrain and not self._writing:
            self.controls.load(self.graph.training, self.graph)
        elif event.kind in STRUCTURAL and self.controls.loss.is_default:
            self._follow_defaults.start()  # restarted by each edit of a burst
        if event.kind in STRUCTURAL and self.is_running and not self._warned_edit:
            self._warned_edit = True
            self.run_panel.show_message(
                "warning", "You changed the graph during training. This run keeps training the network as it "
                "was when you pressed Start; press Start again after it ends to train the new one.")

    def _refresh_default_loss(self) -> None:
        if self.graph is not None and self.controls.loss.is_default:
            self.controls.refresh_defaults()

    def _on_settings_edited(self, block: dict[str, Any]) -> None:
        graph = self.graph
        if graph is None:
            return
        self._writing = True
        try:
            stack = getattr(self.main_window, "undo_stack", None)
            if stack is not None:
                stack.push(SetTrainingCommand(graph, block))
            else:
                graph.set_meta(training=copy.deepcopy(block))
        finally:
            self._writing = False

    def clear_results(self) -> None:
        """Runs belong to a network: a run still going trains the old one and is stopped;
        its curves, pictures, layer health and messages go."""
        if self.run is not None:
            self._discard_run = True  # what it still sends is not shown (see drain and _end)
            self.stop()
        self.curves.curves.clear()
        self.curves.refresh()
        self.samples.reset()
        self.layers_tab.reset()
        self.health_changed.emit()
        self.run_panel.reset_results()
        self.outcome, self.last_epoch, self.run_count = "", {}, 0
        self.start_weights.set(None, self.graph)

    def train_from(self, weights: str | None) -> None:
        """Start trains from `weights` (a checkpoint, e.g. an ONNX import's) while the network stays
        the one it was saved from; an edit that changes a layer makes Start begin afresh again."""
        self.start_weights.set(weights, self.graph)

    # ---------------------------------------------------------- run control
    @property
    def is_running(self) -> bool:
        return self.run is not None and self.run_panel.state in ("starting", "running", "paused")

    def start(self, overrides: dict[str, Any] | None = None) -> bool:
        """Train the graph as it is now; False (and a message) if it cannot start."""
        if self.is_running or self.download.busy or self.graph is None:
            return False
        self._attach()
        from netbuilder.core.io import graph_to_dict

        settings = {**self.controls.training(), **(overrides or {})}
        problem = graph_problem(self.graph, _batch_size(settings))
        if problem:
            self.run_panel.show_message("error", problem)
            return False
        if overrides:
            self.controls.load(settings, self.graph)  # show what this run uses; the file is not changed
        if needs_download(settings.get("dataset")):  # fetch first, off the GUI thread; Start follows
            self._after_download = dict(overrides or {})
            self.outcome = ""
            self.run_panel.clear_message()
            self.run_panel.set_state("downloading")
            self.run_panel.show_done("downloading the dataset…", 0.0)
            self.download.begin(str(settings["dataset"]).strip().lower())
            return True
        warm_ready = self.warm.ready
        try:
            run = self._make_run(graph_to_dict(self.graph), settings)
            run.start()
        except Exception as exc:  # noqa: BLE001 — settings errors are user-facing
            self.run_panel.show_message("error", f"Could not start training: {exc}")
            self.warm.prepare()  # the child handed to the failed run went with it
            return False
        self.run = run
        self.run_count += 1
        self.outcome = ""
        self.last_epoch = {}
        self._warned_edit = False
        self.epochs = int(settings.get("epochs") or 1)
        self.steps_per_epoch = None
        name = f"run {self.run_count}"
        self.curves.curves.begin_run(name, self.epochs)
        self.samples.reset()
        self.layers_tab.reset()
        self.health_changed.emit()
        self.samples.feature_choices = _channel_nodes(self.graph)
        self.samples.feature_node = settings.get("feature_node")
        self.samples.latent_choices = [n for n in self.graph.topological_order()
                                       if self.graph.nodes[n].type not in ("Input", "Output")]
        self.samples.latent_node = settings.get("latent_node")
        self.samples.view_settings = {key: settings.get(key) for key in VIEW_CHOICES}
        self.run_panel.clear_message()
        self.run_panel.set_state("starting")
        # a fresh process imports torch and the trainer first: seconds, so say what the wait is
        weights = self.start_weights.for_run(self.graph)
        where = f" from {Path(weights).name}" if weights else ""
        self.run_panel.show_done(f"{name}: starting{where}…" if warm_ready
                                 else f"{name}: starting the training process{where}…", 0.0)
        self.controls.set_running(True)
        self.timer.start()
        self.run_started.emit()
        return True

    def _make_run(self, graph_dict: dict[str, Any], settings: dict[str, Any]) -> Any:
        """The real runner gets the warm child, if one waits; tests' fakes take (graph, settings)."""
        if self.run_factory is not None:
            return self.run_factory(graph_dict, settings)
        # the open file's path: a checkpoint path that came with the file resolves beside it
        path = getattr(getattr(self.main_window, "document", None), "path", None)
        return _training_run_class()(graph_dict, settings, warm=self.warm.take(), resume=self.start_weights.for_run(self.graph),
                                     graph_file=path)

    def keep_child_warm(self, after_ms: int = WARM_AFTER_MS) -> None:
        """Keep a training child spawned ahead from now on (the editor's own window calls this once
        it shows): the first after `after_ms`, the next whenever a run ends."""
        self.warm.enabled = True
        QTimer.singleShot(after_ms, self, self.warm.prepare)

    def _on_downloaded(self, name: str) -> None:
        self.controls.refresh_named()
        overrides, self._after_download = self._after_download, None
        self.run_panel.set_state("idle")
        self.start(overrides)

    def _download_ended(self, kind: str, text: str) -> None:
        """Failed or cancelled: back to idle with one message in the banner."""
        self._after_download = None
        self.run_panel.set_state("idle")
        self.run_panel.show_done("not started")
        self.run_panel.show_message(kind, text)
        self.outcome = "failed" if kind == "error" else "stopped"
        self.run_ended.emit(self.outcome)  # e.g. `--train --screenshot` waits for it

    def pause(self) -> None:
        if self.run is not None and self.run_panel.state == "running":
            self.run.pause()

    def resume(self) -> None:
        if self.run is not None and self.run_panel.state == "paused":
            self.run.resume()

    def stop(self) -> None:
        """Ask the child to stop; it is killed if it does not answer in time.
        The waiting happens on a helper thread, so the editor never freezes."""
        if self.run is None or self._stopper is not None:
            return
        self.run_panel.set_state("stopping")
        self.run_panel.show_done("stopping…")
        self.timer.stop()  # the helper thread owns the run until it has stopped
        self._stopper = threading.Thread(target=self.run.stop, kwargs={"timeout": STOP_TIMEOUT_S},
                                         name="netbuilder-stop", daemon=True)
        self._stopper.start()
        self._stop_watch.start()

    def _check_stopped(self) -> None:
        if self._stopper is None or self._stopper.is_alive():
            return
        self._stop_watch.stop()
        self._stopper = None
        self.drain()
        if self.run is not None:  # the child died before saying "stopped"
            self._end("stopped", {"event": "stopped"})

    def shutdown(self) -> None:
        """The window is closing: stop the child so no process outlives the editor."""
        self.warm.shutdown()
        self.download.cancel()
        self.timer.stop()
        self._stop_watch.stop()
        if self._stopper is not None:
            self._stopper.join(STOP_TIMEOUT_S + 3)
            self._stopper = None
        if self.run is not None:
            try:
                self.run.stop(timeout=STOP_TIMEOUT_S)
            finally:
                self.run = None
                self.run_panel.set_state("idle")

    def dispose(self) -> None:
        """The window is closed for good (window_dispose): nothing may call into it any more."""
        self.shutdown()
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._unsubscribe = lambda: None  # and _attach does not subscribe again
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.disconnect(self.shutdown)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.main_window and event.type() == QEvent.Type.Close:
            # the window may still refuse to close (unsaved changes): decide after it did
            self._close_check.start()
        return False

    def _after_close(self) -> None:
        if not self.main_window.isVisible():
            self.shutdown()


def _soon(parent: QObject, slot: Any) -> QTimer:
    """A 0 ms single shot owned by `parent`: it dies with it. QTimer.singleShot(0, slot) would call
    into a deleted dock; singleShot(0, parent, slot) never fires then but keeps `slot`, and with it
    the dock and its window, alive for good."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(0)
    timer.timeout.connect(slot)
    return timer


def _batch_size(settings: dict[str, Any]) -> int:
    """The run's batch size for the budget check (the trainer judges bad values)."""
    try:
        return max(1, int(settings.get("batch_size") or 1))
    except (TypeError, ValueError):
        return 1


def _training_run_class() -> Any:
    from netbuilder.train.runner import TrainingRun  # imports torch: only when training starts

    return TrainingRun


def _channel_nodes(graph: Any) -> list[str]:
    """Nodes whose output is channels × height × width: feature maps to show."""
    from netbuilder.core.shapes import check

    report = check(graph)
    out = []
    for node_id in graph.topological_order():
        shape = report.output_shape(node_id) if graph.nodes[node_id].type not in ("Input", "Output") else None
        if shape is not None and len(shape) == 3 and None not in shape:
            out.append(node_id)
    return out
