"""The long reliability fuzz (not collected by pytest: run it by hand).

    python tests/reliability/fuzz_long.py [--files 2000] [--graphs 1000] [--seed 1] [--limit 20]

Loads thousands of malformed graph files (26 kinds of damage, see
reliability_files.py) and checks, compiles and runs thousands of random
valid graphs (reliability_graphs.py), each under a time limit, and prints a
summary: outcomes per kind of case, and every failure (uncaught exception,
unclear message, wrong shape, hang) with the seed that reproduces it. Exit
status 1 when anything failed. About a minute for 10,000 files + 5,000 graphs.
The CI part (tests/reliability/test_fuzz_*.py) runs the same checks on fewer cases.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import torch  # noqa: E402

from reliability_check import Hang, load_case, time_limit, verify_graph  # noqa: E402
from reliability_files import malformed_cases  # noqa: E402
from reliability_graphs import random_graph  # noqa: E402

PRESETS = HERE.parent.parent / "presets"


def _bases() -> list[dict]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(PRESETS.glob("*.json"))]


def fuzz_files(seed: int, count: int, limit: float, failures: list) -> collections.Counter:
    outcomes: collections.Counter = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "graph.json"
        for i, (label, raw, hints) in enumerate(malformed_cases(seed, count, _bases())):
            kind = re.split(r" \(| at ", label)[0]
            try:
                with time_limit(limit):
                    outcome = load_case(path, raw, hints)
            except Hang as exc:
                outcome = "HANG"
                failures.append((f"file #{i} ({label}), seed {seed}", str(exc)))
            except BaseException as exc:  # noqa: BLE001 - the point is to catch everything
                outcome = "FAIL"
                failures.append((f"file #{i} ({label}), seed {seed}", _short_tb(exc)))
            outcomes[(kind, outcome.split(",")[0] if outcome.startswith("loaded") else outcome)] += 1
    return outcomes


def fuzz_graphs(seed: int, count: int, limit: float, failures: list) -> collections.Counter:
    outcomes: collections.Counter = collections.Counter()
    for i in range(count):
        case_seed = seed * 1_000_003 + i
        graph = None
        try:
            with time_limit(limit):
                graph = random_graph(__import__("random").Random(case_seed), max_layers=14)
                outcome = verify_graph(graph)
        except Hang as exc:
            outcome = "HANG"
            failures.append((f"graph seed {case_seed}", str(exc)))
        except BaseException as exc:  # noqa: BLE001
            outcome = "FAIL"
            detail = _short_tb(exc)
            if graph is not None:
                from netbuilder.core.io import dumps
                detail += "\n" + dumps(graph)[:4000]
            failures.append((f"graph seed {case_seed}", detail))
        outcomes[outcome] += 1
    return outcomes


def _short_tb(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)[-6:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=2000, help="malformed files to load")
    parser.add_argument("--graphs", type=int, default=1000, help="random valid graphs to check and run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--limit", type=float, default=20.0, help="seconds per case before it counts as a hang")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    failures: list[tuple[str, str]] = []
    start = time.perf_counter()
    files = fuzz_files(args.seed, args.files, args.limit, failures)
    t_files = time.perf_counter() - start
    graphs = fuzz_graphs(args.seed, args.graphs, args.limit, failures)
    t_graphs = time.perf_counter() - start - t_files
    print(f"Malformed files: {args.files} in {t_files:.1f} s")
    print(f"  {'case':<26} {'tried':>6} {'refused':>8} {'loaded':>7} {'FAIL':>5} {'HANG':>5}")
    for kind in sorted({k for k, _ in files}):
        row = [files[(kind, o)] for o in ("refused", "loaded", "FAIL", "HANG")]
        print(f"  {kind:<26} {sum(row):>6} {row[0]:>8} {row[1]:>7} {row[2]:>5} {row[3]:>5}")
    print(f"Random valid graphs: {args.graphs} in {t_graphs:.1f} s")
    for outcome, n in sorted(graphs.items()):
        print(f"  {outcome:<40} {n:>6}")
    print(f"Failures: {len(failures)}")
    for where, detail in failures[:30]:
        print(f"--- {where}\n{detail}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
