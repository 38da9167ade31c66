"""Closing the editor right after it starts: torch may still be importing in the background
(warmup) and the presets being counted; the process must still end cleanly (it aborted with
SIGABRT, "terminate called without an active exception", about one close in three)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
from argparse import Namespace
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from netbuilder.gui import app

show_first = app.show_first
def show_and_close(window):
    show_first(window)
    QTimer.singleShot(int(sys.argv[1]), QApplication.quit)  # close while the background work runs
app.show_first = show_and_close
sys.exit(app.run_gui(Namespace(file=None, theme="dark")))
"""


@pytest.mark.slow
@pytest.mark.parametrize("after_ms", [50, 400, 1200])
def test_closing_at_once_ends_the_process_cleanly(tmp_path, after_ms):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NETBUILDER_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", "import sys\n" + SCRIPT, str(after_ms)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "terminate called" not in done.stderr
