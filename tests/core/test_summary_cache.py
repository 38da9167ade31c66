"""Incremental costs (issue 18): a CostCounter kept across edits, passes cut short and
restarted included, always agrees with a fresh full recount, and recounts only what changed."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from netbuilder.core import summary as summary_module
from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.shapes import check
from netbuilder.core.summary import CostCounter, clear_param_cache, summary

_TYPES = [("Linear", "out_features", [4, 8, 16]), ("ReLU", None, []), ("Add", "num_inputs", [2, 3]),
          ("Conv1d", "out_channels", [2, 5]), ("Flatten", None, []), ("Concat", "num_inputs", [2, 3])]

edits = st.lists(
    st.tuples(st.sampled_from(["add", "edge", "param", "remove_node", "remove_edge", "shape", "share", "bias"]),
              st.integers(0, 1000), st.integers(0, 1000), st.integers(0, 3), st.integers(0, 6)),
    min_size=1, max_size=30,
)


def _apply(graph: Graph, op: str, a: int, b: int, c: int) -> None:
    ids = list(graph.nodes)
    try:
        if op == "add":
            type_name, param, values = _TYPES[a % len(_TYPES)]
            params = {param: values[b % len(values)]} if param else {}
            if type_name == "Conv1d":
                params["kernel_size"] = 1
            graph.add_node(type_name, params)
        elif op == "edge" and len(ids) > 1:
            i, j = sorted((a % len(ids), b % len(ids)))  # file order: rarely a cycle
            graph.add_edge(ids[i], ids[j], 0, c % 2)
        elif op == "param" and ids:
            node = graph.nodes[ids[a % len(ids)]]
            for type_name, param, values in _TYPES:
                if type_name == node.type and param:
                    graph.set_params(node.id, {param: values[b % len(values)]})
        elif op == "bias":  # changes the parameter count but no shape
            linears = [n.id for n in graph.nodes_of_type("Linear")]
            if linears:
                graph.set_params(linears[a % len(linears)], {"bias": bool(b % 2)})
        elif op == "remove_node" and len(ids) > 1 and ids[a % len(ids)] != "x":
            graph.remove_node(ids[a % len(ids)])
        elif op == "remove_edge" and graph.edges:
            graph.remove_edge(graph.edges[a % len(graph.edges)])
        elif op == "shape":
            graph.set_params("x", {"shape": [[4], [8], [2, 4], [3, 4]][c]})
        elif op == "share":
            linears = [n.id for n in graph.nodes_of_type("Linear")]
            if len(linears) > 1:
                node, owner = linears[a % len(linears)], linears[b % len(linears)]
                graph.set_shares(node, None if node == owner or c == 0 else owner)
    except GraphError:
        pass  # a refused edit (cycle, taken port, bad sharing) leaves the graph as it was


def _assert_equals_fresh(counter: CostCounter, graph: Graph) -> None:
    clear_param_cache()  # nothing carried over: counted from scratch
    fresh = summary(graph, check(graph))
    assert counter.rows == {r.node: (r.params, r.trainable, r.macs, r.activation_bytes) for r in fresh.rows}
    assert (counter.params, counter.trainable, counter.macs, counter.activation_bytes) == (
        fresh.total_params, fresh.trainable_params, fresh.total_macs, fresh.activation_bytes)


@settings(max_examples=50, deadline=None)
@given(edits)
def test_incremental_costs_equal_a_fresh_recount_after_random_edits(ops):
    graph = _chain(6)  # connected layers with weights, so edits change real counts
    cache: dict = {}
    counter = CostCounter()
    counter.update(graph, check(graph, cache))
    for op, a, b, c, cut in ops:
        _apply(graph, op, a, b, c)
        report = check(graph, cache)  # as the editor's live check does
        # the editor drops a pass when the next edit arrives: stop this one after `cut` steps
        for i, _ in enumerate(counter.steps(graph, report)):
            if i + 1 >= cut:
                break
    counter.update(graph, check(graph, cache))
    _assert_equals_fresh(counter, graph)


def _chain(n: int) -> Graph:
    graph = Graph()
    prev = graph.add_node("Input", {"shape": [8]}, id="x").id
    for i in range(n):
        nid = graph.add_node("Linear", {"out_features": 8}, id=f"fc{i}").id if i % 2 == 0 else \
            graph.add_node("ReLU", id=f"relu{i}").id
        graph.add_edge(prev, nid)
        prev = nid
    graph.add_node("Output", id="out")
    graph.add_edge(prev, "out")
    return graph


def _counting_costs(monkeypatch) -> list[str]:
    counted: list[str] = []
    real = summary_module.node_costs

    def spy(graph, report, nid):
        counted.append(nid)
        return real(graph, report, nid)

    monkeypatch.setattr(summary_module, "node_costs", spy)
    return counted


def test_an_edit_recounts_only_the_nodes_it_changes(monkeypatch):
    graph, cache, counter = _chain(400), {}, CostCounter()
    counter.update(graph, check(graph, cache))
    counted = _counting_costs(monkeypatch)
    counter.update(graph, check(graph, cache))
    assert counted == []  # nothing changed, nothing recounted
    before = counter.params
    graph.set_params("fc10", {"out_features": 16})  # its own weights and the next Linear's inputs
    counter.update(graph, check(graph, cache))
    assert counted == ["fc10", "relu11", "fc12"]
    assert counter.params == before + (8 * 16 + 16 - 8 * 8 - 8) + (16 * 8 - 8 * 8)  # fc10's weights, fc12's
    _assert_equals_fresh(counter, graph)


def test_same_key_after_a_reshape_is_not_recounted(monkeypatch):
    graph, cache, counter = _chain(6), {}, CostCounter()
    counter.update(graph, check(graph, cache))
    counted = _counting_costs(monkeypatch)
    graph.set_params("fc2", {"out_features": 4})
    graph.set_params("fc2", {"out_features": 8})  # back as it was: same keys, new NodeShapes
    counter.update(graph, check(graph, cache))
    assert counted == []


def test_a_pass_is_cut_into_bounded_steps():
    graph, cache, counter = _chain(2000), {}, CostCounter()
    steps = sum(1 for _ in counter.steps(graph, check(graph, cache)))
    assert steps == len(graph.nodes)  # every node is new: one node per step
    graph.set_params("fc0", {"out_features": 9})
    steps = sum(1 for _ in counter.steps(graph, check(graph, cache)))
    # fc0, relu1 and fc2 (its input is new) looked at one a step; relu3 is re-inferred, but its result
    # is as before and keeps its object, so it is scanned with the other 1999, SCAN_PER_STEP at a time,
    # after every row was scanned (as many at a step) for nodes removed since the last pass
    assert steps == 3 + (2 * len(graph.nodes) - 3) // CostCounter.SCAN_PER_STEP


def test_sharing_a_module_is_seen_without_a_new_shape_check():
    graph, cache, counter = _chain(6), {}, CostCounter()
    report = check(graph, cache)
    counter.update(graph, report)
    graph.set_shares("fc4", "fc2")
    counter.update(graph, report)  # the same report: only `shares` changed
    assert counter.rows["fc4"][0] == 0
    _assert_equals_fresh(counter, graph)


def test_mark_forces_a_recount(monkeypatch):
    graph, cache, counter = _chain(4), {}, CostCounter()
    report = check(graph, cache)
    counter.update(graph, report)
    counted = _counting_costs(monkeypatch)
    counter.mark("fc2")
    counter.update(graph, report)
    counter.mark()
    counter.update(graph, report)
    assert counted == ["fc2", *graph.nodes]  # unchanged keys, counted again all the same


def test_a_report_older_than_the_graph_is_survived():
    graph, cache, counter = _chain(6), {}, CostCounter()
    report = check(graph, cache)
    graph.remove_node("fc2")  # the editor's pass may still hold the report from before the edit
    counter.update(graph, report)
    assert "fc2" not in counter.rows
    counter.update(graph, check(graph, cache))
    _assert_equals_fresh(counter, graph)
