"""Autosave + recovery after `kill -9` of the editor process.

A real editor (the app's own entry point, offscreen, NETBUILDER_DATA_DIR in
a temp folder, a short autosave interval) gets an edit, autosaves it, and is
killed with SIGKILL. The next start finds the dead session's autosave, offers
it, and restores the edit as unsaved work.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = Path(__file__).resolve().parent / "reliability_gui_child.py"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")


def _start(mode: str, data_dir: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "NETBUILDER_DATA_DIR": str(data_dir), "NETBUILDER_AUTOSAVE_MS": "200",
           "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)}
    data_dir.mkdir(parents=True, exist_ok=True)
    stderr = open(data_dir.parent / f"{mode}.stderr", "w")  # a file: a full pipe would block the child
    child = subprocess.Popen([sys.executable, str(CHILD), mode, *extra], stdout=subprocess.PIPE, stderr=stderr,
                             text=True, env=env)
    stderr.close()
    return child


def _stderr(data_dir: Path, mode: str) -> str:
    return (data_dir.parent / f"{mode}.stderr").read_text()


def _line(child: subprocess.Popen, data_dir: Path, mode: str) -> dict:
    line = child.stdout.readline()
    if not line:
        child.wait(timeout=30)
        raise AssertionError(f"the editor ended without a report:\n{_stderr(data_dir, mode)}")
    return json.loads(line)


def _autosaved(data_dir: Path, features: int = 77, timeout: float = 60.0) -> dict:
    """The autosave record holding the edit, once written (the hang guard is generous)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for file in (data_dir / "autosave").glob("session-*.json"):
            try:
                record = json.loads(file.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue  # atomic writes make this impossible; tolerate it anyway
            if any(n["params"].get("out_features") == features for n in record["graph"]["nodes"]):
                return record
        time.sleep(0.05)
    raise AssertionError("no autosave appeared")


def test_work_survives_kill_9_of_the_editor_and_is_offered_back(tmp_path):
    data_dir = tmp_path / "data"
    editor = _start("edit", data_dir)
    try:
        edited = _line(editor, data_dir, "edit")
        assert edited["modified"] is True
        record = _autosaved(data_dir)
        assert record["pid"] == editor.pid
    finally:
        editor.send_signal(signal.SIGKILL)  # kill -9: no chance to clean up
        editor.wait(timeout=30)
        editor.stdout.close()
    assert editor.returncode == -signal.SIGKILL
    assert list((data_dir / "autosave").glob("session-*.json"))  # left behind by the dead session

    report = _recover(data_dir)
    assert len(report["offers"]) == 1  # asked once, about the dead session's work
    nodes = {n["id"]: n for n in report["graphs"][0]["nodes"]}
    assert nodes[edited["edited"]]["params"]["out_features"] == 77
    assert report["modified"] == [True]  # restored work is unsaved until the user saves it
    assert not list((data_dir / "autosave").glob("session-*.json"))  # offered once, then gone


def _recover(data_dir: Path) -> dict:
    """Start the editor on `data_dir`, accept every offer, close cleanly; its report."""
    again = _start("recover", data_dir)
    try:
        report = _line(again, data_dir, "recover")
        assert again.wait(timeout=60) == 0, _stderr(data_dir, "recover")
    finally:
        if again.poll() is None:
            again.kill()
            again.wait()
        again.stdout.close()
    return report


@pytest.mark.slow
def test_two_editors_killed_are_both_offered_back(tmp_path):
    """Two sessions with unsaved work die: the next start offers both (the
    first comes into its window, the second into a window of its own) and
    deletes neither autosave before its work is back."""
    data_dir = tmp_path / "data"
    editors = [_start("edit", data_dir, str(features)) for features in (77, 88)]
    try:
        for features, editor in zip((77, 88), editors):
            _line(editor, data_dir, "edit")
            assert _autosaved(data_dir, features)["pid"] in {e.pid for e in editors}
    finally:
        for editor in editors:
            editor.send_signal(signal.SIGKILL)
            editor.wait(timeout=30)
            editor.stdout.close()
    assert len(list((data_dir / "autosave").glob("session-*.json"))) == 2
    report = _recover(data_dir)
    assert len(report["offers"]) == 2
    found = sorted(n["params"]["out_features"] for g in report["graphs"] for n in g["nodes"]
                   if n["type"] == "Linear" and n["params"]["out_features"] in (77, 88))
    assert found == [77, 88] and report["modified"] == [True, True]
    assert not list((data_dir / "autosave").glob("session-*.json"))
