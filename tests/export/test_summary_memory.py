"""Activation memory per layer in `summary` equals the tensors a real forward pass makes."""

from __future__ import annotations

import pytest
import torch
import torch.fx

from export_graphs import code_graphs, preset

from netbuilder.core.compile import compile_graph
from netbuilder.core.export import random_inputs
from netbuilder.core.shapes import check
from netbuilder.core.summary import summary


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
