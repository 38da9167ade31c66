"""User-facing errors name the values received and suggest a fix that works."""

from __future__ import annotations

import json
import re

import pytest
from core_helpers import chain

from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.io import GraphFileError, graph_from_dict, load_graph
from netbuilder.core.shapes import check


def error_of(graph: Graph, node: str = "l1") -> str:
    report = check(graph)
    assert report.nodes[node].status == "error", report.nodes[node]
    assert (node, report.nodes[node].message) in report.errors
    return report.nodes[node].message


def fixed_by(layers, shape, node: str = "l1") -> bool:
    return check(chain(*layers, shape=shape)).nodes[node].status == "ok"


# ------------------------------------------------------------- shape errors
def test_kernel_larger_than_padded_input_names_values_and_fixes():
    msg = error_of(chain(("Conv2d", {"kernel_size": 5}), shape=(1, 3, 3)))
    assert msg == ("Conv2d: kernel 5 is larger than the padded input 3 along height (input 3 + 2·padding 0); "
                   "use padding ≥ 1 or kernel ≤ 3")
    assert fixed_by([("Conv2d", {"kernel_size": 5, "padding": 1})], (1, 3, 3))
    assert fixed_by([("Conv2d", {"kernel_size": 3})], (1, 3, 3))


def test_dilated_kernel_suggests_a_kernel_that_fits():
    msg = error_of(chain(("Conv1d", {"kernel_size": 3, "dilation": 4}), shape=(1, 6)))
    assert "kernel 3 (dilation 4 → spans 9)" in msg and "padded input 6" in msg
    kernel = int(re.search(r"kernel ≤ (\d+)", msg).group(1))
    padding = int(re.search(r"padding ≥ (\d+)", msg).group(1))
    assert fixed_by([("Conv1d", {"kernel_size": kernel, "dilation": 4})], (1, 6))
    assert fixed_by([("Conv1d", {"kernel_size": 3, "dilation": 4, "padding": padding})], (1, 6))
    assert not fixed_by([("Conv1d", {"kernel_size": 3, "dilation": 4, "padding": padding - 1})], (1, 6))


def test_same_padding_with_stride_is_refused_with_a_fix():
    msg = error_of(chain(("Conv2d", {"padding": "same", "stride": 2}), shape=(1, 8, 8)))
    assert "'same'" in msg and "stride 1" in msg and "got stride 2" in msg and "kernel_size // 2" in msg


def test_merge_shape_mismatch_names_both_shapes():
    graph = Graph()
    graph.add_node("Input", {"shape": [6, 14, 14]}, id="a")
    graph.add_node("Input", {"shape": [16, 14, 14]}, id="b")
    graph.add_node("Add", id="add")
    graph.add_edge("a", "add", 0, 0)
    graph.add_edge("b", "add", 0, 1)
    msg = error_of(graph, "add")
    assert "in1 is 6×14×14" in msg and "in2 is 16×14×14" in msg and "1×1 Conv2d" in msg


def test_concat_mismatch_names_the_dim_that_differs():
    graph = Graph()
    graph.add_node("Input", {"shape": [3, 4, 4]}, id="a")
    graph.add_node("Input", {"shape": [2, 5, 4]}, id="b")
    graph.add_node("Concat", id="cat")
    graph.add_edge("a", "cat", 0, 0)
    graph.add_edge("b", "cat", 0, 1)
    msg = error_of(graph, "cat")
    assert "3×4×4" in msg and "2×5×4" in msg and "differ in dim 2 (4 vs 5)" in msg and "only dim 1" in msg


def test_linear_on_variable_last_dim_says_how_to_fix_it():
    msg = error_of(chain(("Linear", {"out_features": 3}), shape=(4, None)))
    assert "Linear" in msg and "4×?" in msg and "variable (null)" in msg
    assert "Input's shape" in msg and "GlobalAvgPool" in msg


@pytest.mark.parametrize("params,shape,expected", [
    ({"out_channels": 4, "groups": 2}, (3, 8, 8), ["groups 2", "in_channels 3", "out_channels 4", "e.g. 1"]),
    ({"out_channels": 4, "groups": "depthwise"}, (3, 8, 8), ["groups 3", "out_channels 4", "multiple of 3"]),
])
def test_groups_not_dividing_channels(params, shape, expected):
    msg = error_of(chain(("Conv2d", params), shape=shape))
    for text in expected:
        assert text in msg


def test_pool_padding_rule_and_window_too_large():
    msg = error_of(chain(("MaxPool2d", {"kernel_size": 3, "padding": 2}), shape=(1, 8, 8)))
    assert "padding 2" in msg and "half the kernel 3" in msg and "padding ≤ 1" in msg
    msg = error_of(chain(("MaxPool1d", {"kernel_size": 4, "stride": 3}), shape=(1, 2)))
    assert "window 4" in msg and "padded input 2" in msg
    assert "a kernel ≤ 2" in msg and "padding ≥ 1" in msg and "ceil_mode" in msg
    assert fixed_by([("MaxPool1d", {"kernel_size": 4, "stride": 3, "ceil_mode": True})], (1, 2))
    assert fixed_by([("MaxPool1d", {"kernel_size": 4, "stride": 3, "padding": 1})], (1, 2))


@pytest.mark.parametrize("layer,shape,expected", [
    (("Reshape", {"shape": [5, -1]}), (3, 4), ["12 elements", "not divisible by 5"]),
    (("Reshape", {"shape": [5, 2]}), (3, 4), ["3×4 has 12 elements", "needs 10"]),
    (("Chunk", {"chunks": 4}), (6, 2), ["size 6", "4 equal parts", "divide 6"]),
    (("Split", {"split_size_or_sections": [4, 4]}), (6, 2), ["sum to 8", "size 6", "add up to 6"]),
    (("Split", {"split_size_or_sections": [6]}), (6, 2), ["at least two sections"]),
    (("LSTM", {"dropout": 0.2}), (5, 3), ["num_layers ≥ 2", "dropout 0.2"]),
    (("Upsample", {"scale_factor": 0.1}), (3, 5, 5), ["scale_factor 0.1", "3×0×0", "scale_factor ≥ 0.2"]),
    (("Conv1d", {"padding": 4, "padding_mode": "reflect"}), (2, 4), ["'reflect'", "padding 4", "input size 4"]),
    (("Conv2d", {"padding": 6, "padding_mode": "circular"}), (2, 5, 5), ["'circular'", "at most the input size 5"]),
    (("ConvTranspose2d", {"stride": 2, "output_padding": 2}), (2, 5, 5), ["output_padding 2", "stride 2"]),
    (("ConvTranspose1d", {"kernel_size": 4, "padding": "same"}), (2, 5), ["odd kernel", "such as 5"]),
    (("ConvTranspose2d", {"padding": "same", "stride": 2}), (2, 5, 5), ["stride 1", "padding 1 exactly doubles"]),
    (("LSTM", {}), (3, 4, 5), ["(sequence length, features)", "3×4×5"]),
    (("Flatten", {"start_dim": 0}), (3, 4), ["batch"]),
    (("Softmax", {"dim": 3}), (3, 4), ["dim 3", "-3..2"]),
    (("Embedding", {}), (3, 4), ["token ids", "3×4"]),
    (("RBM", {}), (3, 4), ["Flatten"]),
    (("ConvEncoder", {"kernel_size": 4}), (1, 8, 8), ["odd", "got 4"]),
])
def test_other_shape_errors_name_their_values(layer, shape, expected):
    msg = error_of(chain(layer, shape=shape))
    for text in expected:
        assert text in msg, msg


def test_an_unconnected_node_asks_for_an_input_and_downstream_waits():
    graph = chain("ReLU", "Tanh", shape=(4,))
    graph.remove_edge(graph.in_edges("l1")[0])
    report = check(graph)
    assert report.nodes["l1"].message == "ReLU needs an input: connect a layer to it"
    assert report.nodes["l2"].status == "waiting" and report.nodes["output"].status == "waiting"
    assert [n for n, _ in report.errors] == ["l1"]


def test_sampling_names_its_missing_port():
    graph = chain(output=False, shape=(4,))
    graph.add_node("Sampling", id="z")
    graph.add_edge("input", "z", 0, 0)
    assert error_of(graph, "z") == "Sampling needs input 'logvar': connect a layer to it"


def test_no_input_node_is_a_graph_error():
    graph = Graph()
    graph.add_node("ReLU", id="r")
    assert ("", "the network has no Input node") in check(graph).errors


# -------------------------------------------------------------- edit errors
def test_cycle_is_refused():
    graph = chain(("Add", {}), "ReLU", "Tanh", shape=(4,))  # input → l1 (Add port 0) → l2 → l3
    with pytest.raises(GraphError, match="connecting l3 → l1 would make a cycle"):
        graph.add_edge("l3", "l1", 0, 1)
    assert len(graph.edges) == 4
    with pytest.raises(GraphError, match="cannot connect l1 to itself"):
        graph.add_edge("l1", "l1")


def test_occupied_input_port_is_refused():
    graph = chain("ReLU", shape=(4,))
    graph.add_node("Input", {"shape": [4]}, id="other")
    with pytest.raises(GraphError, match=r"l1 already has an input \(from input\); remove that edge first"):
        graph.add_edge("other", "l1")
    graph.add_node("Add", id="add")
    graph.add_edge("input", "add", 0, 1)
    with pytest.raises(GraphError, match="add port 'in2' already has an input"):
        graph.add_edge("other", "add", 0, 1)


def test_bad_ports_and_params_name_the_node():
    graph = chain("ReLU", shape=(4,))
    with pytest.raises(GraphError, match=r"l1 \(ReLU\) has no output port 1; it has 1"):
        graph.add_edge("l1", "output", 1, 0)
    with pytest.raises(GraphError, match=r"node 'c' \(Conv2d\): out_channels must be ≥ 1, got 0"):
        graph.add_node("Conv2d", {"out_channels": 0}, id="c")
    with pytest.raises(GraphError, match=r"node 'l1' \(ReLU\): ReLU has no parameter 'alpha'; it takes none"):
        graph.set_params("l1", {"alpha": 1})
    with pytest.raises(GraphError, match="unknown layer type 'Conv3d'"):
        graph.add_node("Conv3d")
    with pytest.raises(GraphError, match="'input' is already used"):
        graph.add_node("ReLU", id="input")
    with pytest.raises(GraphError, match="letters, digits and _"):
        graph.add_node("ReLU", id="2x")


# -------------------------------------------------------------- file errors
def _file(nodes, edges=(), **top):
    return {"format": "netbuilder-graph", "version": 1, "nodes": list(nodes), "edges": list(edges), **top}


_IN = {"id": "x", "type": "Input", "params": {"shape": [4]}}


@pytest.mark.parametrize("data,expected", [
    (_file([_IN, {"id": "c", "type": "Conv2D"}]),
     ["nodes[1] (id 'c')", "field 'type'", "unknown layer type 'Conv2D'", "did you mean 'Conv2d'?"]),
    (_file([_IN, {"id": "c", "type": "Conv2d", "params": {"kernal_size": 3}}]),
     ["nodes[1] (id 'c')", "Conv2d has no parameter 'kernal_size'", "known: bias, dilation"]),
    (_file([_IN, {"id": "c", "type": "Conv2d", "params": {"stride": [1, 2, 3]}}]),
     ["nodes[1] (id 'c')", "stride must be one integer or 2 integers, got 3 values"]),
    (_file([_IN, {"id": "c", "type": "Linear", "params": {"out_features": "ten"}}]),
     ["(id 'c')", "out_features must be an integer, got 'ten'"]),
    (_file([_IN], [{"src": "x", "dst": "ghost"}]), ["edges[0] ('x' → 'ghost')", "no node with id 'ghost'"]),
    (_file([_IN, {"id": "r", "type": "ReLU"}], [{"src": "x", "dst": "r", "dst_port": 1}]),
     ["edges[0]", "r (ReLU) has no input port 1"]),
    (_file([_IN, {"id": "r", "type": "ReLU"}], [{"src": "x", "dst": "r", "src_port": "0"}]),
     ["edges[0]", "'src_port' must be an integer"]),
    (_file([_IN, _IN]), ["nodes[1] (id 'x')", "'x' is already used"]),
    (_file([{"id": "x", "type": "Input", "pos": [1]}]), ["nodes[0] (id 'x')", "'pos' must be [x, y]"]),
    (_file([{"type": "Input"}]), ["nodes[0]", "field 'id' is missing"]),
    (_file([_IN], version=2), ["version 2 is newer", "upgrade"]),
    (_file([_IN], version="1"), ["'version' must be a positive integer"]),
    (_file([_IN], format="something-else"), ["not a NetBuilder graph"]),
    (_file([_IN], training=[]), ["'training' must be an object"]),
    ({"format": "netbuilder-graph", "nodes": {}}, ["'nodes' must be a list"]),
    ([1, 2], ["expected a JSON object"]),
])
def test_file_errors_name_the_node_and_field(data, expected):
    with pytest.raises(GraphFileError) as info:
        graph_from_dict(data)
    for text in expected:
        assert text in str(info.value), str(info.value)


def test_bad_json_reports_line_and_column(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "format": "netbuilder-graph",\n  "nodes": [,]\n}\n', encoding="utf-8")
    with pytest.raises(GraphFileError, match=r"bad.json: invalid JSON at line 3, column 13"):
        load_graph(path)


def test_non_utf8_file_is_refused_clearly(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes(json.dumps(_file([_IN], name="café"), ensure_ascii=False).encode("latin-1"))
    with pytest.raises(GraphFileError, match=r"not UTF-8 text \(bad byte at position \d+\)"):
        load_graph(path)


def test_missing_file_is_reported(tmp_path):
    with pytest.raises(GraphFileError, match="cannot read the file"):
        load_graph(tmp_path / "nope.json")


def test_newer_version_file_on_disk(tmp_path):
    path = tmp_path / "future.json"
    path.write_text(json.dumps(_file([_IN], version=99)), encoding="utf-8")
    with pytest.raises(GraphFileError, match="file version 99 is newer than this NetBuilder"):
        load_graph(path)
