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


@pytest.fixture
def real_builds(monkeypatch) -> list[str]:
    """Targets of every module built off the meta device (i.e. really allocated)."""
    from netbuilder.core.spec import ModuleCall

    built: list[str] = []
    original = ModuleCall.build

    def spy(self):
        if torch.get_default_device().type != "meta":
            built.append(self.target)
        return original(self)
    monkeypatch.setattr(ModuleCall, "build", spy)
    return built


@pytest.fixture
def open_window(qtbot, monkeypatch, tmp_path):
    """A factory: the real main window on a graph, with dialogs answered and a private data dir."""
    monkeypatch.setenv("NETBUILDER_DATA_DIR", str(tmp_path / "data"))
    from netbuilder.gui import dialogs
    from netbuilder.gui.main_window import MainWindow

    for name in ("show_error", "show_text"):
        monkeypatch.setattr(dialogs, name, lambda *args, **kwargs: None)
    monkeypatch.setattr(dialogs, "ask_save_changes", lambda *args: "discard")
    windows = []

    def open_(graph):
        win = MainWindow(graph)
        qtbot.addWidget(win)
        win.show()
        windows.append(win)
        return win
    yield open_
    for win in windows:
        win.training_dock.shutdown()
