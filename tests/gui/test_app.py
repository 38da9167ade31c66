"""Start-up, screenshots, themes, presets, help, and errors that must not
reach the user as tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from netbuilder.gui import app as app_module
from netbuilder.gui import theme
from netbuilder.presets import list_presets

REPO = Path(__file__).resolve().parents[2]


def args(**kw) -> Namespace:
    base = dict(file=None, screenshot=None, size="1600x1000", train=False, dataset=None, epochs=None, theme=None)
    return Namespace(**{**base, **kw})


def test_screenshot_cli_writes_a_png(tmp_path):
    """The real command line, in its own process, offscreen."""
    out = tmp_path / "lenet.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "netbuilder", str(REPO / "presets" / "lenet5.json"),
                             "--screenshot", str(out), "--size", "1400x800"],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1400, 800)


def test_screenshot_in_process_with_light_theme(qtbot, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # run_gui installs its own
    out = tmp_path / "sub" / "vae.png"
    code = app_module.run_gui(args(file=str(REPO / "presets" / "vae.json"), screenshot=str(out), size="1400x700",
                                   theme="light"))
    assert code == 0 and QImage(str(out)).height() == 700
    assert theme.current().name == "light"
    theme.apply(app_module.ensure_app(), "dark")


@pytest.mark.parametrize("bad, message", [("size", "--size"), ("file", "Conv9d")])
def test_headless_problems_are_one_line_messages(tmp_path, capsys, monkeypatch, bad, message):
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    broken = tmp_path / "broken.json"
    broken.write_text('{"nodes": [{"id": "a", "type": "Conv9d"}], "edges": []}')
    kw = {"size": "wide"} if bad == "size" else {"file": str(broken)}
    code = app_module.run_gui(args(screenshot=str(tmp_path / "x.png"), **kw))
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err


def test_excepthook_shows_a_dialog_and_keeps_going(monkeypatch, capsys):
    shown = []
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(app_module.dialogs, "show_error", lambda parent, title, text, details="": shown.append(
        (text, details)))
    app_module.ensure_app()
    app_module.install_excepthook(interactive=True)
    try:
        raise RuntimeError("boom in a slot")
    except RuntimeError:
        sys.excepthook(*sys.exc_info())
    (text, details), = shown
    assert "boom in a slot" in text and "still running" in text and "Traceback" in details
    assert "boom in a slot" in capsys.readouterr().err


def test_open_every_preset(window):
    presets = list_presets()
    assert len(presets) >= 10
    for info in presets:
        assert window.open_preset(info.name), info.name
        window.flush()
        report = window.live.report
        assert report.ok, (info.name, report.errors)
        assert set(window.scene.node_items) == set(window.graph.nodes)
        assert len(window.scene.edge_items) == len(window.graph.edges)
        assert all(item.status == "ok" for item in window.scene.node_items.values()), info.name
        assert window.windowTitle().startswith(info.title)


def test_presets_menu_is_grouped(window):
    window.presets_menu.aboutToShow.emit()
    groups = [a.text() for a in window.presets_menu.actions()]
    assert groups[:2] == ["CNNs", "Dense"] and "RNNs" in groups
    cnns = window.presets_menu.actions()[0].menu()
    lenet = next(a for a in cnns.actions() if a.text().startswith("LeNet-5"))
    lenet.trigger()
    assert window.graph.name == "LeNet-5"


def test_default_window_opens_lenet_on_digits(window):
    assert window.graph.name == "LeNet on digits" and window.live.report.ok
    assert window.current_path is None and not window.isWindowModified()


def test_theme_switch_and_shortcuts_dialog(window, qtbot):
    from netbuilder.gui.help import SHORTCUTS, ShortcutsDialog, shortcuts_markdown

    window.set_theme("light")
    assert theme.current().name == "light" and "#f4f5f7" in window.styleSheet() + app_module.ensure_app().styleSheet()
    window.set_theme("dark")
    dialog = ShortcutsDialog(window)
    qtbot.addWidget(dialog)
    assert dialog.table.rowCount() == len(SHORTCUTS)
    assert "| Tab |" in shortcuts_markdown()
