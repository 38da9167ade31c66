"""Graph files that used to hang or blow up the loader (issues 16 and 17): each must give a
clear GraphFileError in well under a few seconds, reading a bounded number of bytes."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest

from netbuilder.core import io
from netbuilder.core.io import GraphFileError, load_graph

def _refused(path, *words: str, within: float = 5.0) -> str:
    start = time.monotonic()
    with pytest.raises(GraphFileError) as info:
        load_graph(path)
    assert time.monotonic() - start < within
    message = str(info.value)
    assert str(path) in message
    for word in words:
        assert word in message, message
    assert len(message) < 600  # never echoes a huge value
    return message


def _graph(nodes, edges, **top):
    return {"format": "netbuilder-graph", "version": 1, "name": "g", "nodes": nodes, "edges": edges, **top}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "fifo.json"
    os.mkfifo(fifo)  # nobody ever writes: a plain open() would block forever
    result: list[str] = []
    worker = threading.Thread(target=lambda: result.append(_refused(fifo, "named pipe")), daemon=True)
    worker.start()
    worker.join(10)
    if worker.is_alive():  # unblock the reader so the test run goes on, then fail
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        pytest.fail("loading a FIFO blocked")
    assert result


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_devices_and_symlinks_to_them_are_refused(tmp_path, device):
    if not os.path.exists(device):
        pytest.skip(f"no {device}")
    _refused(device, "character device")
    link = tmp_path / "graph.json"
    link.symlink_to(device)
    _refused(link, "not a regular file")


def test_a_folder_is_refused(tmp_path):
    _refused(tmp_path, "folder")


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "spaces.json"
    with open(path, "wb") as f:  # sparse: 1 GB of "file" costs no disk and would take 10 s to parse
        f.truncate(1 << 30)
    message = _refused(path, "NETBUILDER_MAX_FILE_MB", "over the limit", within=2.0)
    assert "1,024.0 MB" in message


def test_the_size_limit_can_be_raised_and_lowered(tmp_path, monkeypatch):
    path = tmp_path / "g.json"
    path.write_text(json.dumps(_graph([{"id": "in", "type": "Input", "params": {"shape": [4]}}], []))
                    + " " * 300_000)
    assert io.max_file_bytes() == io.MAX_FILE_MB_DEFAULT * 2**20
    monkeypatch.setenv("NETBUILDER_MAX_FILE_MB", "0.1")
    _refused(path, "over the limit")
    monkeypatch.setenv("NETBUILDER_MAX_FILE_MB", "1")
    assert "in" in load_graph(path).nodes


def test_ten_million_edges_are_refused_before_building_anything(tmp_path, monkeypatch):
    built = []
    monkeypatch.setattr(io, "_load_node", lambda *args: built.append(args))
    data = _graph([{"id": "a", "type": "Input", "params": {"shape": [4]}}],
                  [{"src": "a", "dst": "a"}] * (io.MAX_EDGES + 1))
    with pytest.raises(GraphFileError, match=f"more than the limit of {io.MAX_EDGES}"):
        io.graph_from_dict(data, "big.json")
    assert built == []  # refused before the first node was built


def test_an_encoder_with_100000_sizes_is_refused_quickly(tmp_path):
    path = tmp_path / "enc.json"
    path.write_text(json.dumps(_graph(
        [{"id": "in", "type": "Input", "params": {"shape": [4]}},
         {"id": "enc", "type": "Encoder", "params": {"sizes": [4] * 100_000}}], [{"src": "in", "dst": "enc"}])))
    _refused(path, "enc", "sizes", "100,000 entries", "limit")


@pytest.mark.parametrize("where, make", [
    ("name", lambda big: _graph([], [], name=big)),
    ("description", lambda big: _graph([], [], description=big * 11)),
    ("id", lambda big: _graph([{"id": big, "type": "ReLU"}], [])),
    ("group name", lambda big: _graph([{"id": "a", "type": "ReLU"}], [], groups=[{"id": "g", "name": big,
                                                                                  "nodes": ["a"]}])),
])
def test_huge_strings_are_refused_with_a_short_message(tmp_path, where, make):
    path = tmp_path / "long.json"
    path.write_text(json.dumps(make("x" * 1_000_000)))
    _refused(path, where, "characters long", "the limit is")


def test_strings_at_the_limits_still_load(tmp_path):
    path = tmp_path / "ok.json"
    path.write_text(json.dumps(_graph([{"id": "n" * io.MAX_TEXT["id"], "type": "ReLU"}], [],
                                      name="x" * io.MAX_TEXT["name"],
                                      description="d" * io.MAX_TEXT["description"])))
    graph = load_graph(path)
    assert len(graph.name) == io.MAX_TEXT["name"]


def test_a_lone_surrogate_saves_and_loads_back(tmp_path):
    from netbuilder.core.graph import Graph
    from netbuilder.core.io import save_graph

    graph = Graph(name="half \ud83d emoji", description="lone \udc00 low and a real 😀")
    graph.add_node("ReLU", {}, id="a")
    path = tmp_path / "s.json"
    save_graph(graph, path)  # raised UnicodeEncodeError
    path.read_bytes().decode("utf-8")  # valid UTF-8 on disk
    back = load_graph(path)
    assert (back.name, back.description, list(back.nodes)) == (graph.name, graph.description, ["a"])
