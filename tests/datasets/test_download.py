"""Named datasets: download from a loopback server, verify the pinned SHA-256, cache, resume, refuse."""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest
from fake_sources import FileServer, cifar_tar_gz, mnist_like, spec_for

from netbuilder.train.data import load_dataset
from netbuilder.train.datasets import download, registry
from netbuilder.train.datasets.download import DownloadCancelled, DownloadError, cache_folder, fetch, is_cached


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("NETBUILDER_DATASET_MIRROR", raising=False)
    return tmp_path / "user"


@pytest.fixture
def mnist_server(monkeypatch):
    files = mnist_like()
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, server.url))
        yield server, files


def test_fetch_downloads_verifies_and_caches_under_the_official_names(mnist_server, data_dir):
    server, files = mnist_server
    seen = []
    folder = fetch("mnist", progress=lambda name, done, total: seen.append((name, done, total)))
    assert folder == data_dir / "datasets" / "mnist"
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)
    for name, data in files.items():
        assert (folder / name).read_bytes() == data
    assert seen[-1][1] == seen[-1][2] and {s[0] for s in seen} == set(files)
    assert is_cached("mnist")
    requests = len(server.requests)
    fetch("mnist")  # cached: no network at all
    assert len(server.requests) == requests


def test_the_official_pinned_hashes_are_the_published_ones():
    # a few characters of each published SHA-256 (torchvision / TFDS / dataset pages), so an edit shows
    prefixes = {"mnist": "440fcabf", "fashion_mnist": "3aede38d", "kmnist": "51467d22", "cifar10": "c4a38c50",
                "cifar100": "58a81ae1"}
    for name, prefix in prefixes.items():
        spec = registry.NAMED[name]
        assert spec.files[0].sha256.startswith(prefix)
        assert all(len(f.sha256) == 64 and int(f.sha256, 16) >= 0 for f in spec.files)
    assert [f.name for f in registry.NAMED["cifar10"].files] == ["cifar-10-binary.tar.gz"]
    assert registry.NAMED["mnist"].files[0].name == "train-images-idx3-ubyte.gz"


def test_checksum_mismatch_names_the_file_and_both_hashes_and_caches_nothing(mnist_server, monkeypatch):
    server, files = mnist_server
    server.files["train-labels-idx1-ubyte.gz"] = b"tampered" + files["train-labels-idx1-ubyte.gz"]
    with pytest.raises(DownloadError) as err:
        fetch("mnist")
    message = str(err.value)
    good = hashlib.sha256(files["train-labels-idx1-ubyte.gz"]).hexdigest()
    bad = hashlib.sha256(server.files["train-labels-idx1-ubyte.gz"]).hexdigest()
    assert "train-labels-idx1-ubyte.gz" in message and good in message and bad in message
    folder = cache_folder("mnist")
    assert not (folder / "train-labels-idx1-ubyte.gz").exists()
    assert not list(folder.glob("*.part"))
    assert not is_cached("mnist")


def test_an_interrupted_download_is_never_used_and_resumes_with_a_range_request(mnist_server):
    server, files = mnist_server
    server.cut_after = 1000  # the first response stops after 1000 bytes
    with pytest.raises(DownloadError):
        fetch("mnist")
    folder = cache_folder("mnist")
    first = next(iter(files))
    assert not (folder / first).exists()  # half a file is never in the cache
    assert (folder / (first + ".part")).stat().st_size == 1000
    fetch("mnist")
    assert (folder / first).read_bytes() == files[first]
    assert (first, "bytes=1000-") in server.requests


def test_cancel_keeps_the_partial_file_for_the_next_try(mnist_server):
    with pytest.raises(DownloadCancelled, match="cancelled"):
        fetch("mnist", cancelled=lambda: True)
    assert not is_cached("mnist")
    fetch("mnist")
    assert is_cached("mnist")


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_offline_message_names_dataset_url_and_the_folder_for_files_by_hand(monkeypatch, data_dir):
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", mnist_like(), url))
    with pytest.raises(DownloadError) as err:
        fetch("mnist")
    message = str(err.value)
    assert "'mnist'" in message and f"{url}/train-images-idx3-ubyte.gz" in message
    assert str(data_dir / "datasets" / "mnist") in message and "by hand" in message


def test_files_put_by_hand_work_without_network(monkeypatch, data_dir):
    files = mnist_like()
    monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, f"http://127.0.0.1:{_closed_port()}"))
    folder = cache_folder("mnist")
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    data = load_dataset("mnist", {}, [1, 28, 28])
    assert data.sample_shape == (1, 28, 28) and len(data) == 160 and data.test_count == 40


def test_mirror_replaces_the_base_url(monkeypatch):
    files = mnist_like()
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, "http://example.invalid/none"))
        monkeypatch.setenv("NETBUILDER_DATASET_MIRROR", server.url + "/")
        fetch("mnist")
        assert {name for name, _ in server.requests} == set(files)


def test_connect_timeout_is_at_most_ten_seconds():
    assert download.CONNECT_TIMEOUT_S <= 10


def test_cifar10_download_reads_the_binary_tar_gz_with_its_class_names(monkeypatch):
    files = {"cifar-10-binary.tar.gz": cifar_tar_gz("cifar10")}
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "cifar10", spec_for("cifar10", files, server.url))
        data = load_dataset("cifar10", {}, [3, 32, 32])
    assert data.sample_shape == (3, 32, 32) and len(data) == 120 and data.test_count == 20
    assert data.class_names[:3] == ["airplane", "automobile", "bird"]
    train = data.values(slice(0, 100))  # normalised per channel on the training split
    np.testing.assert_allclose(train.mean(axis=(0, 2, 3)), 0, atol=1e-4)
    np.testing.assert_allclose(train.std(axis=(0, 2, 3)), 1, atol=1e-3)
