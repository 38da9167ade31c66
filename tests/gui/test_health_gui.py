"""Layer health in the editor: the Layers tab, View ▸ Health, badges and Problems,
fed with the events of a real (in-process, one epoch) run of the deep sigmoid preset."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication, QTabWidget

from netbuilder.core.io import graph_to_dict
from netbuilder.gui.canvas.health_overlay import Badge, Sparkline, colour, fractions
from netbuilder.gui.node_overlays import halos
from netbuilder.presets import load_preset
from netbuilder.train.trainer import Trainer


@pytest.fixture(scope="module")
def sigmoid_events():
    graph = load_preset("deep_sigmoid_mlp")
    events = [e.to_dict() for e in Trainer(graph_to_dict(graph), {"epochs": 1, "samples": False,
                                                                  "device": "cpu"}).run()]
    assert events[-1]["event"] == "finished"
    return events


def _feed(window, events):
    dock = window.training_dock
    dock.layers_tab.reset()
    dock.curves.curves.begin_run("run 1", 1)  # what start() does before the runner's events arrive
    for event in events:
        dock._handle(event)


def test_layers_tab_plots_each_layer_on_a_log_scale(make_window, sigmoid_events):
    window = make_window(load_preset("deep_sigmoid_mlp"))
    _feed(window, sigmoid_events)
    dock = window.training_dock
    tab = dock.layers_tab
    assert dock.samples.indexOf(tab) >= 0 and dock.samples.tabText(dock.samples.indexOf(tab)) == "Layers"
    assert tab.statistic == "grad_norm"
    assert tab.plot.getPlotItem().ctrl.logYCheck.isChecked()  # gradient norms span orders of magnitude
    health = [e for e in sigmoid_events if e["event"] == "health"]
    steps = [s["step"] for e in health for s in e["samples"]]
    xs, ys = tab.curves["fc1"].getOriginalDataset()
    assert list(xs) == steps and ys[0] == pytest.approx(health[0]["samples"][0]["layers"]["fc1"]["grad_norm"])
    assert "sigmoid1" not in tab.curves  # activations have no gradient norm
    tab.set_statistic("saturated_fraction")
    assert "sigmoid1" in tab.curves and "fc1" not in tab.curves
    assert not tab.plot.getPlotItem().ctrl.logYCheck.isChecked()
    texts = [tab.problems.item(i).text() for i in range(tab.problems.count())]
    assert any("fc1" in t and "vanishing_gradient" in t for t in texts)


def test_view_health_colours_nodes_with_legend_sparklines_and_hover(make_window, sigmoid_events):
    window = make_window(load_preset("deep_sigmoid_mlp"))
    action = window.actions_["health"]
    assert not action.isChecked()  # off by default
    _feed(window, sigmoid_events)
    scene = window.scene
    assert halos(scene, "health") == {}
    assert "fc1" in window.health_overlay.items(Badge)  # diagnostics show even with the overlay off
    action.setChecked(True)
    marked = halos(scene, "health")
    assert {"fc1", "fc12", "fc_out"} <= set(marked) and "sigmoid1" not in marked
    store = window.training_dock.layers_tab.store
    # vanished fc1 is the coldest, the last layer among the hottest
    assert marked["fc1"].color == colour(0.0)
    assert marked["fc1"].label == f"{store.latest('fc1', 'grad_norm'):.3g}"
    spark = window.health_overlay.items(Sparkline)
    assert len(spark["fc1"].values) == len(store.series["fc1"]["grad_norm"][1])
    assert "gradient norm" in spark["fc1"].toolTip() and "weight norm" in spark["fc1"].toolTip()
    legend = window.health_overlay.legend
    assert legend.isVisible() and "gradient norm" in legend.text() and "log" in legend.text()
    where = legend.pos()
    window.view.verticalScrollBar().setValue(window.view.verticalScrollBar().value() + 80)
    assert legend.pos() == where and where.y() >= 0  # pinned to the view's corner, not scrolled away
    window.training_dock.layers_tab.set_statistic("saturated_fraction")  # the chosen statistic
    assert set(halos(scene, "health")) == {f"sigmoid{i}" for i in range(1, 13)}
    action.setChecked(False)
    assert halos(scene, "health") == {} and not legend.isVisible() and window.health_overlay.items(Sparkline) == {}


def test_diagnostics_reach_the_problems_dock(make_window, sigmoid_events):
    window = make_window(load_preset("deep_sigmoid_mlp"))
    _feed(window, sigmoid_events)
    problems = window.problems
    texts = [problems.list.item(i).text() for i in range(problems.list.count())]
    assert any(t.startswith("fc1: training — vanishing_gradient") for t in texts), texts
    window.training_dock.layers_tab.reset()
    window.training_dock.health_changed.emit()
    texts = [problems.list.item(i).text() for i in range(problems.list.count())]
    assert not any("training —" in t for t in texts)


def test_colour_scale_places_values_between_the_extremes():
    assert fractions({"a": 1e-9, "b": 1e-3, "c": 1.0}, log=True) == pytest.approx({"a": 0.0, "b": 2 / 3, "c": 1.0})
    assert fractions({"a": 0.0, "b": 0.5}, log=False) == {"a": 0.0, "b": 1.0}
    assert fractions({"a": float("nan")}, log=False) == {}


def test_layers_tab_histograms_of_weights_and_gradients(make_window, sigmoid_events):
    window = make_window(load_preset("deep_sigmoid_mlp"))
    _feed(window, sigmoid_events)
    tab = window.training_dock.layers_tab
    (hist_event,) = [e for e in sigmoid_events if e["event"] == "health" and e["histograms"]]
    assert tab.hist_layer.currentText() == "fc1" and tab.hist_layer.count() == 13  # 12 hidden + fc_out
    tab.hist_layer.setCurrentText("fc_out")
    for what in ("weights", "grads"):
        ((epoch, xs, ys),) = tab.ridges(what)
        h = hist_event["histograms"]["fc_out"][what]
        assert epoch == 1 and len(xs) == len(h["counts"]) and h["lo"] <= xs[0] < xs[-1] <= h["hi"]
        assert max(ys) == pytest.approx(0.9)
        assert len(tab.hist_plots[what].getPlotItem().listDataItems()) == 1


class _Replay:
    """A stand-in for TrainingRun that hands the dock the events of a real run."""

    def __init__(self, events: list[dict]) -> None:
        self._events, self.started, self.done = list(events), False, False

    def start(self) -> None:
        self.started = True

    @property
    def running(self) -> bool:
        return self.started and not self.done

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def stop(self, timeout: float = 5.0) -> None:
        self.done = True

    def poll(self, max_events: int = 1000) -> list[dict]:
        out, self._events = self._events[:max_events], self._events[max_events:]
        self.done = self.done or not self._events
        return out


def test_view_health_screenshot_shows_the_layers_tab_and_the_overlay(make_window, sigmoid_events, tmp_path):
    """`netbuilder FILE --train --view health --screenshot OUT`: the Layers tab in front and
    the canvas coloured by the health statistic, in the saved picture."""
    from argparse import Namespace

    from netbuilder.gui.training.headless import train_and_screenshot

    window = make_window(load_preset("deep_sigmoid_mlp"))
    window.training_dock.run_factory = lambda graph, settings: _Replay(sigmoid_events)
    assert not window.actions_["health"].isChecked()
    out = tmp_path / "health.png"
    assert train_and_screenshot(window, Namespace(dataset=None, epochs=1, screenshot=str(out), view="health")) == 0
    assert window.actions_["health"].isChecked()
    assert {"fc1", "fc_out"} <= set(halos(window.scene, "health"))  # coloured by gradient norm
    shown = [w.tabText(w.currentIndex()) for w in window.training_dock.findChildren(QTabWidget) if w.isVisible()]
    assert "Layers" in shown, shown
    assert out.stat().st_size > 10_000


def test_layers_tab_plots_stay_readable_in_a_bottom_dock(make_window, sigmoid_events):
    """In a dock a third of a 900 px window high, the curves and both histograms are side by side,
    each as tall as the tab allows (stacked, each was a 30 px strip)."""
    window = make_window(load_preset("deep_sigmoid_mlp"))
    _feed(window, sigmoid_events)
    tab = window.training_dock.layers_tab
    tab.resize(1200, 300)
    tab.show()
    QApplication.processEvents()
    plots = [tab.plot, *tab.hist_plots.values()]
    assert all(p.height() >= 120 for p in plots), [p.height() for p in plots]
    assert len({p.geometry().top() for p in plots}) == 1  # one row
