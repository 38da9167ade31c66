"""Shared helpers for the benchmark scripts: interleaved timing, medians, output.

Every measurement here is a *ratio* of two things run side by side in the
same process, repetitions interleaved (A B, B A, A B, ...), so machine noise
hits both sides alike; absolute times from these shared machines are not
comparable between runs. The median of the per-repetition ratios is reported.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from a checkout
    sys.path.insert(0, str(ROOT))


def interleaved(fns: dict[str, Callable[[], Any]], reps: int, inner: int = 1, warmup: int = 1,
                sync: Callable[[], Any] | None = None) -> dict[str, list[float]]:
    """Time each callable `inner` times per repetition, in an order that
    changes every repetition: all rotations of the list, each also reversed.
    Over each 2·n repetitions every callable runs exactly twice in every
    position — position matters (the first runs right after a collection;
    a later one reuses the memory the one before it just freed), so an
    unbalanced order shows differences of a few percent that are not there.
    `reps` is rounded up to a whole number of such cycles. `sync` (e.g.
    torch.cuda.synchronize) runs before each clock read, so queued GPU work
    is counted where it was queued."""
    sync = sync or (lambda: None)
    names = list(fns)
    orders = []
    for k in range(len(names)):
        rotated = names[k:] + names[:k]
        orders += [rotated, rotated[::-1]]
    for _ in range(warmup):
        for name in names:
            for _ in range(inner):
                fns[name]()
    times: dict[str, list[float]] = {n: [] for n in names}
    cycles = -(-reps // len(orders))
    for rep in range(cycles * len(orders)):
        gc.collect()
        for name in orders[rep % len(orders)]:
            fn = fns[name]
            sync()
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            sync()
            times[name].append((time.perf_counter() - t0) / inner)
    return times


def median_ratio(times: dict[str, list[float]], num: str, den: str) -> float:
    """Median over repetitions of time[num] / time[den] (paired, same repetition)."""
    return statistics.median(a / b for a, b in zip(times[num], times[den]))


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def best_of(fn: Callable[[], Any], reps: int) -> list[float]:
    """Wall times of `reps` calls of fn (for absolute figures like ms per check)."""
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def setup_torch(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)


def device_sync(device: str) -> Callable[[], Any] | None:
    """What waits for queued work on `device` (None on the CPU)."""
    import torch

    return torch.cuda.synchronize if device.startswith("cuda") else None


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="fewer repetitions and cases (CI smoke run)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument("--device", default="cpu", help="torch device for the model benchmarks (cpu, cuda)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: the shared 2-core machines give steadier ratios)")
    return p


def emit(results: dict[str, Any], as_json: bool, title: str) -> None:
    """Print `results` as JSON or as an aligned table of name / value / target."""
    if as_json:
        print(json.dumps(results, indent=2, sort_keys=True))
        return
    print(f"== {title}")
    for name, row in results.items():
        if not isinstance(row, dict):
            print(f"  {name:<44} {row}")
            continue
        value = row.get("ratio", row.get("ms", row.get("s")))
        unit = "" if "ratio" in row else (" ms" if "ms" in row else " s")
        target = row.get("target")
        verdict = "" if target is None or value is None else ("  ok" if value <= target else "  MISSED")
        shown = "n/a" if value is None else f"{value:.3f}{unit}"
        tgt = "" if target is None else f"(target ≤ {target}{unit})"
        notes = [row["note"]] if row.get("note") else []
        if "control_ratio" in row:
            notes.insert(0, f"control {row['control_ratio']:.3f}")
        if "hand_ms" in row:
            notes.insert(0, f"hand {row['hand_ms']:.2f} ms")
        note = f"  [{'; '.join(notes)}]" if notes else ""
        print(f"  {name:<44} {shown:>12} {tgt}{verdict}{note}")
