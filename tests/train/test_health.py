"""Layer health (train/health.py, health_rules.py): the statistics on a tiny known net, the
diagnostics on real training of the health presets, and the jsonl keys through the CLI."""

from __future__ import annotations

import json
import math

import pytest
import torch

from netbuilder.cli import main
from netbuilder.core.compile import compile_graph
from netbuilder.core.graph import Graph
from netbuilder.core.io import graph_to_dict
from netbuilder.presets import PRESETS_DIR, load_preset
from netbuilder.train.health import HealthMonitor, default_interval, total_grad_norm
from netbuilder.train.health_rules import diagnose
from train_helpers import assert_finished, of_kind, run_events

STATS = {"grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std", "dead_fraction", "saturated_fraction"}


def _tiny() -> Graph:
    """input(3) → fc(2) → relu → out(1) → sig: weights set by hand below."""
    g = Graph(name="tiny")
    g.add_node("Input", {"shape": [3]}, id="input")
    g.add_node("Linear", {"out_features": 2}, id="fc")
    g.add_node("ReLU", {}, id="relu")
    g.add_node("Linear", {"out_features": 1}, id="out")
    g.add_node("Sigmoid", {}, id="sig")
    g.add_node("Output", {}, id="output")
    for a, b in [("input", "fc"), ("fc", "relu"), ("relu", "out"), ("out", "sig"), ("sig", "output")]:
        g.add_edge(a, b, 0, 0)
    return g


def _measured_step(x: torch.Tensor):
    graph = _tiny()
    model = compile_graph(graph)
    with torch.no_grad():
        model.fc.weight.copy_(torch.tensor([[1.0, 2.0, 3.0], [-1.0, -1.0, -1.0]]))  # unit 1: always ≤ 0 → dead
        model.fc.bias.copy_(torch.tensor([0.5, -0.5]))
        model.out.weight.copy_(torch.tensor([[4.0, 7.0]]))  # pushes the sigmoid to its bound for big inputs
        model.out.bias.copy_(torch.tensor([-3.0]))
    monitor = HealthMonitor(model, graph.topological_order(), interval=1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    monitor.attach()
    y = model(x)
    monitor.detach_hooks()
    y.sum().backward()
    monitor.grads()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    opt.step()
    monitor.updates(1)
    (sample,) = monitor.flush()
    return model, sample, grads, before


def test_stats_of_a_tiny_known_net():
    x = torch.tensor([[0.0, 0.0, 0.1], [1.0, 1.0, 1.0], [2.0, 0.0, 1.0], [0.5, 0.5, 0.5]])
    model, sample, grads, before = _measured_step(x)
    layers = sample["layers"]
    assert sample["step"] == 1
    assert set(layers) == {"fc", "relu", "out", "sig"}
    for nid in ("fc", "out"):
        g = math.sqrt(float(grads[f"{nid}.weight"].pow(2).sum() + grads[f"{nid}.bias"].pow(2).sum()))
        new = torch.cat([getattr(model, nid).weight.detach().reshape(-1), getattr(model, nid).bias.detach()])
        old = torch.cat([before[f"{nid}.weight"].reshape(-1), before[f"{nid}.bias"]])
        assert layers[nid]["grad_norm"] == pytest.approx(g, rel=1e-5)
        assert layers[nid]["weight_norm"] == pytest.approx(float(new.norm()), rel=1e-5)
        # plain SGD: the update is lr · gradient
        assert layers[nid]["update_ratio"] == pytest.approx(0.1 * g / float(new.norm()), rel=1e-4)
        assert float((new - old).norm()) == pytest.approx(0.1 * g, rel=1e-4)
    pre = x @ torch.tensor([[1.0, 2.0, 3.0], [-1.0, -1.0, -1.0]]).T + torch.tensor([0.5, -0.5])
    assert layers["fc"]["act_mean"] == pytest.approx(float(pre.mean()), rel=1e-5)
    assert layers["fc"]["act_std"] == pytest.approx(float(pre.std(unbiased=False)), rel=1e-5)
    assert layers["relu"]["dead_fraction"] == 0.5  # unit 1 is 0 for every sample, unit 0 never
    assert "saturated_fraction" not in layers["relu"] and "dead_fraction" not in layers["sig"]
    sig = torch.sigmoid(torch.relu(pre) @ torch.tensor([[4.0], [7.0]]) - 3.0)
    expected = float(((sig < 0.005) | (sig > 0.995)).float().mean())
    assert 0 < expected < 1
    assert layers["sig"]["saturated_fraction"] == pytest.approx(expected)
    assert "grad_norm" not in layers["relu"]  # no parameters: only activation statistics
    assert total_grad_norm(layers) == pytest.approx(math.hypot(layers["fc"]["grad_norm"], layers["out"]["grad_norm"]))


def test_histograms_of_weights_and_gradients():
    graph = _tiny()
    model = compile_graph(graph)
    monitor = HealthMonitor(model, graph.topological_order(), interval=1)
    with torch.no_grad():
        model.fc.weight.copy_(torch.tensor([[0.0, 0.1, 0.2], [0.3, 0.4, 0.5]]))
        model.fc.bias.copy_(torch.tensor([0.6, 0.9]))
    model(torch.ones(2, 3)).sum().backward()
    hist = monitor.histograms(bins=3)
    assert set(hist) == {"fc", "out"} and set(hist["fc"]) == {"weights", "grads"}
    w = hist["fc"]["weights"]
    assert (w["lo"], w["hi"]) == pytest.approx((0.0, 0.9))
    assert w["counts"] == [3, 3, 2]  # [0, .3): 0 .1 .2 · [.3, .6): .3 .4 .5 · [.6, .9]: .6 .9
    assert sum(hist["fc"]["grads"]["counts"]) == 8 and sum(hist["out"]["weights"]["counts"]) == 3


def test_sampling_interval_and_no_transfer_before_flush():
    assert default_interval(20) == 50 and default_interval(400) == 100 and default_interval(4000) == 1000
    graph = _tiny()
    monitor = HealthMonitor(compile_graph(graph), graph.topological_order(), interval=5)
    assert [s for s in range(1, 16) if monitor.due(s)] == [1, 5, 10, 15]
    assert monitor.flush() == []


def _sample(step: int, **layers) -> dict:
    return {"step": step, "layers": layers}


def test_rules_name_the_node_and_the_fix():
    kinds = {"fc1": None, "relu1": "dead", "fc2": None, "fc3": None, "tanh": "tanh"}
    vanish = [_sample(1, fc1={"grad_norm": 1e-6}, fc2={"grad_norm": 1e-2}, fc3={"grad_norm": 1.0},
                      relu1={"dead_fraction": 0.75}, tanh={"saturated_fraction": 0.9})]
    found = {d["kind"]: d for d in diagnose(vanish, ["fc1", "fc2", "fc3"], kinds, 1.0)}
    assert set(found) == {"vanishing_gradient", "dead_units", "saturated"}
    assert found["vanishing_gradient"]["node"] == "fc1" and "BatchNorm" in found["vanishing_gradient"]["message"]
    assert found["dead_units"]["node"] == "relu1" and "LeakyReLU" in found["dead_units"]["message"]
    assert found["saturated"]["node"] == "tanh" and "ReLU" in found["saturated"]["message"]
    healthy = [_sample(1, fc1={"grad_norm": 0.5}, fc2={"grad_norm": 0.7}, fc3={"grad_norm": 1.0},
                       relu1={"dead_fraction": 0.2}, tanh={"saturated_fraction": 0.1})]
    assert diagnose(healthy, ["fc1", "fc2", "fc3"], kinds, 1.0) == []
    grown = [_sample(9, fc1={"grad_norm": 300.0}, fc2={"grad_norm": 400.0}, fc3={"grad_norm": 1.0})]
    (boom,) = diagnose(grown, ["fc1", "fc2", "fc3"], kinds, 1.0)
    assert boom["kind"] == "exploding_gradient" and boom["node"] == "fc2" and "clipping" in boom["message"]
    nan = [_sample(3, fc1={"grad_norm": math.inf}, fc2={"grad_norm": 1.0}, fc3={"grad_norm": 1.0})]
    assert diagnose(nan, ["fc1", "fc2", "fc3"], kinds, 1.0)[0]["node"] == "fc1"


def _gradient_diagnostics(events: list[dict]) -> list[dict]:
    found = [d for e in events if e["event"] in ("epoch", "health") for d in e["diagnostics"]]
    return [d for d in found if d["kind"] in ("vanishing_gradient", "exploding_gradient")]


def test_deep_sigmoid_vanishes_and_its_relu_batchnorm_twin_does_not():
    small = {"epochs": 1}
    sigmoid = run_events(graph_to_dict(load_preset("deep_sigmoid_mlp")), **small)
    assert_finished(sigmoid)
    (epoch,) = of_kind(sigmoid, "epoch")
    vanishing = [d for d in epoch["diagnostics"] if d["kind"] == "vanishing_gradient"]
    assert vanishing and vanishing[0]["node"] in ("fc1", "fc2", "fc3"), epoch["diagnostics"]
    assert epoch["layers"]["fc1"]["grad_norm"] < 1e-3 * epoch["layers"]["fc_out"]["grad_norm"]
    twin = run_events(graph_to_dict(load_preset("deep_relu_bn_mlp")), **small)
    assert_finished(twin)
    assert _gradient_diagnostics(twin) == []


def test_healthy_lenet_raises_no_gradient_diagnostic():
    events = run_events(graph_to_dict(load_preset("lenet_digits")), epochs=1)
    assert_finished(events)
    assert of_kind(events, "epoch")[0]["layers"]  # it was measured
    assert _gradient_diagnostics(events) == []


def test_rnn_explodes_without_clipping_and_trains_with_it():
    exploding = run_events(graph_to_dict(load_preset("rnn_exploding")), epochs=1)
    assert exploding[-1]["event"] == "failed" and exploding[-1]["kind"] == "nan"
    found = _gradient_diagnostics(exploding)
    assert found and found[0]["kind"] == "exploding_gradient" and found[0]["node"] == "rnn", found
    clipped = run_events(graph_to_dict(load_preset("rnn_clipped")), epochs=2)
    assert_finished(clipped)
    losses = [e["train_loss"] for e in of_kind(clipped, "epoch")]
    assert losses[-1] < losses[0] and _gradient_diagnostics(clipped) == []


def test_metrics_jsonl_epoch_lines_carry_layers_and_diagnostics(tmp_path, capsys):
    metrics = tmp_path / "m.jsonl"
    code = main(["train", str(PRESETS_DIR / "deep_sigmoid_mlp.json"), "--epochs", "1", "--device", "cpu",
                 "--quiet", "--metrics-jsonl", str(metrics)])
    assert code == 0, capsys.readouterr().err
    lines = [json.loads(line) for line in metrics.read_text(encoding="utf-8").splitlines()]
    (epoch,) = [e for e in lines if e["event"] == "epoch"]
    assert set(epoch["layers"]["fc1"]) == {"grad_norm", "weight_norm", "update_ratio", "act_mean", "act_std"}
    assert set(epoch["layers"]["sigmoid1"]) == {"act_mean", "act_std", "saturated_fraction"}
    assert all(set(stats) <= STATS for stats in epoch["layers"].values())
    assert "flatten" not in epoch["layers"]
    kinds = {d["kind"] for d in epoch["diagnostics"]}
    assert "vanishing_gradient" in kinds
    assert all(set(d) == {"node", "kind", "message"} and d["message"] for d in epoch["diagnostics"])


def test_health_presets_match_hand_written_pytorch_parameter_counts():
    from torch import nn

    def count(module: nn.Module) -> int:
        return sum(p.numel() for p in module.parameters())

    deep = nn.Sequential(nn.Linear(64, 32), *[nn.Linear(32, 32) for _ in range(11)], nn.Linear(32, 10))
    bn = [nn.BatchNorm1d(32) for _ in range(12)]
    rnn = [nn.RNN(1, 64, nonlinearity="relu"), nn.Linear(64, 1)]
    expected = {"deep_sigmoid_mlp": count(deep), "deep_relu_bn_mlp": count(deep) + sum(map(count, bn)),
                "rnn_exploding": sum(map(count, rnn)), "rnn_clipped": sum(map(count, rnn))}
    for name, params in expected.items():
        model = compile_graph(load_preset(name))
        assert sum(p.numel() for p in model.parameters()) == params, name
    assert len([n for n in load_preset("deep_sigmoid_mlp").nodes if n.startswith("sigmoid")]) >= 12


def test_every_sample_reaches_a_health_event_and_the_checkpoint_stays_lean(tmp_path):
    ckpt = tmp_path / "run.pt"
    events = run_events(graph_to_dict(load_preset("mlp_digits")), epochs=3, checkpoint=str(ckpt))
    assert_finished(events)
    steps = [s["step"] for e in of_kind(events, "health") for s in e["samples"]]
    per_epoch = of_kind(events, "started")[0]["steps_per_epoch"]
    every = default_interval(per_epoch)
    assert steps == [1] + list(range(every, 3 * per_epoch + 1, every))
    assert sum(1 for e in of_kind(events, "health") if e["histograms"]) == 3  # one per epoch
    from netbuilder.train.checkpoint import load_checkpoint

    history = load_checkpoint(str(ckpt))["history"]
    assert history and all("layers" not in h and "diagnostics" not in h for h in history)


def test_too_high_a_learning_rate_kills_relu_units():
    events = run_events(graph_to_dict(load_preset("mlp_digits")), epochs=2, optimizer="adam", lr=0.5)
    assert_finished(events)
    first, last = of_kind(events, "epoch")
    assert not any(d["kind"] == "dead_units" for d in first["diagnostics"])
    dead = {d["node"]: d["message"] for d in last["diagnostics"] if d["kind"] == "dead_units"}
    assert "relu1" in dead and "LeakyReLU" in dead["relu1"]
    assert last["layers"]["relu1"]["dead_fraction"] > 0.5


def test_too_high_a_learning_rate_saturates_tanh_units():
    """`saturated` judged on a real run: mlp_digits with Tanh for its ReLUs, Adam at lr 0.5,
    drives both Tanh layers to ±1 by the second epoch; a sane lr does not."""
    graph = graph_to_dict(load_preset("mlp_digits"))
    for node in graph["nodes"]:
        node["type"] = "Tanh" if node["type"] == "ReLU" else node["type"]
    calm = run_events(graph, epochs=1, optimizer="adam", lr=0.01)
    assert_finished(calm)
    assert not any(d["kind"] == "saturated" for e in of_kind(calm, "epoch") for d in e["diagnostics"])
    events = run_events(graph, epochs=2, optimizer="adam", lr=0.5)
    assert_finished(events)
    last = of_kind(events, "epoch")[-1]
    saturated = {d["node"]: d["message"] for d in last["diagnostics"] if d["kind"] == "saturated"}
    assert {"relu1", "relu2"} <= set(saturated), last["diagnostics"]
    assert "tanh" in saturated["relu2"] and "ReLU" in saturated["relu2"] and "BatchNorm" in saturated["relu2"]
    assert last["layers"]["relu2"]["saturated_fraction"] > 0.5


def test_the_training_block_sets_or_turns_off_the_sampling():
    from netbuilder.train.settings import SettingsError, resolve_settings

    graph = graph_to_dict(load_preset("mlp_iris"))
    off = run_events(graph, epochs=1, health_every=0)
    assert_finished(off)
    assert of_kind(off, "health") == [] and of_kind(off, "epoch")[0]["layers"] == {}
    every = run_events(graph, epochs=1, health_every=2)
    steps = [s["step"] for e in of_kind(every, "health") for s in e["samples"]]
    assert steps[:3] == [1, 2, 4]
    with pytest.raises(SettingsError, match="health_every"):
        resolve_settings(graph, {"health_every": -1})
