"""Values, not just shapes: the layers whose behaviour is NetBuilder's own
(SumPool2d, Step, GaussianNoise, Recurrent's many-to-one, Sampling, merges)
or depends on train/eval mode."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from core_helpers import chain

from netbuilder.core.compile import compile_graph
from netbuilder.core.graph import Graph
from netbuilder.core.shapes import check


def _one(type_name: str, in_shape, /, **params):
    """Compiled Input(in_shape) → node → Output."""
    return compile_graph(chain((type_name, params), shape=in_shape))


@pytest.mark.parametrize("kernel,stride,padding", [(2, None, 0), (3, 1, 1), ([2, 3], [1, 2], [1, 0])])
def test_sum_pool_is_average_pool_times_window(kernel, stride, padding):
    gm = _one("SumPool2d", (2, 6, 7), kernel_size=kernel, stride=stride, padding=padding)
    x = torch.randn(2, 2, 6, 7)
    k = kernel if isinstance(kernel, list) else [kernel, kernel]
    avg = F.avg_pool2d(x, kernel, stride if stride is not None else kernel, padding)
    torch.testing.assert_close(gm(x), avg * k[0] * k[1])
    # and the plain definition: sum over each (zero-padded) window
    pad = padding if isinstance(padding, list) else [padding, padding]
    windows = F.unfold(x, k, padding=pad, stride=stride if stride is not None else kernel)
    sums = windows.view(2, 2, k[0] * k[1], -1).sum(dim=2)
    torch.testing.assert_close(gm(x).flatten(2), sums)


def test_step_values_and_straight_through_gradient():
    gm = _one("Step", (5,), threshold=0.5)
    x = torch.tensor([[-1.0, 0.0, 0.5, 0.7, 3.0]] * 2, requires_grad=True)
    y = gm(x)
    assert y.tolist() == [[0.0, 0.0, 1.0, 1.0, 1.0]] * 2
    (y * torch.arange(5.0)).sum().backward()
    # straight-through: the gradient passes as if Step were the identity
    assert x.grad.tolist() == [[0.0, 1.0, 2.0, 3.0, 4.0]] * 2


def test_step_without_straight_through_has_no_gradient():
    gm = _one("Step", (3,), straight_through=False)
    y = gm(torch.tensor([[-2.0, 0.0, 2.0]], requires_grad=True))
    assert y.tolist() == [[0.0, 1.0, 1.0]]
    assert not y.requires_grad


def test_gaussian_noise_only_in_training():
    gm = _one("GaussianNoise", (20_000,), std=0.5)
    x = torch.randn(2, 20_000)
    gm.eval()
    assert torch.equal(gm(x), x)
    gm.train()
    noise = gm(x) - x
    assert abs(noise.std().item() - 0.5) < 0.02
    assert abs(noise.mean().item()) < 0.02


def test_dropout_train_vs_eval():
    gm = _one("Dropout", (10_000,), p=0.25)
    x = torch.ones(2, 10_000)
    gm.eval()
    assert torch.equal(gm(x), x)
    gm.train()
    y = gm(x)
    zeroed = (y == 0).float().mean().item()
    assert abs(zeroed - 0.25) < 0.03
    torch.testing.assert_close(y[y != 0], torch.full_like(y[y != 0], 1 / 0.75))


def test_dropout2d_zeroes_whole_feature_maps():
    gm = _one("Dropout2d", (64, 3, 3), p=0.5)
    gm.train()
    y = gm(torch.ones(2, 64, 3, 3)).flatten(2)
    per_map = y.amax(dim=2) == y.amin(dim=2)
    assert per_map.all()  # every map is all zeros or all 2.0
    assert 0 < (y[:, :, 0] == 0).sum() < 128


@pytest.mark.parametrize("mode", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("num_layers", [1, 2])
def test_recurrent_many_to_one_is_the_final_state(mode, bidirectional, num_layers):
    params = {"hidden_size": 3, "bidirectional": bidirectional, "num_layers": num_layers}
    seq = _one(mode, (6, 4), return_sequences=True, **params)
    last = _one(mode, (6, 4), return_sequences=False, **params)
    last.load_state_dict(seq.state_dict())
    x = torch.randn(2, 6, 4)
    out, h = seq(x), last(x)
    assert out.shape == (2, 6, 3 * (2 if bidirectional else 1)) and h.shape == (2, 3 * (2 if bidirectional else 1))
    # forward direction ends at the last step, the backward one at the first
    torch.testing.assert_close(h[:, :3], out[:, -1, :3])
    if bidirectional:
        torch.testing.assert_close(h[:, 3:], out[:, 0, 3:])


def test_variable_length_sequence_into_lstm():
    graph = chain(("LSTM", {"hidden_size": 5, "return_sequences": True}), ("Linear", {"out_features": 2}),
                  shape=(None, 8))
    report = check(graph)
    assert report.output_shape("l1") == (None, 5)
    assert report.output_shape("output") == (None, 2)
    gm = compile_graph(graph, report=report)
    for length in (1, 3, 11):
        assert gm(torch.randn(2, length, 8)).shape == (2, length, 2)


def test_linear_on_rank3_input_acts_on_the_last_dim():
    gm = _one("Linear", (4, 6), out_features=3)
    x = torch.randn(2, 4, 6)
    linear = gm.get_submodule(gm.meta["netbuilder_modules"]["l1"])
    torch.testing.assert_close(gm(x), x @ linear.weight.T + linear.bias)


def _merge_graph(type_name: str, shapes, **params) -> Graph:
    graph = Graph()
    for i, shape in enumerate(shapes):
        graph.add_node("Input", {"shape": list(shape)}, id=f"in{i}")
    graph.add_node(type_name, params, id="m")
    for i in range(len(shapes)):
        graph.add_edge(f"in{i}", "m", 0, i)
    graph.add_node("Output", id="out")
    graph.add_edge("m", "out")
    return graph


def test_merges_compute_sum_product_and_concatenation():
    a, b, c = torch.randn(3, 2, 4, 5).unbind(0)
    add = compile_graph(_merge_graph("Add", [(4, 5)] * 3, num_inputs=3))
    torch.testing.assert_close(add(a, b, c), a + b + c)
    mul = compile_graph(_merge_graph("Multiply", [(4, 5)] * 2))
    torch.testing.assert_close(mul(a, b), a * b)
    cat = compile_graph(_merge_graph("Concat", [(4, 5), (4, 5)], dim=-1))
    torch.testing.assert_close(cat(a, b), torch.cat([a, b], dim=-1))


def test_chunk_outputs_reassemble_the_input():
    graph = chain(output=False, shape=(6, 4))
    graph.add_node("Chunk", {"chunks": 3, "dim": 1}, id="split")
    graph.add_edge("input", "split")
    for port in range(3):
        graph.add_node("Output", id=f"o{port}")
        graph.add_edge("split", f"o{port}", port, 0)
    x = torch.randn(2, 6, 4)
    parts = compile_graph(graph)(x)
    assert isinstance(parts, tuple) and [p.shape for p in parts] == [(2, 2, 4)] * 3
    torch.testing.assert_close(torch.cat(parts, dim=1), x)


def test_sampling_reparameterises_in_training_and_returns_mu_in_eval():
    gm = compile_graph(_merge_graph("Sampling", [(50_000,), (50_000,)]))
    mu, logvar = torch.full((2, 50_000), 3.0), torch.full((2, 50_000), math.log(4.0))
    gm.eval()
    assert torch.equal(gm(mu, logvar), mu)
    gm.train()
    z = gm(mu, logvar)
    assert abs(z.mean().item() - 3.0) < 0.05 and abs(z.std().item() - 2.0) < 0.05
    sampler = compile_graph(_merge_graph("Sampling", [(4,), (4,)], sample_in_eval=True)).eval()
    assert not torch.equal(sampler(mu[:, :4], logvar[:, :4]), mu[:, :4])


@pytest.mark.parametrize("dim", [1, 2, -1])
def test_softmax_normalises_along_the_torch_dim(dim):
    gm = _one("Softmax", (3, 4), dim=dim)
    torch.testing.assert_close(gm(torch.randn(2, 3, 4)).sum(dim=dim), torch.ones(2, 4 if dim == 1 else 3))


def test_reshape_and_flatten_keep_torch_element_order():
    x = torch.arange(2 * 3 * 4.0).view(2, 3, 4)
    torch.testing.assert_close(_one("Reshape", (3, 4), shape=[2, -1])(x), x.reshape(2, 2, 6))
    torch.testing.assert_close(_one("Flatten", (3, 4))(x), x.flatten(1))
    torch.testing.assert_close(_one("Unflatten", (3, 4), dim=2, unflattened_size=[2, 2])(x), x.view(2, 3, 2, 2))


def test_global_pools_reduce_every_spatial_axis():
    x = torch.randn(2, 3, 4, 5)
    torch.testing.assert_close(_one("GlobalAvgPool", (3, 4, 5))(x), x.mean(dim=(2, 3)))
    torch.testing.assert_close(_one("GlobalMaxPool", (3, 4, 5))(x), x.amax(dim=(2, 3)))


def test_rbm_forward_is_hidden_probabilities():
    gm = _one("RBM", (6,), num_hidden=4)
    rbm = gm.get_submodule(gm.meta["netbuilder_modules"]["l1"])
    v = torch.bernoulli(torch.full((2, 6), 0.5))
    torch.testing.assert_close(gm(v), torch.sigmoid(v @ rbm.weight + rbm.hidden_bias))


def test_decoder_last_activation_bounds_the_output():
    gm = _one("Decoder", (4,), sizes=[8, 5], last_activation="sigmoid")
    y = gm(torch.randn(2, 4) * 10)
    assert ((y > 0) & (y < 1)).all()
