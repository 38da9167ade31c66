"""Run every benchmark; print a table, or with --json one JSON object.

    python benchmarks/run_all.py            # full run, table (several minutes)
    python benchmarks/run_all.py --quick    # < 2 minutes on 2 CPU cores
    python benchmarks/run_all.py --json     # {"meta", "results", "ratios", "missed"}

Each script runs in its own process (Qt and torch state stay apart, and one
failing script does not hide the others); its --json output is merged.
"ratios" maps every measurement to its headline number: a ratio against
hand-written PyTorch, or seconds/milliseconds where the target is a time.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _common import emit, parser  # noqa: E402

# (script, extra args for a full run); a missing script is skipped with a note
SCRIPTS = [
    ("bench_forward_backward.py", ["--compile"]),
    ("bench_training.py", []),
    ("bench_health.py", []),
    ("bench_shape_check.py", []),
    ("bench_gui_open.py", []),
    ("bench_startup.py", []),
    ("bench_start.py", []),  # Start → first training step, cold / warm child (issue 18)
    ("gui_training_stall.py", []),  # written with the GUI training dock
]


def _run(script: str, extra: list[str], quick: bool, threads: int, device: str) -> dict:
    path = HERE / script
    if not path.exists():
        return {f"{path.stem}": {"note": "script not present yet"}}
    cmd = [sys.executable, str(path), "--json", "--threads", str(threads), "--device", device] \
        + (["--quick"] if quick else extra)
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=HERE.parent)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {f"{path.stem}": {"note": f"failed (exit {proc.returncode}): {' | '.join(tail)}"[:400]}}
    return _parse(proc.stdout, path.stem)


def _parse(stdout: str, name: str) -> dict:
    """The script's JSON object (the last one printed, if it logged first)."""
    start = stdout.find("{")
    while start != -1:
        try:
            data = json.loads(stdout[start:])
            return data if isinstance(data, dict) else {name: {"value": data}}
        except json.JSONDecodeError:
            start = stdout.find("\n{", start + 1)
            start = start + 1 if start != -1 else -1
    return {name: {"note": "no JSON in its output"}}


def headline(row: object) -> object:
    if not isinstance(row, dict):
        return row
    for key in ("ratio", "s", "ms", "p99_ms", "value"):
        if key in row:
            return row[key]
    return None


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    args = p.parse_args()
    t0 = time.perf_counter()
    results: dict = {}
    for script, extra in SCRIPTS:
        results.update(_run(script, extra, args.quick, args.threads, args.device))
    import torch

    meta = {"quick": args.quick, "threads": args.threads, "torch": torch.__version__,
            "python": platform.python_version(), "cpu_count": os.cpu_count(), "machine": platform.machine(),
            "device": args.device, "wall_s": round(time.perf_counter() - t0, 1)}
    ratios = {k: headline(v) for k, v in results.items()}
    missed = sorted(k for k, v in results.items() if isinstance(v, dict) and v.get("target") is not None
                    and headline(v) is not None and headline(v) > v["target"])
    if args.json:
        print(json.dumps({"meta": meta, "ratios": ratios, "missed": missed, "results": results},
                         indent=2, sort_keys=True))
        return
    emit(results, False, f"NetBuilder benchmarks ({'quick' if args.quick else 'full'}, "
                         f"{args.threads} torch thread(s), torch {meta['torch']}, {meta['wall_s']} s)")
    print(f"missed: {', '.join(missed) or 'none'}")


if __name__ == "__main__":
    main()
