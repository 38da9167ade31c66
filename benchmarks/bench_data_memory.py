"""Peak memory of training on MNIST-like data (issue 18, item 4): a `Trainer` run / a hand loop.

Data: N training + N/6 test images, 1×28×28 uint8, generated and written as the four MNIST IDX
files (as mnist_epoch.py does); the Trainer reads the folder as `--dataset FOLDER` does.
The hand loop is what a person writes: read the IDX bytes, make the float32 tensor, normalise it,
then randperm batches. Each side runs alone in a fresh interpreter (so neither inherits the other's
heap) and reports its own peak resident set (VmHWM, i.e. ru_maxrss of that process alone); a third process that only imports torch
and the trainer is the floor both share. Same MLP (784-256-256-10), Adam, batch 64, one epoch.
Reported: peak RSS of each, trainer / hand, and the same above the floor (the data's share).
Default 60,000 + 10,000 samples; --full adds 300,000 + 50,000; --quick: 6,000 + 1,000.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import emit, parser

HERE = Path(__file__).resolve().parent
TARGET = 0.6  # trainer / hand above the floor: 0.25 for the data alone (uint8 vs float32), plus fixed costs


def peak_mb() -> float:
    """This process's peak resident set. VmHWM where there is /proc: ru_maxrss survives execve on
    Linux, so a child would report its parent's peak (the parent holding the generated data)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux, bytes on macOS


def child_floor() -> None:
    import torch  # noqa: F401

    import netbuilder.train.trainer  # noqa: F401


def child_trainer(folder: str) -> None:
    from netbuilder.train.trainer import Trainer

    graph_dict = mnist_mlp()
    settings = {"dataset": folder, "epochs": 1, "batch_size": 64, "lr": 1e-3, "optimizer": "adam", "seed": 0,
                "device": "cpu", "samples": False}
    for event in Trainer(graph_dict, settings).run():
        if type(event).__name__ == "Failed":
            raise RuntimeError(event.to_dict())


def mnist_mlp() -> dict:
    """nets.MLP as a graph with a 1×28×28 Input and a Flatten (what an MNIST MLP looks like)."""
    from netbuilder.core.graph import Graph
    from netbuilder.core.io import graph_to_dict

    from nets import chain, finish

    g = Graph(name="mlp-mnist")
    g.add_node("Input", {"shape": [1, 28, 28]}, id="x")
    return graph_to_dict(finish(g, chain(g, "x", [("Flatten", {}), ("Linear", {"out_features": 256}), ("ReLU", {}),
                                                  ("Linear", {"out_features": 256}), ("ReLU", {}),
                                                  ("Linear", {"out_features": 10})])))


def child_hand(folder: str) -> None:
    import numpy as np
    import torch
    import torch.nn.functional as F

    from nets import MLP

    child_floor()  # the same imports as the trainer's process, so both stand on the same floor

    def read(name: str) -> np.ndarray:
        raw = (Path(folder) / name).read_bytes()
        ndim = raw[3]
        dims = np.frombuffer(raw[4:4 + 4 * ndim], dtype=">u4")
        return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)

    x = torch.from_numpy(read("train-images-idx3-ubyte").copy()).float().div_(255).view(-1, 784)
    y = torch.from_numpy(read("train-labels-idx1-ubyte").astype(np.int64))
    xv = torch.from_numpy(read("t10k-images-idx3-ubyte").copy()).float().div_(255).view(-1, 784)
    yv = torch.from_numpy(read("t10k-labels-idx1-ubyte").astype(np.int64))
    mean, std = x.mean(), x.std()
    x.sub_(mean).div_(std)
    xv.sub_(mean).div_(std)
    model = MLP()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    perm = torch.randperm(len(x))
    for i in range(0, len(x), 64):
        idx = perm[i:i + 64]
        loss = F.cross_entropy(model(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    with torch.no_grad():
        _ = sum(float(F.cross_entropy(model(xv[i:i + 256]), yv[i:i + 256])) for i in range(0, len(xv), 256))


CHILDREN = {"trainer": child_trainer, "hand": child_hand}


def run_child(kind: str, folder: str) -> float:
    out = subprocess.run([sys.executable, __file__, "--child", kind, folder], capture_output=True, text=True,
                         check=False, env=_env())
    if out.returncode:
        raise RuntimeError(f"{kind} run failed:\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])["peak_mb"]


def _env() -> dict:
    import os

    return {**os.environ, "OMP_NUM_THREADS": "1"}


def write_idx_folder(folder: Path, train: int, test: int, seed: int = 0) -> Path:
    """mnist_epoch's generated MNIST (noise, each class brightens its own rows), drawn as uint8 directly
    so this parent process never holds an int64 copy of 300,000 images."""
    import struct

    import numpy as np

    rng = np.random.default_rng(seed)
    for prefix, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n, dtype=np.uint8)
        images = rng.integers(0, 60, (n, 28, 28), dtype=np.uint8)
        rows = 2 + 2 * labels.astype(np.int64)
        for k in range(2):
            images[np.arange(n), rows + k, 4:24] = 240
        for stem, array in ((f"{prefix}-images-idx3-ubyte", images), (f"{prefix}-labels-idx1-ubyte", labels)):
            header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
            with open(folder / stem, "wb") as f:
                f.write(header)
                f.write(memoryview(array.reshape(-1)))
    return folder


def measure(sizes: list[tuple[int, int]]) -> dict:
    results: dict = {}
    floor = run_child("floor", "")
    for train, test in sizes:
        with tempfile.TemporaryDirectory(prefix="data_memory_") as tmp:
            folder = str(write_idx_folder(Path(tmp), train, test))
            trainer, hand = run_child("trainer", folder), run_child("hand", folder)
        key = f"data_memory.{train // 1000}k"
        above = (trainer - floor) / max(hand - floor, 1e-9)
        results[key] = {"ratio": round(above, 3), "target": TARGET,
                        "note": f"{train:,} + {test:,} samples: peak RSS trainer {trainer:,.0f} MB, hand loop "
                                f"{hand:,.0f} MB (total ratio {trainer / hand:.2f}), floor {floor:,.0f} MB"}
        results[key].update(trainer_mb=round(trainer), hand_mb=round(hand), floor_mb=round(floor))
    return results


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.path.insert(0, str(HERE))
        kind, folder = sys.argv[2], sys.argv[3]
        import torch

        torch.set_num_threads(1)
        if kind == "floor":
            child_floor()
        else:
            CHILDREN[kind](folder)
        print(json.dumps({"peak_mb": peak_mb()}))
        return
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--full", action="store_true", help="also 300,000 + 50,000 samples (≈ 2 GB for the hand loop)")
    args = cli.parse_args()
    sizes = [(6_000, 1_000)] if args.quick else [(60_000, 10_000)] + ([(300_000, 50_000)] if args.full else [])
    emit(measure(sizes), args.json, "peak memory of training: netbuilder Trainer / a hand loop (above the floor)")


if __name__ == "__main__":
    main()
