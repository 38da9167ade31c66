"""Preset tests: the shipped presets/*.json files, their generator and listing."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _seeded_torch():
    import torch

    torch.manual_seed(0)
    yield
