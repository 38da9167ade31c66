"""Issue 18: Start → first training step, cold (a fresh spawned child) and warm (a child spawned ahead).

What the Training dock's Start does, without the window: a `TrainingRun` of the default network
(the LeNet-on-digits preset, 1 epoch) is started and the clock stops when its first `step` event
reaches the parent (the dock draws it at its next 40 ms tick). Cold: the run spawns its own
interpreter, which imports torch, the trainer and torch._dynamo (through the first optimizer)
before its first step. Warm: a `WarmChild` was spawned before Start and has finished those imports
(its preparation is not timed: the editor does it after the window shows and after each run).
Cold and warm repetitions alternate; the load average is printed, since the cold figure is mostly
CPU-bound imports and grows with it.
"""

from __future__ import annotations

import os
import time

import _common  # noqa: F401 — puts the checkout on sys.path
from _common import emit, median, parser

WARM_TARGET_S = 0.3
READY_TIMEOUT_S = 300.0


def _graph() -> dict:
    from netbuilder.core.io import graph_to_dict
    from netbuilder.presets import load_preset

    return graph_to_dict(load_preset("lenet_digits"))


def _first_step(graph: dict, warm=None) -> float:
    """Seconds from start() to the first step event in the parent."""
    from netbuilder.train.runner import TrainingRun

    run = TrainingRun(graph, {"epochs": 1, "samples": False}, warm=warm)
    t0 = time.perf_counter()
    run.start()
    try:
        while True:
            events = run.poll()
            if any(e["event"] == "step" for e in events):
                return time.perf_counter() - t0
            ended = [e for e in events if e["event"] in ("finished", "failed", "stopped")]
            if ended:
                raise RuntimeError(f"the run ended before a step: {ended[0]}")
            time.sleep(0.002)
    finally:
        run.stop(timeout=5.0)


def _ready_child():
    from netbuilder.train.warm_child import WarmChild

    child = WarmChild()
    if not child.start():
        raise RuntimeError("could not spawn a warm child")
    deadline = time.monotonic() + READY_TIMEOUT_S
    while not child.ready:
        if time.monotonic() > deadline or not child.alive:
            raise RuntimeError("the warm child did not get ready")
        time.sleep(0.01)
    time.sleep(0.2)  # let the spawn's own pipes and the parent settle
    return child


def _wait(app, condition, timeout: float = READY_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError("timed out")
        app.processEvents()
        time.sleep(0.002)


def gui_first_point(reps: int) -> dict:
    """The same in the editor: the real MainWindow's Start button → the first step drawn on the
    curve (handled by the dock, whose timer drains the child's events every 40 ms)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from netbuilder.gui.app import ensure_app
    from netbuilder.gui.main_window import MainWindow
    from netbuilder.presets import load_preset

    app = ensure_app()
    window = MainWindow(load_preset("lenet_digits"))
    window.show()
    dock = window.training_dock
    handle = dock._handle
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    try:
        for i in range(reps):
            for kind in (("cold", "warm") if i % 2 == 0 else ("warm", "cold")):
                dock.warm.enabled = kind == "warm"
                if kind == "warm":
                    dock.warm.prepare()
                    _wait(app, lambda: dock.warm.ready)
                    time.sleep(0.2)
                first: list[float] = []
                dock._handle = lambda e: (first.append(time.perf_counter()) if e.get("event") == "step" and not first
                                          else None, handle(e))
                t0 = time.perf_counter()
                dock.run_panel.start_button.click()
                _wait(app, lambda: bool(first))
                times[kind].append(first[0] - t0)
                dock.stop()
                _wait(app, lambda: dock.run is None)
                dock.warm.shutdown()  # the replacement spawned when the run ended: not timed here
                dock.warm.closed = False
    finally:
        dock._handle = handle
        dock.shutdown()
        window.close()
    return {"start.gui_first_point_warm": {"s": round(median(times["warm"]), 3), "target": WARM_TARGET_S,
                                           "note": f"editor window; runs {_runs(times['warm'])}"},
            "start.gui_first_point_cold": {"s": round(median(times["cold"]), 3),
                                           "note": f"editor window; runs {_runs(times['cold'])}"}}


def _runs(values: list[float]) -> str:
    return ", ".join(f"{t:.3f}" for t in values)


def measure(quick: bool) -> dict:
    graph = _graph()
    reps = 2 if quick else 6
    cold, warm = [], []
    load_before = os.getloadavg()[0]
    for i in range(reps):
        order = ("cold", "warm") if i % 2 == 0 else ("warm", "cold")
        for kind in order:
            if kind == "cold":
                cold.append(_first_step(graph))
            else:
                warm.append(_first_step(graph, _ready_child()))
    load = f"load average {load_before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    ratios = sorted(c / w for c, w in zip(cold, warm))
    return {
        "start.first_step_warm": {"s": round(median(warm), 3), "target": WARM_TARGET_S,
                                  "note": f"child spawned ahead; runs {_runs(warm)}"},
        "start.first_step_cold": {"s": round(median(cold), 3),
                                  "note": f"fresh spawned child; runs {_runs(cold)}; {load}"},
        "start.cold_over_warm": {"ratio": round(median(ratios), 1), "note": "median of paired cold / warm"},
        **gui_first_point(1 if quick else 3),
    }


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    emit(measure(args.quick), args.json, "Start → first training step (wall seconds)")


if __name__ == "__main__":
    main()
