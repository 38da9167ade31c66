"""The background torch import waits for the window (it slowed the first show 2–3×), and
anyone who needs torch (`wait`) gets it at once."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys, time
from netbuilder.gui import warmup
warmup.start()
time.sleep(0.5)
print("before the window:", "torch" in sys.modules, warmup.ready(), flush=True)
warmup.window_shown()
warmup.wait(120)
print("after:", "torch" in sys.modules, warmup.ready(), flush=True)
"""


def test_torch_is_imported_once_the_window_is_shown():
    done = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["before the window: False False", "after: True True"]


def test_wait_does_not_sit_out_the_deferral():
    probe = ("import time\nfrom netbuilder.gui import warmup\nwarmup.MAX_DEFER_S = 600\nwarmup.start()\n"
             "warmup.wait(120)\nprint(warmup.ready())")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=180)
    assert done.stdout.strip() == "True", done.stderr
