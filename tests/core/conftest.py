"""Core tests: no display needed; deterministic torch."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _seeded_torch():
    torch.manual_seed(0)
    yield
