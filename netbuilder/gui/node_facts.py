"""Facts about one layer for the inspector: parameters, MACs, weight shapes.

Weights are read from the real module built on the meta device (no memory),
so they are exactly what PyTorch will create. Results are cached by type,
params and input shapes: re-selecting a layer costs nothing.
"""

from __future__ import annotations

from typing import Any

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import OK, ShapeReport, format_shape
from netbuilder.core.summary import node_macs

_CACHE: dict[tuple, list[tuple[str, tuple[int, ...], bool]]] = {}
MAX_WEIGHTS = 6


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    return value


def weights(graph: Graph, report: ShapeReport, node_id: str) -> list[tuple[str, tuple[int, ...], bool]]:
    """(name, shape, trainable) of each parameter tensor of the node's module."""
    node, info = graph.nodes[node_id], report.nodes[node_id]
    key = (node.type, _freeze(node.params), tuple(info.inputs))
    if key not in _CACHE:
        import torch  # only once a layer is inspected

        from netbuilder.core.compile import build_module

        with torch.device("meta"):
            module = build_module(graph, report, node_id)
        _CACHE[key] = [] if module is None else [
            (name, tuple(p.shape), p.requires_grad) for name, p in module.named_parameters()]
    return _CACHE[key]


def node_facts(graph: Graph, report: ShapeReport, node_id: str) -> list[tuple[str, str]]:
    """Rows (label, text) for the inspector's 'Shapes and size' box."""
    info = report.nodes.get(node_id)
    if info is None or info.status != OK:
        return []
    node = graph.nodes[node_id]
    try:
        tensors = weights(graph, report, node_id)
    except Exception as exc:  # noqa: BLE001 - a module that cannot be built is a fact too
        return [("Module", f"cannot be built: {exc}")]
    total = sum(_numel(s) for _, s, _ in tensors)
    trainable = sum(_numel(s) for _, s, t in tensors if t)
    rows = [("Parameters", f"{total:,}" + (f"  ({trainable:,} trainable)" if trainable != total else ""))]
    macs = node_macs(graph, report, node_id)
    if macs:
        rows.append(("MACs", f"{macs:,} per sample"))
    for name, shape, _ in tensors[:MAX_WEIGHTS]:
        rows.append((name, format_shape(shape)))
    if len(tensors) > MAX_WEIGHTS:
        rows.append(("…", f"{len(tensors) - MAX_WEIGHTS} more tensors"))
    if node.type == "Linear" and info.inputs and info.inputs[0]:
        n_in, n_out = info.inputs[0][-1], info.outputs[0][-1]
        rows.append(("W", f"{n_in} × {n_out}: rows = inputs, columns = outputs (as in the course notes; "
                          f"PyTorch stores the transpose, weight {n_out}×{n_in})"))
    return rows


def _numel(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n
