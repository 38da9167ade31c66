"""Measurement 4 (GUI): open + layout + first paint of 1000-node graphs < 1.5 s;
the ResNet-18 preset opens in < 0.5 s.

Runs offscreen (QT_QPA_PLATFORM=offscreen). One main window is created and
shown first (start-up is bench_startup's business); each timed run is
File ▸ Open of a graph file without positions (so the editor lays it out),
then `processEvents()` (the live shape check, the fit-to-view) and a forced
render of the whole window into an image — the first paint. Wall seconds,
median of repetitions.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import emit, median, parser

OPEN_1000_TARGET_S = 1.5
RESNET_TARGET_S = 0.5


def _paint(window) -> None:
    """Process pending events, then render the window as the screen would."""
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()
    image = QImage(window.size(), QImage.Format.Format_ARGB32_Premultiplied)
    window.render(image)


def _files(folder: Path) -> dict[str, Path]:
    """1000-node chain and wide graphs saved without positions (all at 0,0)."""
    from bench_shape_check import chain_graph, wide_graph

    from netbuilder.core.io import save_graph

    out = {}
    for name, build in (("chain", chain_graph), ("wide", wide_graph)):
        g = build()
        path = folder / f"{name}_1000.json"
        save_graph(g, path)
        out[name] = path
    return out


def measure(quick: bool) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication

        from netbuilder.gui.main_window import MainWindow
    except ImportError as exc:
        return {"gui_open": {"note": f"no GUI yet ({exc})"}}
    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.show()
    _paint(window)
    reps = 2 if quick else 5
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        files = _files(Path(tmp))
        for name, path in files.items():
            times = []
            for _ in range(reps):
                window.document.new()  # start from an empty canvas, as a fresh Open does
                _paint(window)
                t0 = time.perf_counter()
                if not window.open_file(path):
                    return {f"gui_open.{name}_1000": {"note": "open_file refused the file"}}
                _paint(window)
                times.append(time.perf_counter() - t0)
            results[f"gui_open.{name}_1000"] = {
                "s": round(median(times), 3), "target": OPEN_1000_TARGET_S, "nodes": len(window.graph),
                "note": "open (no positions → auto-layout) + events + full-window render"}
        times = []
        for _ in range(reps + 1):
            window.document.new()
            _paint(window)
            t0 = time.perf_counter()
            if not window.open_preset("resnet18"):
                return {**results, "gui_open.resnet18_preset": {"note": "preset resnet18 missing"}}
            _paint(window)
            times.append(time.perf_counter() - t0)
        results["gui_open.resnet18_preset"] = {
            "s": round(median(times), 3), "target": RESNET_TARGET_S, "nodes": len(window.graph),
            "note": "open_preset + events + full-window render"}
    window.document.new()
    window.close()
    app.processEvents()
    return results


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    emit(measure(args.quick), args.json, "GUI open + layout + first paint (s)")


if __name__ == "__main__":
    main()
