"""Image folders: PNGs decoded by Pillow, held as uint8 with the old float values, and large folders
read through one DataLoader built once, each image decoded once into a cache."""

from __future__ import annotations

import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from train_graphs import mlp
from train_helpers import assert_finished, run_events

import netbuilder.train.image_files as image_files
import netbuilder.train.lazy_batches as lazy_batches
from netbuilder.train.batches import Shard, make_batches, split
from netbuilder.train.data import DataError, load_dataset

CPU = torch.device("cpu")
SETTINGS = {"batch_size": 4, "seed": 0, "max_device_mb": 512}


def png_folder(root: Path, per_class: int = 6, size: tuple[int, int] = (5, 4), mode: str = "L",
               odd: bool = False) -> list[Path]:
    rng = np.random.default_rng(7)
    files = []
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            shape = (*size, 3) if mode == "RGB" else size
            if odd and i == 0:
                shape = (size[0] + 2, size[1] + 1, *shape[2:])
            pixels = rng.integers(0, 256, shape).astype(np.uint8)
            path = root / name / f"{i}.png"
            Image.fromarray(pixels, mode).save(path)
            files.append(path)
    return files


def old_floats(files: list[Path], shape: tuple[int, int, int]) -> np.ndarray:
    """What load_image_folder held before: to_sample's float32 of every image."""
    return np.stack([image_files.to_sample(image_files.read_image(f), shape[1:], shape[0]) for f in files])


def test_pillow_is_a_dependency_and_decodes_png(tmp_path, monkeypatch):
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    assert any(d.lower().startswith("pillow") for d in project["dependencies"])
    files = png_folder(tmp_path)
    monkeypatch.setattr(image_files, "decode_png", lambda raw: pytest.fail("the Python PNG decoder ran"))
    assert image_files.read_image(files[0]).shape == (5, 4, 1)


@pytest.mark.parametrize("mode,hint", [("L", (1, 5, 4)), ("RGB", (3, 5, 4)), ("L", (3, 5, 4))])
def test_same_size_pngs_are_held_as_uint8_with_the_old_values(tmp_path, mode, hint):
    files = png_folder(tmp_path, mode=mode)
    data = load_dataset(str(tmp_path), {}, hint)
    assert data.x.dtype == np.uint8 and data.sample_shape == hint
    old = old_floats(files, hint)
    assert np.array_equal(data.values(), old)
    prep = split(data, 0.25, 0, False)
    train, _ = make_batches(data, prep, SETTINGS, CPU, Shard())
    for i, (xb, _) in enumerate(train.epoch(2)):
        rows = prep.train_index[torch.randperm(len(prep.train_index), generator=torch.Generator().manual_seed(2))]
        assert torch.equal(xb, torch.from_numpy(old[rows[i * 4:(i + 1) * 4].numpy()]))


def test_pngs_that_need_resizing_or_grey_mixing_stay_float32_as_before(tmp_path):
    files = png_folder(tmp_path, mode="RGB", odd=True)
    resized = load_dataset(str(tmp_path), {}, (3, 5, 4))  # one image is 7×5: resampled
    assert resized.x.dtype == np.float32 and np.array_equal(resized.x, old_floats(files, (3, 5, 4)))
    grey = load_dataset(str(tmp_path), {"size": [5, 4]}, (1, 5, 4))
    assert grey.x.dtype == np.float32 and np.array_equal(grey.x, old_floats(files, (1, 5, 4)))


class Counting:
    """Counts DataLoader constructions and image decodes."""

    def __init__(self, monkeypatch) -> None:
        self.loaders = self.decodes = 0
        real_loader, real_read = lazy_batches.DataLoader, image_files.read_image

        def loader(*args, **kwargs):
            self.loaders += 1
            return real_loader(*args, **kwargs)

        def read(path):
            self.decodes += 1
            return real_read(path)

        monkeypatch.setattr(lazy_batches, "DataLoader", loader)
        monkeypatch.setattr(image_files, "read_image", read)


def lazy_batches_of(root: Path, options: dict) -> tuple:
    data = load_dataset(str(root), {"preload_limit": 4, **options}, (1, 5, 4))
    assert data.lazy is not None and data.lazy.dtype == np.uint8  # the first image is exact: bytes
    prep = split(data, 0.25, 0, False)
    return data, prep, *make_batches(data, prep, SETTINGS, CPU, Shard())


def epoch_values(batches, epoch: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    return [(xb.clone(), yb.clone()) for xb, yb in batches.epoch(epoch)]


def test_the_decode_cache_serves_the_second_epoch(tmp_path, monkeypatch):
    files = png_folder(tmp_path, per_class=8)  # 16 images: 12 train, 4 val, batches of 4
    count = Counting(monkeypatch)
    data, prep, train, val = lazy_batches_of(tmp_path, {})
    assert train.cache is val.cache is not None and train.cache.x.dtype == torch.uint8
    count.decodes = 0
    first = epoch_values(train, 1)
    assert count.decodes == 12 and count.loaders == 1
    epoch_values(val, 0)
    assert count.decodes == 16
    second = epoch_values(train, 2)
    assert count.decodes == 16 and count.loaders == 1  # nothing decoded, no loader: from the cache
    assert train.loader is None  # the cache is complete: the loader (and its workers) let go
    old = old_floats(files, (1, 5, 4))
    for epoch, batches in ((1, first), (2, second)):
        order = train.order(epoch)
        for i, (xb, yb) in enumerate(batches):
            rows = order[i * 4:(i + 1) * 4]
            assert torch.equal(xb, torch.from_numpy(old[rows])) and yb.tolist() == data.y[rows].tolist()


def test_without_the_cache_one_loader_serves_every_epoch(tmp_path, monkeypatch):
    png_folder(tmp_path, per_class=8)
    count = Counting(monkeypatch)
    _, _, train, _ = lazy_batches_of(tmp_path, {"cache_mb": 0})
    assert train.cache is None and train.num_workers == 0  # 12 files: workers would cost more than they save
    seen = [epoch_values(train, e) for e in (1, 2, 3)]
    assert count.loaders == 1 and count.decodes >= 36  # decoded every epoch, one DataLoader
    assert [len(s) for s in seen] == [3, 3, 3]
    assert not all(torch.equal(a[0], b[0]) for a, b in zip(seen[0], seen[1]))  # reshuffled per epoch


def test_workers_persist_across_epochs(tmp_path, monkeypatch):
    png_folder(tmp_path, per_class=8)
    count = Counting(monkeypatch)
    _, _, train, _ = lazy_batches_of(tmp_path, {"cache_mb": 0, "workers": 1})
    first = epoch_values(train, 1)
    loader = train.loader
    assert loader.num_workers == 1 and loader.persistent_workers
    second = epoch_values(train, 2)
    assert train.loader is loader and count.loaders == 1
    assert len(first) == len(second) == 3


def test_cache_and_worker_options_are_checked(tmp_path):
    png_folder(tmp_path)
    with pytest.raises(DataError, match="cache_mb must be a number"):
        load_dataset(str(tmp_path), {"preload_limit": 4, "cache_mb": "lots"}, (1, 5, 4))
    with pytest.raises(DataError, match="workers must be a whole number"):
        load_dataset(str(tmp_path), {"preload_limit": 4, "workers": -1}, (1, 5, 4))


def test_a_lazy_uint8_folder_trains_end_to_end(tmp_path):
    png_folder(tmp_path, per_class=8)
    events = run_events(mlp((1, 5, 4), hidden=8, classes=2), dataset=str(tmp_path),
                        dataset_options={"preload_limit": 4}, epochs=3, batch_size=4, val_split=0.25)
    assert_finished(events)
    assert events[0]["num_train"] == 12 and events[0]["num_val"] == 4
