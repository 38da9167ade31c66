"""Every preset checks, compiles and runs; the classic nets are exact, layer by layer."""

from __future__ import annotations

import json

import pytest
import reference_models as ref
import torch
from preset_helpers import EXACT_PARAMS, IMAGENET_SIZED, preset_names

from netbuilder.cli import main
from netbuilder.core.compile import compile_graph, input_nodes, output_nodes
from netbuilder.core.shapes import check
from netbuilder.presets import PRESETS_DIR, load_preset

# ImageNet-sized nets run on the meta device here (exact shapes, no weights, no FLOPs); their
# numerics are checked against hand-written PyTorch below, at a smaller image size.
META_ONLY = IMAGENET_SIZED


@pytest.mark.parametrize("name", sorted(EXACT_PARAMS))
def test_published_parameter_count_from_check_json(name, capsys):
    assert main(["check", "--json", str(PRESETS_DIR / f"{name}.json")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["errors"] == []
    assert out["params"] == EXACT_PARAMS[name]


def _random_inputs(graph, report, batch: int, device: str | None = None) -> list[torch.Tensor]:
    def one(nid: str) -> torch.Tensor:
        shape = (batch, *report.output_shape(nid))
        if graph.nodes[nid].params.get("dtype") == "int64":  # token ids for an Embedding
            return torch.randint(0, 2, shape, device=device)
        return torch.rand(shape, device=device)

    return [one(nid) for nid in input_nodes(graph)]


@pytest.mark.parametrize("name", preset_names())
def test_checks_compiles_and_runs_a_random_batch(name):
    graph = load_preset(name)
    report = check(graph)
    assert report.ok, report.errors
    meta = name in META_ONLY
    model = compile_graph(graph, report=report, device="meta" if meta else None)
    model.eval()
    batch = 1 if meta else 4
    with torch.no_grad():
        out = model(*_random_inputs(graph, report, batch, "meta" if meta else None))
    outs = out if isinstance(out, tuple) else (out,)
    expected = [report.output_shape(nid) for nid in output_nodes(graph)]
    assert [tuple(o.shape) for o in outs] == [(batch, *s) for s in expected]
    if not meta:
        assert all(torch.isfinite(o).all() for o in outs)
    if name in EXACT_PARAMS:
        assert sum(p.numel() for p in model.parameters()) == EXACT_PARAMS[name]


def test_small_presets_train_mode_forward_and_backward():
    """A training-mode step (dropout, noise, sampling, batch norm on a batch) gives gradients everywhere."""
    for name in preset_names():
        graph = load_preset(name)
        if name in EXACT_PARAMS or graph.training.get("mode") == "rbm_cd":
            continue
        report = check(graph)
        model = compile_graph(graph, report=report).train()
        out = model(*_random_inputs(graph, report, 4))
        (out if isinstance(out, torch.Tensor) else sum(o.sum() for o in out)).float().pow(2).mean().backward()
        missing = [n for n, p in model.named_parameters() if p.grad is None]
        assert not missing, (name, missing)


def _by_torchvision_name(reference: torch.nn.Module) -> dict[str, torch.Tensor]:
    """layer1.0.conv1.weight → layer1_0_conv1.weight: preset ids are torchvision's module paths."""
    out = {}
    for key, value in reference.state_dict().items():
        module, _, attr = key.rpartition(".")
        out[f"{module.replace('.', '_')}.{attr}"] = value
    return out


def _by_order(reference: torch.nn.Module, model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Pair state entries in creation order (the preset's chains follow the reference's)."""
    ours, theirs = list(model.state_dict().items()), list(reference.state_dict().items())
    assert len(ours) == len(theirs)
    for (k1, v1), (k2, v2) in zip(ours, theirs):
        assert v1.shape == v2.shape and k1.rpartition(".")[2] == k2.rpartition(".")[2], (k1, k2)
    return {k1: v2 for (k1, _), (_, v2) in zip(ours, theirs)}


@pytest.mark.parametrize("name, build, mapping, size", [
    ("lenet5", ref.lenet5, "order", 32),
    ("resnet18", ref.ResNet18, "name", 112),
    ("googlenet", ref.GoogLeNet, "name", 112),
    ("mobilenet_v2", ref.MobileNetV2, "order", 112),
])
def test_same_function_as_hand_written_pytorch(name, build, mapping, size):
    """Same weights in, same outputs out: every layer, stride, padding and skip is where torchvision has it.
    (The ImageNet nets are size-agnostic after their global pooling, so 112×112 tests the same function.)"""
    reference = build().eval()
    assert sum(p.numel() for p in reference.parameters()) == EXACT_PARAMS[name]
    model = compile_graph(load_preset(name)).eval()
    # random batch-norm statistics, so a swapped or missing BN would show
    for m in reference.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.1, 0.1)
            m.running_var.uniform_(0.5, 1.5)
    state = _by_torchvision_name(reference) if mapping == "name" else _by_order(reference, model)
    model.load_state_dict(state, strict=True)
    x = torch.randn(2 if size < 64 else 1, 1 if size < 64 else 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), rtol=1e-4, atol=1e-4)
