"""Shared weights (`shares`): one module, compiled once and called twice,
counted once, exported as one attribute, kept consistent by every edit."""

from __future__ import annotations

import pytest
import torch

from netbuilder.core.compile import compile_graph
from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.io import GraphFileError, graph_from_dict, graph_to_dict
from netbuilder.core.shapes import check
from netbuilder.core.summary import count_params, summary
from netbuilder.interchange.codegen import class_name, generate_code


def siamese(shares: bool = True, size_b: int = 8) -> Graph:
    g = Graph(name="siamese")
    g.add_node("Input", {"shape": [8]}, id="a")
    g.add_node("Input", {"shape": [size_b]}, id="b")
    g.add_node("Linear", {"out_features": 4}, id="tower")
    g.add_node("Linear", {"out_features": 4}, id="tower_b", shares="tower" if shares else None)
    g.add_node("Add", id="add")
    g.add_node("Output", id="out")
    for e in (("a", "tower"), ("b", "tower_b")):
        g.add_edge(*e)
    g.add_edge("tower", "add", 0, 0)
    g.add_edge("tower_b", "add", 0, 1)
    g.add_edge("add", "out")
    return g


def test_shared_module_is_one_submodule_called_twice_and_counted_once():
    g = siamese()
    gm = compile_graph(g)
    targets = [n.target for n in gm.graph.nodes if n.op == "call_module"]
    assert targets == ["tower", "tower"]
    assert list(gm.state_dict()) == ["tower.weight", "tower.bias"]
    assert count_params(g) == 36 == sum(p.numel() for p in gm.parameters())
    assert count_params(siamese(shares=False)) == 72
    rows = {r.node: r for r in summary(g).rows}
    assert rows["tower"].params == 36 and rows["tower_b"].params == 0
    a, b = torch.randn(3, 8), torch.randn(3, 8)
    expected = gm.tower(a) + gm.tower(b)
    assert torch.equal(gm(a, b), expected)
    assert gm.meta["netbuilder_modules"]["tower_b"] == "tower"


def test_code_export_has_one_attribute_called_twice(tmp_path):
    g = siamese()
    source = generate_code(g)
    assert source.count("nn.Linear(") == 1
    assert source.count("self.tower(") == 2
    ns: dict = {"__name__": "gen"}
    exec(compile(source, str(tmp_path / "gen.py"), "exec"), ns)
    model = ns[class_name(g)]()
    gm = compile_graph(g).eval()
    model.load_state_dict(gm.state_dict())
    x, y = torch.randn(2, 8), torch.randn(2, 8)
    assert torch.equal(model.eval()(x, y), gm(x, y))


def test_file_round_trip_keeps_shares_and_owner_may_come_later():
    data = graph_to_dict(siamese())
    assert next(n for n in data["nodes"] if n["id"] == "tower_b")["shares"] == "tower"
    assert "shares" not in next(n for n in data["nodes"] if n["id"] == "tower")
    data["nodes"].reverse()  # the sharer is read before its owner
    again = graph_from_dict(data)
    assert again.nodes["tower_b"].shares == "tower"


@pytest.mark.parametrize("owner, message", [
    ("nope", "no such node"), ("tower_b", "itself"), ("a", "is a Input"), ("add", "is a Add"),
])
def test_bad_shares_in_a_file_are_refused_by_name(owner, message):
    data = graph_to_dict(siamese(shares=False))
    next(n for n in data["nodes"] if n["id"] == "tower_b")["shares"] = owner
    with pytest.raises(GraphFileError, match="tower_b") as info:
        graph_from_dict(data)
    assert message in str(info.value)


def test_sharing_needs_equal_params_and_a_module():
    g = siamese(shares=False)
    g.set_params("tower", {"out_features": 5})
    with pytest.raises(GraphError, match=r"params differ \(out_features 4 vs 5\)"):
        g.set_shares("tower_b", "tower")
    g.add_node("Add", id="add2")
    with pytest.raises(GraphError, match="no weights to share"):
        g.set_shares("add2", "add")


def test_chains_resolve_to_the_owner():
    g = siamese()
    g.add_node("Linear", {"out_features": 4}, id="third", shares="tower_b")
    assert g.nodes["third"].shares == "tower"
    g.add_node("Linear", {"out_features": 4}, id="other")
    g.set_shares("tower", "other")  # an owner starts sharing: its sharers follow
    assert {g.owner_of(n) for n in ("tower", "tower_b", "third")} == {"other"}
    with pytest.raises(GraphError, match="already shares"):
        g.set_shares("other", "tower")


def test_edits_of_a_sharer_change_the_owner_and_all_sharers():
    g = siamese()
    old = g.set_params("tower_b", {"out_features": 6, "bias": False})
    assert old == {"out_features": 4, "bias": True}
    assert g.nodes["tower"].params == g.nodes["tower_b"].params == {"out_features": 6, "bias": False}
    assert g.nodes["tower"].params is not g.nodes["tower_b"].params
    assert check(g).ok


def test_removing_the_owner_hands_the_module_on():
    g = siamese()
    g.add_node("Linear", {"out_features": 4}, id="third", shares="tower")
    g.remove_node("tower")
    assert g.nodes["tower_b"].shares is None and g.nodes["third"].shares == "tower_b"
    assert count_params(g) == 36


def test_inputs_that_need_other_weights_are_a_shape_error():
    g = siamese(size_b=6)
    report = check(g)
    assert not report.ok
    (node, message), = report.errors
    assert node == "tower_b" and "shares the weights of tower" in message and "8" in message and "6" in message
