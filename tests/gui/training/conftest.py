"""Fixtures for the training dock tests (helpers in gui_training_helpers.py)."""

from __future__ import annotations

import pytest
from gui_training_helpers import FakeRun, Host

from netbuilder.core.graph import Graph


@pytest.fixture
def host(qtbot):
    def make(graph: Graph) -> Host:
        window = Host(graph)
        qtbot.addWidget(window)
        window.resize(1400, 700)
        window.show()
        qtbot.waitUntil(lambda: window.training_dock._unsubscribe is not None, timeout=2000)
        return window

    windows: list[Host] = []
    yield lambda graph: windows.append(make(graph)) or windows[-1]
    for w in windows:
        w.training_dock.shutdown()


@pytest.fixture
def fake_runs():
    FakeRun.instances = []
    return FakeRun
