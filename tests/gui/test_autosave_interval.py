"""NETBUILDER_AUTOSAVE_MS sets how often unsaved work is autosaved; a bad
value is reported once on stderr and the editor keeps the one-minute default."""

from __future__ import annotations

import pytest

from netbuilder.gui import autosave
from netbuilder.gui.autosave import INTERVAL_ENV, INTERVAL_MS, interval_ms


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch):
    monkeypatch.setattr(autosave, "_warned", set())


def test_the_window_autosaves_at_the_interval_from_the_environment(make_window, monkeypatch, qtbot):
    monkeypatch.setenv(INTERVAL_ENV, "150")
    window = make_window()
    assert window.document.timer.interval() == 150 and window.document.timer.isActive()
    window.editor.add_node("ReLU", (0.0, 400.0))
    qtbot.waitUntil(window.document.autosaver.file.exists, timeout=3000)  # the timer, not a direct call


def test_no_setting_means_one_minute(monkeypatch, capsys):
    monkeypatch.delenv(INTERVAL_ENV, raising=False)
    assert interval_ms() == INTERVAL_MS == 60_000
    monkeypatch.setenv(INTERVAL_ENV, " 2500 ")
    assert interval_ms() == 2500
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("bad", ["abc", "0", "-5", "1.5", "60s"])
def test_a_bad_value_falls_back_to_a_minute_with_a_clear_message(monkeypatch, capsys, bad):
    monkeypatch.setenv(INTERVAL_ENV, bad)
    assert interval_ms() == INTERVAL_MS
    err = capsys.readouterr().err
    assert f"NETBUILDER_AUTOSAVE_MS={bad!r}" in err and "positive whole number of milliseconds" in err
    assert "every 60 s" in err
    assert interval_ms() == INTERVAL_MS and capsys.readouterr().err == ""  # said once, not per window


def test_a_bad_value_does_not_stop_the_window(make_window, monkeypatch, capsys):
    monkeypatch.setenv(INTERVAL_ENV, "soon")
    window = make_window()
    assert window.document.timer.interval() == INTERVAL_MS
    assert "NETBUILDER_AUTOSAVE_MS='soon'" in capsys.readouterr().err
