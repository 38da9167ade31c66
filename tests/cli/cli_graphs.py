"""Graphs the CLI tests write to files (built in code, not stored as JSON)."""

from __future__ import annotations

from netbuilder.core.graph import Graph


def lenet() -> Graph:
    """LeNet-5 on 28×28 digits, the course's first CNN."""
    graph = Graph(name="LeNet")
    layers = [
        ("Input", {"shape": [1, 28, 28]}), ("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}),
        ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}), ("Conv2d", {"out_channels": 16, "kernel_size": 5}),
        ("ReLU", {}), ("MaxPool2d", {"kernel_size": 2}), ("Flatten", {}), ("Linear", {"out_features": 120}),
        ("ReLU", {}), ("Linear", {"out_features": 84}), ("ReLU", {}), ("Linear", {"out_features": 10}),
        ("Output", {}),
    ]
    prev = None
    for i, (type_name, params) in enumerate(layers):
        node = graph.add_node(type_name, params, pos=(120 * i, 0))
        if prev is not None:
            graph.add_edge(prev, node.id)
        prev = node.id
    return graph


def lenet_sequential():
    """The same network in plain torch, to count against."""
    from torch import nn

    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                         nn.ReLU(), nn.Linear(84, 10))
