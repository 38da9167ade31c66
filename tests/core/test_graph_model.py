"""The Graph model: edits, events, ports, ordering, shape status."""

from __future__ import annotations

import pytest
from core_helpers import chain

from netbuilder.core.graph import Edge, Graph, GraphError, GraphEvent
from netbuilder.core.shapes import check
from netbuilder.core.spec import get_spec


def _record(graph: Graph) -> list[GraphEvent]:
    events: list[GraphEvent] = []
    graph.subscribe(events.append)
    return events


def test_every_edit_emits_one_event_of_the_right_kind():
    graph = Graph()
    events = _record(graph)
    graph.add_node("Input", {"shape": [4]}, id="x")
    graph.add_node("ReLU", id="r")
    edge = graph.add_edge("x", "r")
    old = graph.set_params("x", {"shape": [8]})
    graph.move_node("r", (10, 20))
    graph.set_meta(name="net", description="d")
    graph.remove_edge(edge)
    assert [(e.kind, e.node_id, e.edge) for e in events] == [
        ("node_added", "x", None), ("node_added", "r", None), ("edge_added", None, edge),
        ("params_changed", "x", None), ("node_moved", "r", None), ("meta_changed", None, None),
        ("edge_removed", None, edge),
    ]
    assert old == {"shape": [4]} and events[3].data == {"shape": [4]}
    assert events[5].data == {"name": "net", "description": "d"}
    assert graph.nodes["r"].pos == (10.0, 20.0) and graph.name == "net"
    assert graph.revision == len(events)


def test_remove_node_returns_its_edges_for_undo():
    graph = chain("ReLU", shape=(4,))
    events = _record(graph)
    node, edges = graph.remove_node("l1")
    assert node.type == "ReLU" and edges == [Edge("input", "l1"), Edge("l1", "output")]
    assert [e.kind for e in events] == ["edge_removed", "edge_removed", "node_removed"]
    assert events[-1].data is node and graph.edges == []
    # undo: put both back, and the graph is whole again
    graph.add_node(node.type, node.params, node.pos, id=node.id)
    for e in edges:
        graph.add_edge(e.src, e.dst, e.src_port, e.dst_port)
    assert check(graph).ok


def test_unsubscribe_stops_events():
    graph = Graph()
    events: list[GraphEvent] = []
    unsubscribe = graph.subscribe(events.append)
    graph.add_node("ReLU")
    unsubscribe()
    unsubscribe()  # twice is harmless
    graph.add_node("ReLU")
    assert len(events) == 1


def test_shrinking_concat_drops_edges_to_vanished_ports():
    graph = Graph()
    for i in range(3):
        graph.add_node("Input", {"shape": [2]}, id=f"in{i}")
    graph.add_node("Concat", {"num_inputs": 3}, id="cat")
    for i in range(3):
        graph.add_edge(f"in{i}", "cat", 0, i)
    events = _record(graph)
    graph.set_params("cat", {"num_inputs": 2})
    gone = Edge("in2", "cat", 0, 2)
    assert [(e.kind, e.edge) for e in events] == [("edge_removed", gone), ("params_changed", None)]
    assert gone not in graph.edges and len(graph.in_edges("cat")) == 2


def test_shrinking_chunk_drops_edges_from_vanished_ports():
    graph = chain(output=False, shape=(6,))
    graph.add_node("Chunk", {"chunks": 3}, id="split")
    graph.add_edge("input", "split")
    for port in range(3):
        graph.add_node("Output", id=f"o{port}")
        graph.add_edge("split", f"o{port}", port, 0)
    graph.set_params("split", {"chunks": 2})
    assert [e.src_port for e in graph.out_edges("split")] == [0, 1]
    assert check(graph).nodes["o2"].message == "Output needs an input: connect a layer to it"


def test_failed_edits_change_nothing():
    graph = chain("ReLU", shape=(4,))
    events = _record(graph)
    with pytest.raises(GraphError):
        graph.set_params("l1", {"nope": 1})
    with pytest.raises(GraphError):
        graph.add_edge("output", "input")
    with pytest.raises(GraphError):
        graph.remove_edge(Edge("input", "output"))
    with pytest.raises(GraphError, match="no node 'ghost'"):
        graph.remove_node("ghost")
    with pytest.raises(GraphError, match="unknown graph field 'color'"):
        graph.set_meta(color="red")
    assert events == [] and len(graph.edges) == 2


def test_downstream_of_an_error_is_waiting_not_an_error_cascade():
    graph = chain(("Conv2d", {"kernel_size": 9}), "ReLU", "Flatten", ("Linear", {}), shape=(1, 5, 5))
    report = check(graph)
    assert [n for n, _ in report.errors] == ["l1"]
    assert {report.nodes[n].status for n in ("l2", "l3", "l4", "output")} == {"waiting"}
    assert report.nodes["l2"].message == "waiting for input"
    graph.set_params("l1", {"kernel_size": 3})
    assert check(graph).ok


def test_report_json_view():
    graph = chain(("Conv2d", {"out_channels": 2}), shape=(1, None, 8))
    data = check(graph).to_json(graph)
    assert data["ok"] is True and data["errors"] == []
    assert data["nodes"]["l1"] == {"type": "Conv2d", "output_shape": [2, None, 6], "output_shapes": [[2, None, 6]]}


def test_edge_queries_and_topological_order():
    graph = Graph()
    graph.add_node("Output", id="out")  # file order differs from data flow
    graph.add_node("Add", id="add")
    graph.add_node("Input", {"shape": [3]}, id="b")
    graph.add_node("Input", {"shape": [3]}, id="a")
    e1 = graph.add_edge("a", "add", 0, 1)
    e0 = graph.add_edge("b", "add", 0, 0)
    graph.add_edge("add", "out")
    assert graph.in_edges("add") == [e0, e1]  # by port
    assert graph.out_edges("a") == [e1] and graph.in_edges("ghost") == []
    assert graph.topological_order() == ["b", "a", "add", "out"]  # ties in file order
    assert graph.new_id("Conv2d") == "conv2d_1"
    graph.add_node("Conv2d", id="conv2d_1")
    assert graph.new_id("Conv2d") == "conv2d_2"
    assert [n.id for n in graph.nodes_of_type("Input")] == ["b", "a"] and len(graph) == 5


def test_replace_with_takes_over_content_and_emits_reset():
    graph = chain("ReLU", shape=(4,))
    other = chain("Tanh", "Sigmoid", shape=(2,))
    events = _record(graph)
    graph.replace_with(other)
    assert [e.kind for e in events] == ["reset"]
    assert [n.type for n in graph] == ["Input", "Tanh", "Sigmoid", "Output"]
    assert graph.in_edges("l2") == [Edge("l1", "l2")] and check(graph).ok
    graph.remove_node("l2")  # the indexes came along with the content
    assert graph.out_edges("l1") == []


def test_node_params_never_share_the_catalog_defaults():
    graph = Graph()
    node = graph.add_node("Input")
    node.params["shape"].append(99)
    assert get_spec("Input").param("shape").default == [1, 28, 28]
    assert graph.add_node("Input").params["shape"] == [1, 28, 28]


def test_large_chain_checks_and_edits():
    """A 1000-node chain: per-node edge queries use the index, not a scan."""
    graph = chain(*["ReLU"] * 1000, shape=(8,))
    assert check(graph).ok
    assert graph.in_edges("l500") == [Edge("l499", "l500")]
    node, edges = graph.remove_node("l500")
    assert len(edges) == 2
    assert [n for n, _ in check(graph).errors] == ["l501"]
