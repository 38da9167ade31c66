"""Every loss term against a hand computation of the course's formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from train_graphs import chain, dense_autoencoder, mlp, vae

from netbuilder.core.compile import compile_graph
from netbuilder.train.losses import LOSS_TERMS, Batch, LossError, build_plan, default_loss_terms
from netbuilder.train.rbm import cd_objective

T = torch.tensor


def plan_value(graph, spec, outs, x, y=None, task="regression", num_classes=None, model=None):
    plan = build_plan(graph, [spec], task, num_classes, int(x[0].numel()))
    total, (value,) = plan.compute(Batch(outs, x, y, model or torch.nn.Module()))
    assert torch.allclose(total, spec.get("weight", 1.0) * value)
    return float(value.detach())


def tiny(out_features=2):
    return chain([("input", "Input", {"shape": [2]}), ("fc", "Linear", {"out_features": out_features}),
                  ("output", "Output", {})])


def test_cross_entropy_is_minus_log_softmax_of_the_true_class():
    logits = T([[1.0, 2.0, 3.0], [0.5, 0.5, 0.5]])
    hand = (-math.log(math.exp(3) / (math.exp(1) + math.exp(2) + math.exp(3))) + math.log(3)) / 2
    value = plan_value(tiny(3), {"type": "cross_entropy"}, {"output": logits}, torch.zeros(2, 2), T([2, 0]),
                       "classification", 3)
    assert value == pytest.approx(hand, rel=1e-6)


def test_nll_reads_log_probabilities():
    logp = T([[-0.5, -1.2], [-0.1, -2.4]])
    value = plan_value(tiny(), {"type": "nll"}, {"output": logp}, torch.zeros(2, 2), T([1, 0]), "classification", 2)
    assert value == pytest.approx((1.2 + 0.1) / 2)


@pytest.mark.parametrize("kind, hand", [
    ("mse", ((1 - 0) ** 2 + (2 - 4) ** 2) / 2),
    ("mae", (1 + 2) / 2),
    ("huber", (0.5 * 1 ** 2 + 1 * (2 - 0.5)) / 2),  # δ = 1: |d| = 1 is quadratic, |d| = 2 linear
])
def test_pointwise_regression_losses(kind, hand):
    value = plan_value(tiny(1), {"type": kind}, {"output": T([[1.0], [2.0]])}, torch.zeros(2, 2), T([[0.0], [4.0]]))
    assert value == pytest.approx(hand)


def test_mape_is_a_percentage():
    value = plan_value(tiny(1), {"type": "mape"}, {"output": T([[110.0], [45.0]])}, torch.zeros(2, 2),
                       T([[100.0], [50.0]]))
    assert value == pytest.approx(100 * (10 / 100 + 5 / 50) / 2)


def test_bce_on_probabilities_and_on_logits():
    hand = -(math.log(0.8) + math.log(1 - 0.3)) / 2
    probs = plan_value(tiny(1), {"type": "bce"}, {"output": T([[0.8], [0.3]])}, torch.zeros(2, 2), T([1, 0]),
                       "classification", 2)
    assert probs == pytest.approx(hand, rel=1e-6)
    z = [math.log(0.8 / 0.2), math.log(0.3 / 0.7)]  # logits of the same probabilities
    logits = plan_value(tiny(1), {"type": "bce_with_logits"}, {"output": T([[z[0]], [z[1]]])}, torch.zeros(2, 2),
                        T([1, 0]), "classification", 2)
    assert logits == pytest.approx(hand, rel=1e-5)


def test_class_labels_become_one_hot_for_mse():
    value = plan_value(tiny(3), {"type": "mse"}, {"output": T([[0.0, 1.0, 0.0], [0.5, 0.0, 0.0]])},
                       torch.zeros(2, 2), T([1, 2]), "classification", 3)
    assert value == pytest.approx((0 + 0 + 0 + 0.25 + 0 + 1) / 6)


def test_reconstruction_compares_the_output_with_the_network_input():
    graph = dense_autoencoder()
    x = torch.full((2, 1, 8, 8), 0.5)
    out = torch.zeros(2, 1, 8, 8)
    out[0] = 1.0
    value = plan_value(graph, {"type": "reconstruction"}, {"output": out}, x, T([3, 4]), "reconstruction")
    assert value == pytest.approx(0.25)  # every pixel is off by 0.5
    bce = plan_value(graph, {"type": "reconstruction", "loss": "bce"}, {"output": torch.full_like(x, 0.5)}, x,
                     None, "reconstruction")
    assert bce == pytest.approx(math.log(2), rel=1e-6)


def test_kl_gaussian_reads_the_two_inputs_of_the_sampling_node():
    graph = vae(latent=2)
    mu, logvar = T([[1.0, 0.0]]), T([[0.0, math.log(2.0)]])
    # KL(N(μ, σ²) ‖ N(0, 1)) = −½ Σ (1 + log σ² − μ² − σ²)
    hand = -0.5 * ((1 + 0 - 1 - 1) + (1 + math.log(2) - 0 - 2))
    x = torch.zeros(1, 1, 8, 8)
    plan = build_plan(graph, [{"type": "kl_gaussian", "node": "sampling"}], "reconstruction", None, 64)
    assert plan.terms[0].reads == ["mu:0", "logvar:0"]
    raw = plan_value(graph, {"type": "kl_gaussian", "node": "sampling", "normalize": "none"},
                     {"mu:0": mu, "logvar:0": logvar}, x, None, "reconstruction")
    assert raw == pytest.approx(hand, rel=1e-6)
    per_value = plan_value(graph, {"type": "kl_gaussian"}, {"mu:0": mu, "logvar:0": logvar}, x, None,
                           "reconstruction")
    assert per_value == pytest.approx(hand / 64, rel=1e-6)  # the negative ELBO divided by the 64 input values


def test_sparsity_l1_sums_absolute_code_activations_per_sample():
    h = T([[0.5, -1.0], [0.0, 2.0]])
    value = plan_value(dense_autoencoder(code=2), {"type": "sparsity_l1", "node": "encoder"}, {"encoder": h},
                       torch.zeros(2, 1, 8, 8), None, "reconstruction")
    assert value == pytest.approx((1.5 + 2.0) / 2)


def test_sparsity_kl_pulls_mean_activation_towards_rho():
    h = T([[0.2, 0.6], [0.4, 0.2]])
    rho, rho_hat = 0.1, [0.3, 0.4]
    hand = sum(rho * math.log(rho / r) + (1 - rho) * math.log((1 - rho) / (1 - r)) for r in rho_hat)
    value = plan_value(dense_autoencoder(code=2), {"type": "sparsity_kl", "node": "encoder", "rho": rho},
                       {"encoder": h}, torch.zeros(2, 1, 8, 8), None, "reconstruction")
    assert value == pytest.approx(hand, rel=1e-5)


def _contractive_graph(activation: str, sizes=(3,)):
    return chain([("input", "Input", {"shape": [2]}),
                  ("encoder", "Encoder", {"sizes": list(sizes), "activation": activation}),
                  ("decoder", "Decoder", {"sizes": [2], "last_activation": "sigmoid"}),
                  ("output", "Output", {})])


def test_contractive_closed_form_matches_the_jacobian_by_hand():
    graph = _contractive_graph("sigmoid")
    model = compile_graph(graph, outputs=["encoder", "output"])
    linear = model.encoder.layers[0]
    with torch.no_grad():
        linear.weight.copy_(T([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]]))
        linear.bias.copy_(T([0.1, -0.2, 0.0]))
    x = T([[0.3, -0.4], [1.0, 2.0]])
    h_out, out = model(x)
    w = linear.weight.detach().numpy()
    total = 0.0
    for xn in x.numpy():  # J = diag(h(1 − h)) W, ‖J‖²_F summed, averaged over samples
        h = 1 / (1 + np.exp(-(w @ xn + linear.bias.detach().numpy())))
        jac = (h * (1 - h))[:, None] * w
        total += (jac ** 2).sum()
    value = plan_value(graph, {"type": "contractive", "node": "encoder", "weight": 0.5},
                       {"encoder": h_out, "output": out}, x, None, "reconstruction", model=model)
    assert value == pytest.approx(total / 2, rel=1e-5)


def test_contractive_by_autograd_for_deeper_encoders_matches_torch_jacobian():
    graph = _contractive_graph("tanh", sizes=(4, 3))
    model = compile_graph(graph, outputs=["encoder", "output"])
    x = torch.randn(3, 2)
    h, out = model(x)
    value = plan_value(graph, {"type": "contractive", "node": "encoder", "lambda": 2.0},
                       {"encoder": h, "output": out}, x, None, "reconstruction", model=model)
    encoder = model.encoder
    hand = sum(float(torch.autograd.functional.jacobian(encoder, x[i]).pow(2).sum()) for i in range(3)) / 3
    assert value == pytest.approx(2.0 * hand, rel=1e-5)


def test_contractive_term_is_differentiable_in_training():
    graph = _contractive_graph("tanh", sizes=(4, 3))
    model = compile_graph(graph, outputs=["encoder", "output"])
    x = torch.randn(3, 2)
    h, out = model(x)
    plan = build_plan(graph, [{"type": "contractive", "node": "encoder"}], "reconstruction", None, 2)
    total, _ = plan.compute(Batch({"encoder": h, "output": out}, x, None, model))
    total.backward()
    assert model.encoder.layers[0].weight.grad.abs().sum() > 0


def test_weight_decay_is_half_the_squared_weights_without_biases():
    graph = tiny(2)
    model = compile_graph(graph)
    with torch.no_grad():
        model.fc.weight.copy_(T([[1.0, 2.0], [0.0, -1.0]]))
        model.fc.bias.fill_(10.0)
    value = plan_value(graph, {"type": "weight_decay"}, {"output": torch.zeros(1, 2)}, torch.zeros(1, 2),
                       model=model)
    assert value == pytest.approx(0.5 * (1 + 4 + 0 + 1))


def test_weighted_sum_of_terms():
    graph = tiny(1)
    plan = build_plan(graph, [{"type": "mse", "weight": 2.0}, {"type": "mae", "weight": 0.5}], "regression", None, 2)
    total, values = plan.compute(Batch({"output": T([[3.0]])}, torch.zeros(1, 2), T([[1.0]]), torch.nn.Module()))
    assert [float(v.detach()) for v in values] == [4.0, 2.0]
    assert float(total) == pytest.approx(2 * 4 + 0.5 * 2)
    assert plan.names == ["mse", "mae"]


def test_cd_objective_gradient_is_the_contrastive_divergence_update():
    from netbuilder.core.modules import RBM

    rbm = RBM(3, 2)
    with torch.no_grad():
        rbm.weight.copy_(T([[0.1, -0.2], [0.3, 0.0], [-0.1, 0.2]]))
    v0, vk = T([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]]), T([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    rbm.gibbs = lambda v, k=1: vk  # fix the Gibbs chain's end point
    gap, _ = cd_objective(rbm, v0, 1)
    gap.backward()
    w, bh = rbm.weight.detach().numpy(), rbm.hidden_bias.detach().numpy()

    def ph(v):
        return 1 / (1 + np.exp(-(v @ w + bh)))

    # ΔW ∝ ⟨v hᵀ⟩_data − ⟨v hᵀ⟩_model; the gradient of F(v₀) − F(v_k) is its negative
    positive = v0.numpy().T @ ph(v0.numpy()) / 2
    negative = vk.numpy().T @ ph(vk.numpy()) / 2
    assert np.allclose(rbm.weight.grad.numpy(), -(positive - negative), atol=1e-6)
    assert np.allclose(rbm.visible_bias.grad.numpy(), -(v0.numpy() - vk.numpy()).mean(0), atol=1e-6)


def test_default_terms_follow_the_task_and_the_graph():
    assert default_loss_terms(mlp(), "classification") == [{"type": "cross_entropy", "output": "output",
                                                            "weight": 1.0}]
    assert default_loss_terms(mlp(), "regression")[0]["type"] == "mse"
    assert [t["type"] for t in default_loss_terms(vae(), None)] == ["reconstruction", "kl_gaussian"]
    assert default_loss_terms(dense_autoencoder(), None)[0]["target"] == "input"
    assert default_loss_terms({"nodes": [{"id": "i", "type": "Input"}, {"id": "o", "type": "Output"}],
                               "edges": [{"src": "i", "dst": "o"}], "training": {"mode": "rbm_cd"}}) == []


def test_every_listed_term_builds_and_runs_on_a_vae():
    graph = vae()
    model = compile_graph(graph, outputs=["output", "encoder", "mu:0", "logvar:0"])
    x = torch.rand(4, 1, 8, 8)
    outs = dict(zip(["output", "encoder", "mu:0", "logvar:0"], model(x)))
    for kind in LOSS_TERMS:
        node = "sampling" if kind == "kl_gaussian" else "encoder"
        target = "label" if kind in ("cross_entropy", "nll") else "input"
        plan = build_plan(graph, [{"type": kind, "node": node, "target": target}], "reconstruction", 10, 64)
        total, _ = plan.compute(Batch(outs, x, torch.arange(4), model))
        assert torch.isfinite(total), kind


@pytest.mark.parametrize("spec, words", [
    ({"type": "focal"}, "unknown type 'focal'"),
    ({"type": "mse", "output": "nope"}, "reads node 'nope'"),
    ({"type": "sparsity_kl", "node": "encoder", "rho": 2}, "between 0 and 1"),
    ({"type": "kl_gaussian", "node": "encoder"}, "not one"),
    ({"type": "sparsity_l1"}, "needs 'node'"),
])
def test_bad_terms_are_clear_errors(spec, words):
    with pytest.raises(LossError, match=words):
        build_plan(dense_autoencoder(), [spec], "reconstruction", None, 64)


def test_cross_entropy_on_real_valued_targets_says_what_to_use():
    with pytest.raises(LossError, match="use mse"):
        plan_value(tiny(1), {"type": "cross_entropy"}, {"output": T([[1.0]])}, torch.zeros(1, 2), T([[0.5]]))


def test_target_shape_mismatch_names_both_shapes():
    with pytest.raises(LossError, match="3 per sample .* has 2"):
        plan_value(tiny(3), {"type": "mse"}, {"output": torch.zeros(1, 3)}, torch.zeros(1, 2), T([[1.0, 2.0]]))
