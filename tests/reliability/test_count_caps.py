"""Sizes from options, hints and labels are capped: a typo is refused by name, never fills memory."""

from __future__ import annotations

import time

import numpy as np
import pytest

from netbuilder.train import builtin_data
from netbuilder.train.data import DataError, load_dataset
from netbuilder.train.data_limits import MAX_CLASSES


@pytest.mark.parametrize("name,options,match", [
    ("gaussian_blobs", {"n_features": 10**9}, "'n_features' must be a whole number from 1 to 100,000"),
    ("gaussian_blobs", {"centers": 10**7}, "'centers'"),
    ("gaussian_blobs", {"n_samples": 10**12}, "'n_samples'"),
    ("gaussian_blobs", {"n_samples": 1_000_000, "n_features": 1000}, "1,000,000 × 1,000 = 1,000,000,000 values"),
    ("sine", {"window": 10**9}, "'window'"),
    ("sine", {"n_samples": 1_000_000, "window": 1000}, "'sine'.* more than the limit"),
    ("moons", {"n_samples": 10**15}, "'n_samples'"),
    ("moons", {"n_samples": "9" * 5000}, r"got '9{30,40}\.\.\.$"),
])
def test_huge_generated_sizes_are_refused_quickly(name, options, match):
    start = time.monotonic()
    with pytest.raises(DataError, match=match):
        builtin_data.LOADERS[name](options, None)
    assert time.monotonic() - start < 1.0


def test_a_huge_hint_from_the_graph_is_refused_too():
    with pytest.raises(DataError, match="'window'"):
        builtin_data.load_sine({}, (10**8, 1))


def test_sizes_at_ordinary_values_still_work():
    assert builtin_data.load_blobs({"n_features": 50, "n_samples": 40}, None).x.shape == (40, 50)
    assert builtin_data.load_sine({"window": 8, "n_samples": 10}, None).x.shape == (10, 8, 1)


@pytest.mark.parametrize("rows", ["x,y\n1,0\n2,1000000000\n", "x,y\n1,0\n2,1e12\n"])
def test_a_huge_class_label_is_refused_before_naming_every_class(tmp_path, rows):
    path = tmp_path / "labels.csv"
    path.write_text(rows)
    start = time.monotonic()
    with pytest.raises(DataError, match=f"labels.csv: class label .* more than the limit of {MAX_CLASSES:,}"):
        load_dataset(str(path), {"target": "y", "task": "classification"})
    assert time.monotonic() - start < 1.0


def test_a_huge_label_in_an_npz_is_refused_and_regression_still_reads(tmp_path):
    path = tmp_path / "big.npz"
    np.savez(path, x=np.zeros((3, 2), np.float32), y=np.array([0, 1, 5_000_000]))
    with pytest.raises(DataError, match="big.npz: class label 5e\\+06"):
        load_dataset(str(path))  # three whole numbers: guessed as classification
    assert load_dataset(str(path), {"task": "regression"}).task == "regression"
