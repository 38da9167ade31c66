"""The issue-14 presets: each uses its new layers as described, and learns in a few steps."""

from __future__ import annotations

import pytest
import torch

from netbuilder.core.compile import compile_graph
from netbuilder.core.shapes import check
from netbuilder.presets import load_preset

MODERN = ("vit_digits", "mobilenet_v3_digits", "rnn_one_to_many", "siamese_digits")


def _types(name: str) -> set[str]:
    return {n.type for n in load_preset(name).nodes.values()}


def test_each_preset_uses_the_new_layers_it_describes():
    assert {"Parameter", "TransformerEncoderLayer", "Transpose", "Split"} <= _types("vit_digits")
    assert {"Hardswish", "Hardsigmoid", "Multiply", "Add"} <= _types("mobilenet_v3_digits")
    assert "RepeatVector" in _types("rnn_one_to_many")


def test_the_siamese_towers_share_one_set_of_weights():
    graph = load_preset("siamese_digits")
    assert graph.nodes["tower_right"].shares == "tower_left" and graph.nodes["embed_right"].shares == "embed_left"
    model = compile_graph(graph)
    names = set(model.state_dict())
    assert "tower_left.weight" in names and not any(k.startswith("tower_right") for k in names)
    total = sum(p.numel() for p in model.parameters())
    assert total == (32 * 32 + 32) + (32 * 16 + 16) + (32 * 10 + 10)  # one tower, counted once, + the head


def test_the_one_to_many_rnn_turns_one_vector_into_a_sequence():
    report = check(load_preset("rnn_one_to_many"))
    assert list(report.nodes["repeat"].inputs[0]) == [16]
    assert list(report.nodes["repeat"].outputs[0]) == [8, 16] and list(report.nodes["lstm"].outputs[0]) == [8, 32]


def test_the_vit_puts_a_class_token_before_16_patches():
    report = check(load_preset("vit_digits"))
    assert list(report.nodes["with_class"].outputs[0]) == [17, 32]


@pytest.mark.parametrize("name", MODERN)
def test_a_few_training_steps_lower_the_loss_on_a_fixed_batch(name):
    torch.manual_seed(0)
    graph = load_preset(name)
    model = compile_graph(graph).train()
    x = torch.rand(16, 1, 8, 8)
    y = torch.randint(0, 10, (16,))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)

    def loss_of() -> torch.Tensor:
        out = model(x)
        if graph.training["task"] == "reconstruction":
            return torch.nn.functional.mse_loss(out, x)
        return torch.nn.functional.cross_entropy(out, y)

    torch.manual_seed(1)  # the same dropout masks before and after
    first = float(loss_of().detach())
    for _ in range(8):
        opt.zero_grad()
        loss = loss_of()
        loss.backward()
        opt.step()
    torch.manual_seed(1)
    with torch.no_grad():
        assert float(loss_of()) < first
