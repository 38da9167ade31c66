"""The built-in datasets: bundled tables (from scikit-learn, BSD-3, see
data_files/LICENSE-scikit-learn.txt) and small generated problems.

Each loader is `loader(options, input_shape_hint) -> Dataset`; generated
datasets follow the hint where it decides a size (sine's window length,
the number of blob features), so a graph's Input shape just works.
"""

from __future__ import annotations

import gzip
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from netbuilder.train.data import DataError, Dataset

DATA_DIR = Path(__file__).with_name("data_files")


@lru_cache(maxsize=None)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(DATA_DIR / "digits.csv.gz", "rt", encoding="ascii") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    x = table[:, :64] / 16.0  # pixel intensities 0..16 → [0, 1]
    return x, table[:, 64].astype(np.int64)


MAX_DIGITS_SIDE = 256


def load_digits(options: dict[str, Any], hint: Any = None) -> Dataset:
    x, y = _digits_arrays()
    layouts = ("image", "sequence", "flat")
    layout = options.get("layout")
    if layout is not None and layout not in layouts:
        raise DataError(f"digits: option 'layout' must be one of {', '.join(layouts)}, got {layout!r}")
    h, w = _digits_size(options, hint, layout)
    images = x.reshape(len(x), 1, 8, 8)
    if (h, w) != (8, 8):
        images = _resize_images(images, h, w)
    shape = {"image": (1, h, w), "sequence": (h, w), "flat": (h * w,)}[layout or "image"]
    return Dataset("digits", images.reshape(len(x), *shape).copy(), y.copy(), "classification", 10,
                   [str(i) for i in range(10)], (1, h, w))


def _digits_size(options: dict[str, Any], hint: Any, layout: str | None) -> tuple[int, int]:
    """The image size: option 'size', else a 1×H×W Input's H×W (so LeNet-5's 32×32
    just works), else the bundled 8×8."""
    size = options.get("size")
    if size is None:
        image_hint = (layout in (None, "image") and hint is not None and len(hint) == 3 and hint[0] == 1
                      and all(isinstance(d, int) and d > 0 for d in hint[1:]))
        if not image_hint:
            return 8, 8
        size, what = [hint[1], hint[2]], "the Input's size"
    else:
        what = "option 'size'"
    if isinstance(size, int) and not isinstance(size, bool):
        size = [size, size]
    if (not isinstance(size, (list, tuple)) or len(size) != 2
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in size)):
        raise DataError(f"digits: option 'size' must be [height, width] (whole numbers ≥ 1) or one number, "
                        f"got {size!r}")
    if max(size) > MAX_DIGITS_SIDE:
        # 1797 float32 images: 256×256 is already 470 MB, and 8×8 strokes gain nothing from more
        raise DataError(f"digits: {what} {size[0]}×{size[1]} is too large to resize the 8×8 digits to; "
                        f"use at most {MAX_DIGITS_SIDE}×{MAX_DIGITS_SIDE}")
    return int(size[0]), int(size[1])


def _resize_images(images: np.ndarray, h: int, w: int) -> np.ndarray:
    """Bilinear resize of (N, 1, 8, 8) images: a blend of neighbouring pixels, so
    values stay in [0, 1] and strokes stay where they were (padding would leave
    an 8×8 speck in a 32×32 frame). torch is imported here: the GUI lists datasets
    without it."""
    import torch
    import torch.nn.functional as F

    t = torch.from_numpy(images)
    out = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False, antialias=h < 8 or w < 8)
    return out.clamp_(0.0, 1.0).numpy()


@lru_cache(maxsize=None)
def _table(filename: str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """scikit-learn's layout: 'n_samples,n_features,class names...' then rows of features + label."""
    with open(DATA_DIR / filename, encoding="ascii") as f:
        header = f.readline().strip().split(",")
        table = np.loadtxt(f, delimiter=",", dtype=np.float64)
    n_features = int(header[1])
    return table[:, :n_features].astype(np.float32), table[:, n_features].astype(np.int64), tuple(header[2:])


def _table_loader(name: str, filename: str) -> Callable[[dict[str, Any], Any], Dataset]:
    def load(options: dict[str, Any], hint: Any = None) -> Dataset:
        x, y, names = _table(filename)
        names_list = list(names)
        binary = options.get("binary")
        if binary is not None:
            y, names_list = _one_vs_rest(name, y, names_list, binary)
        return Dataset(name, x.copy(), y.copy(), "classification", len(names_list), names_list)

    return load


def _one_vs_rest(name: str, y: np.ndarray, names: list[str], positive: Any) -> tuple[np.ndarray, list[str]]:
    """Label 1 for the chosen class, 0 for the rest (a perceptron's yes/no)."""
    if isinstance(positive, int) and not isinstance(positive, bool) and 0 <= positive < len(names):
        k = positive
    elif str(positive) in names:
        k = names.index(str(positive))
    else:
        raise DataError(f"{name}: option 'binary' must be one of {', '.join(names)}, got {positive!r}")
    return (y == k).astype(np.int64), [f"not {names[k]}", names[k]]


def _rng(options: dict[str, Any]) -> np.random.Generator:
    return np.random.default_rng(int(options.get("seed", 0)))


# Caps on generated sizes: a typo (n_samples 10**12, window 10**9) is refused by name instead of
# filling the memory. MAX_VALUES bounds the product (80 MB of float32; sine builds it in float64 twice).
MAX_COUNTS = {"n_samples": 10_000_000, "n_features": 100_000, "centers": 100_000, "window": 1_000_000}
MAX_VALUES = 20_000_000


def _count(options: dict[str, Any], key: str, default: int, lo: int = 1) -> int:
    value = options.get(key, default)
    hi = MAX_COUNTS.get(key, MAX_VALUES)
    if isinstance(value, bool) or not isinstance(value, int) or value < lo or value > hi:
        raise DataError(f"dataset option '{key}' must be a whole number from {lo} to {hi:,}, got {_brief(value)}")
    return value


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _total(name: str, *sizes: int) -> None:
    total = math.prod(sizes)
    if total > MAX_VALUES:
        shape = " × ".join(f"{s:,}" for s in sizes)
        raise DataError(f"dataset {name!r}: {shape} = {total:,} values, more than the limit of {MAX_VALUES:,}; "
                        "lower n_samples or the other sizes")


def load_moons(options: dict[str, Any], hint: Any = None) -> Dataset:
    """Two interleaving half circles, as scikit-learn's make_moons."""
    n = _count(options, "n_samples", 500, 2)
    noise = float(options.get("noise", 0.1))
    rng = _rng(options)
    n_out = n // 2
    n_in = n - n_out
    outer = np.linspace(0, math.pi, n_out)
    inner = np.linspace(0, math.pi, n_in)
    x = np.concatenate([np.stack([np.cos(outer), np.sin(outer)], 1),
                        np.stack([1 - np.cos(inner), 1 - np.sin(inner) - 0.5], 1)])
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    x = x + rng.normal(scale=noise, size=x.shape)
    order = rng.permutation(n)
    return Dataset("moons", x[order].astype(np.float32), y[order], "classification", 2, ["upper", "lower"])


def load_blobs(options: dict[str, Any], hint: Any = None) -> Dataset:
    """Isotropic Gaussian clusters with centres drawn in [-10, 10]^d."""
    default_features = hint[0] if hint and len(hint) == 1 and hint[0] else 2
    d = _count(options, "n_features", default_features)
    k = _count(options, "centers", 3)
    n = _count(options, "n_samples", 300, k)
    _total("gaussian_blobs", n, d)
    std = float(options.get("cluster_std", 1.0))
    rng = _rng(options)
    centres = rng.uniform(-10, 10, size=(k, d))
    y = np.arange(n) % k
    x = centres[y] + rng.normal(scale=std, size=(n, d))
    order = rng.permutation(n)
    return Dataset("gaussian_blobs", x[order].astype(np.float32), y[order].astype(np.int64), "classification", k,
                   [f"blob {i}" for i in range(k)])


def load_sine(options: dict[str, Any], hint: Any = None) -> Dataset:
    """Windows of a noisy sine wave around `offset` (2 by default, so MAPE
    never divides by values near zero). Target: the next value, or with
    many_to_many the window shifted one step ahead."""
    default_window = hint[0] if hint and hint[0] else 16
    window = _count(options, "window", default_window, 2)
    n = _count(options, "n_samples", 1000, 2)
    _total("sine", n, window)
    period = float(options.get("period", 25.0))
    noise = float(options.get("noise", 0.05))
    offset = float(options.get("offset", 2.0))
    rng = _rng(options)
    t = np.arange(n + window + 1, dtype=np.float64)
    series = offset + np.sin(2 * math.pi * t / period) + rng.normal(scale=noise, size=t.shape)
    idx = np.arange(window)[None, :] + np.arange(n)[:, None]
    x = series[idx][..., None]  # (n, window, 1)
    if options.get("many_to_many"):
        y = series[idx + 1][..., None]
    else:
        y = series[np.arange(n) + window][:, None]  # (n, 1)
    return Dataset("sine", x.astype(np.float32), y.astype(np.float32), "regression")


LOADERS: dict[str, Callable[[dict[str, Any], Any], Dataset]] = {
    "digits": load_digits,
    "iris": _table_loader("iris", "iris.csv"),
    "wine": _table_loader("wine", "wine_data.csv"),
    "breast_cancer": _table_loader("breast_cancer", "breast_cancer.csv"),
    "moons": load_moons,
    "gaussian_blobs": load_blobs,
    "sine": load_sine,
    "sentiment": lambda options, hint: _sentiment(options, hint),
}


def _sentiment(options: dict[str, Any], hint: Any) -> Dataset:
    """420 short reviews written for NetBuilder (no third-party text), positive or negative."""
    from netbuilder.train.text_data import load_text_csv

    defaults = {"text_column": "text", "target_column": "label", "vocab_size": 200}
    data = load_text_csv(str(DATA_DIR / "sentiment.csv"), {**defaults, **options}, hint or (24,))
    data.name = "sentiment"
    return data
