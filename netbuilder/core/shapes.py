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
UNCONNECTED = ": connect a layer to it"  # the end of the message for an input nothing feeds (the canvas greys it)


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
    shapes reuse their previous result.

    A node's result depends only on its type, params, incoming edges and the
    results of the nodes feeding it, so with a cache each node whose four are
    as last time keeps its previous NodeShapes (the same object: treat reports
    as read-only) and only the edited node and what its change reaches are
    inferred again."""
    nodes: dict[str, NodeShapes] = {}
    diagnostics: list[Diagnostic] = []
    structure = (graph.structure_revision, id(graph), id(graph.nodes), len(graph.nodes), len(graph.edges))
    state: _State | None = cache.get(_STATE) if cache is not None else None
    if state is not None and state.structure == structure:
        order, incoming, same_edges = state.order, state.incoming, True
    else:
        order, incoming, same_edges = graph.topological_order(), _incoming(graph), False
    prev = state.results if state is not None else {}
    results: dict[str, tuple] = {}
    changed: set[str] = set()  # nodes whose result differs from the previous check
    graph_nodes = graph.nodes
    for nid in order:
        node, edges = graph_nodes[nid], incoming[nid]
        old = prev.get(nid)
        if (old is not None and old[0] == node.type and old[1] == node.params
                and (same_edges or old[2] == edges) and not (changed and any(e.src in changed for e in edges))):
            info = old[3]
            results[nid] = old
        else:
            info = _check_node(node, edges, nodes, cache)
            if old is None or old[3] != info:
                changed.add(nid)
            if cache is not None:
                results[nid] = (node.type, _snapshot(node.params), edges, info)
        nodes[nid] = info
        if info.status == ERROR:
            diagnostics.append(Diagnostic(nid, info.message))
    if cache is not None:
        cache[_STATE] = _State(structure, order, incoming, results)
    _check_sharing(graph, nodes, diagnostics)
    if not any(n.type == "Input" for n in graph_nodes.values()) and graph_nodes:
        diagnostics.append(Diagnostic("", "the network has no Input node"))
    return ShapeReport(nodes, diagnostics)


_STATE = "__previous_check__"  # the key of the _State in a caller's cache dict


@dataclass
class _State:
    """What the last check with a cache saw, to re-check only what changed."""

    structure: tuple  # graph identity and structure revision: order/incoming still valid
    order: list[str]
    incoming: dict[str, list]
    results: dict[str, tuple]  # node id -> (type, params snapshot, incoming edges, NodeShapes)


def _check_sharing(graph: Graph, nodes: dict[str, NodeShapes], diagnostics: list[Diagnostic]) -> None:
    """A node that shares another's module must get inputs that build that
    same module (the same in_features, channels...; a sequence length may
    differ). Checked after the walk: it relates two nodes, and the cached
    per-node results stay as they are (the node's entry is replaced)."""
    for node in graph.nodes.values():
        if node.shares is None:
            continue
        mine, theirs = nodes.get(node.id), nodes.get(node.shares)
        if mine is None or theirs is None or mine.status != OK or theirs.status != OK:
            continue
        try:
            same = node.spec.module(mine.inputs, node.params) == node.spec.module(theirs.inputs, node.params)
        except (ShapeError, ParamError, TypeError, IndexError):
            same = False
        if not same:
            got = ", ".join(format_shape(s) for s in mine.inputs)
            want = ", ".join(format_shape(s) for s in theirs.inputs)
            message = (f"{node.type} shares the weights of {node.shares}, whose input is {want}, but this node's "
                       f"input is {got}, which needs other weights; give both inputs of the same size")
            nodes[node.id] = NodeShapes(ERROR, mine.inputs, message=message)
            diagnostics.append(Diagnostic(node.id, message))


def _incoming(graph: Graph) -> dict[str, list]:
    incoming: dict[str, list] = {nid: [] for nid in graph.nodes}
    for e in graph.edges:
        incoming[e.dst].append(e)
    return incoming


def _snapshot(params: dict[str, Any]) -> dict[str, Any]:
    """A copy deep enough that editing a list param in place shows as a change."""
    return {k: _copy(v) for k, v in params.items()}


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


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
        return NodeShapes(ERROR, inputs, message=f"{node.type} needs {what}{UNCONNECTED}")
    key = (node.type, _freeze(node.params), tuple(inputs)) if cache is not None else None
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
