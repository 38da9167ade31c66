"""Datasets: what a training run learns from, loaded offline.

A `Dataset` is NumPy arrays plus what they mean: the task (classification
with n classes, regression, reconstruction), class names, and how to draw a
sample (`image_shape`). Samples from 8-bit sources (IDX bytes, CIFAR, PNG
folders, the named datasets) are held as they came, uint8, with a `ByteScale`
saying how they become the float32 values the network sees; batches.py
converts each batch on the device, so the memory holds one byte per value
instead of four. `load_dataset(name_or_path, options, input_shape)`
reads a built-in (builtin_data.py) or a user file (file_data.py,
image_files.py) and reshapes samples to the graph's Input shape when that is
unambiguous (digits as 1×8×8 images, 8 steps × 8 values or 64 values; as
1×H×W images resized to a grey Input's size), or raises DataError naming
both shapes. Splitting, standardising and batching on
the device live in batches.py.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

import numpy as np


class DataError(ValueError):
    """A dataset cannot be loaded or does not fit the graph; the message says why."""


@dataclass(eq=False)
class ByteScale:
    """uint8 samples → float32 by the very operations a float copy made up front used: x / 255 (when
    `divide`), then (v - mean) / std per channel. Each is one IEEE float32 operation per value, so a
    batch converted on the device (batches.Convert) holds exactly the numbers that copy held."""

    layout: tuple[int, ...]  # the sample shape the channels are axis 0 of (before any reshape for the Input)
    divide: bool = True
    mean: np.ndarray | None = None  # (channels,) float32
    std: np.ndarray | None = None  # (channels,) float32, no zeros

    @staticmethod
    def pixels(layout: Sequence[int], mean: np.ndarray | None = None, std: np.ndarray | None = None,
               divide: bool = True) -> ByteScale:
        if mean is None or std is None:
            return ByteScale(tuple(layout), divide)
        return ByteScale(tuple(layout), divide, np.asarray(mean, np.float32).ravel(),
                         np.asarray(std, np.float32).ravel())

    @property
    def channels(self) -> int:
        return 1 if self.mean is None else int(self.mean.size)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """Held uint8 rows (any shape with the same values per sample) → their float32 values."""
        values = x.astype(np.float32)
        if self.divide:
            values /= np.float32(255.0)
        if self.mean is not None and self.std is not None:
            planes = values.reshape(len(x), self.channels, math.prod(x.shape[1:]) // self.channels)
            planes -= self.mean[:, None]
            planes /= self.std[:, None]
        return values


@dataclass
class Dataset:
    name: str
    x: np.ndarray  # (N, *sample_shape), float32; uint8 with `scale` for 8-bit sources; int64 token ids
    y: np.ndarray | None  # (N,) int64 class labels, (N, *target) float32 targets, or None
    task: str  # classification | regression | reconstruction
    num_classes: int | None = None
    class_names: list[str] | None = None
    image_shape: tuple[int, ...] | None = None  # how one sample is drawn; None = not a picture
    lazy: Any = None  # a torch Dataset that reads samples on demand (large image folders)
    notes: list[str] = field(default_factory=list)
    test_count: int = 0  # the last rows are the source's official test split (named datasets)
    scale: ByteScale | None = None  # how uint8 `x` (or lazy samples) become floats; None: x is used as it is

    @property
    def sample_shape(self) -> tuple[int, ...]:
        return tuple(self.x.shape[1:])

    def __len__(self) -> int:
        return len(self.x) if self.lazy is None else len(self.lazy)

    def values(self, rows: Any = slice(None)) -> np.ndarray:
        """The samples (or some rows) as the network sees them: a float32 copy for 8-bit data."""
        x = self.x[rows]
        return x if self.scale is None else self.scale.apply(x)


@dataclass(frozen=True)
class BuiltinInfo:
    task: str
    input_shape: tuple[int, ...]
    help: str
    num_classes: int | None = None


# name -> what it is; the loaders are in builtin_data.LOADERS
BUILTIN_DATASETS: dict[str, BuiltinInfo] = {
    "digits": BuiltinInfo("classification", (1, 8, 8), "1797 handwritten digits, 8×8 pixels in [0, 1] "
                          "(layout image 1×8×8, sequence 8×8 or flat 64; option size [H, W] or a 1×H×W "
                          "Input: resized bilinearly)", 10),
    "iris": BuiltinInfo("classification", (4,), "150 iris flowers, 4 measurements, 3 species "
                        "(option binary: a species name for a one-vs-rest 0/1 label)", 3),
    "wine": BuiltinInfo("classification", (13,), "178 wines, 13 chemical measurements, 3 cultivars", 3),
    "breast_cancer": BuiltinInfo("classification", (30,), "569 tumours, 30 features, malignant/benign", 2),
    "moons": BuiltinInfo("classification", (2,), "two interleaving half circles, 2-D points (generated)", 2),
    "gaussian_blobs": BuiltinInfo("classification", (2,), "Gaussian clusters (options centers, n_features)", 3),
    "sentiment": BuiltinInfo("classification", (24,), "420 short reviews, positive or negative, as token ids "
                             "for an Embedding (options vocab_size, padding; any text CSV works the same "
                             "with text_column / target_column)", 2),
    "sine": BuiltinInfo("regression", (16, 1), "windows of a noisy sine wave; predict the next value "
                        "(options window, many_to_many, noise)"),
}


def builtin_datasets() -> list[str]:
    return list(BUILTIN_DATASETS)


def dataset_for_shape(shape: Sequence[int | None] | None) -> str:
    """A built-in dataset whose samples fit an Input of this shape."""
    if not shape:
        return "digits"
    shape = tuple(shape)
    for name, info in BUILTIN_DATASETS.items():
        if shape == info.input_shape:
            return name
    if len(shape) == 2 and shape[-1] == 1:
        return "sine"  # (steps, 1): a univariate series
    if len(shape) == 3 and shape[0] == 1 and shape[1] and shape[2]:
        return "digits"  # a grey image: the digits are resized to H×W (builtin_data.load_digits)
    size = math.prod(d or 1 for d in shape)
    if size == 64 or shape[-1] == 8:
        return "digits"
    return {4: "iris", 13: "wine", 30: "breast_cancer", 2: "moons"}.get(size, "digits")


def load_dataset(source: str, options: dict[str, Any] | None = None,
                 input_shape: Sequence[int | None] | None = None, input_dtype: str = "float32") -> Dataset:
    """A built-in name or a path → a Dataset shaped for `input_shape`."""
    from netbuilder.train import builtin_data, file_data

    options = dict(options or {})
    hint = tuple(input_shape) if input_shape is not None else None
    key = source.strip().lower()
    if key in builtin_data.LOADERS:
        data = builtin_data.LOADERS[key](options, hint)
    elif key in named_datasets():
        from netbuilder.train.datasets import load_named

        data = load_named(key, options, hint, options.get("_progress"), options.get("_cancelled"))
    else:
        path = os.path.expanduser(source)
        if not os.path.exists(path):
            names = ", ".join([*BUILTIN_DATASETS, *named_datasets()])
            raise DataError(f"dataset {source!r} is neither a known name ({names}) nor an existing file or folder")
        loader: Callable[..., Dataset]
        if os.path.isdir(path):
            loader = _folder_loader(path)
        elif options.get("text_column") is not None:
            from netbuilder.train.text_data import load_text_csv

            loader = load_text_csv
        else:
            loader = file_data.loader_for(path)
        data = loader(path, options, hint)
    if hint is not None:
        data = adapt_to_input(data, hint, source)
    if input_dtype == "int64":
        data = replace(data, x=data.values().astype(np.int64), scale=None)
    return data


def named_datasets() -> list[str]:
    """Datasets downloaded on first use (MNIST, CIFAR...; see train/datasets)."""
    from netbuilder.train.datasets.registry import NAMED

    return list(NAMED)


def _folder_loader(path: str) -> Callable[..., Dataset]:
    from netbuilder.train import file_data, image_files
    from netbuilder.train.datasets import load_named_folder, named_folder_kind

    if named_folder_kind(path):
        return load_named_folder  # the official MNIST/CIFAR files: t10k / test_batch is the validation set
    return file_data.load_idx if file_data.idx_files_in(path) else image_files.load_image_folder


def adapt_to_input(data: Dataset, shape: tuple[int | None, ...], source: str = "") -> Dataset:
    """Reshape samples to the graph's Input shape when the number of values
    per sample allows exactly one reading; otherwise a DataError naming both."""
    have = data.sample_shape
    if _fits(have, shape):
        return data
    if data.lazy is not None:
        raise DataError(_mismatch(data, have, shape, source))
    size = math.prod(have)
    unknown = [i for i, d in enumerate(shape) if d is None]
    known = math.prod(d for d in shape if d is not None)
    if len(unknown) > 1 or known == 0 or size % known:
        raise DataError(_mismatch(data, have, shape, source))
    target = tuple(d if d is not None else size // known for d in shape)
    if math.prod(target) != size:
        raise DataError(_mismatch(data, have, shape, source))
    return replace(data, x=data.x.reshape(len(data.x), *target))


def _fits(have: tuple[int, ...], want: tuple[int | None, ...]) -> bool:
    return len(have) == len(want) and all(w is None or w == h for h, w in zip(have, want))


def _mismatch(data: Dataset, have: tuple, want: tuple, source: str) -> str:
    def text(s: tuple) -> str:
        return "×".join("?" if d is None else str(d) for d in s) or "scalar"

    values = math.prod(have)
    return (f"dataset {source or data.name!r} gives samples of shape {text(have)} ({values} values), but the "
            f"graph's Input expects {text(want)}; change the Input shape to {list(have)} "
            f"or pick a dataset that fits")


def class_index(labels: Sequence[Any]) -> tuple[np.ndarray, list[str]]:
    """Categorical labels → (int64 class indices, sorted class names)."""
    names = sorted({str(v) for v in labels}, key=_natural)
    index = {n: i for i, n in enumerate(names)}
    return np.array([index[str(v)] for v in labels], dtype=np.int64), names


def _natural(text: str) -> tuple:
    try:
        return (0, float(text), "")
    except ValueError:
        return (1, 0.0, text)


def guess_task(y: np.ndarray | None, requested: str | None = None) -> str:
    """reconstruction without targets, classification for few whole numbers."""
    if requested:
        return requested
    if y is None:
        return "reconstruction"
    if y.ndim == 1 and np.issubdtype(y.dtype, np.integer):
        return "classification"
    if y.ndim == 1 and np.all(np.isfinite(y)) and np.all(y == np.round(y)) and len(np.unique(y)) <= 20:
        return "classification"
    return "regression"


def finish_targets(name: str, x: np.ndarray, y: np.ndarray | None, options: dict[str, Any],
                   class_names: list[str] | None = None, image_shape: tuple[int, ...] | None = None,
                   scale: ByteScale | None = None) -> Dataset:
    """A Dataset from arrays, the task from options["task"] or from the targets (x kept as it is with a
    `scale`, else float32 unless int64 token ids)."""
    task = guess_task(y, options.get("task"))
    num_classes = None
    if task == "classification":
        if y is None:
            raise DataError(f"dataset {name!r} has no labels, so it cannot be used for classification")
        y = y.reshape(len(y), -1)[:, 0] if y.ndim > 1 and y.shape[1] == 1 else y
        if y.ndim != 1:
            raise DataError(f"dataset {name!r}: classification needs one label per sample, got targets "
                            f"of shape {list(y.shape[1:])}")
        y = y.astype(np.int64)
        if y.min(initial=0) < 0:
            raise DataError(f"dataset {name!r}: class labels must be 0, 1, 2, ...; found {int(y.min())}")
        num_classes = int(y.max(initial=0)) + 1
        if class_names is None or len(class_names) < num_classes:
            class_names = [str(i) for i in range(num_classes)]
    elif y is not None and task == "reconstruction" and guess_task(y) == "classification" and y.ndim == 1:
        y = y.astype(np.int64)  # kept to colour the latent space by class
        num_classes = int(y.max(initial=0)) + 1
    elif y is not None:
        y = y.astype(np.float32)
        class_names = None
    if scale is None and x.dtype != np.int64:
        x = x.astype(np.float32, copy=False)
    return Dataset(name, x, y, task, num_classes, class_names, image_shape, scale=scale)
