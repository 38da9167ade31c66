"""Graphs built in code for the training tests (presets are tested elsewhere)."""

from __future__ import annotations

from typing import Any

from netbuilder.core.graph import Graph


def chain(layers: list[tuple[str, str, dict[str, Any]]], training: dict[str, Any] | None = None,
          name: str = "net") -> Graph:
    """Nodes (id, type, params) connected one after the other."""
    g = Graph(name=name, training=dict(training or {}))
    for node_id, type_name, params in layers:
        g.add_node(type_name, params, id=node_id)
    for (a, _, _), (b, _, _) in zip(layers, layers[1:]):
        g.add_edge(a, b)
    return g


def mlp(input_shape=(1, 8, 8), hidden=64, classes=10, **training) -> Graph:
    layers = [("input", "Input", {"shape": list(input_shape)})]
    if len(input_shape) > 1:
        layers.append(("flatten", "Flatten", {}))
    layers += [("fc1", "Linear", {"out_features": hidden}), ("relu", "ReLU", {}),
               ("fc2", "Linear", {"out_features": classes}), ("output", "Output", {})]
    return chain(layers, {"dataset": "digits", **training}, "mlp")


def cnn(**training) -> Graph:
    return chain([
        ("input", "Input", {"shape": [1, 8, 8]}),
        ("conv1", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("relu1", "ReLU", {}),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 32, "kernel_size": 3, "padding": 1}),
        ("relu2", "ReLU", {}),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 64}),
        ("relu3", "ReLU", {}),
        ("fc2", "Linear", {"out_features": 10}),
        ("output", "Output", {}),
    ], {"dataset": "digits", **training}, "cnn")


def lstm(**training) -> Graph:
    return chain([
        ("input", "Input", {"shape": [8, 8]}),
        ("lstm", "LSTM", {"hidden_size": 64, "return_sequences": False}),
        ("fc", "Linear", {"out_features": 10}),
        ("output", "Output", {}),
    ], {"dataset": "digits", **training}, "lstm")


def dense_autoencoder(code=16, activation="relu", **training) -> Graph:
    return chain([
        ("input", "Input", {"shape": [1, 8, 8]}),
        ("flatten", "Flatten", {}),
        ("encoder", "Encoder", {"sizes": [code], "activation": activation}),
        ("decoder", "Decoder", {"sizes": [64], "activation": "relu", "last_activation": "sigmoid"}),
        ("unflatten", "Unflatten", {"dim": 1, "unflattened_size": [1, 8, 8]}),
        ("output", "Output", {}),
    ], {"dataset": "digits", "task": "reconstruction", **training}, "autoencoder")


def vae(latent=2, **training) -> Graph:
    g = Graph(name="vae", training={"dataset": "digits", "task": "reconstruction", **training})
    for node_id, type_name, params in [
        ("input", "Input", {"shape": [1, 8, 8]}),
        ("flatten", "Flatten", {}),
        ("encoder", "Encoder", {"sizes": [64]}),
        ("mu", "Linear", {"out_features": latent}),
        ("logvar", "Linear", {"out_features": latent}),
        ("sampling", "Sampling", {}),
        ("decoder", "Decoder", {"sizes": [64, 64], "last_activation": "sigmoid"}),
        ("output", "Output", {}),
    ]:
        g.add_node(type_name, params, id=node_id)
    for a, b, port in [("input", "flatten", 0), ("flatten", "encoder", 0), ("encoder", "mu", 0),
                       ("encoder", "logvar", 0), ("mu", "sampling", 0), ("logvar", "sampling", 1),
                       ("sampling", "decoder", 0), ("decoder", "output", 0)]:
        g.add_edge(a, b, 0, port)
    return g


def rbm(hidden=32, **training) -> Graph:
    return chain([
        ("input", "Input", {"shape": [1, 8, 8]}),
        ("flatten", "Flatten", {}),
        ("rbm", "RBM", {"num_hidden": hidden}),
        ("output", "Output", {}),
    ], {"dataset": "digits", "mode": "rbm_cd", "optimizer": "sgd", "lr": 0.05, "momentum": 0.5, **training},
        "rbm")


def regressor(window=16, **training) -> Graph:
    return chain([
        ("input", "Input", {"shape": [window, 1]}),
        ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 32}),
        ("tanh", "Tanh", {}),
        ("fc2", "Linear", {"out_features": 1}),
        ("output", "Output", {}),
    ], {"dataset": "sine", **training}, "forecaster")
