"""Shape propagation over a Graph → ShapeReport.

Walks the graph in topological order and applies each node's `infer` rule to
its input shapes. A broken node gets a diagnostic; nodes downstream of it are
"waiting for input" rather than an error cascade. The report is the single
source the canvas, summary, CLI and compiler read.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.graph import Graph, GraphEvent, Node
from netbuilder.core.params import ParamError
from netbuilder.core.shape_state import STATE, CheckState, FinishedShapes, reposition
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
    # nodes whose result differs from the previous check with the same cache (None: not known);
    # the canvas updates only these instead of comparing every node
    changed: set[str] | None = None

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


SHAPE_EVENTS = frozenset({"node_added", "node_removed", "edge_added", "edge_removed", "params_changed", "reset"})


def touched_by(event: GraphEvent) -> str | None:
    """The node whose check an edit invalidates (for `check(touched=...)`): an edge
    changes what its destination reads; a node event, that node. None: not a shape edit."""
    if event.kind not in SHAPE_EVENTS or event.kind == "reset":
        return None
    return event.edge.dst if event.edge is not None else event.node_id


def check(graph: Graph, cache: dict | None = None, touched: Iterable[str] | None = None) -> ShapeReport:
    """Infer every node's output shapes. `cache` (a dict kept by the caller)
    makes re-checks after one edit cheap: unchanged nodes with unchanged input
    shapes reuse their previous result.

    `touched` (with a cache) names every node added, removed, given other
    params or other incoming edges since the last check with that cache (the
    editor knows them from the graph's events). Then only those and what
    their change reaches are visited, in topological order kept from check to
    check: no walk over the whole graph (20,000 nodes cost 50 ms a check, and
    a new node 200 ms for the sort). Without it, every node is compared.

    A node's result depends only on its type, params, incoming edges and the
    results of the nodes feeding it, so with a cache each node whose four are
    as last time keeps its previous NodeShapes (the same object: treat reports
    as read-only) and only the edited node and what its change reaches are
    inferred again."""
    report = ShapeCheck(graph, cache, touched).run()
    assert report is not None  # no time limit: it ran to the end
    return report


STEP = 32  # nodes a re-check infers between two looks at the clock


class ShapeCheck:
    """One `check` that can run a slice at a time: an edit that reshapes a 20,000-node
    network re-infers every node (0.3-0.6 s), which the editor spreads over many turns of
    its event loop. A check left unfinished because the graph changed again hands what it
    had still to do to the next one (`left`), which gets it as `touched` and `changed`.

    `changed`: nodes whose results an earlier, unfinished check with this cache already
    replaced; they are named in this report's `changed` too (the canvas shows them)."""

    def __init__(self, graph: Graph, cache: dict | None = None, touched: Iterable[str] | None = None,
                 changed: Iterable[str] = ()) -> None:
        self.graph, self.cache = graph, cache
        self.touched = set(touched) if touched is not None else None
        self.changed = set(changed)  # grows as the walk goes
        self.report: ShapeReport | None = None
        self._ready: list[tuple[float, str]] = []  # a re-check's heap of nodes still to visit
        self._seen: set[str] = set()  # and the nodes it visited
        self._rechecking = False  # the re-check has started inferring: its results are partly new
        self._steps = self._walk()

    def run(self, seconds: float | None = None) -> ShapeReport | None:
        """Go on for `seconds` (None: to the end); the report once the check is done."""
        end = None if seconds is None else time.perf_counter() + seconds
        try:
            while self.report is None:
                next(self._steps)
                if end is not None and time.perf_counter() >= end:
                    break
        except StopIteration as stop:
            self.report = stop.value
        return self.report

    def left(self) -> tuple[set[str] | None, set[str]]:
        """What an unfinished check leaves to the next with the same cache: the nodes to
        re-check (None: every node) and the nodes whose results it already replaced."""
        if not self._rechecking:
            return self.touched, self.changed
        waiting = {nid for _, nid in self._ready if nid not in self._seen}
        return waiting, self.changed

    def _walk(self) -> Iterator[None]:
        graph, cache, touched = self.graph, self.cache, self.touched
        structure = (graph.structure_revision, id(graph), id(graph.nodes), len(graph.nodes), len(graph.edges))
        state: CheckState | None = cache.get(STATE) if cache is not None else None
        if touched is not None and state is not None and state.graph == (id(graph), id(graph.nodes)):
            report = yield from self._recheck(state, cache)
            if report is not None:
                state.structure = structure
                return report
            # the kept order could not follow the edit: a full walk with a new order (results still reused)
        return _full_walk(graph, cache, state, structure, self.changed)

    def _recheck(self, state: CheckState, cache: dict) -> Iterator[None]:
        """Re-infer only the touched nodes and those their changed results reach (returns
        None: the kept topological positions cannot take this edit without a new sort)."""
        graph, touched = self.graph, self.touched
        assert touched is not None
        results, pos, incoming, graph_nodes = state.results, state.pos, state.incoming, graph.nodes
        raw, errors = state.raw, state.errors
        for nid in touched:
            if nid not in graph_nodes:
                results.pop(nid, None)
                pos.pop(nid, None)
                incoming.pop(nid, None)
                raw.pop(nid, None)
                errors.pop(nid, None)
                continue
            incoming[nid] = graph.in_edges(nid)
            if nid not in pos:  # a new node: after every other (its edges may move it, below)
                state.last += 1.0
                pos[nid] = state.last
        if len(pos) != len(graph_nodes):  # a change nobody named: the kept state is not this graph's
            return None
        for nid in touched:
            for e in incoming.get(nid, ()):
                if pos[e.src] >= pos[nid] and not reposition(graph, pos, e.src, nid):
                    return None
        state.order = None
        done, changed, ready, seen = FinishedShapes(results), self.changed, self._ready, self._seen
        changed.update(nid for nid in touched if nid not in graph_nodes)  # removed nodes changed too
        ready.extend((pos[nid], nid) for nid in touched if nid in graph_nodes)
        heapq.heapify(ready)
        self._rechecking = True
        visited = 0
        while ready:
            _, nid = heapq.heappop(ready)
            if nid in seen:
                continue
            seen.add(nid)
            node, old = graph_nodes[nid], results.get(nid)
            info = _check_node(node, incoming[nid], done, cache)
            if _same(old, node, info):
                info = old[3]
            else:
                changed.add(nid)
                for e in graph.out_edges(nid):
                    heapq.heappush(ready, (pos[e.dst], e.dst))
            results[nid] = (node.type, _snapshot(node.params), incoming[nid], info)
            raw[nid] = info
            if info.status == ERROR:
                errors[nid] = info.message
            else:
                errors.pop(nid, None)
            visited += 1
            if visited % STEP == 0:
                yield  # the results so far are kept node by node: a check left here loses nothing
        # kept up to date node by node; the report gets copies (a C-level copy, not a walk in Python)
        diagnostics = [Diagnostic(nid, message) for nid, message in errors.items()]
        return _finish(graph, dict(raw), diagnostics, changed)


def _full_walk(graph: Graph, cache: dict | None, state: CheckState | None, structure: tuple,
               changed: set[str]) -> ShapeReport:
    """Compare every node with the last check's result, in topological order. `changed` may
    start with the nodes an unfinished re-check changed: the nodes they feed, which it left
    stale, are then inferred again like those of any changed node."""
    nodes: dict[str, NodeShapes] = {}
    diagnostics: list[Diagnostic] = []
    if state is not None and state.structure == structure and state.order is not None:
        order, incoming, same_edges = state.order, state.incoming, True
    else:
        order, incoming, same_edges = graph.topological_order(), _incoming(graph), False
    prev = state.results if state is not None else {}
    results: dict[str, tuple] = {}
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
            if _same(old, node, info):
                info = old[3]
            else:
                changed.add(nid)
            if cache is not None:
                results[nid] = (node.type, _snapshot(node.params), edges, info)
        nodes[nid] = info
        if info.status == ERROR:
            diagnostics.append(Diagnostic(nid, info.message))
    if cache is not None:
        cache[STATE] = CheckState(structure, order, incoming, results, (id(graph), id(graph_nodes)),
                                  {nid: float(i) for i, nid in enumerate(order)}, float(len(order)),
                                  dict(nodes), {d.node: d.message for d in diagnostics})
    return _finish(graph, nodes, diagnostics, changed if state is not None else None)


def _finish(graph: Graph, nodes: dict[str, NodeShapes], diagnostics: list[Diagnostic],
            changed: set[str] | None) -> ShapeReport:
    sharers = _check_sharing(graph, nodes, diagnostics)
    if changed is not None:
        changed.update(sharers)  # their verdict depends on another node's inputs: always re-shown
    if graph.nodes and not any(n.type == "Input" for n in graph.nodes.values()):
        diagnostics.append(Diagnostic("", "the network has no Input node"))
    return ShapeReport(nodes, diagnostics, changed)


def _same(old: tuple | None, node: Node, info: NodeShapes) -> bool:
    """Whether a re-inferred node keeps its previous NodeShapes object. Readers take the
    same object to mean nothing about the node changed (the cost counter does not
    recount it), so a node whose own params changed always gets a new one."""
    return old is not None and old[3] == info and old[0] == node.type and old[1] == node.params


def _check_sharing(graph: Graph, nodes: dict[str, NodeShapes], diagnostics: list[Diagnostic]) -> list[str]:
    """A node that shares another's module must get inputs that build that
    same module (the same in_features, channels...; a sequence length may
    differ). Checked after the walk: it relates two nodes, and the cached
    per-node results stay as they are (the node's entry is replaced). Returns the sharers."""
    sharers: list[str] = []
    if not graph.has_sharing():
        return sharers
    for node in graph.nodes.values():
        if node.shares is None:
            continue
        sharers.append(node.id)
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
    return sharers


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
