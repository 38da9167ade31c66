"""Measurement 1: compiled graph forward+backward / hand-written nn.Module.

Same weights (copied by order), same input, same loss; interleaved
repetitions in one process; the median of the per-repetition ratios.
`--compile` also compares the two after `torch.compile` (slow to compile on
2 CPU cores; run_all skips it with --quick).
"""

from __future__ import annotations

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import device_sync, emit, interleaved, median, median_ratio, parser, setup_torch

TARGET = 1.03


def measure(quick: bool, compile_too: bool = False, device: str = "cpu") -> dict:
    from nets import CASES

    results: dict = {}
    for case in CASES:
        big = case.name == "resnet18"
        # several independent pairs: where a model's tensors land in memory
        # moves single-instance timings by a few percent, so one pair can
        # show a "difference" that is only placement
        pairs = [case.build(device) for _ in range(2 if big else 3)]
        reps = (4 if big else 8) if quick else (12 if big else 24)
        sync = device_sync(device)
        inner = _inner(case, pairs[0], block_s=0.02 if quick else 0.04, sync=sync)
        results[f"fwd_bwd.{case.name}"] = _timed(case, pairs, reps, inner, lambda m: m, control=not quick, sync=sync)
        if compile_too:
            results[f"fwd_bwd_compiled.{case.name}"] = _compiled(case, pairs[:1], reps, inner, sync)
    return results


def _inner(case, pair, block_s: float, sync=None) -> int:
    """Steps per timed block so that a block lasts about `block_s`: short
    steps (the MLP's ~1 ms) are otherwise dominated by timer and scheduler noise."""
    import time

    from nets import train_step

    step = train_step(pair[1], case.loss, pair[2], pair[3])
    sync = sync or (lambda: None)
    step()
    sync()
    t0 = time.perf_counter()
    step()
    sync()
    return max(1, min(50, round(block_s / (time.perf_counter() - t0))))


def _timed(case, pairs, reps: int, inner: int, wrap, control: bool = False, sync=None) -> dict:
    """graph / hand; with `control`, also a second copy of the hand-written
    module / the first — the same code, so its distance from 1 is the noise."""
    import copy

    from nets import train_step

    fns = {}
    for i, (gm, hand, x, y) in enumerate(pairs):
        fns[f"graph{i}"] = train_step(wrap(gm), case.loss, x, y)
        fns[f"hand{i}"] = train_step(wrap(hand), case.loss, x, y)
        if control:
            fns[f"control{i}"] = train_step(wrap(copy.deepcopy(hand)), case.loss, x, y)
    times = interleaved(fns, reps=reps, inner=inner, warmup=2, sync=sync)
    n, reps = len(pairs), len(times["graph0"])
    total = {k: [sum(times[f"{k}{i}"][r] for i in range(n)) for r in range(reps)]
             for k in ("graph", "hand", "control") if f"{k}0" in times}
    out = {"ratio": round(median_ratio(total, "graph", "hand"), 4), "target": TARGET,
           "hand_ms": round(median(total["hand"]) / n * 1e3, 3),
           "graph_ms": round(median(total["graph"]) / n * 1e3, 3), "batch": case.batch}
    if control:
        out["control_ratio"] = round(median_ratio(total, "control", "hand"), 4)
    return out


def _compiled(case, pairs, reps: int, inner: int, sync=None) -> dict:
    import torch

    try:
        out = _timed(case, pairs, reps, inner, torch.compile, sync=sync)
    except Exception as exc:  # torch.compile support varies by platform; report, don't fail
        return {"ratio": None, "target": TARGET, "note": f"torch.compile failed: {type(exc).__name__}: {exc}"[:200]}
    if case.name == "lstm":
        # not the same program on both sides: dynamo does not trace nn.LSTM
        # (allow_rnn=False; with True, inductor fails on CPU in torch 2.13), so
        # each side compiles whatever its frame has around the LSTM
        out["target"] = None
        out["note"] = "not comparable: dynamo leaves nn.LSTM eager and splits the two forwards differently"
    return out


def main() -> None:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--compile", action="store_true", help="also measure under torch.compile")
    args = p.parse_args()
    setup_torch(args.threads)
    emit(measure(args.quick, args.compile, args.device), args.json,
         f"forward+backward: graph / hand-written ({args.device})")


if __name__ == "__main__":
    main()
