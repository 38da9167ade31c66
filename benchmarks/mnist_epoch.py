"""An MNIST-sized epoch (issue 13): `netbuilder train` / a hand loop over tensors
(target ≤ 1.03, parity), and an idiomatic DataLoader loop / the hand loop.

Data: 60,000 training + 10,000 test images, 1×28×28 uint8, generated (this
machine has no network) and written as the four MNIST IDX files; the Trainer
reads that folder as `--dataset FOLDER` does (the test files validate) and
keeps the normalised float tensors on the device. The other two loops get the
very same tensors and initial weights from the Trainer's own setup: the hand
loop indexes them with a randperm per epoch (bench_training.hand_run); the
DataLoader loop is the usual `DataLoader(TensorDataset(x, y), batch_size=64,
shuffle=True)` for training and a second one (batch 256) for validation.
Same LeNet-style model (nets.py), Adam lr 1e-3, batch 64; every epoch is a
training pass plus a validation pass (loss and accuracy), as the Trainer
reports both. The first epoch of each run is a warm-up; runs are interleaved
in a balanced order and the figure is the median of the paired ratios of
median epoch times. `--quick`: 6,000 + 1,000 samples.
"""

from __future__ import annotations

import struct
import tempfile
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (puts the checkout on sys.path)
import numpy as np
from _common import emit, median, parser

import bench_training

TARGET = 1.03
BATCH = 64


def write_idx_folder(folder: Path, train: int, test: int, seed: int = 0) -> Path:
    """The four uncompressed IDX files (official names); each digit class brightens its own rows,
    so the loss really falls, over uint8 noise."""
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        rows = 2 + 2 * labels
        for k in range(2):
            images[np.arange(n), rows + k, 4:24] = 240
        for stem, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
            (folder / stem).write_bytes(header + array.tobytes())
    return folder


def settings(folder: Path, epochs: int) -> dict[str, Any]:
    return {"dataset": str(folder), "epochs": epochs, "batch_size": BATCH, "lr": 1e-3, "optimizer": "adam",
            "seed": 0, "device": bench_training.DEVICE, "samples": False}


def trainer_run(graph_dict: dict, folder: Path, epochs: int) -> list[float]:
    """Epoch durations (between consecutive events) of a Trainer run, as `netbuilder train` runs it."""
    from netbuilder.train.trainer import Trainer

    stamps: list[float] = []
    for event in Trainer(graph_dict, settings(folder, epochs)).run():
        kind = type(event).__name__
        if kind in ("Started", "Epoch"):
            stamps.append(bench_training.CLOCK())
        elif kind == "Failed":
            raise RuntimeError(f"the Trainer failed: {event.to_dict()}")
    return [b - a for a, b in zip(stamps, stamps[1:])]


def dataloader_run(setup: Any, epochs: int) -> list[float]:
    """The loop of the PyTorch tutorials: DataLoader batches, forward, loss, zero_grad, backward, step."""
    import torch
    import torch.nn.functional as F
    from torch.utils.data import DataLoader, TensorDataset

    from nets import LeNet5, copy_by_order

    device = bench_training.DEVICE
    model = LeNet5()
    copy_by_order(setup.model, model)
    model.to(device)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    p = setup.prep
    x, y, xv, yv = (t.to(device) for t in (p.x_train, p.y_train, p.x_val, p.y_val))
    train_loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                              generator=torch.Generator().manual_seed(0))
    val_loader = DataLoader(TensorDataset(xv, yv), batch_size=256)
    times, t = [], bench_training.CLOCK()
    for _ in range(epochs):
        model.train()
        total = torch.zeros((), device=device)
        for xb, yb in train_loader:
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            total += loss.detach()
        model.eval()
        with torch.no_grad():
            val_loss, correct = torch.zeros((), device=device), torch.zeros((), dtype=torch.long, device=device)
            for xb, yb in val_loader:
                out = model(xb)
                val_loss += F.cross_entropy(out, yb, reduction="sum")
                correct += (out.argmax(1) == yb).sum()
        _report = (total.item() / len(train_loader), val_loss.item() / len(xv), correct.item() / len(xv))
        now = bench_training.CLOCK()
        times.append(now - t)
        t = now
    return times


def measure(quick: bool) -> dict:
    from nets import LeNet5, lenet_graph

    from netbuilder.core.io import graph_to_dict
    from netbuilder.train.settings import resolve_settings
    from netbuilder.train.setup import build

    train, test, epochs, reps = (6_000, 1_000, 3, 6) if quick else (60_000, 10_000, 3, 6)
    graph_dict = graph_to_dict(lenet_graph())
    with tempfile.TemporaryDirectory(prefix="mnist_epoch_") as tmp:
        folder = write_idx_folder(Path(tmp), train, test)
        setup = build(graph_dict, resolve_settings(graph_dict, settings(folder, 1)))
        if (len(setup.prep.x_train), len(setup.prep.x_val)) != (train, test):
            raise RuntimeError("the Trainer did not validate on the t10k files")
        loops = {
            "trainer": lambda: trainer_run(graph_dict, folder, epochs),
            "hand": lambda: bench_training.hand_run(setup, LeNet5, epochs),
            "dataloader": lambda: dataloader_run(setup, epochs),
        }
        per_run = bench_training._balanced(loops, reps)
    pair = lambda a, b: round(median([x / y for x, y in zip(per_run[a], per_run[b])]), 4)  # noqa: E731
    ms = {k: round(median(v) * 1e3, 1) for k, v in per_run.items()}
    note = f"{train:,} + {test:,} samples, {-(-train // BATCH)} steps"
    return {
        "mnist_epoch.trainer_vs_hand": {"ratio": pair("trainer", "hand"), "target": TARGET, "note": note,
                                        "trainer_epoch_ms": ms["trainer"], "hand_ms": ms["hand"]},
        "mnist_epoch.dataloader_vs_hand": {"ratio": pair("dataloader", "hand"),
                                           "dataloader_epoch_ms": ms["dataloader"]},
        "mnist_epoch.trainer_vs_dataloader": {"ratio": pair("trainer", "dataloader")},
    }


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    args = cli.parse_args()
    _common.setup_torch(args.threads)
    bench_training.DEVICE = args.device
    emit(measure(args.quick), args.json, "an MNIST-sized epoch: netbuilder Trainer / DataLoader loop / hand loop")


if __name__ == "__main__":
    main()
