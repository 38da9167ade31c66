"""Datasets: built-ins, user files, fitting the graph's Input, split and batches."""

from __future__ import annotations

import gzip
import struct
import zlib

import numpy as np
import pytest
import torch
from train_graphs import mlp
from train_helpers import assert_finished, of_kind, run_events

from netbuilder.train.batches import Shard, TensorBatches, split, steps_for
from netbuilder.train.builtin_data import LOADERS
from netbuilder.train.data import BUILTIN_DATASETS, DataError, dataset_for_shape, load_dataset
from netbuilder.train.image_files import decode_netpbm, decode_png


@pytest.mark.parametrize("name", list(BUILTIN_DATASETS))
def test_builtin_datasets_match_their_declaration(name):
    info = BUILTIN_DATASETS[name]
    data = load_dataset(name)
    assert data.sample_shape == info.input_shape
    assert data.task == info.task
    text = name == "sentiment"  # token ids for an Embedding
    assert data.x.dtype == (np.int64 if text else np.float32) and np.isfinite(data.x).all()
    if info.task == "classification":
        assert data.num_classes == info.num_classes
        assert set(np.unique(data.y)) == set(range(info.num_classes))
        assert len(data.class_names) == info.num_classes


def test_digits_are_the_1797_bundled_images_scaled_to_unit_range():
    data = load_dataset("digits")
    assert data.x.shape == (1797, 1, 8, 8)
    assert data.x.min() == 0.0 and data.x.max() == 1.0
    assert np.bincount(data.y).min() >= 170  # about 180 of each digit


@pytest.mark.parametrize("shape", [(1, 8, 8), (8, 8), (64,), (None, 8)])
def test_digits_take_the_shape_of_the_graph_input(shape):
    data = load_dataset("digits", {}, shape)
    assert data.sample_shape == tuple(8 if d is None else d for d in shape)
    assert data.image_shape == (1, 8, 8)  # still drawn as pictures


def test_digits_as_sequences_are_rows_of_the_image():
    image = load_dataset("digits").x[5, 0]
    seq = load_dataset("digits", {"layout": "sequence"}).x[5]
    assert np.array_equal(seq, image)


def test_a_shape_that_does_not_fit_names_both_shapes():
    with pytest.raises(DataError, match=r"1×8×8 \(64 values\).*expects 3×32×32"):
        load_dataset("digits", {}, (3, 32, 32))


def _centres(images: np.ndarray, k: int) -> np.ndarray:
    """(N, 1, 8k, 8k) → (N, 1, 8, 8): the mean of the 2×2 pixels at the centre of each k×k
    block, where a bilinear k× upscale puts the original pixel."""
    a, b = k // 2 - 1, k // 2
    return (images[..., a::k, a::k] + images[..., a::k, b::k] + images[..., b::k, a::k]
            + images[..., b::k, b::k]) / 4


def test_digits_resized_keep_their_labels_strokes_and_value_range():
    small = load_dataset("digits")
    big = load_dataset("digits", {"size": [32, 32]})
    assert big.x.shape == (1797, 1, 32, 32) and big.x.dtype == np.float32
    assert big.image_shape == (1, 32, 32)
    assert np.array_equal(big.y, small.y) and big.class_names == small.class_names
    assert big.x.min() >= 0.0 and big.x.max() <= 1.0 and big.x.max() > 0.9
    # the same picture, only finer: each 4×4 block's centre holds the original pixel, nearly
    back = _centres(big.x, 4)
    assert np.abs(back - small.x).mean() < 0.05
    assert np.corrcoef(back.ravel(), small.x.ravel())[0, 1] > 0.99
    # one number means a square; layouts read the resized image
    assert np.array_equal(load_dataset("digits", {"size": 32}).x, big.x)
    flat = load_dataset("digits", {"size": [16, 12], "layout": "flat"})
    assert flat.sample_shape == (192,) and flat.image_shape == (1, 16, 12)
    assert load_dataset("digits", {"size": [4, 4]}).x.max() <= 1.0  # shrinking stays in range too


def test_digits_follow_a_grey_image_input_without_a_size_option():
    data = load_dataset("digits", {}, (1, 32, 32))
    assert data.sample_shape == (1, 32, 32)
    assert np.array_equal(data.x, load_dataset("digits", {"size": [32, 32]}).x)
    assert load_dataset("digits", {}, (1, 28, 20)).sample_shape == (1, 28, 20)
    assert load_dataset("digits", {}, (1, 8, 8)).x.max() == 1.0  # the bundled size is not resized


@pytest.mark.parametrize("size, message", [
    ([32], "option 'size' must be \\[height, width\\]"), ("big", "option 'size'"), ([0, 8], "option 'size'"),
    ([True, 8], "option 'size'"), ([1000, 1000], "1000×1000 is too large"),
])
def test_bad_digits_size_is_named(size, message):
    with pytest.raises(DataError, match=message):
        load_dataset("digits", {"size": size})


def test_a_digits_size_that_does_not_fit_the_input_names_both_shapes():
    with pytest.raises(DataError, match=r"1×16×16 \(256 values\).*expects 1×32×32"):
        load_dataset("digits", {"size": [16, 16]}, (1, 32, 32))


def test_generated_datasets_follow_the_input_and_the_seed():
    sine = load_dataset("sine", {}, (24, 1))
    assert sine.sample_shape == (24, 1) and sine.y.shape[1:] == (1,)
    # the target is the value right after the window
    again = load_dataset("sine", {"window": 24, "noise": 0.0})
    assert again.y[0, 0] == pytest.approx(again.x[1, -1, 0])
    many = load_dataset("sine", {"many_to_many": True})
    assert many.y.shape[1:] == many.x.shape[1:]
    assert np.allclose(many.y[0, :-1], many.x[0, 1:])
    blobs = load_dataset("gaussian_blobs", {}, (5,))
    assert blobs.sample_shape == (5,)
    assert np.array_equal(load_dataset("moons", {"seed": 3}).x, load_dataset("moons", {"seed": 3}).x)
    assert not np.array_equal(load_dataset("moons", {"seed": 3}).x, load_dataset("moons", {"seed": 4}).x)


def test_iris_one_vs_rest():
    data = LOADERS["iris"]({"binary": "setosa"})
    assert data.class_names == ["not setosa", "setosa"] and data.y.sum() == 50
    with pytest.raises(DataError, match="one of setosa, versicolor, virginica"):
        LOADERS["iris"]({"binary": "rose"})


def test_dataset_for_shape():
    assert dataset_for_shape((1, 8, 8)) == "digits"
    assert dataset_for_shape((4,)) == "iris"
    assert dataset_for_shape((30,)) == "breast_cancer"
    assert dataset_for_shape((16, 1)) == "sine"
    assert dataset_for_shape((8, 8)) == "digits"
    assert dataset_for_shape((1, 2, 2)) == "digits"  # any grey image, not iris by its 4 values


def test_a_grey_image_input_with_no_dataset_gets_digits_at_its_size():
    """What training picks when the file names no dataset: LeNet-5's 1×32×32 Input."""
    for shape in [(1, 32, 32), (1, 28, 28)]:
        name = dataset_for_shape(shape)
        assert name == "digits"
        data = load_dataset(name, {}, shape)
        assert data.sample_shape == shape and data.num_classes == 10 and data.image_shape == shape


def test_unknown_dataset_lists_the_builtins():
    with pytest.raises(DataError, match="neither a known name .*digits.*mnist"):
        load_dataset("no_such_thing")


# ------------------------------------------------------------------ files
def test_csv_with_a_text_target_column(tmp_path):
    path = tmp_path / "flowers.csv"
    path.write_text("petal;width;species\n1.0;0.5;rose\n2.0;0.1;tulip\n1.5;0.3;rose\n3.0;0.9;lily\n")
    data = load_dataset(str(path), {"target": "species"})
    assert data.task == "classification" and data.class_names == ["lily", "rose", "tulip"]
    assert data.y.tolist() == [1, 2, 1, 0]
    assert np.allclose(data.x, [[1.0, 0.5], [2.0, 0.1], [1.5, 0.3], [3.0, 0.9]])


def test_csv_regression_target_and_errors(tmp_path):
    path = tmp_path / "prices.csv"
    rows = "\n".join(f"{i},{i * 0.5},{i * 1.37 + 0.01}" for i in range(30))
    path.write_text("a,b,price\n" + rows + "\n")
    data = load_dataset(str(path))
    assert data.task == "regression" and data.y.shape == (30,)
    with pytest.raises(DataError, match="no column named 'cost'; columns: a, b, price"):
        load_dataset(str(path), {"target": "cost"})
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,0\n3,,1\n")
    with pytest.raises(DataError, match="row 2, column 2 is empty"):
        load_dataset(str(bad))


def test_npz_x_and_y(tmp_path):
    path = tmp_path / "data.npz"
    np.savez(path, x=np.random.rand(10, 3).astype(np.float32), y=np.arange(10) % 2)
    data = load_dataset(str(path))
    assert data.sample_shape == (3,) and data.task == "classification" and data.num_classes == 2
    only_x = tmp_path / "unlabelled.npz"
    np.savez(only_x, x=np.random.rand(10, 3))
    assert load_dataset(str(only_x)).task == "reconstruction"


def test_npz_with_pickled_objects_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([{"a": 1}, {"b": 2}], dtype=object))
    with pytest.raises(DataError, match="without running code"):
        load_dataset(str(path))


def _idx(array: np.ndarray) -> bytes:
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + \
        array.astype(np.uint8).tobytes()


def test_idx_images_and_labels_gzipped(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (12, 5, 4))
    labels = np.arange(12) % 3
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx(images)))
    (tmp_path / "train-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx(labels)))
    data = load_dataset(str(tmp_path / "train-images-idx3-ubyte.gz"))
    assert data.sample_shape == (1, 5, 4) and data.image_shape == (1, 5, 4)
    assert data.x.dtype == np.uint8 and np.array_equal(data.x[:, 0], images)  # held as bytes
    assert np.allclose(data.values()[:, 0] * 255, images)
    assert data.y.tolist() == labels.tolist()
    folder = load_dataset(str(tmp_path))  # a folder holding IDX files
    assert folder.num_classes == 3


def test_truncated_idx_is_reported(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(_idx(np.zeros((4, 3, 3)))[:-5])
    with pytest.raises(DataError, match="truncated"):
        load_dataset(str(path))


# ----------------------------------------------------------------- images
def _png(pixels: np.ndarray, color_type: int, filters: list[int]) -> bytes:
    """An 8-bit PNG, each row encoded with the given filter (spec section 9)."""
    h = pixels.shape[0]
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[color_type]
    rows = pixels.reshape(h, -1).astype(np.int64)
    raw = b""
    prev = np.zeros(rows.shape[1], np.int64)
    for r in range(h):
        line, f = rows[r], filters[r % len(filters)]
        left = np.concatenate([np.zeros(bpp, np.int64), line[:-bpp]])
        upleft = np.concatenate([np.zeros(bpp, np.int64), prev[:-bpp]])
        if f == 0:
            out = line
        elif f == 1:
            out = line - left
        elif f == 2:
            out = line - prev
        elif f == 3:
            out = line - (left + prev) // 2
        else:
            p = left + prev - upleft
            pa, pb, pc = abs(p - left), abs(p - prev), abs(p - upleft)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
            out = line - pred
        raw += bytes([f]) + bytes((out % 256).astype(np.uint8))
        prev = line

    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    ihdr = struct.pack(">IIBBBBB", pixels.shape[1], h, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("color_type, channels", [(0, 1), (2, 3), (6, 4)])
def test_png_decoder_undoes_every_filter(color_type, channels):
    pixels = np.random.default_rng(1).integers(0, 256, (5, 7, channels)).astype(np.uint8)
    decoded = decode_png(_png(pixels, color_type, [0, 1, 2, 3, 4]))
    assert np.array_equal(decoded, pixels)


def test_pgm_and_ppm():
    grey = decode_netpbm(b"P5\n# comment\n3 2\n255\n" + bytes([0, 10, 20, 30, 40, 255]))
    assert grey[:, :, 0].tolist() == [[0, 10, 20], [30, 40, 255]]
    ascii_rgb = decode_netpbm(b"P3 1 1 15 15 0 5")
    assert ascii_rgb[0, 0].tolist() == [255, 0, 85]


def test_image_folder_one_class_per_subfolder_resized_to_the_input(tmp_path):
    rng = np.random.default_rng(2)
    for name in ("cat", "dog"):
        (tmp_path / name).mkdir()
        for i in range(3):
            img = rng.integers(0, 256, (10, 12, 3)).astype(np.uint8)
            (tmp_path / name / f"{i}.png").write_bytes(_png(img, 2, [4]))
    (tmp_path / "dog" / "3.pgm").write_bytes(b"P5 4 4 255\n" + bytes(range(16)))
    data = load_dataset(str(tmp_path), {}, (1, 6, 6))
    assert data.x.shape == (7, 1, 6, 6) and data.class_names == ["cat", "dog"]
    assert data.y.tolist() == [0, 0, 0, 1, 1, 1, 1]
    assert 0.0 <= data.x.min() and data.x.max() <= 1.0
    rgb = load_dataset(str(tmp_path), {}, (3, 10, 12))
    assert rgb.sample_shape == (3, 10, 12)


def test_image_folder_without_class_folders(tmp_path):
    with pytest.raises(DataError, match="one sub-folder per class"):
        load_dataset(str(tmp_path))


def test_jpeg_without_pillow_says_what_is_needed(tmp_path, monkeypatch):
    import netbuilder.train.image_files as image_files

    monkeypatch.setattr(image_files, "_pillow", lambda: None)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.jpg").write_bytes(b"\xff\xd8\xff")
    with pytest.raises(DataError, match="need Pillow"):
        load_dataset(str(tmp_path))


# ------------------------------------------------------------------ split
def test_split_is_seeded_and_standardizes_with_training_statistics():
    data = load_dataset("wine")
    a = split(data, 0.25, seed=7, standardize=True)
    b = split(data, 0.25, seed=7, standardize=True)
    c = split(data, 0.25, seed=8, standardize=True)
    assert torch.equal(a.x_val, b.x_val) and not torch.equal(a.x_val, c.x_val)
    assert len(a.x_val) == round(178 * 0.25) and len(a.x_train) + len(a.x_val) == 178
    assert torch.allclose(a.x_train.mean(0), torch.zeros(13), atol=1e-5)
    assert torch.allclose(a.x_train.std(0), torch.ones(13), atol=1e-4)


def test_index_batches_cover_the_data_once_per_epoch_and_shard():
    x = torch.arange(10.0).reshape(10, 1)
    batches = TensorBatches(x, torch.arange(10), 4, torch.device("cpu"), 0, Shard(), 1e9)
    seen = torch.cat([xb for xb, _ in batches.epoch(1)]).flatten()
    assert sorted(seen.tolist()) == list(range(10)) and len(batches) == 3
    assert not torch.equal(seen, torch.cat([xb for xb, _ in batches.epoch(2)]).flatten())  # reshuffled
    shards = [TensorBatches(x, None, 3, torch.device("cpu"), 0, Shard(r, 2), 1e9) for r in range(2)]
    parts = [torch.cat([xb for xb, _ in s.epoch(1)]).flatten().tolist() for s in shards]
    assert len(parts[0]) == len(parts[1]) == 5 and not set(parts[0]) & set(parts[1])
    assert steps_for(33, 32) == 1  # a last batch of one sample is dropped (BatchNorm)


def test_large_image_folders_stream_through_a_dataloader(tmp_path):
    rng = np.random.default_rng(3)
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        for i in range(6):
            (tmp_path / name / f"{i}.pgm").write_bytes(b"P5 4 4 255\n" + bytes(rng.integers(0, 256, 16).tolist()))
    lazy = load_dataset(str(tmp_path), {"preload_limit": 4}, (1, 4, 4))
    assert lazy.lazy is not None and len(lazy) == 12 and lazy.x.shape == (0, 1, 4, 4)
    graph = mlp((1, 4, 4), hidden=8, classes=2)
    events = run_events(graph, dataset=str(tmp_path), dataset_options={"preload_limit": 4}, epochs=2, batch_size=4,
                        val_split=0.25)
    assert_finished(events)
    assert events[0]["num_train"] == 9 and events[0]["num_val"] == 3
    assert of_kind(events, "epoch")[-1]["val_accuracy"] is not None
