"""GUI responsiveness while training: event-loop stalls and GUI/headless time.

Trains the same small CNN on the built-in digits twice each way, interleaved
(headless, GUI, GUI, headless, ...):
- headless: `TrainingRun` drained by a plain Python loop every 40 ms, no Qt;
- GUI: the main window (or a bare host window) with the Training dock, Start
  pressed, live curves and sample views redrawn as events arrive.
During GUI runs a 5 ms precise QTimer records how late each tick fires: a
late tick is the event loop busy (draining, setData, painting) — the stall a
user would feel as a frozen editor. Prints p50/p99/max stall and the median
ratio of GUI to headless wall time (start → finished event), with targets
(issue 9: ratio ≤ 1.10, p99 stall ≤ 50 ms).

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_training_stall.py --json [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import emit, parser  # noqa: E402

TICK_MS = 5
TERMINAL = {"finished", "failed", "stopped"}


def bench_graph(epochs: int) -> dict:
    from netbuilder.core.graph import Graph
    from netbuilder.core.io import graph_to_dict

    g = Graph(name="bench-cnn-digits")
    g.add_node("Input", {"shape": [1, 8, 8]}, id="x")
    chain = [("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
             ("MaxPool2d", {"kernel_size": 2}), ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
             ("ReLU", {}), ("Flatten", {}), ("Linear", {"out_features": 64}), ("ReLU", {}),
             ("Linear", {"out_features": 10}), ("Output", {})]
    last = "x"
    for type_name, params in chain:
        node = g.add_node(type_name, params)
        g.add_edge(last, node.id)
        last = node.id
    g.set_meta(training={"dataset": "digits", "epochs": epochs, "batch_size": 64, "lr": 0.003,
                         "optimizer": "adam", "seed": 0, "device": "cpu"})
    return graph_to_dict(g)


def headless_run(graph_dict: dict) -> tuple[float, float | None]:
    from netbuilder.train.runner import TrainingRun

    run = TrainingRun(graph_dict, None)
    t0 = time.perf_counter()
    run.start()
    inner = None
    while True:
        events = run.poll(1000)
        for e in events:
            if e.get("event") == "epoch":
                inner = e.get("elapsed_s")
        end = next((e for e in events if e.get("event") in TERMINAL), None)
        if end is not None:
            if end["event"] != "finished":
                raise SystemExit(f"headless run {end['event']}: {end.get('message')}")
            break
        time.sleep(0.04)
    wall = time.perf_counter() - t0
    run.stop()
    return wall, inner


def make_window(graph_dict: dict):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMainWindow

    from netbuilder.core.io import graph_from_dict

    graph = graph_from_dict(graph_dict)
    try:
        from netbuilder.gui.main_window import MainWindow

        window = MainWindow()
        window.graph.replace_with(graph)
    except Exception:  # noqa: BLE001 — without the editor, host the dock alone
        from PySide6.QtGui import QUndoStack

        from netbuilder.gui.training.dock import TrainingDock

        window = QMainWindow()
        window.graph, window.undo_stack, window.current_path = graph, QUndoStack(window), None
        window.training_dock = TrainingDock(window)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, window.training_dock)
    window.resize(1600, 1000)
    window.show()
    return window


def gui_run(app, window) -> tuple[float, float | None, list[float]]:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    dock = window.training_dock
    lates: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        lates.append(max(0.0, (now - last[0]) * 1000 - TICK_MS))
        last[0] = now

    probe = QTimer()
    probe.setTimerType(Qt.TimerType.PreciseTimer)
    probe.setInterval(TICK_MS)
    probe.timeout.connect(tick)
    loop = QEventLoop()
    outcome: list[str] = []
    dock.run_ended.connect(lambda o: (outcome.append(o), loop.quit()))
    inner: list[float | None] = [None]
    original = dock._handle

    def handle(event: dict) -> None:
        if event.get("event") == "epoch":
            inner[0] = event.get("elapsed_s")
        original(event)

    dock._handle = handle
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    if not dock.start():
        raise SystemExit(f"GUI run did not start: {dock.run_panel.banner.text()}")
    last[0] = time.perf_counter()
    probe.start()
    loop.exec()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    probe.stop()
    dock._handle = original
    if outcome != ["finished"]:
        raise SystemExit(f"GUI run {outcome}: {dock.run_panel.banner.text()}")
    return wall, inner[0], lates, cpu


def percentile(xs: list[float], q: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=None, help="epochs per run (default 8, quick 3)")
    p.add_argument("--reps", type=int, default=None, help="runs each way (default 2, quick 1)")
    args = p.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    epochs = args.epochs or (3 if args.quick else 8)
    reps = args.reps or (1 if args.quick else 2)
    import torch

    torch.set_num_threads(args.threads)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    graph_dict = bench_graph(epochs)
    window = make_window(graph_dict)
    app.processEvents()

    walls: dict[str, list[float]] = {"gui": [], "headless": []}
    inner: dict[str, list[float]] = {"gui": [], "headless": []}
    lates: list[float] = []
    gui_cpu: list[float] = []
    order = ["headless", "gui", "gui", "headless"] * reps
    for name in order[: 2 * reps]:
        if name == "gui":
            wall, elapsed, late, cpu = gui_run(app, window)
            lates += late
            gui_cpu.append(cpu)
        else:
            wall, elapsed = headless_run(graph_dict)
        walls[name].append(wall)
        if elapsed is not None:
            inner[name].append(elapsed)
    window.training_dock.shutdown()

    ratio = statistics.median(walls["gui"]) / statistics.median(walls["headless"])
    results = {
        "gui_training_vs_headless": {
            "ratio": round(ratio, 3), "target": 1.10,
            "gui_s": [round(w, 2) for w in walls["gui"]], "headless_s": [round(w, 2) for w in walls["headless"]],
            "gui_cpu_s": [round(c, 2) for c in gui_cpu],
            "gui_cpu_share": round(sum(gui_cpu) / sum(walls["gui"]), 3),  # of one core, during GUI runs
            "note": f"small CNN on digits, {epochs} epochs, wall time start → finished (child start included); "
                    "train_loop_ratio compares the child's own training-loop time"},
        "gui_training_stall_p99": {
            "ms": round(percentile(lates, 99), 1), "target": 50,
            "p50_ms": round(percentile(lates, 50), 2), "max_ms": round(max(lates, default=float("nan")), 1),
            "ticks": len(lates), "note": f"lateness of a {TICK_MS} ms timer during GUI runs"},
    }
    if inner["gui"] and inner["headless"]:
        results["gui_training_vs_headless"]["train_loop_ratio"] = round(
            statistics.median(inner["gui"]) / statistics.median(inner["headless"]), 3)
    emit(results, args.json, "GUI training responsiveness")


if __name__ == "__main__":
    main()
