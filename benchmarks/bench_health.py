"""Layer-health cost: Trainer epochs with the health statistics on (the default) /
the same run with them off (`health_every=0`), target ≤ 1.05 (issue 15).

Same network, data and settings as bench_training.py (digits, batch 64, Adam);
runs are interleaved in a balanced order (`_common.interleaved`), the first
two epochs of each run are a warm-up, and the figure is the median over runs of the
paired ratio of mean epoch times (a sample lands in some epochs only). Also printed: the sample steps per epoch.
"""

from __future__ import annotations

import time

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import emit, interleaved, median, parser

import bench_training

TARGET = 1.05


def epoch_times(graph_dict: dict, epochs: int, health_every: int | None) -> list[float]:
    from netbuilder.train.trainer import Trainer

    stamps: list[float] = []
    trainer = Trainer(graph_dict, bench_training.settings(epochs), health_every=health_every)
    for event in trainer.run():
        kind = type(event).__name__
        if kind in ("Started", "Epoch"):
            stamps.append(time.perf_counter())
        elif kind == "Failed":
            raise RuntimeError(f"the Trainer failed: {event.to_dict()}")
    # the first two epochs warm up (the first sample step also pays for its code paths once)
    return [b - a for a, b in zip(stamps, stamps[1:])][2:]


def measure(quick: bool) -> dict:
    from netbuilder.core.io import graph_to_dict
    from netbuilder.train.health import default_interval

    epochs, reps = (6, 4) if quick else (12, 8)
    results: dict = {}
    for name, (make_graph, _hand) in bench_training.CASES.items():
        graph = graph_to_dict(make_graph())
        runs: dict[str, list[float]] = {"on": [], "off": []}

        def run(key: str, every: int | None) -> None:
            # the mean, not the median: samples fall in some epochs only, and a median would hide them
            times = epoch_times(graph, epochs, every)
            runs[key].append(sum(times) / len(times))

        interleaved({"on": lambda: run("on", None), "off": lambda: run("off", 0)}, reps, warmup=0)
        ratio = median([a / b for a, b in zip(runs["on"], runs["off"])])
        steps = -(-int(1797 * 0.8) // 64)
        results[f"health_{name}"] = {"ratio": ratio, "target": TARGET,
                                     "note": f"1 sample every {default_interval(steps)} of {steps} steps"}
    return results


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    args = cli.parse_args()
    _common.setup_torch(args.threads)
    bench_training.DEVICE = args.device
    emit(measure(args.quick), args.json, "training epochs: layer health on / off")


if __name__ == "__main__":
    main()
