"""Folders the user already has, CIFAR-100 labels, fitting MNIST to LeNet's 32×32, the test split as validation."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest
from fake_sources import FileServer, cifar_members, mnist_like, spec_for, write_files

from netbuilder.cli import main
from netbuilder.train.batches import split
from netbuilder.train.data import DataError, load_dataset
from netbuilder.train.datasets import registry


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("NETBUILDER_DATASET_MIRROR", raising=False)


def test_mnist_folder_gz_or_not_reads_t10k_as_the_validation_set(tmp_path):
    files = mnist_like(train=30, test=10)
    plain = {name.removesuffix(".gz"): gzip.decompress(data) for name, data in files.items()}
    for folder in (write_files(tmp_path / "gz", files), write_files(tmp_path / "plain", plain)):
        data = load_dataset(str(folder), {}, [1, 28, 28])
        assert len(data) == 40 and data.test_count == 10 and data.num_classes <= 10
        prep = split(data, "test", 0, False)
        assert len(prep.x_train) == 30 and len(prep.x_val) == 10
        labels = np.frombuffer(gzip.decompress(files["t10k-labels-idx1-ubyte.gz"])[8:], dtype=np.uint8)
        assert prep.y_val.tolist() == labels.tolist()  # the official test rows, in order


def test_a_fraction_still_works_and_test_is_refused_where_there_is_none(tmp_path):
    data = load_dataset(str(write_files(tmp_path / "m", mnist_like(train=30, test=10))), {}, [1, 28, 28])
    assert len(split(data, 0.25, 0, False).x_val) == 10
    iris = load_dataset("iris", {}, [4])
    with pytest.raises(DataError, match="no official test split"):
        split(iris, "test", 0, False)


def test_cifar10_and_cifar100_folders_of_binary_batches(tmp_path):
    ten = load_dataset(str(write_files(tmp_path / "c10" / "cifar-10-batches-bin", cifar_members("cifar10"))), {},
                       [3, 32, 32])
    assert len(ten) == 120 and ten.test_count == 20 and ten.class_names[-1] == "truck"
    members = cifar_members("cifar100", per_batch=30)
    hundred = load_dataset(str(write_files(tmp_path / "c100", members)), {}, [3, 32, 32])
    coarse = load_dataset(str(tmp_path / "c100"), {"labels": "coarse"}, [3, 32, 32])
    table = np.frombuffer(members["train.bin"] + members["test.bin"], dtype=np.uint8).reshape(-1, 3074)
    assert hundred.y.tolist() == table[:, 1].tolist() and coarse.y.tolist() == table[:, 0].tolist()
    assert coarse.class_names[0] == "super0" and hundred.class_names[0] == "kind0"
    assert coarse.num_classes <= 20 < hundred.num_classes
    pixels = table[:, 2:].reshape(-1, 3, 32, 32)
    raw = load_dataset(str(tmp_path / "c100"), {"normalize": False}, [3, 32, 32])
    np.testing.assert_allclose(raw.values(), pixels / 255.0, atol=1e-6)  # R plane, G plane, B plane, row-major


def test_coarse_labels_are_only_for_cifar100(tmp_path):
    folder = write_files(tmp_path / "c10", cifar_members("cifar10"))
    with pytest.raises(DataError, match="only for CIFAR-100"):
        load_dataset(str(folder), {"labels": "coarse"}, [3, 32, 32])


def test_mnist_fits_lenet5s_32x32_input_by_zero_padding_and_colour_inputs_by_repeating(tmp_path):
    files = mnist_like(train=20, test=5)
    folder = write_files(tmp_path / "m", files)
    raw = load_dataset(str(folder), {"normalize": False}, [1, 28, 28])
    padded = load_dataset(str(folder), {"normalize": False}, [1, 32, 32])
    assert padded.sample_shape == (1, 32, 32)
    np.testing.assert_array_equal(padded.x[:, :, 2:30, 2:30], raw.x)
    assert padded.x[:, :, :2].max() == 0 and padded.x[:, :, :, 30:].max() == 0
    rgb = load_dataset(str(folder), {"normalize": False}, [3, 32, 32])
    np.testing.assert_array_equal(rgb.x[:, 1], padded.x[:, 0])
    flat = load_dataset(str(folder), {}, [784])
    rows = load_dataset(str(folder), {}, [28, 28])  # an RNN reading one row per step
    assert flat.sample_shape == (784,) and rows.sample_shape == (28, 28)
    with pytest.raises(DataError, match="expects 1×16×16"):
        load_dataset(str(folder), {}, [1, 16, 16])


def test_reconstruction_keeps_pixels_in_0_1_for_sigmoid_outputs(tmp_path):
    folder = write_files(tmp_path / "m", mnist_like(train=20, test=5))
    data = load_dataset(str(folder), {"task": "reconstruction"}, [1, 28, 28])
    assert data.values().min() >= 0 and data.values().max() <= 1 and data.task == "reconstruction"


def test_cli_lists_fetches_and_prints_the_path(monkeypatch, capsys, tmp_path):
    files = mnist_like(train=20, test=5)
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, server.url))
        assert main(["datasets", "--json"]) == 0
        rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
        assert {"digits", "mnist", "fashion_mnist", "kmnist", "cifar10", "cifar100"} <= set(rows)
        assert rows["cifar10"]["input"] == "3×32×32" and rows["cifar100"]["classes"] == 100
        assert rows["mnist"]["cached"] is False
        assert main(["datasets", "fetch", "mnist"]) == 0
        captured = capsys.readouterr()
        assert "verified and cached" in captured.out and "MB/s" in captured.err  # the progress bar
        assert main(["datasets", "path", "mnist"]) == 0
        assert capsys.readouterr().out.strip() == str(tmp_path / "user" / "datasets" / "mnist")
        assert main(["datasets", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[-5]["cached"] is True
    assert main(["datasets", "fetch", "nope"]) == 2
    assert "not a downloadable dataset" in capsys.readouterr().err


def test_the_test_split_is_two_views_of_one_array_not_copies(tmp_path):
    data = load_dataset(str(write_files(tmp_path / "m", mnist_like(train=30, test=10))), {}, [1, 28, 28])
    prep = split(data, "test", 0, False)
    assert prep.train_index == slice(0, 30) and prep.val_index == slice(30, 40)  # rows of one array
    assert prep.x.untyped_storage().data_ptr() == data.x.ctypes.data  # that array is data.x itself
