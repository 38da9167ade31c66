"""Graphs and hand-written PyTorch modules the export/import/diff tests use."""

from __future__ import annotations

from pathlib import Path

from netbuilder.core.graph import Graph
from netbuilder.core.io import load_graph
from netbuilder.presets import PRESETS_DIR

SMALL_PRESETS = ("ae_contractive", "ae_conv", "ae_denoising", "ae_sparse_kl", "ae_sparse_l1", "ae_undercomplete",
                 "ae_vanilla", "gru_digits", "lenet5", "lenet_digits", "lstm_digits", "lstm_sine_forecaster",
                 "mlp_digits", "mlp_iris", "mobilenet_digits", "perceptron", "rbm", "resnet_digits",
                 "rnn_bidirectional_digits", "rnn_digits", "rnn_many_to_many", "rnn_stacked_digits", "vae")
IMAGENET_PRESETS = ("alexnet", "vgg16", "resnet18", "googlenet", "mobilenet_v2")


def preset(name: str) -> Graph:
    return load_graph(Path(PRESETS_DIR) / f"{name}.json")


def shipped_small_presets() -> list[str]:
    """Every shipped preset except the ImageNet-sized ones (all of them fit CI time)."""
    return sorted(p.stem for p in Path(PRESETS_DIR).glob("*.json") if p.stem not in IMAGENET_PRESETS)


def chain(name: str, shape: list, layers: list[tuple[str, dict]]) -> Graph:
    """Input → layers one after the other → Output."""
    g = Graph(name=name)
    prev = g.add_node("Input", {"shape": shape}, id="input").id
    for type_name, params in layers:
        node = g.add_node(type_name, params)
        g.add_edge(prev, node.id)
        prev = node.id
    g.add_node("Output", {}, id="out")
    g.add_edge(prev, "out")
    return g


def lenet() -> Graph:
    return chain("LeNet-5", [1, 28, 28], [
        ("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}), ("Tanh", {}),
        ("AvgPool2d", {"kernel_size": 2}),
        ("Conv2d", {"out_channels": 16, "kernel_size": 5}), ("Tanh", {}), ("AvgPool2d", {"kernel_size": 2}),
        ("Flatten", {}), ("Linear", {"out_features": 120}), ("Tanh", {}), ("Linear", {"out_features": 84}),
        ("Tanh", {}), ("Linear", {"out_features": 10})])


def residual_block() -> Graph:
    """x → conv/bn/relu/conv/bn → + x → relu: a ResNet basic block."""
    g = Graph(name="residual block")
    g.add_node("Input", {"shape": [8, 12, 12]}, id="input")
    for nid, type_name, params in [
        ("conv_a", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1, "bias": False}),
        ("bn_a", "BatchNorm2d", {}), ("relu_a", "ReLU", {}),
        ("conv_b", "Conv2d", {"out_channels": 8, "kernel_size": 3, "padding": 1, "bias": False}),
        ("bn_b", "BatchNorm2d", {}), ("add", "Add", {}), ("relu", "ReLU", {}), ("out", "Output", {})]:
        g.add_node(type_name, params, id=nid)
    for a, b in [("input", "conv_a"), ("conv_a", "bn_a"), ("bn_a", "relu_a"), ("relu_a", "conv_b"),
                 ("conv_b", "bn_b"), ("add", "relu"), ("relu", "out")]:
        g.add_edge(a, b)
    g.add_edge("input", "add", 0, 0)
    g.add_edge("bn_b", "add", 0, 1)
    return g


def vae() -> Graph:
    """Three outputs (reconstruction, mu, logvar) and a two-input Sampling node."""
    g = Graph(name="tiny vae", description="A variational autoencoder with a 4-d code.")
    g.add_node("Input", {"shape": [16]}, id="input")
    g.add_node("Encoder", {"sizes": [12, 8]}, id="encoder")
    g.add_node("Linear", {"out_features": 4}, id="mu")
    g.add_node("Linear", {"out_features": 4}, id="logvar")
    g.add_node("Sampling", {}, id="z")
    g.add_node("Decoder", {"sizes": [8, 16]}, id="decoder")
    for nid in ("recon", "out_mu", "out_logvar"):
        g.add_node("Output", {}, id=nid)
    for a, b in [("input", "encoder"), ("encoder", "mu"), ("encoder", "logvar"), ("z", "decoder"),
                 ("decoder", "recon"), ("mu", "out_mu"), ("logvar", "out_logvar")]:
        g.add_edge(a, b)
    g.add_edge("mu", "z", 0, 0)
    g.add_edge("logvar", "z", 0, 1)
    return g


def two_inputs() -> Graph:
    """Token ids and features: an int64 input, a variable length and a Concat."""
    g = Graph(name="two inputs")
    g.add_node("Input", {"shape": [None], "dtype": "int64"}, id="tokens")
    g.add_node("Input", {"shape": [5]}, id="features")
    g.add_node("Embedding", {"num_embeddings": 30, "embedding_dim": 6}, id="embed")
    g.add_node("GRU", {"hidden_size": 7}, id="gru")
    g.add_node("Concat", {"dim": 1}, id="join")
    g.add_node("Linear", {"out_features": 3}, id="head")
    g.add_node("Output", {}, id="out")
    for a, b in [("tokens", "embed"), ("embed", "gru"), ("join", "head"), ("head", "out")]:
        g.add_edge(a, b)
    g.add_edge("gru", "join", 0, 0)
    g.add_edge("features", "join", 0, 1)
    return g


def inception() -> Graph:
    """Four parallel branches joined by Concat (GoogLeNet's block, small)."""
    g = Graph(name="inception")
    g.add_node("Input", {"shape": [4, 8, 8]}, id="input")
    branches = [
        [("b1", "Conv2d", {"out_channels": 2, "kernel_size": 1})],
        [("b2_reduce", "Conv2d", {"out_channels": 2, "kernel_size": 1}),
         ("b2", "Conv2d", {"out_channels": 3, "kernel_size": 3, "padding": 1})],
        [("b3_pool", "MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1}),
         ("b3", "Conv2d", {"out_channels": 2, "kernel_size": 1})],
    ]
    g.add_node("Concat", {"num_inputs": 3, "dim": 1}, id="cat")
    for port, branch in enumerate(branches):
        prev = "input"
        for nid, type_name, params in branch:
            g.add_node(type_name, params, id=nid)
            g.add_edge(prev, nid)
            prev = nid
        g.add_edge(prev, "cat", 0, port)
    g.add_node("Output", {}, id="out")
    g.add_edge("cat", "out")
    return g


def two_heads() -> Graph:
    """A Split into unequal parts feeding a head and a skip (multi-port outputs)."""
    g = Graph(name="two_heads")
    g.add_node("Input", {"shape": [10]}, id="input")
    g.add_node("Linear", {"out_features": 12}, id="body")
    g.add_node("Split", {"split_size_or_sections": [8, 4]}, id="split")
    g.add_node("Linear", {"out_features": 3}, id="head")
    g.add_node("Concat", {"dim": 1}, id="join")
    g.add_node("Output", {}, id="out")
    for a, b in [("input", "body"), ("body", "split"), ("split", "head"), ("join", "out")]:
        g.add_edge(a, b)
    g.add_edge("head", "join", 0, 0)
    g.add_edge("split", "join", 1, 1)
    return g


def code_graphs() -> dict:
    return {"lenet": lenet, "residual_block": residual_block, "vae": vae, "two_inputs": two_inputs,
            "inception": inception, "two_heads": two_heads}
