"""Image-folder epochs (issue 18, item 5): NetBuilder's batches / a plain torch DataLoader.

Data: N grey 28×28 PNGs in 10 class folders, generated here. "plain" is the DataLoader a person
writes: a Dataset that opens each PNG with Pillow and returns x / 255 as float32, shuffle=True,
batch 64, the same number of worker processes NetBuilder picks for this folder (lazy_batches.
auto_workers), built once. NetBuilder reads the folder on demand (preload_limit 0, as a folder over
the limit is read): epoch 1 decodes every image into its cache, later epochs batch from the cache.
Each loop touches every batch (a sum) and nothing else: no model, so the data path is all that is
timed. Runs alternate in order; the figures are medians over runs. Reported: epoch 1 / the plain
loop's epoch 1 (each starts its workers there), a later epoch / plain epoch (target ≤ 1.0: it must not be slower), and the preloaded path
(folders under the limit: decode all at load, then in-memory epochs) as load + 3 epochs / 3 plain
epochs. Default 4,000 images, --quick 1,000.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import emit, median, parser

EPOCHS = 3
BATCH = 64


def write_folder(root: Path, n: int, seed: int = 0) -> Path:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    for k in range(10):
        (root / f"c{k}").mkdir(parents=True)
    for i in range(n):
        k = i % 10
        pixels = rng.integers(0, 60, (28, 28), dtype=np.uint8)
        pixels[2 + 2 * k: 4 + 2 * k, 4:24] = 240
        Image.fromarray(pixels, "L").save(root / f"c{k}" / f"{i}.png")
    return root


def plain_run(root: Path, workers: int) -> list[float]:
    import numpy as np
    import torch
    from PIL import Image
    from torch.utils.data import DataLoader, Dataset

    files = sorted(root.rglob("*.png"))
    labels = [int(p.parent.name[1:]) for p in files]

    class Pngs(Dataset):
        def __len__(self) -> int:
            return len(files)

        def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
            with Image.open(files[i]) as im:
                a = np.asarray(im.convert("L"), dtype=np.float32) / 255.0
            return torch.from_numpy(a)[None], labels[i]

    loader = DataLoader(Pngs(), batch_size=BATCH, shuffle=True, num_workers=workers,
                        persistent_workers=workers > 0, generator=torch.Generator().manual_seed(0))
    return _epochs(lambda e: iter(loader))


def netbuilder_run(root: Path, preload: bool) -> list[float]:
    import torch

    from netbuilder.train.batches import Shard, make_batches, split
    from netbuilder.train.data import load_dataset

    t0 = time.perf_counter()
    data = load_dataset(str(root), {} if preload else {"preload_limit": 0}, (1, 28, 28))
    prep = split(data, 0.0, 0, False)
    train, _ = make_batches(data, prep, {"batch_size": BATCH, "seed": 0, "max_device_mb": 512},
                            torch.device("cpu"), Shard())
    load = time.perf_counter() - t0
    times = _epochs(train.epoch)
    return [load, *times] if preload else times


def _epochs(batches: Callable[[int], Any]) -> list[float]:
    times = []
    for epoch in range(1, EPOCHS + 1):
        t0 = time.perf_counter()
        total = 0.0
        for xb, _ in batches(epoch):
            total += float(xb.sum())  # touch every batch
        times.append(time.perf_counter() - t0)
    return times


def measure(quick: bool) -> dict:
    from netbuilder.train.lazy_batches import auto_workers

    n, reps = (1_000, 2) if quick else (4_000, 4)
    workers = auto_workers(n)
    with tempfile.TemporaryDirectory(prefix="image_folder_") as tmp:
        root = write_folder(Path(tmp), n)
        runs: dict[str, list[list[float]]] = {"plain": [], "lazy": [], "preload": []}
        names = list(runs)
        for rep in range(reps):
            for name in (names if rep % 2 == 0 else names[::-1]):
                run = {"plain": lambda: plain_run(root, workers), "lazy": lambda: netbuilder_run(root, False),
                       "preload": lambda: netbuilder_run(root, True)}[name]
                runs[name].append(run())
    plain = median([median(r) for r in runs["plain"]])
    plain_first = median([r[0] for r in runs["plain"]])  # both start their worker processes in it
    first = median([r[0] for r in runs["lazy"]])
    later = median([median(r[1:]) for r in runs["lazy"]])
    preload = median([sum(r) for r in runs["preload"]])
    note = f"{n:,} PNGs, {workers} worker(s); plain epoch {plain * 1e3:.0f} ms"
    return {
        "image_folder.first_epoch_vs_plain": {"ratio": round(first / plain_first, 3),
                                              "note": f"{note}, its first {plain_first * 1e3:.0f} ms"},
        "image_folder.cached_epoch_vs_plain": {"ratio": round(later / plain, 3), "target": 1.0,
                                               "note": f"epochs 2–{EPOCHS} from the decode cache"},
        "image_folder.preload_vs_plain": {"ratio": round(preload / (EPOCHS * plain), 3),
                                          "note": f"decode at load + {EPOCHS} epochs / {EPOCHS} plain epochs"},
    }


def main() -> None:
    cli = parser(__doc__.splitlines()[0])
    args = cli.parse_args()
    _common.setup_torch(args.threads)
    emit(measure(args.quick), args.json, "image-folder epochs: netbuilder / a plain DataLoader")


if __name__ == "__main__":
    main()
