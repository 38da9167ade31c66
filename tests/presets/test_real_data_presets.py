"""The presets for the named real datasets (MNIST, Fashion-MNIST, CIFAR-10): each one names its dataset,
checks, fits generated files in the real formats, and trains a few steps on them from the CLI."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "datasets"))
from fake_sources import cifar_members, mnist_like, write_files  # noqa: E402

from netbuilder.cli import main  # noqa: E402
from netbuilder.core.io import graph_to_dict  # noqa: E402
from netbuilder.presets import PRESETS_DIR, load_preset  # noqa: E402
from netbuilder.train.datasets.registry import NAMED  # noqa: E402
from netbuilder.train.settings import resolve_settings  # noqa: E402
from netbuilder.train.setup import _load_data  # noqa: E402  (the trainer's own way to load a dataset)

# preset -> (dataset, task, parameters); the counts are the ones the descriptions state
PRESETS = {
    "lenet5_mnist": ("mnist", "classification", 61_706),
    "mlp_mnist": ("mnist", "classification", 235_146),
    "ae_conv_fashion": ("fashion_mnist", "reconstruction", 2_633),
    "vae_fashion": ("fashion_mnist", "reconstruction", 652_824),
    "vgg_cifar10": ("cifar10", "classification", 1_148_874),
    "resnet20_cifar10": ("cifar10", "classification", 272_474),
    "mobilenet_v2_cifar10": ("cifar10", "classification", 2_236_682),
}
MNIST_TRAIN, MNIST_TEST, CIFAR_PER_BATCH = 64, 16, 8  # CIFAR-10: 5 training batches + 1 test batch


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> dict[str, Path]:
    """A folder of the four gz IDX files and one of CIFAR-10 binary batches, like the user's own copies."""
    root = tmp_path_factory.mktemp("real_data")
    return {"idx": write_files(root / "mnist", mnist_like(train=MNIST_TRAIN, test=MNIST_TEST)),
            "cifar10": write_files(root / "cifar", cifar_members("cifar10", per_batch=CIFAR_PER_BATCH))}


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "user"))  # nothing reaches the real cache


def _folder(name: str, folders: dict[str, Path]) -> Path:
    return folders["cifar10" if PRESETS[name][0] == "cifar10" else "idx"]


def _counts(name: str) -> tuple[int, int]:
    """(training, test) samples in the generated folder the preset reads."""
    return (5 * CIFAR_PER_BATCH, CIFAR_PER_BATCH) if PRESETS[name][0] == "cifar10" else (MNIST_TRAIN, MNIST_TEST)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_training_block_names_its_dataset(name):
    dataset, task, _ = PRESETS[name]
    training = load_preset(name).training
    assert training["dataset"] == dataset and dataset in NAMED
    assert training["task"] == task
    options = resolve_settings(graph_to_dict(load_preset(name)))["dataset_options"]
    if dataset == "cifar10":
        assert options["augment"] == {"crop": 4, "flip": True}
    assert "not measured" in load_preset(name).description  # the accuracy quoted is a published one


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_checks_ok_with_the_stated_parameter_count(name, capsys):
    assert main(["check", "--json", str(PRESETS_DIR / f"{name}.json")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["errors"] == []
    assert report["params"] == PRESETS[name][2]


def test_lenet5_is_the_classic_layer_by_layer():
    graph = load_preset("lenet5_mnist")
    assert graph.nodes_of_type("Input")[0].params["shape"] == [1, 32, 32]
    convs = [(n.id, n.params["out_channels"], n.params["kernel_size"]) for n in graph.nodes_of_type("Conv2d")]
    assert convs == [("c1", 6, 5), ("c3", 16, 5), ("c5", 120, 5)]
    assert [n.id for n in graph.nodes_of_type("AvgPool2d")] == ["s2", "s4"]
    assert [n.params["out_features"] for n in graph.nodes_of_type("Linear")] == [84, 10]
    assert len(graph.nodes_of_type("Tanh")) == 4


def test_resnet20_has_three_stages_of_three_blocks():
    graph = load_preset("resnet20_cifar10")
    adds = sorted(n.id for n in graph.nodes_of_type("Add"))
    assert adds == [f"layer{s}_{i}_add" for s in (1, 2, 3) for i in range(3)]
    widths = sorted({n.params["out_channels"] for n in graph.nodes_of_type("Conv2d")})
    assert widths == [16, 32, 64]
    assert len(graph.nodes_of_type("Conv2d")) == 19 + 2  # 6·3 + stem = 19 weight layers, 2 projections


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_generated_files_fit_the_input(name, folders):
    graph = load_preset(name)
    shape = graph.nodes_of_type("Input")[0].params["shape"]
    settings = resolve_settings(graph_to_dict(graph), {"dataset": str(_folder(name, folders))})
    data = _load_data(settings, shape, "float32")
    assert list(data.sample_shape) == shape
    assert data.test_count == _counts(name)[1]  # the official test split, kept for validation
    x = data.values()  # as the network sees them (the pixels are held as uint8)
    if PRESETS[name][1] == "reconstruction":  # sigmoid outputs: pixels stay in [0, 1]
        assert x.min() >= 0 and x.max() <= 1
    else:  # normalised per channel
        assert abs(float(x[: len(data) - data.test_count].mean())) < 1e-3
    if name == "lenet5_mnist":  # 28×28 zero-padded by 2 on each side, as in the paper
        border = np.concatenate([x[:, 0, :2].ravel(), x[:, 0, -2:].ravel(),
                                 x[:, 0, :, :2].ravel(), x[:, 0, :, -2:].ravel()])
        assert np.ptp(border) == 0 and border[0] < x.mean()


def _train(name: str, folder: Path, tmp_path: Path, capsys) -> list[dict]:
    metrics = tmp_path / "metrics.jsonl"
    code = main(["train", str(PRESETS_DIR / f"{name}.json"), "--dataset", str(folder), "--epochs", "1",
                 "--batch-size", "16", "--device", "cpu", "--quiet", "--metrics-jsonl", str(metrics)])
    assert code == 0, capsys.readouterr().err[-2000:]
    return [json.loads(line) for line in metrics.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("name", sorted(PRESETS))  # ~1 s each: tiny folders, one epoch of ≤ 4 steps
def test_trains_a_few_steps_on_generated_files(name, folders, tmp_path, capsys):
    events = _train(name, _folder(name, folders), tmp_path, capsys)
    started, finished = events[0], events[-1]
    assert finished["event"] == "finished", finished
    assert (started["num_train"], started["num_val"]) == _counts(name)  # validation = the test files
    (epoch,) = [e for e in events if e["event"] == "epoch"]
    assert math.isfinite(epoch["train_loss"]) and math.isfinite(epoch["val_loss"])
