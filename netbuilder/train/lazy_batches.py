"""Batches of a dataset read on demand (an image folder too big to decode up front).

Each split builds its DataLoader once and reuses it every epoch (the batch
sampler follows the epoch), with worker processes where they help — enough
files to decode, more than one core — kept alive between epochs
(persistent_workers). When the decoded samples fit the memory limit
(NETBUILDER_MAX_DATA_MB, or the dataset option cache_mb) the first epoch also
keeps every sample it decodes in a `SampleCache` (uint8 where the images are
8-bit at the Input's size), and later epochs batch from that array like an
in-memory dataset: each image is decoded once per run, not once per epoch.
The order of the samples is the same either way.
"""

from __future__ import annotations

import math
import os
from typing import Any, Iterator

import numpy as np
import torch
from torch.utils.data import DataLoader

from netbuilder.train.batches import Convert, Shard, _Batches

MIN_FILES_FOR_WORKERS = 2000  # below this, starting worker processes costs more than decoding saves
MAX_WORKERS = 4


def auto_workers(files_per_epoch: int) -> int:
    """Worker processes worth starting for this many decodes per epoch."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if files_per_epoch < MIN_FILES_FOR_WORKERS or cores < 2:
        return 0
    return min(MAX_WORKERS, cores - 1)


class SampleCache:
    """Decoded samples kept in memory (host), filled as batches are decoded."""

    def __init__(self, count: int, shape: tuple[int, ...], dtype: torch.dtype) -> None:
        self.x = torch.empty((count, *shape), dtype=dtype)
        self.y = torch.zeros(count, dtype=torch.int64)
        self.filled = torch.zeros(count, dtype=torch.bool)

    @staticmethod
    def for_dataset(lazy: Any) -> SampleCache | None:
        """A cache for every sample of `lazy` when they fit its cache limit, else None."""
        dtype = np.dtype(getattr(lazy, "dtype", np.float32))
        nbytes = len(lazy) * math.prod(lazy.shape) * dtype.itemsize
        limit = getattr(lazy, "cache_bytes", 0)
        if not len(lazy) or nbytes > limit:
            return None
        return SampleCache(len(lazy), tuple(lazy.shape), torch.from_numpy(np.zeros(0, dtype)).dtype)

    def store(self, index: torch.Tensor, xb: torch.Tensor, yb: torch.Tensor) -> None:
        self.x[index] = xb
        self.y[index] = yb
        self.filled[index] = True

    def missing(self, index: np.ndarray) -> np.ndarray:
        return index[~self.filled[torch.from_numpy(index)].numpy()]


class LoaderBatches(_Batches):
    """Batches over the samples `index` of a dataset read on demand."""

    def __init__(self, lazy: Any, index: np.ndarray, batch_size: int, device: torch.device, seed: int,
                 shard: Shard, shuffle: bool = True, num_workers: int | None = None,
                 convert: Convert | None = None, cache: SampleCache | None = None) -> None:
        self.lazy, self.index, self.device, self.seed, self.shuffle = lazy, np.asarray(index), device, seed, shuffle
        self.shard, self.batch_size, self.cache = shard, batch_size, cache
        self.convert = (convert or Convert()).to(device)
        self._count(len(index), batch_size, shard, shuffle)
        if num_workers is None:
            chosen = getattr(lazy, "workers", None)
            num_workers = auto_workers(len(index)) if chosen is None else int(chosen)
        self.num_workers = num_workers
        self.loader: DataLoader | None = None  # built on the first epoch that decodes, then reused
        self.current = np.zeros(0, np.int64)  # the sample indices of the epoch being read, in batch order

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices this rank reads in `epoch`, in batch order (only those its steps use)."""
        order = np.arange(len(self.index))
        if self.shuffle:
            order = np.random.default_rng(self.seed * 100_003 + epoch).permutation(len(order))
        if self.shard.world > 1:
            order = order[self.shard.rank::self.shard.world][:self.per_rank]
        return self.index[order][:self.steps * self.batch_size]

    def epoch(self, epoch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
        self.current = self.order(epoch)
        if self.cache is not None:
            missing = self.cache.missing(self.current)
            if len(missing) <= max(self.batch_size, len(self.current) // 20):
                self._decode_here(missing)  # the few a previous epoch did not read (a dropped last batch)
                yield from self._from_cache()
                return
        if self.loader is None:
            self.loader = self._build_loader()
        for index, xb, yb in self.loader:
            if self.cache is not None:
                self.cache.store(index, xb, yb)
            yield self.convert(xb.to(self.device, non_blocking=True)), yb.to(self.device, non_blocking=True)
        if self.cache is not None and not len(self.cache.missing(self.index)):
            self.loader = None  # every sample is in memory now: let the worker processes go

    def _from_cache(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        assert self.cache is not None
        bs = self.batch_size
        for i in range(self.steps):
            idx = torch.from_numpy(self.current[i * bs:(i + 1) * bs])
            xb, yb = self.cache.x.index_select(0, idx), self.cache.y.index_select(0, idx)
            yield self.convert(xb.to(self.device, non_blocking=True)), yb.to(self.device, non_blocking=True)

    def _decode_here(self, indices: np.ndarray) -> None:
        assert self.cache is not None
        for i in indices.tolist():
            x, y = self.lazy[i]
            self.cache.store(torch.tensor([i]), torch.from_numpy(x)[None], torch.tensor([y]))

    def _build_loader(self) -> DataLoader:
        return DataLoader(_Indexed(self.lazy), batch_sampler=_EpochBatches(self), num_workers=self.num_workers,
                          persistent_workers=self.num_workers > 0, pin_memory=self.device.type == "cuda")


class _EpochBatches(torch.utils.data.Sampler):
    """The batches of whatever epoch its LoaderBatches is reading (runs in the main process)."""

    def __init__(self, owner: LoaderBatches) -> None:
        self.owner = owner

    def __iter__(self) -> Iterator[list[int]]:
        order, bs = self.owner.current, self.owner.batch_size
        for i in range(0, len(order), bs):
            yield order[i:i + bs].tolist()

    def __len__(self) -> int:
        return self.owner.steps


class _Indexed(torch.utils.data.Dataset):
    """(index, sample, label): the index says where a decoded sample goes in the cache."""

    def __init__(self, lazy: Any) -> None:
        self.lazy = lazy

    def __len__(self) -> int:
        return len(self.lazy)

    def __getitem__(self, i: int) -> tuple[int, torch.Tensor, int]:
        x, y = self.lazy[i]
        return i, torch.from_numpy(x), int(y)
