"""Saving is atomic: a failure or a kill during save leaves the old file intact.

save_graph writes a temp file beside the target, fsyncs it and renames it
over the target (os.replace), so at every instant the target is either the
complete old file or the complete new one.
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from netbuilder.core import io
from netbuilder.core.graph import Graph
from netbuilder.core.io import atomic_write_text, load_graph, save_graph


def _graph(n: int, name: str) -> Graph:
    graph = Graph(name=name)
    prev = graph.add_node("Input", {"shape": [8]}, id="x").id
    for i in range(n):
        graph.add_node("Linear", {"out_features": 8}, pos=(i, 0), id=f"fc{i}")
        graph.add_edge(prev, f"fc{i}")
        prev = f"fc{i}"
    return graph


@pytest.fixture
def saved(tmp_path) -> Path:
    path = tmp_path / "net.json"
    save_graph(_graph(3, "old"), path)
    return path


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_a_failure_during_save_keeps_the_old_file_and_no_temp(monkeypatch, saved, failing):
    before = saved.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(io.os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        save_graph(_graph(50, "new"), saved)
    assert saved.read_bytes() == before
    assert load_graph(saved).name == "old"
    assert [p.name for p in saved.parent.iterdir()] == [saved.name]  # the temp file was removed


def test_an_interrupt_during_write_keeps_the_old_file(monkeypatch, saved):
    before = saved.read_bytes()

    def interrupted(fd):
        raise KeyboardInterrupt
    monkeypatch.setattr(io.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_text(saved, "{ half a graph")
    assert saved.read_bytes() == before and len(list(saved.parent.iterdir())) == 1


_WRITER = """
import sys
from netbuilder.core.io import atomic_write_text
texts = [open(sys.argv[2], encoding="utf-8").read(), open(sys.argv[3], encoding="utf-8").read()]
print("ready", flush=True)
i = 0
while True:
    atomic_write_text(sys.argv[1], texts[i % 2])
    i += 1
"""


def test_sigkill_while_saving_a_huge_graph_never_leaves_a_broken_file(tmp_path):
    """A child saves two ~1.5 MB graphs over the same file in a loop and is
    killed with SIGKILL at random moments: the file always loads, as one of the two."""
    texts = [io.dumps(_graph(2000, "A")), io.dumps(_graph(2100, "B"))]
    sources = []
    for name, text in zip("AB", texts):
        sources.append(tmp_path / f"{name}.txt")
        sources[-1].write_text(text, encoding="utf-8")
    target = tmp_path / "out" / "net.json"
    target.parent.mkdir()
    target.write_text(texts[0], encoding="utf-8")
    rng = random.Random(5)
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", _WRITER, str(target), *map(str, sources)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.02, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        child.stdout.close()
        assert child.returncode == -signal.SIGKILL
        assert target.read_text(encoding="utf-8") in texts
        assert load_graph(target).name in ("A", "B")
    # a killed save may leave its temp file (a dot-file beside the target), never a half target
    assert {p.name for p in target.parent.iterdir() if not p.name.startswith(".net.json.")} == {"net.json"}


_STALLED = """
import os, sys, time
from netbuilder.core import io
def stall(fd):
    print("writing", flush=True)
    time.sleep(60)
io.os.fsync = stall
io.save_graph(io.load_graph(sys.argv[2]), sys.argv[1])
"""


def test_sigkill_after_the_data_is_written_but_before_the_rename(tmp_path, saved):
    before = saved.read_bytes()
    other = tmp_path / "other.json"
    save_graph(_graph(100, "new"), other)
    child = subprocess.Popen([sys.executable, "-c", _STALLED, str(saved), str(other)], stdout=subprocess.PIPE,
                             text=True)
    assert child.stdout.readline().strip() == "writing"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    assert saved.read_bytes() == before
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(".net.json.")]
    assert len(leftovers) == 1  # the complete temp file, never renamed
    save_graph(_graph(4, "later"), saved)  # the next save is not disturbed by it
    assert json.loads(saved.read_text())["name"] == "later"
