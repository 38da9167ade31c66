"""Measurement (issue 18, item 2): open + paint of 1,000 / 5,000 / 20,000-node
chains, and how it grows: 20,000 nodes ≤ 2 s, per-node time at 20k ≈ at 1k.

Offscreen, like bench_gui_open: one main window, shown once; each timed run is
File ▸ Open of a chain file without positions (so it is laid out), then
`processEvents()` and a forced render of the whole window (the first paint).
Reported per size: wall seconds and this process's CPU seconds (the machines
are shared: CPU time moves less with the load), µs per node, and the time
until the last batch of canvas items exists (items of networks over
scene.EAGER_NODES are created in batches after the first paint). The ratio
rows are the per-node wall time at the largest size over that at 1,000 nodes
(to the first paint, and until every item exists): 1.0 is linear. Medians of repetitions; --quick: 1k and 5k, fewer repetitions.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import emit, median, parser

TARGET_20K_S = 2.0
LINEAR_TARGET = 1.2  # per-node time at 20k / at 1k


def _chain_file(folder: Path, n: int) -> Path:
    from bench_shape_check import chain_graph

    from netbuilder.core.io import graph_to_dict

    data = graph_to_dict(chain_graph(n))
    for node in data["nodes"]:
        node["pos"] = [0, 0]  # no positions: the editor lays it out
    path = folder / f"chain_{n}.json"
    path.write_text(json.dumps(data))
    return path


def _paint(app, window) -> None:
    from PySide6.QtGui import QImage

    app.processEvents()
    image = QImage(window.size(), QImage.Format.Format_ARGB32_Premultiplied)
    window.render(image)


def _one_open(app, window, path: Path) -> tuple[float, float, float]:
    """(wall s, CPU s) to open and paint, and wall s until every item exists."""
    window.document.new()
    _paint(app, window)
    t0, c0 = time.perf_counter(), time.process_time()
    if not window.open_file(path):
        raise SystemExit(f"open_file refused {path}")
    _paint(app, window)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    while window.scene.pending:
        app.processEvents()
    return wall, cpu, time.perf_counter() - t0


def measure(quick: bool) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        from PySide6.QtWidgets import QApplication

        from netbuilder.gui.main_window import MainWindow
    except ImportError as exc:
        return {"open_scale": {"note": f"no GUI ({exc})"}}
    app = QApplication.instance() or QApplication([])
    window = MainWindow()
    window.show()
    _paint(app, window)
    sizes = (1000, 5000) if quick else (1000, 5000, 20000)
    reps = 2 if quick else 3
    results: dict = {}
    per_node: dict[int, float] = {}
    per_node_all: dict[int, float] = {}  # until every item exists (background batches included)
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = _chain_file(Path(tmp), n)
            _one_open(app, window, path)  # warm-up: imports, caches, torch for the summary
            runs = [_one_open(app, window, path) for _ in range(reps)]
            wall, cpu, complete = (median([r[i] for r in runs]) for i in range(3))
            per_node[n], per_node_all[n] = wall / n, complete / n
            results[f"open_scale.chain_{n}"] = {
                "s": round(wall, 3), "target": TARGET_20K_S if n == 20000 else None,
                "cpu_s": round(cpu, 3), "all_items_s": round(complete, 3), "nodes": n,
                "note": f"CPU {cpu:.3f} s; {wall / n * 1e6:.0f} µs/node; all items after {complete:.2f} s"}
    largest = max(sizes)
    results[f"open_scale.per_node_{largest // 1000}k_over_1k"] = {
        "ratio": round(per_node[largest] / per_node[1000], 3), "target": LINEAR_TARGET,
        "note": f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"}
    results[f"open_scale.all_items_per_node_{largest // 1000}k_over_1k"] = {
        "ratio": round(per_node_all[largest] / per_node_all[1000], 3), "target": LINEAR_TARGET,
        "note": "until the last batch of items exists (1k: all at once)"}
    window.document.new()
    window.close()
    app.processEvents()
    return results


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    emit(measure(args.quick), args.json, "Open + paint at scale (s)")


if __name__ == "__main__":
    main()
