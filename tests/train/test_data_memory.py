"""One copy of the data: 8-bit sources held as uint8, converted per batch to exactly the old floats;
the split is rows of one array (views or index tensors), never copies beside data.x."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
from train_graphs import mlp
from train_helpers import assert_finished, run_events

from netbuilder.train import setup as train_setup
from netbuilder.train.batches import Convert, Shard, TensorBatches, make_batches, split
from netbuilder.train.data import load_dataset
from netbuilder.train.datasets.named import channel_stats
from netbuilder.train.settings import resolve_settings

CPU = torch.device("cpu")


def idx(array: np.ndarray) -> bytes:
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_folder(folder, train: int = 40, test: int = 10, seed: int = 0):
    """The four official MNIST file names: a named-dataset folder (normalised, t10k = validation)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    images = {}
    for prefix, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n)
        pixels = rng.integers(0, 256, (n, 28, 28))
        for i, label in enumerate(labels):
            pixels[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 250  # learnable
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx(pixels)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx(labels)))
        images[prefix] = pixels.astype(np.uint8)
    return folder, images


def old_named_floats(pixels: np.ndarray, n_train: int, normalize: bool) -> np.ndarray:
    """What named.py held before: a float32 copy, /255, normalised per channel with these operations."""
    values = pixels.astype(np.float32)
    values /= 255.0
    if normalize:
        mean, std = channel_stats(pixels[:n_train])
        values -= mean.reshape(1, -1, 1, 1)
        values /= np.where(std > 1e-8, std, np.float32(1.0)).reshape(1, -1, 1, 1)
    return values


def all_batches(batches, epoch: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    xs, ys = zip(*batches.epoch(epoch))
    return torch.cat(xs), torch.cat(ys)


def test_idx_file_is_held_as_bytes_and_batches_are_the_old_floats_exactly(tmp_path):
    pixels = np.random.default_rng(1).integers(0, 256, (30, 6, 5)).astype(np.uint8)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx(pixels))
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx(np.arange(30) % 3))
    data = load_dataset(str(tmp_path / "train-images-idx3-ubyte"), {}, [1, 6, 5])
    assert data.x.dtype == np.uint8 and data.x.nbytes == pixels.nbytes
    old = pixels[:, None].astype(np.float32) / 255.0  # file_data.load_idx's float copy, as it was
    prep = split(data, 0.2, 0, False)
    train, val = make_batches(data, prep, {"batch_size": 7, "seed": 0, "max_device_mb": 512}, CPU, Shard())
    for batches, rows in ((train, prep.train_index), (val, prep.val_index)):
        for i, (xb, _) in enumerate(batches.epoch(3)):
            assert xb.dtype == torch.float32
            if batches.shuffle:
                order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(3))
                want = old[rows[order[i * 7:(i + 1) * 7]].numpy()]
            else:
                want = old[rows[i * 256:(i + 1) * 256].numpy()]
            assert torch.equal(xb, torch.from_numpy(want))  # bit for bit


def test_named_mnist_folder_is_uint8_and_normalised_batches_match_the_old_conversion(tmp_path):
    folder, images = mnist_folder(tmp_path / "m")
    pixels = np.concatenate([images["train"], images["t10k"]])[:, None]
    for normalize in (True, False):
        data = load_dataset(str(folder), {"normalize": normalize}, [1, 28, 28])
        assert data.x.dtype == np.uint8 and data.scale is not None and data.test_count == 10
        old = old_named_floats(pixels, 40, normalize)
        assert np.array_equal(data.values(), old)
        prep = split(data, "test", 0, False)
        _, val = make_batches(data, prep, {"batch_size": 8, "seed": 0, "max_device_mb": 512}, CPU, Shard())
        xs, _ = all_batches(val)
        assert torch.equal(xs, torch.from_numpy(old[40:]))
    flat = load_dataset(str(folder), {}, [784])  # reshaped for an MLP: still bytes, the same values
    assert flat.x.dtype == np.uint8 and np.array_equal(flat.values(), old_named_floats(pixels, 40, True)
                                                      .reshape(50, 784))


def test_exact_channel_statistics_agree_with_the_old_float32_ones():
    pixels = np.random.default_rng(2).integers(0, 256, (64, 3, 8, 8)).astype(np.uint8)
    mean, std = channel_stats(pixels, chunk=1000)  # several chunks per channel
    values = pixels.astype(np.float32) / 255.0
    np.testing.assert_allclose(mean, values.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(std, values.std(axis=(0, 2, 3)), rtol=1e-5)
    assert mean.dtype == std.dtype == np.float32


def test_colour_channels_use_their_own_table_even_flattened():
    from netbuilder.train.data import ByteScale

    pixels = np.random.default_rng(3).integers(0, 256, (5, 3, 4, 4)).astype(np.uint8)
    mean, std = np.array([0.1, 0.5, 0.9], np.float32), np.array([0.2, 0.3, 0.4], np.float32)
    scale = ByteScale.pixels((3, 4, 4), mean, std)
    old = (pixels.astype(np.float32) / 255.0 - mean.reshape(1, 3, 1, 1)) / std.reshape(1, 3, 1, 1)
    flat = torch.from_numpy(pixels.reshape(5, 48))
    assert torch.equal(Convert(scale)(flat), torch.from_numpy(old.reshape(5, 48)))
    assert np.array_equal(scale.apply(pixels), old)


def test_uint8_npz_is_kept_as_bytes_with_the_values_it_had(tmp_path):
    x = np.random.default_rng(4).integers(0, 256, (12, 2, 3)).astype(np.uint8)
    np.savez(tmp_path / "d.npz", x=x, y=np.arange(12) % 2)
    data = load_dataset(str(tmp_path / "d.npz"))
    assert data.x.dtype == np.uint8 and np.array_equal(data.values(), x.astype(np.float32))


def test_random_split_is_index_tensors_into_the_one_array(tmp_path):
    folder, _ = mnist_folder(tmp_path / "m")
    data = load_dataset(str(folder), {}, [1, 28, 28])
    prep = split(data, 0.3, 5, False)
    base = data.x.ctypes.data
    assert prep.x.untyped_storage().data_ptr() == base and prep.x.dtype == torch.uint8
    assert prep.train_index.dtype == torch.int64 and prep.count("train") + prep.count("val") == 50
    assert sorted(torch.cat([prep.train_index, prep.val_index]).tolist()) == list(range(50))
    train, val = make_batches(data, prep, {"batch_size": 8, "seed": 0, "max_device_mb": 512}, CPU, Shard())
    assert train.x is val.x and train.x.untyped_storage().data_ptr() == base  # no split copies
    xs, ys = all_batches(val)
    assert torch.equal(xs, prep.x_val) and torch.equal(ys, prep.y_val)


def test_standardisation_is_applied_per_batch_with_the_training_statistics(tmp_path):
    folder, images = mnist_folder(tmp_path / "m")
    data = load_dataset(str(folder), {"normalize": False}, [1, 28, 28])
    prep = split(data, "test", 0, True)
    old = torch.from_numpy(data.values())
    np.testing.assert_allclose(prep.mean[0].numpy(), old[:40].mean(0).numpy(), atol=1e-6)
    np.testing.assert_allclose(prep.std[0].numpy(), old[:40].std(0).clamp_min(1e-8).numpy(), rtol=1e-5)
    _, val = make_batches(data, prep, {"batch_size": 8, "seed": 0, "max_device_mb": 512}, CPU, Shard())
    xs, _ = all_batches(val)
    assert torch.equal(xs, (old[40:] - prep.mean) / prep.std)  # the old (x - mean) / std, per batch
    assert prep.x.dtype == torch.uint8  # no standardised copy either


def test_tensor_batches_of_given_rows_follow_the_old_split_copy_batches():
    x = torch.arange(40, dtype=torch.uint8).reshape(20, 2)
    rows = torch.tensor([3, 17, 5, 9, 0, 11, 2, 8, 19, 14])
    mine = TensorBatches(x, None, 4, CPU, 2, Shard(), 1e9, rows=rows)
    copy = TensorBatches(x[rows], None, 4, CPU, 2, Shard(), 1e9)  # what a split copy gave
    assert all(torch.equal(a, b) for (a, _), (b, _) in zip(mine.epoch(4), copy.epoch(4)))


def test_setup_holds_one_uint8_copy_and_trains(tmp_path):
    folder, _ = mnist_folder(tmp_path / "m", train=64, test=16)
    graph = mlp((1, 28, 28), hidden=16, classes=10)
    from netbuilder.core.io import graph_to_dict

    graph_dict = graph_to_dict(graph)
    settings = resolve_settings(graph_dict, {"dataset": str(folder), "epochs": 1, "batch_size": 16,
                                             "device": "cpu", "samples": True})
    s = train_setup.build(graph_dict, settings)
    assert s.data.x.dtype == np.uint8
    base = s.data.x.ctypes.data
    for batches in (s.train, s.val):
        assert batches.x.untyped_storage().data_ptr() == base
    assert s.samples is not None and s.samples.x.dtype == torch.float32
    events = run_events(graph, dataset=str(folder), epochs=2, batch_size=16, lr=0.01)
    assert_finished(events)


@pytest.mark.parametrize("fraction", [0.25, "test"])
def test_training_on_bytes_learns_like_before(tmp_path, fraction):
    folder, _ = mnist_folder(tmp_path / "m", train=120, test=40)
    graph = mlp((1, 28, 28), hidden=32, classes=10)
    events = run_events(graph, dataset=str(folder), epochs=4, batch_size=16, lr=0.05, optimizer="sgd",
                        validation=fraction, seed=1)
    done = assert_finished(events)
    epochs = [e for e in events if e["event"] == "epoch"]
    assert epochs, events
    assert epochs[-1]["val_accuracy"] > 0.5, done  # the bars are learnable: the pixels reached the net


def test_idx_files_are_decoded_straight_into_one_stacked_array(tmp_path, monkeypatch):
    from netbuilder.train import file_data
    from netbuilder.train.data import DataError

    a = np.random.default_rng(5).integers(0, 256, (7, 3, 2)).astype(np.uint8)
    b = np.random.default_rng(6).integers(0, 256, (4, 3, 2)).astype(np.uint8)
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx(a)))
    (tmp_path / "b").write_bytes(idx(b))
    monkeypatch.setattr(file_data, "READ_CHUNK", 5)  # many chunks per file
    stacked = file_data.read_idx_stacked([tmp_path / "a.gz", tmp_path / "b"])
    assert stacked.flags.writeable and np.array_equal(stacked, np.concatenate([a, b]))
    (tmp_path / "short").write_bytes(idx(b)[:-3])
    with pytest.raises(DataError, match="short: the file is truncated"):
        file_data.read_idx_stacked([tmp_path / "short"])
    (tmp_path / "wide").write_bytes(idx(np.zeros((2, 3, 3), np.uint8)))
    with pytest.raises(DataError, match=r"wide: items of shape \[3, 3\]"):
        file_data.read_idx_stacked([tmp_path / "a.gz", tmp_path / "wide"])
    monkeypatch.setenv("NETBUILDER_MAX_DATA_MB", "1")  # a small file whose header claims 2 GB
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(struct.pack(">BBBBIII", 0, 0, 8, 3, 2_000_000, 32, 32)))
    with pytest.raises(DataError, match="bomb.gz: the decompressed data would be .* NETBUILDER_MAX_DATA_MB"):
        file_data.read_idx_stacked([tmp_path / "bomb.gz"])
