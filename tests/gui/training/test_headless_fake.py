"""`--train --screenshot` wiring, with the scripted runner."""

from __future__ import annotations

from argparse import Namespace

from gui_training_helpers import lenet_digits

from netbuilder.core.graph import Graph
from netbuilder.gui.training.headless import headless_overrides, train_and_screenshot


def test_overrides_fall_back_to_a_dataset_that_fits_the_input():
    g = Graph()
    g.add_node("Input", {"shape": [64]})
    assert headless_overrides(g, Namespace(dataset=None, epochs=None)) == {"dataset": "digits"}
    g.set_meta(training={"dataset": "iris"})
    assert headless_overrides(g, Namespace(dataset=None, epochs=3)) == {"epochs": 3}
    assert headless_overrides(g, Namespace(dataset="wine", epochs=None)) == {"dataset": "wine"}


def test_train_and_screenshot_waits_for_the_end_and_saves(qtbot, host, fake_runs, tmp_path):
    window = host(lenet_digits(epochs=2))
    window.training_dock.run_factory = lambda g, s: fake_runs(g, s, steps=3)
    out = tmp_path / "shot.png"
    code = train_and_screenshot(window, Namespace(dataset=None, epochs=3, screenshot=str(out)))
    assert code == 0 and out.stat().st_size > 0
    assert fake_runs.instances[-1].settings["epochs"] == 3
    assert window.graph.training["epochs"] == 2  # command-line choices do not edit the file
    assert window.training_dock.curves.curves.current.points("val") == 3


def test_failed_run_exits_non_zero(qtbot, host, fake_runs, tmp_path):
    window = host(lenet_digits(epochs=2))
    window.training_dock.run_factory = lambda g, s: fake_runs(g, s, steps=3, nan_at=2)
    out = tmp_path / "shot.png"
    assert train_and_screenshot(window, Namespace(dataset=None, epochs=None, screenshot=str(out))) == 1
    assert out.exists()


def test_a_missing_dataset_says_how_to_choose_one(qtbot, host, fake_runs, tmp_path, capsys):
    """A file that names an MNIST folder most machines lack: the failure says so and
    points at --dataset (the editor's banner talks about pressing Start instead)."""

    class MissingData(fake_runs):
        def _advance(self) -> None:
            self._queue.append({"event": "failed", "kind": "error", "step": None,
                                "message": "dataset 'mnist/training' is neither a built-in nor an existing folder"})

    window = host(lenet_digits(epochs=2))
    window.training_dock.run_factory = MissingData
    args = Namespace(dataset=None, epochs=None, screenshot=str(tmp_path / "shot.png"))
    assert train_and_screenshot(window, args) == 1
    err = capsys.readouterr().err
    assert "dataset 'mnist/training'" in err and "--dataset NAME|PATH (built-ins: digits, iris" in err
    window.training_dock.run_factory = MissingData
    assert train_and_screenshot(window, Namespace(dataset="digits", epochs=None, screenshot=None)) == 1
    assert "--dataset NAME|PATH" not in capsys.readouterr().err  # the user already chose one


def test_the_screenshot_shows_the_whole_network_above_the_dock(qtbot, make_window, fake_runs, tmp_path):
    window = make_window()  # LeNet on digits: its bands fill the canvas until the dock is raised
    window.training_dock.run_factory = lambda g, s: fake_runs(g, s, steps=3)
    out = tmp_path / "shot.png"
    assert train_and_screenshot(window, Namespace(dataset=None, epochs=2, screenshot=str(out))) == 0
    view = window.view
    assert view.viewport().height() < 0.6 * window.height()
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(seen.contains(item.sceneBoundingRect()) for item in window.scene.node_items.values())
