"""Train/validation split, standardisation, and batches.

Small datasets live on the device as two tensors and a batch is an index
into them (one `torch.randperm` per epoch, no DataLoader, no per-sample
Python). Tensors over `max_device_mb` stay in host memory (pinned on CUDA)
and each batch is copied over; folders read on demand go through a
DataLoader. Under DDP every process takes its own equal share of the same
per-epoch permutation, as torch's DistributedSampler does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np
import torch

from netbuilder.train.data import DataError, Dataset


@dataclass
class Shard:
    rank: int = 0
    world: int = 1


@dataclass
class Prepared:
    """The split, as tensors (x float32/int64, y int64 labels or float targets)."""

    x_train: Any
    y_train: Any
    x_val: Any
    y_val: Any
    mean: Any = None  # standardisation statistics (None when off)
    std: Any = None
    train_index: Any = None  # for lazy datasets: sample indices instead of tensors
    val_index: Any = None


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
        return Prepared(None, None, None, None, train_index=train_i, val_index=val_i)
    x, y = torch.from_numpy(np.ascontiguousarray(data.x)), None if data.y is None else torch.from_numpy(data.y)
    if val_split == "test":  # two slices: views of the one array, no copy of 60,000 images
        k = n - data.test_count
        prep = Prepared(x[:k], None if y is None else y[:k], x[k:], None if y is None else y[k:])
    else:
        tr, va = torch.from_numpy(train_i), torch.from_numpy(val_i)
        prep = Prepared(x[tr], None if y is None else y[tr], x[va], None if y is None else y[va])
    if standardize and x.is_floating_point():
        prep.mean = prep.x_train.mean(dim=0, keepdim=True)
        std = prep.x_train.std(dim=0, keepdim=True) if len(prep.x_train) > 1 else torch.ones_like(prep.mean)
        prep.std = torch.where(std > 1e-8, std, torch.ones_like(std))  # constant features stay as they are
        prep.x_train = (prep.x_train - prep.mean) / prep.std
        prep.x_val = (prep.x_val - prep.mean) / prep.std
    return prep


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


class TensorBatches(_Batches):
    """Shuffled index batches over tensors held on the device (or on the host)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor | None, batch_size: int, device: torch.device,
                 seed: int, shard: Shard, max_device_bytes: float, shuffle: bool = True) -> None:
        nbytes = x.numel() * x.element_size() + (0 if y is None else y.numel() * y.element_size())
        self.on_device = nbytes <= max_device_bytes or device.type == "cpu"
        home = device if self.on_device else torch.device("cpu")
        pin = not self.on_device and device.type == "cuda"
        self.x = x.to(home).pin_memory() if pin else x.to(home)
        self.y = None if y is None else (y.to(home).pin_memory() if pin else y.to(home))
        self.device, self.batch_size, self.seed, self.shard, self.shuffle = device, batch_size, seed, shard, shuffle
        self._count(len(x), batch_size, shard, shuffle)

    def _order(self, epoch: int) -> torch.Tensor:
        n = len(self.x)
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed * 100_003 + epoch)
            order = torch.randperm(n, generator=gen)
        else:
            order = torch.arange(n)
        if self.shard.world > 1:
            order = order[self.shard.rank::self.shard.world][:self.per_rank]
        return order.to(self.x.device)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        bs = self.batch_size
        if not self.shuffle and self.shard.world == 1 and self.on_device:
            # in order, unsharded (validation): slices are views, no index tensor, no copies
            for i in range(self.steps):
                yield self.x[i * bs:(i + 1) * bs], None if self.y is None else self.y[i * bs:(i + 1) * bs]
            return
        order = self._order(epoch)
        for i in range(self.steps):
            idx = order[i * bs:(i + 1) * bs]
            xb = self.x.index_select(0, idx)
            yb = None if self.y is None else self.y.index_select(0, idx)
            if not self.on_device:
                xb = xb.to(self.device, non_blocking=True)
                yb = None if yb is None else yb.to(self.device, non_blocking=True)
            yield xb, yb


class LoaderBatches(_Batches):
    """A DataLoader over a dataset read on demand (big image folders)."""

    def __init__(self, lazy: Any, index: np.ndarray, batch_size: int, device: torch.device, seed: int,
                 shard: Shard, shuffle: bool = True, num_workers: int = 0) -> None:
        self.lazy, self.index, self.device, self.seed, self.shuffle = lazy, index, device, seed, shuffle
        self.shard, self.batch_size, self.num_workers = shard, batch_size, num_workers
        self._count(len(index), batch_size, shard, shuffle)

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        order = np.arange(len(self.index))
        if self.shuffle:
            order = np.random.default_rng(self.seed * 100_003 + epoch).permutation(len(order))
        if self.shard.world > 1:
            order = order[self.shard.rank::self.shard.world][:self.per_rank]
        subset = torch.utils.data.Subset(_Wrapped(self.lazy), self.index[order].tolist())
        loader = torch.utils.data.DataLoader(subset, batch_size=self.batch_size, shuffle=False,
                                             num_workers=self.num_workers,
                                             pin_memory=self.device.type == "cuda")
        for i, (xb, yb) in enumerate(loader):
            if i >= self.steps:
                break
            yield xb.to(self.device, non_blocking=True), yb.to(self.device, non_blocking=True)


class _Wrapped(torch.utils.data.Dataset):
    def __init__(self, lazy: Any) -> None:
        self.lazy = lazy

    def __len__(self) -> int:
        return len(self.lazy)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = self.lazy[i]
        return torch.from_numpy(x), torch.tensor(y)


def make_batches(data: Dataset, prep: Prepared, settings: dict[str, Any], device: torch.device,
                 shard: Shard) -> tuple[Any, Any]:
    """(train batches, validation batches or None)."""
    bs, seed = settings["batch_size"], settings["seed"]
    if data.lazy is not None:
        train = LoaderBatches(data.lazy, prep.train_index, bs, device, seed, shard)
        val = LoaderBatches(data.lazy, prep.val_index, max(bs, 256), device, seed, Shard(), shuffle=False) \
            if len(prep.val_index) else None
        return train, val
    limit = settings["max_device_mb"] * 2**20
    train = TensorBatches(prep.x_train, prep.y_train, bs, device, seed, shard, limit)
    val = None
    if len(prep.x_val):
        val = TensorBatches(prep.x_val, prep.y_val, max(bs, 256), device, seed, Shard(), limit, shuffle=False)
    return train, val
