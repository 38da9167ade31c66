"""Export, import and diff tests: no display; deterministic torch."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# the core tests' table of layer cases (one tiny graph per layer type and variant)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))


@pytest.fixture(autouse=True)
def _seeded_torch():
    import torch

    torch.manual_seed(0)
    yield
