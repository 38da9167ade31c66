"""A named dataset (or a folder of its files) → a Dataset for the graph.

The training and the official test samples are stacked into one array with
`test_count` telling how many of the last rows are the test split, which is
the validation set unless the settings ask for a fraction. The pixels stay
uint8 (one byte each; the MNIST files are decoded straight into that one
array); their ByteScale says how each batch becomes float32 on the device.
Images are normalised per channel with the training split's mean and standard
deviation (option `normalize`; off by default for reconstruction, whose
sigmoid outputs want pixels in [0, 1]), zero-padded to a larger Input
(`1×28×28` into LeNet-5's `1×32×32`, its original way), and converted
between grey and colour when the Input asks for the other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np

from netbuilder.train.data import ByteScale, DataError, Dataset
from netbuilder.train.datasets import readers
from netbuilder.train.datasets.download import fetch, is_cached, present
from netbuilder.train.datasets.registry import NAMED, NamedDataset

OPTIONS = {"labels", "normalize", "augment", "seed", "task"}


def load_named(name: str, options: dict[str, Any], hint: Sequence[int | None] | None = None,
               progress: Any = None, cancelled: Any = None) -> Dataset:
    spec = NAMED[name]
    folder = fetch(spec, progress, cancelled)  # no network when every file is already there
    if spec.format == "idx":
        return _from_idx(folder, spec.name, options, hint, list(spec.class_names))
    archive = present(folder, spec.files[0])
    assert archive is not None  # fetch() guarantees it
    return _from_cifar(archive, spec.format, spec.name, options, hint, list(spec.class_names) or None)


def named_folder_kind(path: str | Path) -> str | None:
    """'idx' / 'cifar10' / 'cifar100' when a folder holds a named dataset's files by their official names."""
    folder = Path(path)
    if not folder.is_dir():
        return None
    if readers.has_idx_set(folder):
        return "idx"
    return readers.cifar_kind(folder)


def load_named_folder(path: str, options: dict[str, Any], hint: Sequence[int | None] | None = None) -> Dataset:
    """A folder the user already has: the four MNIST-format files, or CIFAR binary batches (no checksum)."""
    folder = Path(path)
    kind = named_folder_kind(folder)
    if kind == "idx":
        return _from_idx(folder, folder.name, options, hint, None)
    if kind is None:
        raise DataError(f"{path}: neither the four MNIST-format files nor CIFAR binary batches")
    return _from_cifar(folder, kind, folder.name, options, hint, None)


def _from_idx(folder: Path, name: str, options: dict[str, Any], hint: Any, class_names: list[str] | None
              ) -> Dataset:
    x, y, test_count = readers.read_idx_set(folder)
    return _finish(name, x, y, test_count, options, hint, class_names)


def _from_cifar(source: Path, kind: str, name: str, options: dict[str, Any], hint: Any,
                class_names: list[str] | None) -> Dataset:
    labels = options.get("labels", "fine")
    if labels not in ("fine", "coarse"):
        raise DataError(f"{name}: option 'labels' must be 'fine' or 'coarse', got {labels!r}")
    if labels == "coarse" and kind != "cifar100":
        raise DataError(f"{name}: option labels 'coarse' exists only for CIFAR-100")
    files = readers.read_cifar(source, kind)
    x_train, y_train, x_test, y_test, names = readers.cifar_arrays(files, kind, labels == "coarse", str(source))
    del files  # the archive's bytes: gone before the stacked copy is made
    if labels == "coarse" or not class_names:
        class_names = names
    x = np.concatenate([x_train, x_test])
    del x_train
    return _finish(name, x, np.concatenate([y_train, y_test]), len(x_test), options, hint, class_names)


def _finish(name: str, x: np.ndarray, y: np.ndarray, test_count: int, options: dict[str, Any], hint: Any,
            class_names: list[str] | None) -> Dataset:
    """x: uint8 images, the training rows then the `test_count` official test rows."""
    task = options.get("task") or "classification"
    if task == "regression":
        raise DataError(f"{name}: a labelled image set cannot be used for regression")
    notes: list[str] = []
    n_train = len(x) - test_count
    x = _fit_channels(x, hint, notes)
    x = _pad_to(x, hint, notes)
    mean = std = None
    if options.get("normalize", task != "reconstruction"):
        mean, std = channel_stats(x[:n_train])
        notes.append("normalised per channel: mean " + ", ".join(f"{m:.4f}" for m in mean)
                     + "; std " + ", ".join(f"{s:.4f}" for s in std))
        std = np.where(std > 1e-8, std, np.float32(1.0))
    scale = ByteScale.pixels(x.shape[1:], mean, std)  # the pixels stay bytes; batches.py converts them
    num_classes = int(y.max(initial=0)) + 1
    if not class_names or len(class_names) < num_classes:
        class_names = [str(i) for i in range(num_classes)]
    return Dataset(name, x, y, "reconstruction" if task == "reconstruction" else "classification",
                   num_classes, class_names[:num_classes], tuple(x.shape[1:]), notes=notes,
                   test_count=test_count, scale=scale)


def channel_stats(images: np.ndarray, chunk: int = 1 << 20) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of uint8 images (N, C, H, W) as pixels / 255, float32.

    Counted exactly from a histogram of the 256 byte values (in chunks, so no float or int64 copy of
    the images is made) rather than summed in float32: the result is the true statistic, rounded once.
    """
    levels = np.arange(256, dtype=np.float32)
    levels /= 255.0  # the same float32 values the batches hold
    v = levels.astype(np.float64)
    means, stds = [], []
    for c in range(images.shape[1]):
        plane = images[:, c].reshape(-1)
        counts = np.zeros(256, np.float64)
        for start in range(0, len(plane), chunk):
            counts += np.bincount(plane[start:start + chunk], minlength=256)
        n = counts.sum()
        mean = float(counts @ v / n) if n else 0.0
        means.append(mean)
        stds.append(float(np.sqrt(counts @ (v - mean) ** 2 / n)) if n else 1.0)
    return np.array(means, np.float32), np.array(stds, np.float32)


def _fit_channels(x: np.ndarray, hint: Any, notes: list[str]) -> np.ndarray:
    if not hint or len(hint) != 3 or hint[0] in (None, x.shape[1]):
        return x
    if x.shape[1] == 1 and hint[0] == 3:
        notes.append("grey images repeated into 3 channels for the Input")
        return np.repeat(x, 3, axis=1)
    if x.shape[1] == 3 and hint[0] == 1:
        notes.append("colour images converted to grey (luminance) for the Input")
        grey = x[:, 0] * 0.299 + x[:, 1] * 0.587 + x[:, 2] * 0.114
        return np.round(grey)[:, None].astype(np.uint8)
    return x


def _pad_to(x: np.ndarray, hint: Any, notes: list[str]) -> np.ndarray:
    """Zero borders up to a larger Input (the pixels stay 1:1; nothing is resampled)."""
    if not hint or len(hint) != 3 or hint[1] is None or hint[2] is None:
        return x
    height, width = x.shape[2:]
    want_h, want_w = int(hint[1]), int(hint[2])
    if (want_h, want_w) == (height, width) or want_h < height or want_w < width:
        return x
    top, left = (want_h - height) // 2, (want_w - width) // 2
    notes.append(f"{height}×{width} images zero-padded to {want_h}×{want_w}")
    return np.pad(x, ((0, 0), (0, 0), (top, want_h - height - top), (left, want_w - width - left)))


def describe(spec: NamedDataset) -> dict[str, Any]:
    """One row of `netbuilder datasets`."""
    return {"name": spec.name, "task": spec.task, "input": "×".join(map(str, spec.input_shape)),
            "size_mb": round(spec.size_bytes / 1e6, 1), "classes": spec.num_classes,
            "samples": f"{spec.train_count}+{spec.test_count}", "cached": is_cached(spec), "title": spec.title}
