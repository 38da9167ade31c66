"""Checkpoints: one plain file, resumed runs continue the curves, pickles refused."""

from __future__ import annotations

import json

import pytest
import torch
from train_graphs import mlp
from train_helpers import assert_finished, of_kind, run_events

from netbuilder.core.compile import compile_graph
from netbuilder.core.io import graph_from_dict
from netbuilder.train.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from netbuilder.train.trainer import Trainer


def iris(**training):
    return mlp((4,), hidden=8, classes=3, **{"dataset": "iris", "standardize": True, "batch_size": 16,
                                              "lr": 0.01, **training})


def test_checkpoint_holds_graph_weights_optimizer_and_history(tmp_path):
    path = tmp_path / "run.pt"
    events = run_events(iris(), epochs=2, checkpoint=str(path))
    assert assert_finished(events)["checkpoint"] == str(path)
    state = load_checkpoint(path)
    assert state["epoch"] == 2 and [h["epoch"] for h in state["history"]] == [1, 2]
    assert state["graph"]["nodes"][0]["id"] == "input" and state["settings"]["lr"] == 0.01
    assert state["optimizer"]["state"] and state["standardize"]["mean"].shape == (1, 4)
    model = compile_graph(graph_from_dict(state["graph"]))
    model.load_state_dict(state["model"])  # the graph JSON rebuilds the network the weights belong to


def test_resume_continues_epochs_and_curves_exactly(tmp_path):
    path = tmp_path / "run.pt"
    straight = of_kind(run_events(iris(), epochs=4), "epoch")
    assert_finished(run_events(iris(), epochs=2, checkpoint=str(path)))
    resumed = [e.to_dict() for e in Trainer(iris(), {"epochs": 4, "device": "cpu", "samples": False,
                                                      "checkpoint": str(path)}, resume=str(path)).run()]
    finished = assert_finished(resumed)
    assert resumed[0]["start_epoch"] == 2 and finished["epochs_run"] == 2
    epochs = of_kind(resumed, "epoch")
    assert [(e["epoch"], e["replayed"]) for e in epochs] == [(1, True), (2, True), (3, False), (4, False)]
    # same per-epoch shuffles, weights and Adam state: the same numbers as a run never interrupted
    for a, b in zip(straight, epochs):
        assert b["train_loss"] == pytest.approx(a["train_loss"], rel=1e-5)
        assert b["val_loss"] == pytest.approx(a["val_loss"], rel=1e-5)
    assert load_checkpoint(path)["epoch"] == 4


def test_resume_into_a_different_network_is_refused(tmp_path):
    path = tmp_path / "run.pt"
    assert_finished(run_events(iris(), epochs=1, checkpoint=str(path)))
    other = mlp((4,), hidden=32, classes=3, dataset="iris")
    events = [e.to_dict() for e in Trainer(other, {"epochs": 2, "samples": False}, resume=str(path)).run()]
    assert events[-1]["event"] == "failed" and "different network" in events[-1]["message"]


class _Exploit:
    """Unpickling this would run code (here: create a file)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def __reduce__(self):
        return (open, (self.target, "w"))


def test_a_checkpoint_with_pickled_objects_is_refused_without_running_them(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save({"format": "netbuilder-checkpoint", "version": 1, "model": {}, "payload": _Exploit(str(marker))},
               path)
    with pytest.raises(CheckpointError, match="refused .* could run arbitrary code"):
        load_checkpoint(path)
    assert not marker.exists()
    events = [e.to_dict() for e in Trainer(iris(), {"epochs": 1}, resume=str(path)).run()]
    assert events[-1]["event"] == "failed" and "refused" in events[-1]["message"]
    assert not marker.exists()


def test_not_a_checkpoint(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a zip file at all")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load_checkpoint(junk)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(CheckpointError, match="not a NetBuilder checkpoint"):
        load_checkpoint(other)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")


def test_save_is_atomic_and_json_fields_round_trip(tmp_path):
    model = torch.nn.Linear(2, 1)
    path = tmp_path / "deep" / "dir" / "c.pt"
    save_checkpoint(path, graph={"name": "g"}, settings={"lr": 0.1}, model=model, epoch=3,
                    history=[{"epoch": 1, "val_loss": float("nan")}])
    state = load_checkpoint(path)
    assert state["graph"] == {"name": "g"} and state["epoch"] == 3
    assert json.dumps(state["settings"]) == '{"lr": 0.1}'
    assert [p.name for p in path.parent.iterdir()] == ["c.pt"]  # no temporary file left behind


def _weights(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def test_best_weights_are_restored_after_a_stop_and_resume(tmp_path):
    """Early stopping's best epoch survives an interruption: the checkpoint
    carries its record and weights, so the resumed run puts them back."""
    path = tmp_path / "run.pt"
    # nothing improves by 10: epoch 1 stays best; patience 3 stops after epoch 4
    settings = {"epochs": 10, "device": "cpu", "samples": False, "checkpoint": str(path),
                "early_stopping": {"patience": 3, "min_delta": 10.0, "restore_best": True}}
    first = Trainer(iris(), settings, control=lambda: "stop" if first.epoch == 3 else "run")
    best, events = None, []
    for event in first.run():
        events.append(event.to_dict())
        if events[-1]["event"] == "epoch" and events[-1]["epoch"] == 1:
            best = _weights(first.model)  # the Epoch event comes before any later step
    assert events[-1]["event"] == "stopped" and events[-1]["checkpoint"] == str(path)
    state = load_checkpoint(path)
    assert state["epoch"] == 2 and state["best"]["best_epoch"] == 1 and state["best"]["bad_epochs"] == 1
    assert all(torch.equal(state["best_weights"][k], v) for k, v in best.items())
    assert not all(torch.equal(state["model"][k], v) for k, v in best.items())  # training moved on

    resumed = Trainer(iris(), settings, resume=str(path))
    finished = assert_finished([e.to_dict() for e in resumed.run()])
    assert finished["stopped_early"] and finished["best_epoch"] == 1 and resumed.epoch == 4
    restored = _weights(resumed.model)
    assert restored.keys() == best.keys() and all(torch.equal(restored[k], v) for k, v in best.items())
    assert all(torch.equal(load_checkpoint(path)["model"][k], v) for k, v in best.items())  # saved restored


def test_checkpoints_without_best_weights_still_resume(tmp_path):
    """Checkpoints written before best weights were kept: training resumes, nothing is restored."""
    path = tmp_path / "old.pt"
    stopping = {"patience": 5, "min_delta": 10.0}
    assert_finished(run_events(iris(), epochs=2, checkpoint=str(path), early_stopping=stopping))
    state = torch.load(path, weights_only=True)
    assert state.pop("best_weights") is not None
    state.pop("sha256")  # an old file: version 1 had neither best weights nor an integrity hash
    state["version"] = 1
    torch.save(state, path)
    resumed = Trainer(iris(), {"epochs": 3, "device": "cpu", "samples": False, "early_stopping": stopping},
                      resume=str(path))
    assert assert_finished([e.to_dict() for e in resumed.run()])["best_epoch"] == 1
    assert resumed.stopper.best_weights is None and not resumed.stopper.restored
