"""Buffers, smoothing and curve items, without a training process."""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

from netbuilder.gui.training.curves_panel import CurvesPanel
from netbuilder.gui.training.series import Series, ema


def test_series_grows_by_doubling_and_keeps_points():
    s = Series(capacity=4)
    for i in range(37):
        s.append(i, i * i)
    x, y = s.view()
    assert s.capacity == 64
    assert list(x) == list(range(37))
    assert list(y) == [i * i for i in range(37)]


def test_ema_matches_tensorboard_debiased_formula():
    values = np.array([1.0, 2.0, 3.0, 4.0])
    w = 0.5
    expected, last = [], 0.0
    for i, v in enumerate(values, 1):
        last = last * w + (1 - w) * v
        expected.append(last / (1 - w ** i))
    assert np.allclose(ema(values, w), expected)
    assert np.allclose(ema(values, 0.0), values)


def test_nan_passes_through_smoothing_without_poisoning_it():
    out = ema(np.array([1.0, math.nan, 1.0]), 0.9)
    assert out[0] == 1.0 and math.isnan(out[1]) and out[2] == 1.0


def test_changing_smoothing_recomputes_from_raw_points():
    s = Series(smoothing=0.0)
    for i, v in enumerate([4.0, 0.0, 4.0, 0.0]):
        s.append(i, v)
    assert list(s.view(smoothed=True)[1]) == [4.0, 0.0, 4.0, 0.0]
    s.set_smoothing(0.9)
    assert np.allclose(s.view(smoothed=True)[1], ema(np.array([4.0, 0.0, 4.0, 0.0]), 0.9))


def _smoothed(xs, ys, weight, spacing):
    s = Series(smoothing=weight, spacing=spacing)
    for x, y in zip(xs, ys):
        s.append(x, y)
    return s.view(smoothed=True)[1]


def test_smoothing_by_x_distance_keeps_a_sparse_curve_on_its_points():
    # a fast 15-epoch run: one step point per epoch, the loss falling from 2.3 to 0.1
    xs = np.arange(1.0, 16.0)
    ys = 0.1 + 2.2 * np.exp(-xs / 2)
    per_point = ema(ys, 0.6)
    assert (per_point[3:9] / ys[3:9]).min() > 1.4  # the old per-point weight: 40-75 % too high
    by_distance = _smoothed(xs, ys, 0.6, spacing=15 / 400)
    assert np.allclose(by_distance, ys, atol=1e-3)


def test_smoothing_by_x_distance_lags_the_same_share_of_the_axis_at_any_density():
    def crossing(n):  # where the smoothed line of a drop from 1 to 0 at x = 5 gets below 0.5
        xs = np.linspace(0.0, 10.0, n)
        out = _smoothed(xs, np.where(xs < 5.0, 1.0, 0.0), 0.9, spacing=10 / 400)
        return xs[np.argmax(out < 0.5)]

    assert abs(crossing(500) - crossing(5000)) < 0.05
    assert crossing(5000) > 5.1  # and it still smooths: the slider is not a no-op


def test_dense_noisy_points_are_still_smoothed():
    xs = np.linspace(0.0, 10.0, 2000)
    noise = np.where(np.arange(2000) % 2, 1.0, -1.0)
    out = _smoothed(xs, 5.0 + noise, 0.6, spacing=10 / 400)
    assert np.abs(out[100:] - 5.0).max() < 0.5  # ±1 raw noise, a fraction of it smoothed


def test_sparse_step_events_are_drawn_on_their_values_not_dragged_up(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    curves = panel.curves
    assert curves.smoothing == 0.6
    run = curves.begin_run("run 1", epochs=15)
    losses = [0.1 + 2.2 * math.exp(-e / 2) for e in range(1, 16)]
    for e, loss in enumerate(losses, 1):  # one step event per epoch, at its end
        curves.add_step({"step": 45 * e, "epoch": e, "progress": e / 15, "train_loss": loss, "terms": {}})
    curves.refresh()
    drawn = curves.item("train_step").yData
    assert np.allclose(drawn, losses, rtol=0.01)


def test_nearest_point_for_the_crosshair():
    s = Series()
    for x in (0.0, 1.0, 2.0):
        s.append(x, 10 * x)
    assert s.nearest(1.4) == (1.0, 10.0)
    assert s.nearest(1.6) == (2.0, 20.0)
    assert s.nearest(-5) == (0.0, 0.0)


def _steps(curves, n, epochs=2):
    for i in range(1, n + 1):
        curves.add_step({"step": i, "progress": i / n, "train_loss": 1.0 / i, "terms": {"a": 0.5 / i, "b": 0.1}})


def test_curve_items_are_created_once_and_hold_every_point(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    curves = panel.curves
    run = curves.begin_run("run 1", epochs=2)
    _steps(curves, 10)
    curves.refresh()
    items = [c.item for c in run.curves]
    _steps(curves, 10)
    curves.add_epoch({"epoch": 1, "train_loss": 0.5, "val_loss": 0.6, "val_accuracy": 0.75})
    curves.refresh()
    assert [c.item for c in run.curves if c.item in items] == items  # same objects, only setData
    step_curve = next(c for c in run.curves if c.key == "train_step" and c.label)
    assert step_curve.item.xData.size == 20
    x, y = run.series["train_step"].view()
    assert np.array_equal(step_curve.item.yData, run.series["train_step"].view(smoothed=True)[1])
    assert np.allclose(y[:10], 1.0 / np.arange(1, 11))
    val = next(c for c in run.curves if c.key == "val")
    assert list(val.item.yData) == [0.6]
    acc = next(c for c in run.curves if c.key == "val_accuracy")
    assert list(acc.item.yData) == [75.0]  # shown in percent
    assert panel.plot.terms_plot in panel.plot.active_plots()  # two terms: their own plot
    assert panel.plot.metric_plot in panel.plot.active_plots()


def test_kept_runs_overlay_in_their_own_colours_and_clear_removes_them(qtbot):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    curves = panel.curves
    first = curves.begin_run("run 1", 1)
    _steps(curves, 3)
    second = curves.begin_run("run 2", 1)
    _steps(curves, 3)
    curves.refresh()
    assert first.color != second.color
    assert len(curves.runs) == 2
    panel.refresh()
    legend = panel.legend.text()
    assert "run 1" in legend and "run 2" in legend and first.color in legend and second.color in legend
    assert "terms:" in legend and "line style = run" in legend
    panel._on_clear()
    assert curves.runs == [second]
    assert all(c.item not in panel.plot.loss_plot.items for c in first.curves)


def test_log_scale_smoothing_and_exports(qtbot, tmp_path):
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 300)
    curves = panel.curves
    curves.begin_run("run 1", 1)
    _steps(curves, 8)
    curves.add_step({"progress": 1.0, "train_loss": float("nan"), "terms": {}})
    curves.refresh()
    panel.log_box.setChecked(True)
    assert panel.plot.loss_plot.ctrl.logYCheck.isChecked()
    panel.smooth_slider.setValue(0)
    run = curves.current
    assert np.array_equal(run.series["train_step"].view(True)[1], run.series["train_step"].view()[1], equal_nan=True)
    png, csv_path = tmp_path / "c.png", tmp_path / "c.csv"
    assert curves.export_png(str(png)) and png.stat().st_size > 0
    curves.export_csv(str(csv_path))
    rows = csv_path.read_text().splitlines()
    assert rows[0] == "run,curve,epoch,value,smoothed"
    assert sum(r.startswith("run 1,train_step,") for r in rows) == 9


def test_loss_terms_show_their_epoch_means_even_without_step_events(qtbot):
    """A fast run may send no step event at all (they are throttled by time): the terms
    plot must still draw every term, from the epoch events, in the term's legend colour."""
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    curves = panel.curves
    run = curves.begin_run("run 1", epochs=3)
    terms = [{"reconstruction": 0.5, "kl_gaussian": 0.01}, {"reconstruction": 0.4, "kl_gaussian": 0.02},
             {"reconstruction": 0.3, "kl_gaussian": 0.03}]
    for epoch, values in enumerate(terms, 1):
        curves.add_epoch({"epoch": epoch, "train_loss": sum(values.values()), "terms": values})
    panel.refresh()
    assert panel.plot.terms_plot in panel.plot.active_plots()
    drawn = {c.label: c for c in curves.curves_in(panel.plot.terms_plot) if c.label}
    assert set(drawn) == {"reconstruction, epoch mean", "kl_gaussian, epoch mean"}
    for name in ("reconstruction", "kl_gaussian"):
        item = drawn[f"{name}, epoch mean"].item
        assert list(item.xData) == [1.0, 2.0, 3.0]
        assert list(item.yData) == [v[name] for v in terms]
        color = run.term_color(name)
        assert pg.mkBrush(item.opts["symbolBrush"]).color().name() == color and color in panel.legend.text()
    assert run.term_color("reconstruction") != run.term_color("kl_gaussian")
    # a later step event of a term keeps that term's colour
    curves.add_step({"progress": 1.0, "train_loss": 0.3, "terms": {"kl_gaussian": 0.03}})
    step = next(c for c in run.curves if c.key == "term:kl_gaussian" and c.label)
    assert step.item.opts["pen"].color().name() == run.term_color("kl_gaussian")
