"""Shape propagation over a Graph → ShapeReport.

Walks the graph in topological order and applies each node's `infer` rule to
its input shapes. A broken node gets a diagnostic; nodes downstream of it are
"waiting for input" rather than an error cascade. The report is the single
source the canvas, summary, CLI and compiler read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.graph import Graph, Node
from netbuilder.core.params import ParamError
from netbuilder.core.spec import Shape, ShapeError

OK, ERROR, WAITING = "ok", "error", "waiting"


@dataclass
class NodeShapes:
    status: str  # ok | error | waiting
    inputs: list[Shape | None] = field(default_factory=list)
    outputs: list[Shape] = field(default_factory=list)
    message: str = ""

    @property
    def output(self) -> Shape | None:
        return self.outputs[0] if self.outputs else None


@dataclass
class Diagnostic:
    node: str
    message: str
    severity: str = "error"  # error | warning


@dataclass
class ShapeReport:
    nodes: dict[str, NodeShapes]
    diagnostics: list[Diagnostic]

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(d.node, d.message) for d in self.diagnostics if d.severity == "error"]

    def output_shape(self, node_id: str, port: int = 0) -> Shape | None:
        info = self.nodes.get(node_id)
        if info is None or info.status != OK or port >= len(info.outputs):
            return None
        return info.outputs[port]

    def to_json(self, graph: Graph) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "errors": [{"node": n, "message": m} for n, m in self.errors],
            "nodes": {
                nid: {
                    "type": graph.nodes[nid].type,
                    "output_shape": list(info.output) if info.status == OK and info.outputs else None,
                    "output_shapes": [list(s) for s in info.outputs] if info.status == OK else [],
                }
                for nid, info in self.nodes.items()
            },
        }


def check(graph: Graph, cache: dict | None = None) -> ShapeReport:
    """Infer every node's output shapes. `cache` (a dict kept by the caller)
    makes re-checks after one edit cheap: unchanged nodes with unchanged input
    shapes reuse their previous result."""
    nodes: dict[str, NodeShapes] = {}
    diagnostics: list[Diagnostic] = []
    incoming: dict[str, list] = {nid: [] for nid in graph.nodes}
    for e in graph.edges:
        incoming[e.dst].append(e)
    for nid in graph.topological_order():
        node = graph.nodes[nid]
        info = _check_node(node, incoming[nid], nodes, cache)
        nodes[nid] = info
        if info.status == ERROR:
            diagnostics.append(Diagnostic(nid, info.message))
    if not any(n.type == "Input" for n in graph.nodes.values()) and graph.nodes:
        diagnostics.append(Diagnostic("", "the network has no Input node"))
    return ShapeReport(nodes, diagnostics)


def _check_node(node: Node, edges: list, done: dict[str, NodeShapes], cache: dict | None) -> NodeShapes:
    spec = node.spec
    ports = spec.input_ports(node.params)
    inputs: list[Shape | None] = [None] * len(ports)
    waiting = False
    for e in edges:
        src = done.get(e.src)
        if src is None or src.status != OK or e.src_port >= len(src.outputs):
            waiting = True
        elif e.dst_port < len(inputs):
            inputs[e.dst_port] = src.outputs[e.src_port]
    if waiting:
        return NodeShapes(WAITING, inputs, message="waiting for input")
    missing = [ports[i] for i, s in enumerate(inputs) if s is None]
    if missing:
        what = "an input" if len(ports) == 1 else "input " + ", ".join(f"'{m}'" for m in missing)
        return NodeShapes(ERROR, inputs, message=f"{node.type} needs {what}: connect a layer to it")
    key = (node.type, _freeze(node.params), tuple(inputs))
    if cache is not None and key in cache:
        outputs = cache[key]
    else:
        try:
            outputs = [tuple(s) for s in spec.infer(inputs, node.params)]
        except (ShapeError, ParamError) as exc:
            return NodeShapes(ERROR, inputs, message=str(exc))
        if cache is not None:
            cache[key] = outputs
    return NodeShapes(OK, inputs, list(outputs))


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def format_shape(shape: Shape | None) -> str:
    """(6, 28, 28) -> '6×28×28'; unknown sizes print as '?'."""
    if shape is None:
        return "—"
    return "×".join("?" if s is None else str(s) for s in shape) or "scalar"
