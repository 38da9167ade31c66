"""Clean exits. Closing the editor right after it starts: torch may still be importing in the background
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


def test_the_process_ends_cleanly_after_a_copy(tmp_path):
    """Qt's clipboard freed the copied layers' data in its own exit handler, after Python had gone:
    every editor that had copied something ended with SIGSEGV."""
    script = ("from PySide6.QtWidgets import QApplication\napp = QApplication(['x'])\n"
              "from netbuilder.gui import clipboard\n"
              "clipboard.to_clipboard({'nodes': [], 'edges': []})\nprint('copied')\n")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "NETBUILDER_DATA_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "copied" in done.stdout, (done.returncode, done.stderr[-2000:])
