"""The speed-ups behind benchmarks/bench_shape_check.py change no result:
the cached topological order equals networkx's lexicographic sort, and an
incremental re-check (check(graph, cache)) equals a fresh full check after
any sequence of edits."""

from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.shapes import check

# a few types with params that change shapes, one with several inputs
_TYPES = [("Linear", "out_features", [4, 8, 16]), ("ReLU", None, []), ("Add", "num_inputs", [2, 3]),
          ("Flatten", None, []), ("Concat", "num_inputs", [2, 3])]

edits = st.lists(
    st.tuples(st.sampled_from(["add", "edge", "param", "remove_node", "remove_edge", "move", "shape"]),
              st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 3)),
    min_size=1, max_size=40,
)


def _apply(graph: Graph, op: str, a: int, b: int, c: int) -> None:
    ids = list(graph.nodes)
    try:
        if op == "add":
            type_name, param, values = _TYPES[a % len(_TYPES)]
            graph.add_node(type_name, {param: values[b % len(values)]} if param else {})
        elif op == "edge" and len(ids) > 1:
            i, j = sorted((a % len(ids), b % len(ids)))  # file order: rarely a cycle
            graph.add_edge(ids[i], ids[j], 0, c % 2)
        elif op == "param" and ids:
            node = graph.nodes[ids[a % len(ids)]]
            for type_name, param, values in _TYPES:
                if type_name == node.type and param:
                    graph.set_params(node.id, {param: values[b % len(values)]})
        elif op == "remove_node" and len(ids) > 1 and ids[a % len(ids)] != "x":
            graph.remove_node(ids[a % len(ids)])
        elif op == "remove_edge" and graph.edges:
            graph.remove_edge(graph.edges[a % len(graph.edges)])
        elif op == "move" and ids:
            graph.move_node(ids[a % len(ids)], (float(b), float(c)))
        elif op == "shape":
            graph.set_params("x", {"shape": [[4], [8], [2, 4], [3, 4]][c]})
    except GraphError:
        pass  # a refused edit (cycle, taken port) leaves the graph as it was


def _same(a, b) -> None:
    assert list(a.nodes) == list(b.nodes)
    for nid in a.nodes:
        assert a.nodes[nid] == b.nodes[nid], nid
    assert a.errors == b.errors


@settings(max_examples=60, deadline=None)
@given(edits)
def test_incremental_recheck_equals_full_check(ops):
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, id="x")
    cache: dict = {}
    for op in ops:
        _apply(graph, op[0], op[1], op[2], op[3])
        _same(check(graph, cache), check(graph))


@settings(max_examples=60, deadline=None)
@given(edits)
def test_topological_order_is_networkx_lexicographic_order(ops):
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, id="x")
    for op in ops:
        _apply(graph, op[0], op[1], op[2], op[3])
        index = {nid: i for i, nid in enumerate(graph.nodes)}
        expected = list(nx.lexicographical_topological_sort(graph._dag, key=index.__getitem__))
        assert graph.topological_order() == expected


def test_in_place_param_edit_is_seen_by_a_cached_check():
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, id="x")
    graph.add_node("Linear", {"out_features": 8}, id="fc")
    graph.add_edge("x", "fc")
    cache: dict = {}
    assert check(graph, cache).output_shape("fc") == (8,)
    graph.nodes["x"].params["shape"][0] = 6  # bypasses set_params: no event, same dict
    graph.nodes["fc"].params["out_features"] = 3
    report = check(graph, cache)
    assert report.nodes["fc"].inputs == [(6,)]
    assert report.output_shape("fc") == (3,)


def test_an_upstream_edit_reaches_unchanged_nodes_downstream():
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, id="x")
    graph.add_node("ReLU", id="relu")
    graph.add_node("Linear", {"out_features": 2}, id="fc")
    graph.add_edge("x", "relu")
    graph.add_edge("relu", "fc")
    cache: dict = {}
    check(graph, cache)
    graph.set_params("x", {"shape": [2, 5]})
    report = check(graph, cache)
    assert report.nodes["fc"].inputs == [(2, 5)]
    assert report.output_shape("fc") == (2, 2)


def test_cached_order_is_a_copy():
    graph = Graph()
    graph.add_node("Input", {"shape": [4]}, id="x")
    graph.topological_order().append("junk")
    assert graph.topological_order() == ["x"]
