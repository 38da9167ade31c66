"""Node groups: the Graph API and its events, the file format, bad files.

Groups are annotation only: a grouped graph checks and compiles exactly as
the same graph without groups."""

from __future__ import annotations

import json

import pytest
import torch
from core_helpers import chain

from netbuilder.core.compile import compile_graph
from netbuilder.core.diff import diff_graphs
from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.io import GraphFileError, graph_from_dict, graph_to_dict, load_graph, save_graph
from netbuilder.core.schema import build_schema
from netbuilder.core.shapes import check


def _graph() -> Graph:
    """input → l1 (Linear) → l2 (ReLU) → l3 (Linear) → output."""
    return chain(("Linear", {"out_features": 8}), "ReLU", ("Linear", {"out_features": 3}), shape=(4,))


def _events(graph: Graph) -> list:
    seen: list = []
    graph.subscribe(seen.append)
    return seen


# ------------------------------------------------------------------ graph API
def test_add_group_names_and_ids_and_emits():
    g = _graph()
    seen = _events(g)
    first = g.add_group(["l1", "l2"])
    second = g.add_group(["l3"], "head", id="head_block")
    assert (first.id, first.name, first.nodes) == ("group_1", "Group 1", ["l1", "l2"])
    assert (second.id, second.name) == ("head_block", "head")
    assert [(e.kind, e.group_id) for e in seen] == [("group_added", "group_1"), ("group_added", "head_block")]
    assert g.group_of("l2") is first and g.group_of("input") is None
    assert g.new_group_name() == "Group 2" and g.new_group_id() == "group_2"


def test_rename_and_set_nodes_return_old_values_and_emit():
    g = _graph()
    g.add_group(["l1"], "a")
    seen = _events(g)
    assert g.rename_group("group_1", "  block 1 ") == "a"
    assert g.groups["group_1"].name == "block 1"  # trimmed
    assert g.set_group_nodes("group_1", ["l2", "l1"]) == ["l1"]
    assert g.groups["group_1"].nodes == ["l2", "l1"] and g.group_of("l2").id == "group_1"
    assert [(e.kind, e.data) for e in seen] == [("group_renamed", "a"), ("group_changed", ["l1"])]
    g.set_group_nodes("group_1", ["l3"])
    assert g.group_of("l1") is None and g.group_of("l3").id == "group_1"


def test_remove_group_keeps_the_nodes():
    g = _graph()
    g.add_group(["l1", "l2"])
    seen = _events(g)
    removed = g.remove_group("group_1")
    assert removed.nodes == ["l1", "l2"] and not g.groups and "l1" in g.nodes
    assert g.group_of("l1") is None
    assert [(e.kind, e.group_id, e.data) for e in seen] == [("group_removed", "group_1", removed)]


def test_add_group_at_index_restores_order():
    g = _graph()
    for nid in ("l1", "l2", "l3"):
        g.add_group([nid], nid)
    removed = g.remove_group("group_2")
    g.add_group(removed.nodes, removed.name, id=removed.id, index=1)
    assert list(g.groups) == ["group_1", "group_2", "group_3"]


@pytest.mark.parametrize("call, message", [
    (lambda g: g.add_group(["l3", "nope"]), "group 'group_2': no node 'nope'"),
    (lambda g: g.add_group([]), "needs at least one node"),
    (lambda g: g.add_group(["l3", "l3"]), "node 'l3' is listed twice"),
    (lambda g: g.add_group(["l2"]), "node 'l2' is already in group 'group_1' ('blk')"),
    (lambda g: g.add_group(["l3"], id="group_1"), "group id 'group_1' is already used"),
    (lambda g: g.add_group(["l3"], id="1bad"), "group id '1bad' must be letters"),
    (lambda g: g.add_group(["l3"], "   "), "the name must be non-empty text"),
    (lambda g: g.add_group("l3"), "nodes must be a list of node ids"),
    (lambda g: g.rename_group("missing", "x"), "no group 'missing'"),
    (lambda g: g.remove_group("missing"), "no group 'missing'"),
    (lambda g: g.set_group_nodes("group_1", []), "needs at least one node"),
])
def test_bad_group_edits_are_refused_and_change_nothing(call, message):
    g = _graph()
    g.add_group(["l1", "l2"], "blk")
    before = graph_to_dict(g)
    seen = _events(g)
    with pytest.raises(GraphError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(g)
    assert graph_to_dict(g) == before and not seen


def test_removing_a_node_takes_it_out_of_its_group():
    g = _graph()
    g.add_group(["l1", "l2"])
    seen = _events(g)
    g.remove_node("l1")
    assert g.groups["group_1"].nodes == ["l2"] and g.group_of("l1") is None
    kinds = [e.kind for e in seen]
    assert kinds.index("group_changed") < kinds.index("node_removed")  # listeners see the group shrink first
    g.remove_node("l2")  # the last member: the group goes too
    assert not g.groups
    assert [e.kind for e in seen][-2:] == ["group_removed", "node_removed"]
    g.add_node("ReLU", id="l1")
    assert g.group_of("l1") is None  # a new node with an old id is in no group


def test_replace_with_takes_the_groups():
    g, other = _graph(), _graph()
    other.add_group(["l3"], "head")
    g.replace_with(other)
    assert g.group_of("l3").name == "head"


# ------------------------------------------------------------- pure annotation
def test_groups_do_not_change_shapes_or_the_compiled_model():
    plain, grouped = _graph(), _graph()
    grouped.add_group(["l1", "l2"], "hidden")
    assert check(grouped).nodes["output"].inputs == check(plain).nodes["output"].inputs
    torch.manual_seed(0)
    a = compile_graph(plain)
    torch.manual_seed(0)
    b = compile_graph(grouped)
    x = torch.randn(2, 4)
    assert torch.equal(a(x), b(x)) and a.code == b.code
    assert not diff_graphs(plain, grouped).changed  # diff ignores groups


# ---------------------------------------------------------------- file format
def test_round_trip_keeps_groups_in_order(tmp_path):
    g = _graph()
    g.add_group(["l3"], "head ✓", id="head")
    g.add_group(["l2", "l1"], "hidden")
    path = tmp_path / "net.json"
    save_graph(g, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 1
    assert data["groups"] == [{"id": "head", "name": "head ✓", "nodes": ["l3"]},
                              {"id": "group_1", "name": "hidden", "nodes": ["l2", "l1"]}]
    again = load_graph(path)
    assert graph_to_dict(again) == graph_to_dict(g) and again.group_of("l1").id == "group_1"


def test_no_groups_no_field_and_name_defaults_to_id():
    assert "groups" not in graph_to_dict(_graph())
    data = graph_to_dict(_graph())
    data["groups"] = [{"id": "stem", "nodes": ["l1"]}]
    assert graph_from_dict(data).groups["stem"].name == "stem"


@pytest.mark.parametrize("groups, message", [
    ({"id": "g"}, "'groups' must be a list, got dict"),
    (["g"], r"groups\[0\]: expected an object, got str"),
    ([{"nodes": ["l1"]}], r"groups\[0\]: field 'id' is missing or not text"),
    ([{"id": "g", "name": 3, "nodes": ["l1"]}], r"groups\[0\] \(id 'g'\): field 'name' must be text"),
    ([{"id": "g", "nodes": "l1"}], r"groups\[0\] \(id 'g'\): field 'nodes' must be a list of node ids, got str"),
    ([{"id": "g", "nodes": ["l1", 7]}], r"groups\[0\] \(id 'g'\): nodes\[1\] must be a node id \(text\), got 7"),
    ([{"id": "g", "nodes": ["ghost"]}], r"groups\[0\] \(id 'g'\): group 'g': no node 'ghost'"),
    ([{"id": "g", "nodes": []}], r"groups\[0\] \(id 'g'\): group 'g' needs at least one node"),
    ([{"id": "a", "nodes": ["l1"]}, {"id": "b", "nodes": ["l1"]}],
     r"groups\[1\] \(id 'b'\): group 'b': node 'l1' is already in group 'a'"),
    ([{"id": "a", "nodes": ["l1"]}, {"id": "a", "nodes": ["l2"]}], r"groups\[1\] \(id 'a'\): group id 'a' is already used"),
    ([{"id": "a b", "nodes": ["l1"]}], r"groups\[0\] \(id 'a b'\): group id 'a b' must be letters"),
])
def test_bad_groups_in_a_file_name_the_group_and_field(tmp_path, groups, message):
    data = graph_to_dict(_graph())
    data["groups"] = groups
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(GraphFileError, match=f"^{path}: {message}"):
        load_graph(path)


def test_schema_accepts_saved_groups_and_rejects_bad_ones():
    from test_json_schema import valid  # the suite's small JSON Schema validator

    schema = build_schema()
    g = _graph()
    g.add_group(["l1", "l2"], "hidden")
    data = graph_to_dict(g)
    assert valid(data, schema, schema)
    for bad in ([{"id": "g", "nodes": []}], [{"name": "no id", "nodes": ["l1"]}], [{"id": "g", "nodes": [1]}],
                {"id": "g"}):
        assert not valid({**data, "groups": bad}, schema, schema), bad


def test_a_subgraph_of_a_grouped_graph_loads():
    """Training's decoder view (train/subgraph.py) keeps only some nodes: groups must not refer to the rest."""
    from netbuilder.train.subgraph import downstream_graph

    g = _graph()
    g.add_group(["l1", "l2"], "hidden")
    sub = downstream_graph(g, "l2", [8])
    assert sub is not None and set(sub.nodes) == {"z", "l3", "output"} and not sub.groups
