"""Measurement 2: `netbuilder train` epochs / a minimal hand-written loop (≤ 1.05),
and / a Lightning-style loop (hooks, callbacks, metric objects, a DataLoader).

Same data (the Trainer's own train/validation split of the built-in digits),
same network (hand-written nn.Module given the Trainer's initial weights),
same optimizer (Adam, lr 1e-3), batch 64. The Trainer runs in-process through
its API (netbuilder/train/trainer.py) — what `netbuilder train` runs. Every
epoch of every loop is a training pass plus a validation pass (loss and
accuracy), since the Trainer reports both each epoch. The first epoch of each
run is a warm-up and is not counted; runs are interleaved in a balanced order,
and the figure is the median over runs of the paired ratio of median epoch
times. `samples` (the small per-epoch picture event the GUI shows) is off
for the main ratio and measured on its own as trainer_samples.

`--clock cpu` times epochs by the CPU time of the (one) training thread
instead of the wall clock: on a shared machine under load, time spent
waiting for a core then counts for neither side (CPU device only).
"""

from __future__ import annotations

import time
from typing import Any, Callable

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import emit, median, parser

TARGET = 1.05


# --------------------------------------------------------------------- networks
def mlp_graph():
    from nets import chain, finish

    from netbuilder.core.graph import Graph

    g = Graph(name="mlp-digits")
    g.add_node("Input", {"shape": [64]}, id="x")
    return finish(g, chain(g, "x", [("Linear", {"out_features": 128}), ("ReLU", {}),
                                    ("Linear", {"out_features": 64}), ("ReLU", {}),
                                    ("Linear", {"out_features": 10})]))


def cnn_graph():
    from nets import chain, finish

    from netbuilder.core.graph import Graph

    g = Graph(name="cnn-digits")
    g.add_node("Input", {"shape": [1, 8, 8]}, id="x")
    return finish(g, chain(g, "x", [
        ("Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}), ("ReLU", {}),
        ("Flatten", {}), ("Linear", {"out_features": 64}), ("ReLU", {}), ("Linear", {"out_features": 10}),
    ]))


def hand_mlp():
    import torch.nn.functional as F
    from torch import nn

    class MLP(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc1, self.fc2, self.fc3 = nn.Linear(64, 128), nn.Linear(128, 64), nn.Linear(64, 10)

        def forward(self, x):
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))
    return MLP()


def hand_cnn():
    import torch
    import torch.nn.functional as F
    from torch import nn

    class CNN(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.conv2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
            self.fc1, self.fc2 = nn.Linear(32 * 4 * 4, 64), nn.Linear(64, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = torch.flatten(F.relu(self.conv2(x)), 1)
            return self.fc2(F.relu(self.fc1(x)))
    return CNN()


CASES = {"mlp": (mlp_graph, hand_mlp), "cnn": (cnn_graph, hand_cnn)}


DEVICE = "cpu"  # --device
CLOCK: Callable[[], float] = time.perf_counter  # --clock cpu: time.thread_time


def settings(epochs: int, samples: bool = False) -> dict:
    return {"dataset": "digits", "epochs": epochs, "batch_size": 64, "lr": 1e-3, "optimizer": "adam",
            "seed": 0, "device": DEVICE, "val_split": 0.2, "samples": samples}


# ------------------------------------------------------------------ the loops
def trainer_run(graph_dict: dict, epochs: int, samples: bool = False) -> list[float]:
    """Epoch durations (wall, between consecutive epoch events) of a Trainer run."""
    from netbuilder.train.trainer import Trainer

    stamps: list[float] = []
    for event in Trainer(graph_dict, settings(epochs, samples)).run():
        kind = type(event).__name__
        if kind in ("Started", "Epoch"):
            stamps.append(CLOCK())
        elif kind == "Failed":
            raise RuntimeError(f"the Trainer failed: {event.to_dict()}")
    return [b - a for a, b in zip(stamps, stamps[1:])]


def prepared(graph_dict: dict) -> tuple[Any, Any]:
    """The Trainer's own setup (data split, initial weights) for these settings."""
    from netbuilder.train.settings import resolve_settings
    from netbuilder.train.setup import build

    return build(graph_dict, resolve_settings(graph_dict, settings(1))), None


def hand_run(setup: Any, make_model: Callable, epochs: int) -> list[float]:
    """The minimal loop a person writes: randperm batches, forward, loss,
    zero_grad, backward, step; then a no-grad validation pass."""
    import torch
    import torch.nn.functional as F

    from nets import copy_by_order

    model = make_model()
    copy_by_order(setup.model, model)  # the Trainer's initial weights
    model.to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    p = setup.prep
    x, y, xv, yv = (t.to(DEVICE) for t in (p.x_train, p.y_train, p.x_val, p.y_val))
    n, bs = len(x), 64
    gen = torch.Generator().manual_seed(0)
    times, t = [], CLOCK()
    for _ in range(epochs):
        model.train()
        total = torch.zeros((), device=DEVICE)
        perm = torch.randperm(n, generator=gen).to(DEVICE)
        for i in range(0, n, bs):
            idx = perm[i:i + bs]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        model.eval()
        with torch.no_grad():
            val_loss, correct = torch.zeros((), device=DEVICE), torch.zeros((), dtype=torch.long, device=DEVICE)
            for i in range(0, len(xv), 256):
                out = model(xv[i:i + 256])
                val_loss += F.cross_entropy(out, yv[i:i + 256], reduction="sum")
                correct += (out.argmax(1) == yv[i:i + 256]).sum()
        _report = (total.item() / -(-n // bs), val_loss.item() / len(xv), correct.item() / len(xv))
        now = CLOCK()
        times.append(now - t)
        t = now
    return times


def lightning_run(setup: Any, make_model: Callable, epochs: int) -> list[float]:
    from lightning_style import fit

    from nets import copy_by_order

    model = make_model()
    copy_by_order(setup.model, model)
    p = setup.prep
    x, y, xv, yv = (t.to(DEVICE) for t in (p.x_train, p.y_train, p.x_val, p.y_val))
    return fit(model.to(DEVICE), x, y, xv, yv, epochs=epochs, batch_size=64, lr=1e-3)


# ----------------------------------------------------------------- measuring
def measure(quick: bool) -> dict:
    from netbuilder.core.io import graph_to_dict

    epochs, reps = (5, 4) if quick else (8, 6)
    results: dict = {}
    for name, (make_graph, make_hand) in CASES.items():
        graph_dict = graph_to_dict(make_graph())
        setup, _ = prepared(graph_dict)
        loops: dict[str, Callable[[], list[float]]] = {
            "trainer": lambda: trainer_run(graph_dict, epochs),
            "hand": lambda: hand_run(setup, make_hand, epochs),
            "lightning": lambda: lightning_run(setup, make_hand, epochs),
        }
        if not quick:
            loops["trainer_samples"] = lambda: trainer_run(graph_dict, epochs, samples=True)
        per_run = _balanced(loops, reps)
        pair = lambda a, b: round(median([x / y for x, y in zip(per_run[a], per_run[b])]), 4)  # noqa: E731
        ms = {k: round(median(v) * 1e3, 2) for k, v in per_run.items()}
        results[f"train.{name}.vs_hand"] = {"ratio": pair("trainer", "hand"), "target": TARGET,
                                            "trainer_epoch_ms": ms["trainer"], "hand_epoch_ms": ms["hand"],
                                            "steps_per_epoch": len(setup.train)}
        results[f"train.{name}.vs_lightning_style"] = {"ratio": pair("trainer", "lightning"),
                                                       "lightning_epoch_ms": ms["lightning"]}
        if "trainer_samples" in per_run:
            results[f"train.{name}.samples_on_vs_hand"] = {
                "ratio": pair("trainer_samples", "hand"), "note": "with the per-epoch samples event (GUI default)"}
    return results


def _balanced(loops: dict[str, Callable[[], list[float]]], reps: int) -> dict[str, list[float]]:
    """Median epoch time (warm-up epoch dropped) of each run, runs in rotating
    and reversed orders so every loop takes every position equally often."""
    names = list(loops)
    orders = []
    for k in range(len(names)):
        rotated = names[k:] + names[:k]
        orders += [rotated, rotated[::-1]]
    out: dict[str, list[float]] = {n: [] for n in names}
    for rep in range(max(reps, 2)):
        for name in orders[rep % len(orders)]:
            out[name].append(median(loops[name]()[1:]))
    return out


def main() -> None:
    global DEVICE, CLOCK
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                     help="time epochs by the wall clock (default) or by the training thread's CPU time")
    args = cli.parse_args()
    if args.clock == "cpu":
        if args.device != "cpu":
            raise SystemExit("--clock cpu measures CPU work; use it with --device cpu")
        import lightning_style

        CLOCK = lightning_style.CLOCK = time.thread_time
    _common.setup_torch(args.threads)
    DEVICE = args.device
    emit(measure(args.quick), args.json, "training epochs: netbuilder Trainer / hand-written")


if __name__ == "__main__":
    main()
