"""The JSON file format: round trips on disk, atomic saves, tolerant reads."""

from __future__ import annotations

import json
import os
import stat

import pytest
from core_helpers import chain

from netbuilder.core import io
from netbuilder.core.graph import Graph
from netbuilder.core.io import dumps, graph_from_dict, graph_to_dict, load_graph, save_graph


def _sample() -> Graph:
    graph = chain(("Conv2d", {"out_channels": 4, "padding": "same"}), ("MaxPool2d", {"kernel_size": [2, 1]}),
                  "Flatten", ("Linear", {"out_features": 3}), shape=(1, 8, 8))
    graph.add_node("Chunk", {"chunks": 3}, pos=(12.5, -3), id="split")
    graph.add_edge("l4", "split")
    graph.add_node("Output", id="third")
    graph.add_edge("split", "third", 2, 0)
    graph.set_meta(name="sample ✓", description="für tests", training={"dataset": "digits", "lr": 0.01,
                                                                       "loss": [{"type": "cross_entropy"}]})
    return graph


def test_save_and_load_round_trip_on_disk(tmp_path):
    graph = _sample()
    path = tmp_path / "net.json"
    save_graph(graph, path)
    text = path.read_text(encoding="utf-8")
    assert text == dumps(graph) and text.endswith("\n") and "sample ✓" in text  # readable, not \u escapes
    again = load_graph(path)
    assert graph_to_dict(again) == graph_to_dict(graph)
    assert load_graph(json.loads(text)).training == graph.training  # a parsed dict loads too


def test_file_layout():
    data = graph_to_dict(_sample())
    assert list(data) == ["format", "version", "name", "description", "nodes", "edges", "training"]
    assert data["format"] == "netbuilder-graph" and data["version"] == 1
    assert data["nodes"][0] == {"id": "input", "type": "Input", "params": {"shape": [1, 8, 8], "dtype": "float32"},
                                "pos": [0.0, 0.0]}
    assert data["edges"][0] == {"src": "input", "dst": "l1"}  # ports omitted when 0
    assert data["edges"][-1] == {"src": "split", "dst": "third", "src_port": 2}
    assert "training" not in graph_to_dict(chain("ReLU"))


def test_minimal_file_gets_defaults():
    graph = graph_from_dict({"nodes": [{"id": "x", "type": "Input"}, {"id": "r", "type": "ReLU"}],
                             "edges": [{"src": "x", "dst": "r"}]})
    assert graph.name == "untitled" and graph.nodes["x"].params["shape"] == [1, 28, 28]
    assert graph.nodes["r"].pos == (0.0, 0.0) and graph.training == {}


def test_saved_dict_is_independent_of_the_graph():
    graph = _sample()
    data = graph_to_dict(graph)
    data["nodes"][0]["params"]["shape"].append(5)
    data["training"]["loss"][0]["type"] = "mse"
    assert graph.nodes["input"].params["shape"] == [1, 8, 8]
    assert graph.training["loss"][0]["type"] == "cross_entropy"


def test_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + dumps(_sample()).encode("utf-8"))
    assert graph_to_dict(load_graph(path)) == graph_to_dict(_sample())


def test_atomic_save_keeps_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    path = tmp_path / "net.json"
    save_graph(chain("ReLU"), path)
    before = path.read_text(encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(io.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_graph(_sample(), path)
    assert path.read_text(encoding="utf-8") == before
    assert os.listdir(tmp_path) == ["net.json"]  # the temp file is gone


def test_save_keeps_normal_file_permissions(tmp_path):
    path = tmp_path / "net.json"
    save_graph(chain("ReLU"), path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # not mkstemp's 0600
    path.chmod(0o640)
    save_graph(chain("Tanh"), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_public_api_is_lazy_and_complete(tmp_path):
    import netbuilder

    graph = netbuilder.load_graph(graph_to_dict(_sample()))
    assert isinstance(graph, netbuilder.Graph)
    assert netbuilder.check(graph).ok
    netbuilder.save_graph(graph, tmp_path / "x.json")
    assert netbuilder.summary(graph).total_params > 0
    assert netbuilder.compile_graph(graph) is not None
    with pytest.raises(AttributeError):
        netbuilder.nope  # noqa: B018
