"""Training on a named dataset: the official test split validates, augmentation happens on the device."""

from __future__ import annotations

import json
import socket

import pytest
import torch
from fake_sources import FileServer, cifar_tar_gz, mnist_like, spec_for

from netbuilder.cli import main
from netbuilder.core.graph import Graph
from netbuilder.core.io import save_graph
from netbuilder.train.augment import augment_batch, make_augment
from netbuilder.train.data import DataError
from netbuilder.train.datasets import registry


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "user"))
    monkeypatch.delenv("NETBUILDER_DATASET_MIRROR", raising=False)


def small_cnn(shape: list[int], dataset: str, **training) -> Graph:
    g = Graph(name="cnn", training={"dataset": dataset, "epochs": 2, "batch_size": 16, "lr": 0.01,
                                    "device": "cpu", **training})
    layers = [("input", "Input", {"shape": shape}),
              ("conv", "Conv2d", {"out_channels": 4, "kernel_size": 5, "stride": 2}), ("relu", "ReLU", {}),
              ("flat", "Flatten", {}), ("fc", "Linear", {"out_features": 10}), ("output", "Output", {})]
    for node_id, kind, params in layers:
        g.add_node(kind, params, id=node_id)
    for (a, *_), (b, *_) in zip(layers, layers[1:]):
        g.add_edge(a, b)
    return g


def train(tmp_path, graph: Graph, *extra: str) -> list[dict]:
    path, metrics = tmp_path / "g.json", tmp_path / "m.jsonl"
    save_graph(graph, path)
    assert main(["train", str(path), "--quiet", "--metrics-jsonl", str(metrics), *extra]) == 0
    return [json.loads(line) for line in metrics.read_text().splitlines()]


def test_lenet_sized_input_trains_on_mnist_with_t10k_as_validation(tmp_path, monkeypatch):
    files = mnist_like(train=96, test=32)
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, server.url))
        events = train(tmp_path, small_cnn([1, 32, 32], "mnist"))
    started = events[0]
    assert started["num_train"] == 96 and started["num_val"] == 32
    assert events[-1]["event"] == "finished"


def test_validation_fraction_replaces_the_test_split_when_asked(tmp_path, monkeypatch):
    files = mnist_like(train=96, test=32)
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", files, server.url))
        events = train(tmp_path, small_cnn([1, 28, 28], "mnist", validation=0.5, epochs=1))
    assert events[0]["num_train"] == 64 and events[0]["num_val"] == 64  # half of all 128, at random


def test_cifar_with_augmentation_trains(tmp_path, monkeypatch):
    files = {"cifar-10-binary.tar.gz": cifar_tar_gz("cifar10", per_batch=16)}
    with FileServer(files) as server:
        monkeypatch.setitem(registry.NAMED, "cifar10", spec_for("cifar10", files, server.url))
        graph = small_cnn([3, 32, 32], "cifar10", dataset_options={"augment": {"crop": 4, "flip": True}})
        events = train(tmp_path, graph)
    assert events[0]["num_train"] == 80 and events[-1]["event"] == "finished"


def test_offline_train_exits_1_with_one_message(tmp_path, monkeypatch, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setitem(registry.NAMED, "mnist", spec_for("mnist", mnist_like(), f"http://127.0.0.1:{port}"))
    path = tmp_path / "g.json"
    save_graph(small_cnn([1, 28, 28], "mnist"), path)
    assert main(["train", str(path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "cannot download dataset 'mnist'" in err and "Traceback" not in err and "by hand" in err


def test_crop_and_flip_are_exact_windows_and_mirrors():
    x = torch.arange(2 * 3 * 6 * 6, dtype=torch.float32).view(2, 3, 6, 6)
    gen = torch.Generator().manual_seed(3)
    out = augment_batch(x, 2, False, gen)
    gen.manual_seed(3)
    dy = torch.randint(0, 5, (2, 1, 1), generator=gen)
    dx = torch.randint(0, 5, (2, 1, 1), generator=gen)
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(2):
        y0, x0 = int(dy[i]), int(dx[i])
        torch.testing.assert_close(out[i], padded[i, :, y0:y0 + 6, x0:x0 + 6])
    flipped = augment_batch(x, 0, True, torch.Generator().manual_seed(0))
    for i in range(2):
        assert torch.equal(flipped[i], x[i]) or torch.equal(flipped[i], x[i].flip(-1))
    many = augment_batch(x.repeat(50, 1, 1, 1), 0, True, torch.Generator().manual_seed(1))
    mirrored = sum(not torch.equal(m, x[i % 2]) for i, m in enumerate(many))
    assert 25 < mirrored < 75


def test_augment_options_are_checked_by_name():
    with pytest.raises(DataError, match="crop"):
        make_augment({"crop": -1}, (3, 32, 32))
    with pytest.raises(DataError, match="must be like"):
        make_augment({"rotate": 10}, (3, 32, 32))
    with pytest.raises(DataError, match="images"):
        make_augment({"flip": True}, (784,))
    assert make_augment(None, (784,)) is None
