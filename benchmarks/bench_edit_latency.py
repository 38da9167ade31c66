"""Issue 18 item 1: edit latency and the longest freeze of the editor at 1k/5k/20k-node chains.

A real main window (QT_QPA_PLATFORM=offscreen) opens a chain (Input → Linear/ReLU … →
Output, laid out on a grid so no auto-layout runs), and a seeded sequence of edits goes
through the undo stack as the GUI makes them: a Linear's out_features (reshapes the next
layers), a layer added and the add undone (a node in, a node out), and — separately — the
Input's shape (every node reshaped: a full recount). For each edit:

- latency: from the push until the budget bar shows the new costs (p99, ms);
- freezes: the push (graph listeners, canvas), then every `processEvents()` call until
  the live shape check and the bar are done (their slices among them) and two more (the
  repaints); the live check's longest slice (`check_ms`) and the
  budget bar's own slices (`BudgetBar.slice_seconds`) are reported on their own.

The before-state is the old `BudgetBar.refresh`: one `summary()` over every node
(per-key parameter cache warm) and three per-node dicts, in one block after each edit,
timed on the same graph and report. `ratio` = the bar's longest slice now / that block.
The edits run twice: as the network opened (its start in view, zoom 0.5), and
`edit_fitted`: after Fit, the whole network in view (zoom 0.04 at 20k, the overview
picture; 0.2 at 1k, every item painted).
--quick: 1k and 5k nodes only, fewer edits. --sizes N...: other chain lengths.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import emit, parser

FREEZE_TARGET_MS = 16.0  # one 60 Hz frame


def chain_file(folder: Path, n: int) -> Path:
    """Input → n-2 alternating Linear(64)/ReLU → Output, on a grid (positions saved)."""
    from bench_shape_check import chain_graph

    from netbuilder.core.io import save_graph

    graph = chain_graph(n)
    for i, nid in enumerate(graph.nodes):
        graph.nodes[nid].pos = (float(i % 100) * 220.0, float(i // 100) * 120.0)
    path = folder / f"chain_{n}.json"
    save_graph(graph, path)
    return path


def old_refresh(graph, report) -> None:
    """What BudgetBar.refresh did before issue 18: the whole summary, every node, at once."""
    from netbuilder.core.summary import summary

    result = summary(graph, report)
    per_node: dict[str, dict[str, int]] = {m: {} for m in ("params", "macs", "memory")}
    for row in result.rows:
        per_node["params"][row.node] = row.params
        per_node["macs"][row.node] = row.macs
        per_node["memory"][row.node] = row.params * 4 + row.activation_bytes
    _ = result.total_params, result.total_macs, sum(per_node["memory"].values())


def _edit(window, rng: random.Random, kind: str):
    """Push one edit (or an undo) and return nothing; the caller times it."""
    from netbuilder.gui.commands import AddNodeCommand, SetParamsCommand

    graph = window.graph
    if kind == "param":
        nid = rng.choice([n.id for n in graph.nodes_of_type("Linear")])
        new = 32 if graph.nodes[nid].params["out_features"] == 64 else 64
        window.undo_stack.push(SetParamsCommand(graph, nid, {"out_features": new}))
    elif kind == "add":
        window.undo_stack.push(AddNodeCommand(graph, "ReLU", None, (rng.uniform(0, 2e4), -300.0)))
    elif kind == "undo":
        window.undo_stack.undo()
    else:  # reshape: every node's input changes
        shape = [2, 64] if graph.nodes["x"].params["shape"] == [64] else [64]
        window.undo_stack.push(SetParamsCommand(graph, "x", {"shape": shape}))


def _time_slices(bar) -> list[float]:
    """Thread CPU seconds of each budget slice the event loop runs from now on: on a shared,
    loaded machine the wall clock also counts the time other processes had the core."""
    cpu: list[float] = []

    def timed() -> None:
        t = time.thread_time()
        bar._slice_turn()  # the slot as connected: it may wait for the next turn (gui/turns.py)
        cpu.append(time.thread_time() - t)

    bar._slice_timer.timeout.disconnect()
    bar._slice_timer.timeout.connect(timed)
    return cpu


class _Collections:
    """The garbage collector's pauses (seconds, generation 2 only) while an edit is timed: a
    block of the GUI thread may be one, not the editor's own work."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._start = 0.0
        gc.callbacks.append(self._note)

    def _note(self, phase: str, info: dict) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._start)

    def close(self) -> None:
        gc.callbacks.remove(self._note)


def _measure_edit(app, window, bar, rng, kind: str, cpu: list[float]) -> dict:
    cpu.clear()
    collections = _Collections()
    t0 = time.perf_counter()
    _edit(window, rng, kind)
    push = time.perf_counter() - t0
    blocks = [push]
    while window.live.busy() or bar.busy():  # the live check's slices, then the bar's
        t = time.perf_counter()
        app.processEvents()
        blocks.append(time.perf_counter() - t)
    latency = time.perf_counter() - t0
    check_s = max(window.live.slice_seconds, default=0.0)  # its longest slice
    for _ in range(2):  # the repaints the edit asked for, if they came after the bar's last slice
        t = time.perf_counter()
        app.processEvents()
        blocks.append(time.perf_counter() - t)
    collections.close()
    t = time.perf_counter()
    old_refresh(window.graph, window.live.report)
    old = time.perf_counter() - t
    # the comparison's own garbage (a 20,000-row summary per edit) is collected here, untimed:
    # left to the collector it became gen-2 pauses (30-180 ms) inside the next edit's timing
    gc.collect()
    return {"latency": latency, "push": push, "check": check_s, "freeze": max(blocks),
            "slice": max(bar.slice_seconds, default=0.0), "slice_cpu": max(cpu, default=0.0),
            "turns": len(blocks), "over": sum(b > FREEZE_TARGET_MS / 1e3 for b in blocks),
            "slices": len(bar.slices), "old": old, "gc": max(collections.pauses, default=0.0)}


def _fitted_edits(app, window, bar, rng, kinds: list[str], cpu: list[float]) -> list[dict]:
    """The same edits with the whole network in view (Fit: zoomed far out, the canvas draws
    the overview picture, gui/canvas/overview.py). Every item exists first."""
    window.scene.finish_items()
    window.scene.finish_shapes()
    t = time.perf_counter()
    window.view.fit_to_view()
    app.processEvents()
    print(f"  fitted (zoom {window.view.zoom():.2f}) and painted in {time.perf_counter() - t:.2f} s",
          file=sys.stderr)
    while bar.busy():
        app.processEvents()
    return [_measure_edit(app, window, bar, rng, k, cpu) for k in kinds]


def _p99(xs: list[float]) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]


def _ms(x: float) -> float:
    return round(x * 1e3, 2)


def measure_size(app, window, folder: Path, n: int, edits: int, reshapes: int) -> dict:
    bar = window.export_actions.budget
    cpu = _time_slices(bar)
    t0 = time.perf_counter()
    if not window.open_file(chain_file(folder, n)):
        return {f"edit_latency.chain_{n}": {"note": "open_file refused the file"}}
    while bar.busy():  # the first count of the opened graph (sliced too)
        app.processEvents()
    first_slice, first_cpu = max(bar.slice_seconds, default=0.0), max(cpu, default=0.0)
    print(f"chain {n}: opened and counted in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    rng = random.Random(n)
    kinds = [("param", "add", "param", "undo")[i % 4] for i in range(edits)]
    runs = [_measure_edit(app, window, bar, rng, k, cpu) for k in kinds]
    big = [_measure_edit(app, window, bar, rng, "reshape", cpu) for _ in range(reshapes)]
    fitted = _fitted_edits(app, window, bar, rng, kinds, cpu)
    key = f"edit_latency.chain_{n}"
    out = {}
    for name, rows in (("edit", runs), ("reshape_all", big), ("edit_fitted", fitted)):
        worst_slice, worst_old = max(r["slice"] for r in rows), max(r["old"] for r in rows)
        out[f"{key}.{name}.budget_slice_max"] = {
            "ms": _ms(worst_slice), "target": FREEZE_TARGET_MS,
            "ratio_vs_full_recount": round(worst_slice / worst_old, 4), "full_recount_ms": _ms(worst_old),
            "cpu_ms": _ms(max(r["slice_cpu"] for r in rows)),
            "slices_max": max(r["slices"] for r in rows), "nodes": len(window.graph),
            "note": f"wall; CPU {_ms(max(r['slice_cpu'] for r in rows))} ms; / the old full recount "
                    f"({_ms(worst_old)} ms): {worst_slice / worst_old:.3f}"}
        out[f"{key}.{name}.latency_p99"] = {
            "ms": _ms(_p99([r["latency"] for r in rows])), "edits": len(rows),
            "note": "push → bar shows the new costs (whole editor)"}
        out[f"{key}.{name}.editor_freeze_max"] = {
            "ms": _ms(max(r["freeze"] for r in rows)),
            "push_ms": _ms(max(r["push"] for r in rows)), "check_ms": _ms(max(r["check"] for r in rows)),
            "blocks_over_frame": sum(r["over"] for r in rows), "blocks": sum(r["turns"] for r in rows),
            "gc_ms": _ms(max(r["gc"] for r in rows)),
            "note": "longest single block of the GUI thread: push (listeners, canvas) or an event-loop turn (the "
                    "live check's slices among them: check_ms is its longest); "
                    f"longest full collection inside: {_ms(max(r['gc'] for r in rows))} ms; blocks over "
                    f"{FREEZE_TARGET_MS:.0f} ms: {sum(r['over'] for r in rows)} of {sum(r['turns'] for r in rows)}"}
    out[f"{key}.first_count.budget_slice_max"] = {
        "ms": _ms(first_slice), "target": FREEZE_TARGET_MS, "cpu_ms": _ms(first_cpu),
        "note": f"counting a freshly opened graph; CPU {_ms(first_cpu)} ms"}
    return out


def measure(quick: bool, sizes: tuple[int, ...] = ()) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])  # before the editor's modules (pixmaps)
    from netbuilder.gui.main_window import MainWindow

    window = MainWindow()
    window.show()
    app.processEvents()
    import torch  # noqa: F401  (a one-time second the first count would otherwise include)

    sizes = sizes or ((1000, 5000) if quick else (1000, 5000, 20000))
    edits, reshapes = (20, 2) if quick else (60, 4)
    results: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            results.update(measure_size(app, window, Path(tmp), n, edits, reshapes))
            window.undo_stack.setClean()
            window.document.new()
            app.processEvents()
    window.undo_stack.setClean()
    window.close()
    app.processEvents()
    return results


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[], help="chain lengths (default 1000 5000 20000)")
    args = p.parse_args()
    emit(measure(args.quick, tuple(args.sizes)), args.json, "Edit latency (ms)")


if __name__ == "__main__":
    main()
