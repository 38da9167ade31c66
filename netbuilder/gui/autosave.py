"""Autosave of unsaved work, and recovery after a crash.

Every minute (NETBUILDER_AUTOSAVE_MS milliseconds when set), a window with
unsaved changes writes its graph to
`<data dir>/autosave/session-<pid>.json` (atomically). The session holds a
QLockFile next to it while it runs; a file whose lock is free at start-up
belongs to a session that died, and its work is offered back. A clean close
or a save removes the session's file.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QLockFile

from netbuilder.core.graph import Graph
from netbuilder.core.io import atomic_write_text, graph_to_dict
from netbuilder.gui.storage import data_dir

INTERVAL_MS = 60_000  # the default; NETBUILDER_AUTOSAVE_MS overrides it
INTERVAL_ENV = "NETBUILDER_AUTOSAVE_MS"
_warned: set[str] = set()  # bad values already reported: one message per value, not per window


def interval_ms() -> int:
    """The autosave interval: NETBUILDER_AUTOSAVE_MS (a positive whole number of
    milliseconds) or INTERVAL_MS. A bad value is reported on stderr and ignored,
    because a typo in the environment must not stop the editor from starting."""
    raw = os.environ.get(INTERVAL_ENV, "").strip()
    if not raw:
        return INTERVAL_MS
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value > 0:
        return min(value, 2**31 - 1)  # QTimer takes a C int
    if raw not in _warned:
        _warned.add(raw)
        print(f"netbuilder: ignoring {INTERVAL_ENV}={raw!r}: expected a positive whole number of "
              f"milliseconds; autosaving every {INTERVAL_MS // 1000} s", file=sys.stderr)
    return INTERVAL_MS


def autosave_dir() -> Path:
    path = data_dir() / "autosave"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass
class Orphan:
    """Autosaved work of a session that did not close cleanly."""

    file: Path
    path: str | None  # the file it was editing, if any
    name: str
    saved_at: float
    graph: dict[str, Any]

    def when(self) -> str:
        return time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))

    def discard(self) -> None:
        for f in (self.file, self.file.with_suffix(".lock")):
            try:
                f.unlink()
            except OSError:
                pass


class Autosaver:
    def __init__(self) -> None:
        folder = autosave_dir()
        self.file = folder / f"session-{os.getpid()}-{int(time.time() * 1000) % 100000}.json"
        self.lock = QLockFile(str(self.file.with_suffix(".lock")))
        self.lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
        self.lock.tryLock(0)

    def save(self, graph: Graph, path: str | None) -> None:
        record = {"pid": os.getpid(), "path": path, "name": graph.name, "saved_at": time.time(),
                  "graph": graph_to_dict(graph)}
        atomic_write_text(self.file, json.dumps(record))

    def clear(self) -> None:
        try:
            self.file.unlink()
        except OSError:
            pass

    def close(self) -> None:
        """A clean end: no work to recover."""
        self.clear()
        self.lock.unlock()


def find_orphans(exclude: Path | None = None) -> list[Orphan]:
    """Autosaves whose session is gone, newest first."""
    found = []
    for file in autosave_dir().glob("session-*.json"):
        if exclude is not None and file == exclude:
            continue
        lock = QLockFile(str(file.with_suffix(".lock")))
        lock.setStaleLockTime(0)
        if not lock.tryLock(0):  # its session is still running
            continue
        lock.unlock()
        try:
            record = json.loads(file.read_text(encoding="utf-8"))
            found.append(Orphan(file, record.get("path"), str(record.get("name") or "untitled"),
                                float(record.get("saved_at") or file.stat().st_mtime), record["graph"]))
        except (OSError, ValueError, KeyError, TypeError):
            file.unlink(missing_ok=True)  # unreadable: nothing to offer
    return sorted(found, key=lambda o: o.saved_at, reverse=True)
