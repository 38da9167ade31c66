"""`netbuilder FILE --train [--dataset D] [--epochs N] [--view V] --screenshot OUT.png`.

Trains with the whole window up — the same dock, runner and live plots a
user sees — waits for the run to end, then saves a screenshot of the window.
Works offscreen (QT_QPA_PLATFORM=offscreen). Settings come from the file's
training block; a file without a dataset gets a built-in one that fits its
Input (digits for (1, 8, 8) or (64,), iris for (4,), ...). `--view` picks
the dock tab in the picture (latent, anomaly, filters, denoising, ...; any
tab's name); without it the most telling one is shown.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QApplication

from netbuilder.core.io import GraphFileError, load_graph
from netbuilder.gui.canvas.layout import reading_layout
from netbuilder.gui.training import engine

# the samples tab shown in the screenshot, most telling first
PREFERRED_TABS = ("Latent", "Filters", "Kernels", "Denoising", "Learned", "Reconstruction", "Predictions",
                  "Confusion", "Features")
# --view words that are not a tab's own name
VIEW_ALIASES = {"health": ("Layers",), "filters": ("Kernels", "Filters"), "kernels": ("Kernels", "Filters"),
                "regression": ("Learned",), "sequence": ("Learned",), "learned": ("Learned",),
                "anomalies": ("Anomaly",), "reconstructions": ("Reconstruction",), "confusion": ("Confusion",)}


def headless_overrides(graph: Any, args: Any) -> dict[str, Any]:
    """Command-line choices on top of the file's training block."""
    overrides: dict[str, Any] = {}
    if getattr(args, "dataset", None):
        overrides["dataset"] = args.dataset
    elif not (graph.training or {}).get("dataset"):
        inputs = [n for n in graph if n.type == "Input"]
        overrides["dataset"] = engine.dataset_for_input(inputs[0].params.get("shape") if inputs else None)
    if getattr(args, "epochs", None):
        overrides["epochs"] = int(args.epochs)
    return overrides


def train_and_screenshot(window: Any, args: Any) -> int:
    """Train the window's graph, screenshot the window; 0 when training finished."""
    dock = window.training_dock
    _make_room(window, dock)
    _fit_canvas(window)
    outcome: list[str] = []
    loop = QEventLoop()

    def ended(result: str) -> None:
        outcome.append(result)
        loop.quit()

    dock.run_ended.connect(ended)
    if not dock.start(headless_overrides(window.graph, args)):
        print(f"netbuilder: cannot train: {dock.run_panel.banner.text()}", file=sys.stderr)
        _screenshot(window, args)
        return 1
    previous = signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, dock.stop))
    try:
        if not outcome:
            loop.exec()
    finally:
        signal.signal(signal.SIGINT, previous)
        dock.run_ended.disconnect(ended)
    missing = _show_view(dock, getattr(args, "view", None))
    health = getattr(window, "actions_", {}).get("health")
    if getattr(args, "view", None) == "health" and health is not None:
        health.setChecked(True)  # the canvas overlay too: nodes coloured by their statistic
    for _ in range(3):  # let the last setData and tab switch paint
        QApplication.processEvents()
    view = getattr(window, "view", None)
    if view is not None and view.auto_fitted:  # nobody moved it: the whole network in the picture
        view.show_network()
    _screenshot(window, args)
    message = dock.run_panel.banner.text()
    if missing:
        print(f"netbuilder: {missing}", file=sys.stderr)
        return 1
    if outcome and outcome[0] == "finished":
        print(f"netbuilder: {message}")
        return 0
    print(f"netbuilder: training {outcome[0] if outcome else 'ended'}: {message}", file=sys.stderr)
    if "dataset" in message.lower() and not getattr(args, "dataset", None):
        # e.g. LeNet-5's file names an MNIST folder this machine does not have
        print("netbuilder: choose the data with --dataset NAME|PATH (built-ins: "
              f"{', '.join(engine.builtin_datasets())})", file=sys.stderr)
    return 1


def _make_room(window: Any, dock: Any) -> None:
    """A visible dock with about 45% of the window for the curves."""
    dock.show()
    dock.raise_()
    if hasattr(window, "setCorner"):  # let the bottom dock span the window: curves need width
        window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        window.setCorner(Qt.Corner.BottomRightCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
    area = window.dockWidgetArea(dock) if hasattr(window, "dockWidgetArea") else None
    if area in (Qt.DockWidgetArea.BottomDockWidgetArea, Qt.DockWidgetArea.TopDockWidgetArea):
        window.resizeDocks([dock], [int(window.height() * 0.56)], Qt.Orientation.Vertical)
    elif area is not None and area != Qt.DockWidgetArea.NoDockWidgetArea:
        window.resizeDocks([dock], [int(window.width() * 0.5)], Qt.Orientation.Horizontal)
    QApplication.processEvents()


def _fit_canvas(window: Any) -> None:
    """The dock took most of the height: lay a file's generated strip out
    again for the short, wide canvas that is left (one long band reads better
    there than the bands chosen for the full window), then show it all."""
    view = getattr(window, "view", None)
    if view is None:  # a host without a canvas
        return
    path = getattr(getattr(window, "document", None), "path", None)
    original = None
    if path is not None:
        try:
            original = load_graph(path)
        except (GraphFileError, OSError):  # it opened a moment ago; unreadable now: keep what is shown
            original = None
    if original is not None and set(original.nodes) == set(window.graph.nodes):
        size = (float(view.viewport().width()), float(view.viewport().height()))
        positions = reading_layout(original, size) or {n.id: n.pos for n in original}
        for nid, pos in positions.items():
            window.graph.move_node(nid, pos)
        QApplication.processEvents()
    view.show_network()


def _show_view(dock: Any, wanted: str | None) -> str:
    """Bring the `--view` tab to the front (or the most telling one); a
    message naming the tabs there are when this network has no such view."""
    if not wanted:
        next((name for name in PREFERRED_TABS if dock.samples.show_tab(name)), None)
        return ""
    tabs = _dock_tabs(dock)
    names = VIEW_ALIASES.get(wanted.lower(), ()) + (wanted,)
    for name in names:
        found = next((t for t in tabs if t[0].tabText(t[1]).lower() == name.lower()), None)
        if found is not None:
            found[0].setCurrentIndex(found[1])
            return ""
    shown = sorted({w.tabText(i) for w, i in tabs})
    return f"--view {wanted}: this network has no such view after training (its views: {', '.join(shown) or 'none'})"


def _dock_tabs(dock: Any) -> list[tuple[Any, int]]:
    """(tab widget, index) of every tab in the Training dock (learned views, and any other tab set)."""
    from PySide6.QtWidgets import QTabWidget

    empty = getattr(dock.samples, "_placeholder", None)  # 'Learned' before any payload: not a view
    return [(w, i) for w in dock.findChildren(QTabWidget) for i in range(w.count()) if w.widget(i) is not empty]


def _screenshot(window: Any, args: Any) -> None:
    path = getattr(args, "screenshot", None)
    if not path:
        return
    try:
        from netbuilder.gui.app import save_window_screenshot

        save_window_screenshot(window, path)
    except ImportError:
        window.grab().save(path)
    except OSError as exc:
        print(f"netbuilder: {exc}", file=sys.stderr)
