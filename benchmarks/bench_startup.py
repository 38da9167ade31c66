"""Measurement 5: `netbuilder --version` < 0.3 s; `netbuilder check` of ResNet-18; GUI cold start to window shown < 2 s.

A real window: `xvfb-run -a env QT_QPA_PLATFORM=xcb python benchmarks/bench_startup.py`
(the default platform is offscreen).

Both are wall times of fresh subprocesses, interleaved with a `python -c pass`
baseline (the interpreter's own start, which no program can beat); the
baseline and the excess over it are reported too. Also checks that
`netbuilder --version` imports neither torch nor Qt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _common
from _common import emit, median, parser

VERSION_TARGET_S = 0.3
GUI_TARGET_S = 2.0

# Started with -c so the clock starts before any netbuilder import; prints the
# seconds from interpreter start to a shown, painted main window. It runs the
# editor's own entry point (`netbuilder` with no file: run_gui → background torch
# import, the default network, the saved layout, fit) with app.exec() replaced by
# one paint; before, the probe built the window without the background import, so
# torch was imported on the GUI thread and the figure was not the editor's.
_GUI_PROBE = r"""
import sys, time
t0 = float(sys.argv[1])
from argparse import Namespace
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication
from netbuilder.gui import app as app_module, warmup
from netbuilder.gui.main_window import MainWindow

# run_gui releases the background torch import once the window is shown; here that waits for the
# clock to stop, so the paint below is timed as the user sees it (torch loads after it)
window_shown, warmup.window_shown = warmup.window_shown, lambda: None

def painted(self):
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    image = QImage(window.size(), QImage.Format.Format_ARGB32_Premultiplied)
    window.render(image)
    print("shown", time.time() - t0, flush=True)
    print("torch imported:", "torch" in sys.modules, flush=True)
    window_shown()
    window.training_dock.shutdown()  # a warm training child is spawned 0.8 s after the show: none here
    return 0

QApplication.exec = painted
sys.exit(app_module.run_gui(Namespace(file=None, screenshot=None, size=None, train=False, theme="dark")))
"""


def _netbuilder_cmd() -> list[str]:
    script = Path(sys.executable).with_name("netbuilder")
    if script.exists():
        return [str(script)]
    found = shutil.which("netbuilder")
    return [found] if found else [sys.executable, "-m", "netbuilder"]


def _wall(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
                   cwd=_common.ROOT)
    return time.perf_counter() - t0


def version(reps: int) -> dict:
    cmd, base = _netbuilder_cmd() + ["--version"], [sys.executable, "-c", "pass"]
    nb, py = [], []
    for i in range(reps):
        pair = [(cmd, nb), (base, py)] if i % 2 == 0 else [(base, py), (cmd, nb)]
        for c, out in pair:
            out.append(_wall(c))
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys; sys.argv = ['netbuilder', '--version']\n"
         "from netbuilder.cli import main\ntry: main()\nexcept SystemExit: pass\n"
         "print(sorted(m for m in ('torch', 'PySide6', 'pyqtgraph', 'networkx') if m in sys.modules))"],
        capture_output=True, text=True, cwd=_common.ROOT).stdout.strip().splitlines()[-1]
    return {"s": round(median(nb), 3), "target": VERSION_TARGET_S,
            "python_baseline_s": round(median(py), 3), "excess_s": round(median(nb) - median(py), 3),
            "note": f"heavy modules imported: {heavy}"}


def check_resnet18(reps: int) -> dict:
    """`netbuilder check presets/resnet18.json`, interleaved with `python -c "import torch"`: the
    parameter budget counts on torch's meta device, so torch's import is the floor (issue 18: check
    imports nothing else heavy — no trainer, torch._dynamo or Qt; tests/cli/test_check_imports.py)."""
    cmd = _netbuilder_cmd() + ["check", str(_common.ROOT / "presets" / "resnet18.json")]
    torch_only = [sys.executable, "-c", "import torch"]
    check, torch_s = [], []
    for i in range(reps):
        pair = [(cmd, check), (torch_only, torch_s)] if i % 2 == 0 else [(torch_only, torch_s), (cmd, check)]
        for c, out in pair:
            out.append(_wall(c))
    return {"s": round(median(check), 3), "import_torch_s": round(median(torch_s), 3),
            "note": f"python -c 'import torch': {median(torch_s):.3f} s; load average {os.getloadavg()[0]:.1f}"}


def gui_cold_start(reps: int) -> dict:
    if not (_common.ROOT / "netbuilder" / "gui" / "app.py").exists():
        return {"s": None, "target": GUI_TARGET_S, "note": "no GUI yet"}
    # a fresh data folder: no recent files, saved layout or crash recovery to offer
    with tempfile.TemporaryDirectory(prefix="netbuilder-bench-") as data_dir:
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
               "NETBUILDER_DATA_DIR": data_dir}
        return _gui_cold_start(reps, env)


def _gui_cold_start(reps: int, env: dict) -> dict:
    shown, py = [], []
    for i in range(reps):
        if i % 2:
            py.append(_wall([sys.executable, "-c", "pass"], env))
        t0 = time.time()
        run = subprocess.run([sys.executable, "-c", _GUI_PROBE, repr(t0)], capture_output=True, text=True,
                             env=env, cwd=_common.ROOT)
        lines = [ln for ln in run.stdout.splitlines() if ln.startswith("shown ")]
        if run.returncode != 0 or not lines:
            return {"s": None, "target": GUI_TARGET_S,
                    "note": f"probe failed: {(run.stderr or run.stdout).strip().splitlines()[-1:]}"}
        shown.append(float(lines[-1].split()[1]))
        torch_line = [ln for ln in run.stdout.splitlines() if ln.startswith("torch imported")]
        if not i % 2:
            py.append(_wall([sys.executable, "-c", "pass"], env))
    screenshot = _screenshot_wall(env, reps)
    return {"s": round(median(shown), 3), "target": GUI_TARGET_S, "python_baseline_s": round(median(py), 3),
            "screenshot_cli_s": screenshot,
            "note": f"{env['QT_QPA_PLATFORM']}: run_gui (imports, QApplication, theme, main window with the "
                    f"default network, shown + rendered); {torch_line[-1] if torch_line else ''}; "
                    f"load average {os.getloadavg()[0]:.1f}"}


def _screenshot_wall(env: dict, reps: int) -> float | None:
    """The whole `netbuilder --screenshot OUT.png` process: an upper bound
    (it also saves a PNG and tears down)."""
    with tempfile.TemporaryDirectory() as tmp:
        times = []
        for _ in range(max(1, reps // 2)):
            try:
                times.append(_wall(_netbuilder_cmd() + ["--screenshot", str(Path(tmp) / "shot.png")], env))
            except subprocess.CalledProcessError:
                return None
        return round(median(times), 3)


def measure(quick: bool) -> dict:
    return {"startup.version": version(6 if quick else 20),
            "startup.check_resnet18": check_resnet18(2 if quick else 6),
            "startup.gui_window_shown": gui_cold_start(2 if quick else 6)}


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    emit(measure(args.quick), args.json, "start-up (wall seconds, fresh processes)")


if __name__ == "__main__":
    main()
