"""A small chain builder over the core Graph API, plus the left→right layout.

Presets are written as chains of layers (`b.chain(src, [...])`) with explicit
readable node ids. Each node sits on a row (a lane, in units of DY); the
column is its topological depth (longest path from an Input), computed at the
end, so branches stack vertically and merges sit right of their inputs.
"""

from __future__ import annotations

from typing import Any, Sequence

from netbuilder.core.graph import Graph

DX, DY = 220.0, 120.0  # pixels between columns and between rows

# A layer in a chain: (id, type) or (id, type, params)
Layer = tuple
Ref = str | tuple[str, int]  # node id, or (node id, output port)


class Builder:
    def __init__(self, name: str, description: str, training: dict[str, Any] | None = None) -> None:
        self.graph = Graph(name=name, description=description, training=dict(training or {}))
        self.rows: dict[str, float] = {}

    def add(self, node_id: str, type_name: str, params: dict[str, Any] | None = None,
            src: Ref | Sequence[Ref] | None = None, row: float | None = None) -> str:
        """Add one node fed by `src` (one ref, or one per input port, in order)."""
        sources = [] if src is None else [src] if isinstance(src, (str, tuple)) else list(src)
        self.graph.add_node(type_name, params or {}, id=node_id)
        for port, ref in enumerate(sources):
            sid, sport = (ref, 0) if isinstance(ref, str) else ref
            self.graph.add_edge(sid, node_id, sport, port)
        if row is None:
            row = self.rows[_id(sources[0])] if sources else 0.0
        self.rows[node_id] = row
        return node_id

    def input(self, shape: list[int | None], node_id: str = "input", row: float = 0.0) -> str:
        return self.add(node_id, "Input", {"shape": list(shape)}, row=row)

    def output(self, src: Ref, node_id: str = "output") -> str:
        return self.add(node_id, "Output", src=src)

    def chain(self, src: Ref, layers: Sequence[Layer], row: float | None = None) -> str:
        """Add `layers` one after the other starting from `src`; returns the last id."""
        last: Ref = src
        for i, layer in enumerate(layers):
            node_id, type_name = layer[0], layer[1]
            params = layer[2] if len(layer) > 2 else None
            last = self.add(node_id, type_name, params, src=last, row=row if i == 0 else None)
        return _id(last)

    def group(self, group_id: str, name: str, first: int) -> None:
        """Group every node added since the graph had `first` nodes (a block)."""
        self.graph.add_group(list(self.graph.nodes)[first:], name, id=group_id)

    def finish(self) -> Graph:
        """Place every node (column = depth, row = lane) and return the graph."""
        depth: dict[str, int] = {}
        for nid in self.graph.topological_order():
            preds = [e.src for e in self.graph.in_edges(nid)]
            depth[nid] = 1 + max((depth[p] for p in preds), default=-1)
        seen: dict[tuple[int, float], str] = {}
        for nid, d in depth.items():
            key = (d, self.rows[nid])
            if key in seen:
                raise ValueError(f"{self.graph.name}: nodes {seen[key]} and {nid} would overlap; give one a row")
            seen[key] = nid
            self.graph.move_node(nid, (d * DX, self.rows[nid] * DY))
        return self.graph


def _id(ref: Ref) -> str:
    return ref if isinstance(ref, str) else ref[0]


def conv_bn_act(prefix: str, out_channels: int, kernel_size: int, *, stride: int = 1, padding: int = 0,
                groups: int | str = 1, act: str | None = "ReLU", eps: float = 1e-5,
                names: tuple[str, str, str] = ("conv", "bn", "relu")) -> list[Layer]:
    """Conv2d (no bias) + BatchNorm2d (+ activation): the modern CNN unit."""
    layers: list[Layer] = [
        (f"{prefix}{names[0]}", "Conv2d", {"out_channels": out_channels, "kernel_size": kernel_size,
                                           "stride": stride, "padding": padding, "groups": groups, "bias": False}),
        (f"{prefix}{names[1]}", "BatchNorm2d", {"eps": eps} if eps != 1e-5 else {}),
    ]
    if act:
        layers.append((f"{prefix}{names[2]}", act))
    return layers


def classification(dataset: str, *, lr: float = 0.001, epochs: int = 10, batch_size: int = 64,
                   optimizer: str = "adam", **extra: Any) -> dict[str, Any]:
    """A training block for a classifier whose first Output gives logits."""
    return {"dataset": dataset, "task": "classification",
            "loss": [{"type": "cross_entropy", "output": "output", "weight": 1.0}],
            "optimizer": optimizer, "lr": lr, "batch_size": batch_size, "epochs": epochs, "seed": 0, **extra}


IMAGENET_NOTE = (" To train it, point the dataset at an ImageNet-style image folder (one sub-folder per class); "
                 "images are resized to 224×224.")


def imagenet(*, lr: float, batch_size: int, weight_decay: float, epochs: int, optimizer: str = "sgd",
             momentum: float = 0.9, **extra: Any) -> dict[str, Any]:
    """The paper's ImageNet recipe; `dataset` is an image folder (class per subfolder) to point at."""
    return classification("imagenet/train", lr=lr, batch_size=batch_size, epochs=epochs, optimizer=optimizer,
                          momentum=momentum, weight_decay=weight_decay, **extra)


def regression(dataset: str, *, loss: str = "mse", lr: float = 0.001, epochs: int = 10, batch_size: int = 64,
               optimizer: str = "adam", **extra: Any) -> dict[str, Any]:
    """A training block for a regressor: one loss term between the first Output and the target."""
    return {"dataset": dataset, "task": "regression",
            "loss": [{"type": loss, "output": "output", "weight": 1.0}],
            "optimizer": optimizer, "lr": lr, "batch_size": batch_size, "epochs": epochs, "seed": 0, **extra}


def reconstruction(*terms: dict[str, Any], dataset: str = "digits", lr: float = 0.002, epochs: int = 20,
                   batch_size: int = 32, loss: str = "mse", **extra: Any) -> dict[str, Any]:
    """A training block for an autoencoder: reconstruct the input (`loss` per pixel), plus extra terms."""
    return {"dataset": dataset, "task": "reconstruction",
            "loss": [{"type": "reconstruction", "output": "output", "target": "input", "loss": loss,
                      "weight": 1.0}, *terms],
            "optimizer": "adam", "lr": lr, "batch_size": batch_size, "epochs": epochs, "seed": 0, **extra}
