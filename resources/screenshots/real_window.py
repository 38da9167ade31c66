"""The editor in a real X window, started the way `netbuilder FILE` starts it.

Run under an X server (a desktop, or Xvfb: `Xvfb :99 -screen 0 1366x768x24 &`
then `DISPLAY=:99 QT_QPA_PLATFORM=xcb python resources/screenshots/real_window.py
presets/vae.json --epochs 3 --out vae_1366.png`). It opens the file exactly
as the command line does (saved layout, kept on the screen, network fitted),
optionally trains it a few epochs with the real training process, brings the
Training dock to the front as a click on its tab does, grabs the whole screen
and prints a JSON report of what a user would see: window and screen
geometry, each panel's size, the curve plots' heights, whether the inspector
fits its dock and whether the learned pictures fit their tab.
tests/gui/test_real_window.py runs it at 1366×768, 1600×900 and 1920×1080.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QRect, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from netbuilder.core.io import load_graph
from netbuilder.gui import app as app_module
from netbuilder.gui import theme
from netbuilder.gui.main_window import MainWindow


def _rect(r: QRect) -> list[int]:
    return [r.x(), r.y(), r.width(), r.height()]


def _on_screen(widget: QWidget) -> QRect:
    return QRect(widget.mapToGlobal(widget.rect().topLeft()), widget.size())


def train(window: MainWindow, epochs: int, timeout_s: float = 240.0) -> str:
    dock = window.training_dock
    outcome: list[str] = []
    loop = QEventLoop()
    dock.run_ended.connect(lambda result: (outcome.append(result), loop.quit()))
    if not dock.start({"epochs": epochs}):
        return "not started: " + dock.run_panel.banner.text()
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    if not outcome:
        loop.exec()
    return outcome[0] if outcome else "timed out"


def report(window: MainWindow) -> dict[str, Any]:
    dock = window.training_dock
    curves = dock.curves.plot
    inspector = window.inspector
    samples = dock.samples
    tab = samples.currentWidget()
    return {
        "screen": _rect(window.screen().availableGeometry()),
        "window": _rect(window.frameGeometry()),
        "docks": {d.objectName(): {"visible": d.isVisible(), "floating": d.isFloating(),
                                   "size": [d.width(), d.height()]} for d in window.main_docks()},
        "canvas": [window.view.viewport().width(), window.view.viewport().height()],
        "plots": [[round(p.sceneBoundingRect().width()), round(p.sceneBoundingRect().height())]
                  for p in curves.active_plots()],
        "curves_widget": [curves.width(), curves.height()],
        "inspector_fits": inspector.widget().width() <= inspector.viewport().width(),
        "samples_tab": samples.tabText(samples.currentIndex()),
        "samples_fits": _fits(tab),
    }


def _fits(tab: QWidget | None) -> bool:
    """Every picture grid of the tab shows all its columns (none cut at the right)."""
    from netbuilder.gui.training.image_grid import ImageGrid

    if tab is None:
        return True
    grids = [g for g in [tab, *tab.findChildren(ImageGrid)] if isinstance(g, ImageGrid) and g.isVisible()]
    screen = tab.window().screen().availableGeometry()
    # not clipped by its parents (a splitter, the dock), nor by the screen's edge
    return all(g.visibleRegion().boundingRect().width() >= g.width() - 1
               and screen.contains(_on_screen(g)) for g in grids)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("file")
    parser.add_argument("--epochs", type=int, default=0)
    parser.add_argument("--out", help="PNG of the window as the screen shows it")
    parser.add_argument("--tab", help="Training-dock tab to show, e.g. Latent or Reconstruction")
    parser.add_argument("--problems", action="store_true", help="bring the Problems dock up after training")
    args = parser.parse_args(argv)
    app = app_module.ensure_app()
    theme.apply(app, "dark")
    window = MainWindow(load_graph(args.file))
    window.document.path = Path(args.file).resolve()
    app_module.show_first(window)
    app_module.settle()
    outcome = train(window, args.epochs) if args.epochs else "not trained"
    window._show_dock(window.training_dock)  # what a click on its tab does
    if args.tab:
        window.training_dock.samples.show_tab(args.tab)
    if args.problems:
        window._show_dock(window.problems_dock)
        window._show_dock(window.training_dock)
    for _ in range(10):
        app_module.settle()
    data = {"outcome": outcome, **report(window)}
    if args.out:  # what is on the screen where the window is (the X server's pixels, not a render)
        frame = window.frameGeometry()
        window.screen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height()).save(args.out, "PNG")
    print(json.dumps(data))
    window.training_dock.shutdown()
    window.undo_stack.setClean()
    window.document.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
