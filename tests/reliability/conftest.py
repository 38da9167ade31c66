"""Reliability tests: fuzzing, size budget, atomic saves, unsafe loading, crashes."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _seeded_torch():
    torch.manual_seed(0)
    yield


@pytest.fixture
def lenet_file(tmp_path):
    """A small valid graph file (the shipped LeNet preset)."""
    from pathlib import Path

    from netbuilder.core.io import load_graph, save_graph

    path = tmp_path / "lenet.json"
    save_graph(load_graph(Path(__file__).resolve().parents[2] / "presets" / "lenet5.json"), path)
    return path
