"""The training loop's leaner forward: same numbers, same weights, hooks still honoured."""

from __future__ import annotations

import pytest
import torch
from train_graphs import chain

from netbuilder.core.compile import compile_graph
from netbuilder.train.fast_forward import direct_forward, inline_activations

ACTIVATIONS = [("ReLU", {}), ("Tanh", {}), ("Sigmoid", {}), ("LeakyReLU", {"negative_slope": 0.2}),
               ("ELU", {"alpha": 0.5}), ("GELU", {"approximate": "tanh"}), ("SiLU", {}), ("Softplus", {})]


def net():
    layers = [("input", "Input", {"shape": [6]})]
    for i, (kind, params) in enumerate(ACTIVATIONS):
        layers += [(f"fc{i}", "Linear", {"out_features": 6}), (f"act{i}", kind, params)]
    layers += [("bn", "BatchNorm1d", {}), ("drop", "Dropout", {"p": 0.5}), ("out", "Linear", {"out_features": 3}),
               ("output", "Output", {})]
    return compile_graph(chain(layers))


def outputs_and_grads(module, model, x):
    model.zero_grad(set_to_none=True)
    torch.manual_seed(1)  # the same dropout mask
    out = module(x)[0]
    out.square().sum().backward()
    return out.detach(), [p.grad.clone() for p in model.parameters()]


def test_inlined_activations_give_the_same_outputs_and_gradients_on_the_same_weights():
    model = net()
    fast = inline_activations(model)
    called = {n.target for n in fast.graph.nodes if n.op == "call_module"}
    # Softplus is left a module (not in the table); the rest became function calls
    assert {"act7", "bn", "drop", "out"} <= called and not any(f"act{i}" in called for i in range(7))
    assert all(a is b for a, b in zip(fast.parameters(), model.parameters()))  # shared, not copied
    x = torch.randn(16, 6)
    for mode in (True, False):  # model.train()/eval() reach the shared BatchNorm and Dropout
        model.train(mode)
        want, want_grads = outputs_and_grads(model, model, x)
        got, got_grads = outputs_and_grads(fast, model, x)
        assert torch.equal(got, want)
        assert all(torch.equal(a, b) for a, b in zip(got_grads, want_grads))
    assert any(n.target == "act0" for n in model.graph.nodes)  # the model itself is untouched


def test_a_hooked_activation_stays_a_module_and_no_activation_means_the_model_itself():
    model = net()
    seen = []
    model.act0.register_forward_hook(lambda module, args, out: seen.append(out.shape))
    fast = inline_activations(model)
    fast(torch.randn(4, 6))
    assert seen == [torch.Size([4, 6])]
    plain = compile_graph(chain([("input", "Input", {"shape": [6]}), ("fc", "Linear", {"out_features": 2}),
                                 ("output", "Output", {})]))
    assert inline_activations(plain) is plain


def test_direct_forward_skips_the_call_wrappers_only_when_nothing_would_run_there():
    model = net().eval()
    forward = direct_forward(model)
    assert forward == model.forward  # no hooks: the bound forward itself
    x = torch.randn(3, 6)
    assert torch.equal(forward(x)[0], model(x)[0])
    handle = model.register_forward_pre_hook(lambda module, args: None)
    assert direct_forward(model) is model  # a hook must still run
    handle.remove()
    handle = torch.nn.modules.module.register_module_forward_hook(lambda module, args, out: None)
    try:
        assert direct_forward(model) is model  # so must a global one
    finally:
        handle.remove()
    assert direct_forward(model) == model.forward


@pytest.mark.parametrize("kind, params", ACTIVATIONS[:7])
def test_each_inlined_activation_matches_its_module(kind, params):
    model = compile_graph(chain([("input", "Input", {"shape": [5]}), ("act", kind, params),
                                 ("output", "Output", {})]))
    fast = inline_activations(model)
    assert not any(n.op == "call_module" for n in fast.graph.nodes)
    x = torch.linspace(-4, 4, 20).reshape(4, 5)
    assert torch.equal(fast(x)[0], model(x)[0])
