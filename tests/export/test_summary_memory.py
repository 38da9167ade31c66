"""Activation memory per layer in `summary` equals the tensors a real forward pass makes."""

from __future__ import annotations

import pytest
import torch
import torch.fx

from export_graphs import code_graphs, preset, two_inputs

from netbuilder.core.compile import compile_graph
from netbuilder.interchange.export import random_inputs
from netbuilder.core.shapes import check
from netbuilder.core.summary import summary, with_variable_size


def _real_output_bytes(graph, batch: int) -> dict[str, int]:
    """Bytes of each module's output in a real forward pass, by node id."""
    gm = compile_graph(graph).eval()
    attr_to_node = {attr: nid for nid, attr in gm.meta["netbuilder_modules"].items()}
    sizes: dict[str, int] = {}

    class Recorder(torch.fx.Interpreter):
        def call_module(self, target, args, kwargs):
            out = super().call_module(target, args, kwargs)
            sizes[attr_to_node[target]] = out.numel() * out.element_size()
            return out

    with torch.no_grad():
        Recorder(gm).run(*random_inputs(graph, check(graph), batch))
    return sizes


# Graphs with fixed sizes: summary counts a variable (null) size as 1, so with
# one (two_inputs' token sequence) the memory is per unit of length.
FIXED = {name: make for name, make in code_graphs().items() if name != "two_inputs"}


@pytest.mark.parametrize("batch", [1, 5])
@pytest.mark.parametrize("graph", [*(make() for make in FIXED.values()), preset("lenet5"), preset("lstm_digits")],
                         ids=[*FIXED, "lenet5", "lstm_digits"])
def test_activation_bytes_per_layer_match_a_real_forward(graph, batch):
    rows = {r.node: r for r in summary(graph).rows}
    real = _real_output_bytes(graph, batch)
    assert real  # every module node was seen
    for nid, size in real.items():
        assert rows[nid].activation_bytes * batch == size, nid
    data = summary(graph).to_json(batch)
    assert data["activation_bytes"] == sum(r["activation_bytes"] for r in data["layers"])
    assert {r["node"]: r["activation_bytes"] for r in data["layers"] if r["node"] in real} == real


def test_variable_sizes_count_as_one_and_the_summary_says_so():
    s = summary(two_inputs())  # tokens: a null (variable) length
    rows = {r.node: r for r in s.rows}
    assert s.variable_size == 1 and s.to_json()["variable_size"] == 1
    assert rows["embed"].output_shape == [None, 6] and rows["embed"].activation_bytes == 6 * 4  # one step
    assert "Note: ? is a variable size" in s.table() and "count it as 1" in s.table()
    fixed = summary(preset("lenet5"))
    assert fixed.variable_size is None and fixed.to_json()["variable_size"] is None
    assert "Note" not in fixed.table()


@pytest.mark.parametrize("length", [1, 9])
def test_a_given_variable_size_matches_a_real_forward(length):
    graph = two_inputs()
    s = summary(graph, variable_size=length)
    real = _real_output_bytes(with_variable_size(graph, length), 1)
    assert {r.node: r.activation_bytes for r in s.rows if r.node in real} == real
    assert graph.nodes["tokens"].params["shape"] == [None]  # the caller's graph is untouched
    rows = {r.node: r for r in s.rows}
    assert rows["embed"].output_shape == [length, 6]
    per_step = {r.node: r.macs for r in summary(graph).rows}["gru"]
    assert rows["gru"].macs == length * per_step  # the GRU runs once per step
    assert s.variable_size == length and f"taken as {length}" in s.table()


def test_a_variable_size_must_be_positive():
    with pytest.raises(ValueError, match="at least 1, got 0"):
        with_variable_size(two_inputs(), 0)
