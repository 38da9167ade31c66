"""CLI tests: graph files written from graphs built in code."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_graphs import lenet

from netbuilder.core.io import save_graph


@pytest.fixture
def lenet_file(tmp_path) -> Path:
    path = tmp_path / "lenet.json"
    save_graph(lenet(), path)
    return path


@pytest.fixture
def broken_file(tmp_path) -> Path:
    """LeNet with a first kernel too large for the input: one error, the rest waiting."""
    graph = lenet()
    graph.set_params("conv2d_1", {"kernel_size": 31, "padding": 0})
    path = tmp_path / "broken.json"
    save_graph(graph, path)
    return path
