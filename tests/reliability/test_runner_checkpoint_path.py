"""The GUI's training runner applies the CLI's checkpoint rule: a path that came with the graph is
written beside the graph file, never outside its folder, never over what is not a regular file."""

from __future__ import annotations

import os

import pytest
import torch

from netbuilder.train.checkpoint import CheckpointError, save_checkpoint
from netbuilder.train.runner import TrainingRun
from netbuilder.train.settings import SettingsError

GRAPH: dict = {"nodes": [], "edges": []}


def test_a_relative_path_from_the_graph_lands_beside_the_file(tmp_path):
    run = TrainingRun(GRAPH, {"checkpoint": "runs/c.pt"}, graph_file=tmp_path / "g.json")
    assert run.settings["checkpoint"] == str((tmp_path / "runs" / "c.pt").resolve())
    assert run.settings["checkpoint_chosen"] is True
    assert run._process is None  # nothing started yet: the path is settled in the parent


@pytest.mark.parametrize("value", ["../escape.pt", "/tmp/elsewhere.pt", "runs/../../x.pt"])
def test_a_path_leaving_the_folder_is_refused_before_any_child(tmp_path, value):
    with pytest.raises(SettingsError, match=r"training setting 'checkpoint' .*inside the file's folder"):
        TrainingRun(GRAPH, {"checkpoint": value}, graph_file=tmp_path / "g.json")


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symlinks")
def test_a_symlinked_folder_leading_out_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(SettingsError, match="leads outside the file's folder"):
        TrainingRun(GRAPH, {"checkpoint": "link/c.pt"}, graph_file=tmp_path / "proj" / "g.json")


def test_a_path_not_from_a_file_is_the_users_own(tmp_path, monkeypatch):
    """No graph_file: the path was typed into the form (the user's choice), so it is kept as given."""
    monkeypatch.chdir(tmp_path)
    assert TrainingRun(GRAPH, {"checkpoint": "c.pt"}).settings["checkpoint"] == "c.pt"
    assert TrainingRun(GRAPH, {"checkpoint": str(tmp_path / "x.pt")}).settings["checkpoint"] == str(tmp_path / "x.pt")
    with pytest.raises(SettingsError):
        TrainingRun(GRAPH, {"checkpoint": "../c.pt"}, graph_file=tmp_path / "g.json")


def test_a_path_the_user_chose_is_kept(tmp_path):
    chosen = str(tmp_path.parent / "mine.pt")
    run = TrainingRun(GRAPH, {"checkpoint": chosen, "checkpoint_chosen": True}, graph_file=tmp_path / "g.json")
    assert run.settings["checkpoint"] == chosen
    assert TrainingRun(GRAPH, {"epochs": 1}, graph_file=tmp_path / "g.json").settings == {"epochs": 1}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_beside_the_file_is_never_written_over(tmp_path):
    os.mkfifo(tmp_path / "c.pt")
    path = TrainingRun(GRAPH, {"checkpoint": "c.pt"}, graph_file=tmp_path / "g.json").settings["checkpoint"]
    with pytest.raises(CheckpointError, match="c.pt"):
        save_checkpoint(path, graph=GRAPH, settings={}, model=torch.nn.Linear(2, 2), epoch=1, step=1)
    assert (tmp_path / "c.pt").is_fifo()
