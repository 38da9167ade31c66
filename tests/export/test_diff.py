"""Architecture diff: nodes matched by id then structure; params, shapes and counts compared."""

from __future__ import annotations

import json

from export_graphs import lenet, preset, residual_block

from netbuilder.core.diff import diff_graphs
from netbuilder.core.graph import Graph
from netbuilder.core.io import graph_from_dict, graph_to_dict


def _copy(graph: Graph) -> Graph:
    return graph_from_dict(graph_to_dict(graph))


def test_a_graph_equals_itself():
    d = diff_graphs(lenet(), lenet())
    assert d.same_architecture and not d.renamed
    assert d.totals["params"] == (61_706, 61_706)
    assert "Same architecture" in d.text()


def test_a_changed_param_shows_with_its_shape_and_count_and_the_layers_it_affects():
    b = lenet()
    b.set_params("conv2d_1", {"out_channels": 8})
    d = diff_graphs(lenet(), b)
    changes = {c.a: c for c in d.changed}
    conv = changes["conv2d_1"]
    assert conv.params == {"out_channels": (6, 8)}
    assert conv.shape == ([6, 28, 28], [8, 28, 28])
    assert conv.param_count == (156, 208)
    # the next conv has more inputs, so more weights, although its own params did not change
    assert changes["conv2d_2"].params == {} and changes["conv2d_2"].param_count == (2_416, 3_216)
    assert "(its input changed)" in changes["conv2d_2"].text()
    assert changes["tanh_1"].shape == ([6, 28, 28], [8, 28, 28])
    assert d.totals["params"] == (61_706, 61_706 + 52 + 800)
    assert not d.added and not d.removed and not d.same_architecture


def test_added_and_removed_layers_name_where_they_are():
    b = lenet()
    b.add_node("Dropout", {"p": 0.3}, id="drop")
    edge = b.in_edges("linear_2")[0]
    b.remove_edge(edge)
    b.add_edge(edge.src, "drop")
    b.add_edge("drop", "linear_2")
    b.remove_node("tanh_4")
    b.add_edge("linear_2", "linear_3")
    d = diff_graphs(lenet(), b)
    assert d.added == ["drop"] and d.removed == ["tanh_4"]
    text = d.text()
    assert "+ drop (Dropout) after tanh_3" in text
    assert "- tanh_4 (Tanh) after linear_2" in text
    assert ("tanh_3", "linear_2") in d.edges_removed and ("linear_2", "linear_3") in d.edges_added


def test_renamed_nodes_are_matched_by_structure():
    a = residual_block()
    data = graph_to_dict(a)
    rename = {"conv_a": "c1", "bn_a": "b1", "add": "plus", "out": "result"}
    for n in data["nodes"]:
        n["id"] = rename.get(n["id"], n["id"])
    for e in data["edges"]:
        e["src"], e["dst"] = rename.get(e["src"], e["src"]), rename.get(e["dst"], e["dst"])
    d = diff_graphs(a, graph_from_dict(data))
    assert d.same_architecture
    assert sorted(d.renamed) == sorted(rename.items())


def test_params_written_differently_that_build_the_same_layer_are_equal():
    a, b = lenet(), lenet()
    b.set_params("avgpool2d_1", {"stride": 2})  # the default (None) means kernel_size, 2
    b.set_params("conv2d_1", {"kernel_size": [5, 5], "padding": [2, 2]})
    assert diff_graphs(a, b).same_architecture
    b.set_params("avgpool2d_1", {"stride": 1})
    assert not diff_graphs(a, b).same_architecture


def test_custom_module_params_are_compared_even_when_repr_hides_them():
    a = Graph(name="step")
    a.add_node("Input", {"shape": [3]}, id="input")
    a.add_node("Step", {"threshold": 0.0}, id="step")
    a.add_edge("input", "step")
    b = _copy(a)
    b.set_params("step", {"threshold": 0.5})
    (change,) = diff_graphs(a, b).changed
    assert change.params == {"threshold": (0.0, 0.5)}


def test_diff_of_two_presets():
    d = diff_graphs(preset("lenet5"), preset("lenet_digits"))
    assert not d.same_architecture
    changed = {c.a: c for c in d.changed}
    assert changed["input"].params == {"shape": ([1, 32, 32], [1, 8, 8])}
    assert changed["conv1"].params == {"padding": (0, 2)}
    assert {d.types[f"a:{n}"] for n in d.removed} == {"Tanh", "AvgPool2d"}
    assert {d.types[f"b:{n}"] for n in d.added} == {"ReLU", "MaxPool2d"}
    assert d.totals["params"] == (61_706, preset_params("lenet_digits"))
    data = json.loads(json.dumps(d.to_json()))  # plain JSON
    assert data["totals"]["params"]["change"] == preset_params("lenet_digits") - 61_706
    assert {"a": "conv1", "b": "conv1", "type": "Conv2d", "params": {"padding": [0, 2]}}.items() <= next(
        c for c in data["changed"] if c["a"] == "conv1").items()


def preset_params(name: str) -> int:
    from netbuilder.core.summary import count_params

    return count_params(preset(name))


def test_a_layer_too_large_to_describe_is_a_change_not_a_crash():
    """A kernel of 10^9 padded to fit cannot be built even on the meta device (torch's size
    arithmetic overflows): the diff reports it with words instead of a traceback."""
    a = lenet()
    b = lenet()
    b.set_params("conv2d_1", {"kernel_size": 10**9, "padding": 10**9})
    d = diff_graphs(a, b)
    conv = {c.a: c for c in d.changed}["conv2d_1"]
    assert conv.params == {"kernel_size": (5, 10**9), "padding": (2, 10**9)}
    assert "parameters 156 → more than 9.2e18" in conv.text()
    text = d.text()
    assert "Parameters: 61,706 → " in text and "9,223,372,036,854,775,808" not in text
