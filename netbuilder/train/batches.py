"""Train/validation split, standardisation, and batches.

The samples are held once: the split is two sets of rows of one tensor
(slices for an official test split, index tensors for a random one), never
copies. A dataset lives on the device and a batch is an index into it (one
`torch.randperm` per epoch, no DataLoader, no per-sample Python). Tensors
over `max_device_mb` stay in host memory (pinned on CUDA) and each batch is
copied over. Each batch is then converted on its device (`Convert`): uint8
pixels through their ByteScale table, then standardisation, so neither a
float copy nor a standardised copy of the dataset is ever made. Folders read
on demand go through lazy_batches.py (a DataLoader built once, a cache of
the decoded samples). Under DDP every process takes its own equal share of the same
per-epoch permutation, as torch's DistributedSampler does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np
import torch

from netbuilder.train.data import ByteScale, DataError, Dataset


@dataclass
class Shard:
    rank: int = 0
    world: int = 1


class Convert:
    """Held rows → the float32 values the network sees, done per batch on the batch's device: the
    dataset's ByteScale (uint8 pixels stay one byte each until then) and the run's standardisation.
    Identity for float data without standardisation. The divisor and statistics are tensors on the
    device, never Python numbers: CUDA turns a division by a host scalar into a multiplication by its
    reciprocal, which is not bit-exact."""

    def __init__(self, scale: ByteScale | None = None, mean: torch.Tensor | None = None,
                 std: torch.Tensor | None = None) -> None:
        self.bytes = scale is not None
        self.channels = 1 if scale is None else scale.channels
        self.divisor = torch.tensor(255.0 if scale is not None and scale.divide else 1.0)
        self.pixel_mean = None if scale is None or scale.mean is None else torch.from_numpy(scale.mean).view(1, -1, 1)
        self.pixel_std = None if scale is None or scale.std is None else torch.from_numpy(scale.std).view(1, -1, 1)
        self.mean, self.std = mean, std

    def to(self, device: torch.device) -> Convert:
        moved = Convert.__new__(Convert)
        moved.bytes, moved.channels = self.bytes, self.channels
        for name in ("divisor", "pixel_mean", "pixel_std", "mean", "std"):
            t = getattr(self, name)
            setattr(moved, name, None if t is None else t.to(device))
        return moved

    def __call__(self, xb: torch.Tensor) -> torch.Tensor:
        if self.bytes:
            values = xb.to(torch.float32)  # a new tensor: the in-place steps below never touch xb
            values.div_(self.divisor)
            if self.pixel_mean is not None:
                planes = values.view(len(values), self.channels, math.prod(values.shape[1:]) // self.channels)
                planes.sub_(self.pixel_mean).div_(self.pixel_std)
            xb = values
        if self.mean is not None:
            xb = (xb - self.mean) / self.std
        return xb


@dataclass
class Prepared:
    """The split without copying the samples: `x` is the one copy (a tensor sharing data.x's memory,
    uint8 for 8-bit sources), the splits are rows of it — a slice (the official test split: views) or
    an int64 index tensor (a random split) — and `convert` turns rows into what the network sees."""

    x: Any  # None for datasets read on demand (then the indices are NumPy arrays)
    y: Any
    train_index: Any
    val_index: Any
    convert: Convert = field(default_factory=Convert)
    mean: Any = None  # standardisation statistics (None when off), applied per batch by `convert`
    std: Any = None

    def count(self, which: str) -> int:
        index = self._index(which)
        return index.stop - index.start if isinstance(index, slice) else len(index)

    def rows(self, which: str, start: int = 0, stop: int | None = None) -> tuple[Any, Any]:
        """(x rows as held, y rows) of one split, positions start..stop of it."""
        if self.x is None:
            return None, None
        index = _subrange(self._index(which), start, self.count(which) if stop is None else stop)
        return _take(self.x, index), None if self.y is None else _take(self.y, index)

    def inputs(self, which: str, limit: int | None = None) -> Any:
        """The first `limit` samples of a split as the network sees them (a float32 copy)."""
        x = self.rows(which, 0, limit)[0]
        return None if x is None else self.convert(x)

    def targets(self, which: str, limit: int | None = None) -> Any:
        return self.rows(which, 0, limit)[1]

    # what the network sees, materialised (for tests, benchmarks' hand loops and inspection; training
    # batches index `x` directly)
    x_train = property(lambda self: self.inputs("train"))
    x_val = property(lambda self: self.inputs("val"))
    y_train = property(lambda self: self.targets("train"))
    y_val = property(lambda self: self.targets("val"))

    def _index(self, which: str) -> Any:
        return self.train_index if which == "train" else self.val_index


def _subrange(index: Any, start: int, stop: int) -> Any:
    if isinstance(index, slice):
        return slice(index.start + start, min(index.start + stop, index.stop))
    return index[start:stop]


def _take(t: torch.Tensor, index: Any) -> torch.Tensor:
    return t[index] if isinstance(index, slice) else t.index_select(0, index.to(t.device))


def split(data: Dataset, val_split: float | str, seed: int, standardize: bool) -> Prepared:
    """val_split "test": the dataset's own test rows (its last `test_count`) are the validation set."""
    n = len(data)
    if val_split == "test":
        if not data.test_count:
            raise DataError(f"dataset {data.name!r} has no official test split; set validation to a fraction")
        val_i, train_i = np.arange(n - data.test_count, n), np.arange(n - data.test_count)
    else:
        assert isinstance(val_split, (int, float))
        val_i, train_i = _random_split(data, n, val_split, seed)
    if data.lazy is not None:
        return Prepared(None, None, train_i, val_i, Convert(data.scale))
    x, y = torch.from_numpy(np.ascontiguousarray(data.x)), None if data.y is None else torch.from_numpy(data.y)
    if val_split == "test":  # two slices: views of the one array, no copy of 60,000 images
        k = n - data.test_count
        prep = Prepared(x, y, slice(0, k), slice(k, n), Convert(data.scale))
    else:  # index tensors: batches gather their rows from the one array
        prep = Prepared(x, y, torch.from_numpy(train_i), torch.from_numpy(val_i), Convert(data.scale))
    if standardize and (x.is_floating_point() or data.scale is not None):
        prep.mean, prep.std = _statistics(prep)
        prep.convert = Convert(data.scale, prep.mean, prep.std)
    return prep


def _statistics(prep: Prepared, chunk_bytes: int = 32 << 20) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature mean and (Bessel-corrected) std of the training rows as the network sees them,
    merged chunk by chunk in float64 (Chan et al.), so no float copy of the whole split is made."""
    n = prep.count("train")
    shape = tuple(prep.x.shape[1:])
    step = max(1, chunk_bytes // max(1, 8 * math.prod(shape)))
    count, mean, m2 = 0, torch.zeros(shape, dtype=torch.float64), torch.zeros(shape, dtype=torch.float64)
    for start in range(0, n, step):
        values = prep.convert(prep.rows("train", start, start + step)[0]).double()
        k = len(values)
        part_mean = values.mean(0)
        delta = part_mean - mean
        m2 += ((values - part_mean) ** 2).sum(0) + delta ** 2 * (count * k / (count + k))
        mean += delta * (k / (count + k))
        count += k
    std = (m2 / (count - 1)).sqrt() if count > 1 else torch.ones_like(mean)
    mean32, std32 = mean.float().unsqueeze(0), std.float().unsqueeze(0)
    return mean32, torch.where(std32 > 1e-8, std32, torch.ones_like(std32))  # constant features stay as they are


def _random_split(data: Dataset, n: int, val_split: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    if n < 2 and val_split > 0:
        raise DataError(f"dataset {data.name!r} has {n} sample(s); at least 2 are needed to hold some out")
    order = np.random.default_rng(seed).permutation(n)
    n_val = 0 if val_split <= 0 else min(n - 1, max(1, int(round(n * val_split))))
    return np.sort(order[:n_val]), order[n_val:]


def steps_for(n: int, batch_size: int) -> int:
    """Batches per epoch; a final batch of one sample is dropped (BatchNorm
    cannot train on it)."""
    steps = -(-n // batch_size)
    if n > 1 and n % batch_size == 1:
        steps -= 1
    return max(steps, 1 if n else 0)


class _Batches:
    """What both batch sources share: how many samples this rank sees and how
    many steps an epoch takes."""

    per_rank: int
    steps: int

    def _count(self, n: int, batch_size: int, shard: Shard, shuffle: bool) -> None:
        self.per_rank = n // shard.world if shard.world > 1 else n
        # training drops a last batch of one; validation sees every sample
        self.steps = steps_for(self.per_rank, batch_size) if shuffle else -(-self.per_rank // batch_size)

    def __len__(self) -> int:
        return self.steps

    @property
    def num_samples(self) -> int:
        return self.per_rank


def place(x: torch.Tensor, y: torch.Tensor | None, device: torch.device, max_device_bytes: float
          ) -> tuple[torch.Tensor, torch.Tensor | None, bool]:
    """(x, y, on_device): on the device when they fit `max_device_bytes` (always on a CPU run), else in
    host memory, pinned for CUDA. Done once for the whole array the train and validation rows share."""
    nbytes = x.numel() * x.element_size() + (0 if y is None else y.numel() * y.element_size())
    on_device = nbytes <= max_device_bytes or device.type == "cpu"
    home = device if on_device else torch.device("cpu")
    pin = not on_device and device.type == "cuda"

    def move(t: torch.Tensor) -> torch.Tensor:
        return t.to(home).pin_memory() if pin else t.to(home)

    return move(x), None if y is None else move(y), on_device


class TensorBatches(_Batches):
    """Shuffled index batches over tensors held on the device (or on the host): the rows `rows` of
    `x` (all of them when None), converted by `convert` once a batch is on the device."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, device: torch.device,
                 seed: int, shard: Shard, max_device_bytes: float, shuffle: bool = True, *,
                 rows: Any = None, convert: Convert | None = None, placed: bool | None = None) -> None:
        # placed: x and y were already put where they live (place()); its value is on_device
        self.x, self.y, self.on_device = place(x, y, device, max_device_bytes) if placed is None else (x, y, placed)
        self.rows = slice(0, len(x)) if rows is None else rows
        if not isinstance(self.rows, slice):
            self.rows = self.rows.to(self.x.device)
        self.convert = (convert or Convert()).to(device)
        self.device, self.batch_size, self.seed, self.shard, self.shuffle = device, batch_size, seed, shard, shuffle
        n = self.rows.stop - self.rows.start if isinstance(self.rows, slice) else len(self.rows)
        self._count(n, batch_size, shard, shuffle)

    def _order(self, epoch: int) -> torch.Tensor:
        """This epoch's rows of x, in batch order."""
        n = self.rows.stop - self.rows.start if isinstance(self.rows, slice) else len(self.rows)
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            order = torch.randperm(n, generator=gen)
        else:
            order = torch.arange(n)
        if self.shard.world > 1:
            order = order[self.shard.rank::self.shard.world][:self.per_rank]
        order = order.to(self.x.device)
        return order + self.rows.start if isinstance(self.rows, slice) else self.rows[order]

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        bs = self.batch_size
        if not self.shuffle and self.shard.world == 1 and self.on_device and isinstance(self.rows, slice):
            # in order, unsharded (validation): slices are views, no index tensor, no copies
            for i in range(self.steps):
                part = slice(self.rows.start + i * bs, min(self.rows.start + (i + 1) * bs, self.rows.stop))
                yield self.convert(self.x[part]), None if self.y is None else self.y[part]
            return
        order = self._order(epoch)
        for i in range(self.steps):
            idx = order[i * bs:(i + 1) * bs]
            xb = self.x.index_select(0, idx)
            yb = None if self.y is None else self.y.index_select(0, idx)
            if not self.on_device:
                xb = xb.to(self.device, non_blocking=True)
                yb = None if yb is None else yb.to(self.device, non_blocking=True)
            yield self.convert(xb), yb


def make_batches(data: Dataset, prep: Prepared, settings: dict[str, Any], device: torch.device,
                 shard: Shard) -> tuple[Any, Any]:
    """(train batches, validation batches or None)."""
    bs, seed = settings["batch_size"], settings["seed"]
    if data.lazy is not None:
        from netbuilder.train.lazy_batches import LoaderBatches, SampleCache

        cache = SampleCache.for_dataset(data.lazy)  # shared: both splits index the same folder
        train = LoaderBatches(data.lazy, prep.train_index, bs, device, seed, shard, convert=prep.convert,
                              cache=cache)
        val = LoaderBatches(data.lazy, prep.val_index, max(bs, 256), device, seed, Shard(), shuffle=False,
                            convert=prep.convert, cache=cache) if len(prep.val_index) else None
        return train, val
    limit = settings["max_device_mb"] * 2**20
    x, y, on_device = place(prep.x, prep.y, device, limit)  # once: both splits index the same array
    train = TensorBatches(x, y, bs, device, seed, shard, limit, rows=prep.train_index, convert=prep.convert,
                          placed=on_device)
    val = None
    if prep.count("val"):
        val = TensorBatches(x, y, max(bs, 256), device, seed, Shard(), limit, shuffle=False,
                            rows=prep.val_index, convert=prep.convert, placed=on_device)
    return train, val
