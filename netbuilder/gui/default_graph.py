"""The network a newcomer sees on first start: LeNet on the digits preset.

If the presets folder is missing (an install without it), the same small
LeNet-style classifier is built here, so the window never opens empty."""

from __future__ import annotations

from netbuilder.core.graph import Graph
from netbuilder.core.io import GraphFileError


def default_graph() -> Graph:
    from netbuilder.presets import DEFAULT_PRESET, PresetError, load_preset

    try:
        return load_preset(DEFAULT_PRESET)
    except (PresetError, GraphFileError, OSError):
        return builtin_lenet()


def builtin_lenet() -> Graph:
    g = Graph(name="LeNet on digits", description="A small LeNet-style CNN for the built-in 8×8 digits.")
    layers = [
        ("input", "Input", {"shape": [1, 8, 8]}), ("conv1", "Conv2d", {"out_channels": 6, "kernel_size": 3,
                                                                      "padding": 1}),
        ("relu1", "ReLU", {}), ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}), ("relu2", "ReLU", {}),
        ("pool2", "MaxPool2d", {"kernel_size": 2}), ("flatten", "Flatten", {}),
        ("fc1", "Linear", {"out_features": 64}), ("relu3", "ReLU", {}), ("fc2", "Linear", {"out_features": 10}),
        ("output", "Output", {}),
    ]
    for i, (nid, type_name, params) in enumerate(layers):
        g.add_node(type_name, params, pos=(i * 220.0, 0.0), id=nid)
        if i:
            g.add_edge(layers[i - 1][0], nid)
    g.set_meta(training={"dataset": "digits", "task": "classification", "epochs": 10, "batch_size": 64,
                         "lr": 0.001, "optimizer": "adam", "seed": 0})
    return g
