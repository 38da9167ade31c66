"""Per-layer output shape, parameters, MACs and activation memory; totals.

Parameters are counted from the real modules, built on the meta device so
even VGG-16 costs no memory; MACs come from each spec's formula.

A variable (null) size, e.g. a sequence length, has no honest byte count: by
default memory and MACs count it as 1 (per unit of length) and the summary
says so (`variable_size` 1); `summary(graph, variable_size=N)` instead checks
the graph with every null input size set to N.
"""

from __future__ import annotations

import contextlib
import json

from dataclasses import asdict, dataclass
from typing import Any, Iterator

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import OK, ShapeReport, check, format_shape

# More elements than a 64-bit size can count: what a module that cannot even
# be described on the meta device is reported as (a lower bound; see budget.py).
TOO_MANY = 2**63


@dataclass
class LayerRow:
    node: str
    type: str
    output_shape: list | None
    params: int
    trainable: int
    macs: int
    activation_bytes: int  # forward activations of this node for one sample, float32


@dataclass
class Summary:
    rows: list[LayerRow]
    report: ShapeReport
    # None: every size is fixed; else what each variable (null) input size counts as
    variable_size: int | None = None

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def trainable_params(self) -> int:
        return sum(r.trainable for r in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows)

    @property
    def activation_bytes(self) -> int:
        return sum(r.activation_bytes for r in self.rows)

    def to_json(self, batch_size: int = 1) -> dict[str, Any]:
        return {
            "ok": self.report.ok,
            # per-layer activation memory for the whole batch, like the table and the total
            "layers": [{**asdict(r), "activation_bytes": r.activation_bytes * batch_size} for r in self.rows],
            "total_params": self.total_params,
            "trainable_params": self.trainable_params,
            "total_macs": self.total_macs,
            "batch_size": batch_size,
            "activation_bytes": self.activation_bytes * batch_size,
            "param_bytes": self.total_params * 4,
            "variable_size": self.variable_size,
        }

    def table(self, batch_size: int = 1) -> str:
        head = ("Layer", "Type", "Output shape", "Params", "MACs", "Act. memory")
        body = [(r.node, r.type, format_shape(tuple(r.output_shape)) if r.output_shape is not None else "—",
                 format_count(r.params), format_count(r.macs), format_bytes(r.activation_bytes * batch_size))
                for r in self.rows]
        widths = [max(len(str(row[i])) for row in [head, *body]) for i in range(len(head))]
        fmt = "  ".join(f"{{:{'<' if i < 3 else '>'}{w}}}" for i, w in enumerate(widths))
        rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
        lines = [fmt.format(*head), rule, *(fmt.format(*row) for row in body), rule,
                 f"Total params: {format_count(self.total_params)}  "
                 f"(trainable {format_count(self.trainable_params)}, "
                 f"{format_bytes(self.total_params * 4)})",
                 f"Total MACs per sample: {format_count(self.total_macs)}",
                 f"Forward activations (batch {batch_size}): {format_bytes(self.activation_bytes * batch_size)}"]
        return "\n".join(lines + self._variable_note())

    def _variable_note(self) -> list[str]:
        if self.variable_size is None:
            return []
        if any(None in (r.output_shape or ()) for r in self.rows):  # counted, not filled in
            return ["Note: ? is a variable size (null in the file, e.g. a sequence length); MACs and memory "
                    "count it as 1, i.e. per unit of that size."]
        return [f"Note: every variable size (null in the file) is taken as {self.variable_size}."]


def format_count(n: int) -> str:
    """12,345; 1.60e+34 beyond a quadrillion; TOO_MANY (a lower bound) as words."""
    return "more than 9.2e18" if n >= TOO_MANY else f"{n:,}" if n < 10**15 else f"{n:.2e}"


def format_bytes(n: int) -> str:
    if n >= TOO_MANY:  # e.g. an Upsample by 1e300: dividing such an int by 1024 overflows a float
        return "more than 8 EB"
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} EB"


@contextlib.contextmanager
def _no_normal_init() -> Iterator[None]:
    """Meta tensors hold no values, and normal_ on one imports torch._dynamo (about a second, for
    `netbuilder presets` counting an Embedding): skip the draws while only counting."""
    import torch.nn.init as init

    saved = init.normal_, init.trunc_normal_
    init.normal_ = init.trunc_normal_ = lambda tensor, *args, **kwargs: tensor  # type: ignore[assignment]
    try:
        yield
    finally:
        init.normal_, init.trunc_normal_ = saved


# (type, params, input shapes) -> (all, trainable): a module's parameter count depends on nothing
# else, so after an edit only the nodes whose key changed are rebuilt on the meta device (issue 18:
# a full recount froze the editor 5.4 s at 20k nodes). Bounded so a long session cannot grow it forever.
_PARAM_CACHE: dict[tuple, tuple[int, int]] = {}
_PARAM_CACHE_MAX = 200_000


def _param_key(graph: Graph, report: ShapeReport, node_id: str) -> tuple | None:
    node = graph.nodes[node_id]
    try:
        params = json.dumps(node.params, sort_keys=True)
    except (TypeError, ValueError):  # a value json cannot spell: count it afresh every time
        return None
    inputs = tuple(None if shape is None else tuple(shape) for shape in report.nodes[node_id].inputs)
    return node.type, node.shares is not None, params, inputs


def node_params(graph: Graph, report: ShapeReport, node_id: str) -> tuple[int, int]:
    """(all, trainable) parameters of one node, counted on the meta device once per
    (type, params, input shapes)."""
    key = _param_key(graph, report, node_id)
    if key is not None and key in _PARAM_CACHE:
        return _PARAM_CACHE[key]
    counts = _count_node_params(graph, report, node_id)
    if key is not None:
        if len(_PARAM_CACHE) >= _PARAM_CACHE_MAX:
            _PARAM_CACHE.clear()
        _PARAM_CACHE[key] = counts
    return counts


def clear_param_cache() -> None:
    _PARAM_CACHE.clear()
    _COST_CACHE.clear()


# (type, params, input shapes) -> (params, trainable, MACs, activation bytes): with the status OK the
# outputs, MACs and activations follow from the same key, so a node is costed once per key (issue 18).
_COST_CACHE: dict[tuple, tuple[int, int, int, int]] = {}


def node_costs(graph: Graph, report: ShapeReport, node_id: str) -> tuple[int, int, int, int]:
    """(params, trainable, MACs, forward activation bytes for one sample) of one node; zeros
    unless its shape check is OK."""
    node, info = graph.nodes[node_id], report.nodes[node_id]
    if info.status != OK:
        return 0, 0, 0, 0
    key = _param_key(graph, report, node_id)
    if key is not None and key in _COST_CACHE:
        return _COST_CACHE[key]
    total, trainable = node_params(graph, report, node_id)
    act = sum(_numel(s) for s in info.outputs) * 4 if node.type not in ("Input", "Output") else 0
    costs = (total, trainable, node_macs(graph, report, node_id), act)
    if key is not None:
        if len(_COST_CACHE) >= _PARAM_CACHE_MAX:
            _COST_CACHE.clear()
        _COST_CACHE[key] = costs
    return costs


def _count_node_params(graph: Graph, report: ShapeReport, node_id: str) -> tuple[int, int]:
    import torch

    from netbuilder.core.compile import build_module

    try:
        with torch.device("meta"), _no_normal_init():
            module = build_module(graph, report, node_id)
    except (RuntimeError, TypeError, OverflowError) as exc:
        # weights too large for torch even to describe (e.g. kernel 10^9 with padding 10^9):
        # count them as "more than 2^63" (see budget.py), never a traceback
        if "overflow" not in str(exc).lower():
            raise
        return TOO_MANY, TOO_MANY
    if module is None:
        return 0, 0
    ps = list(module.parameters())
    return sum(p.numel() for p in ps), sum(p.numel() for p in ps if p.requires_grad)


def node_macs(graph: Graph, report: ShapeReport, node_id: str) -> int:
    node, info = graph.nodes[node_id], report.nodes[node_id]
    if info.status != OK or node.spec.macs is None:
        return 0
    try:
        return int(node.spec.macs(info.inputs, info.outputs, node.params))
    except (TypeError, ZeroDivisionError):  # unknown (None) sizes: no honest count
        return 0


def summary(graph: Graph, report: ShapeReport | None = None, variable_size: int | None = None) -> Summary:
    """Rows in topological order. With `variable_size`, a copy of the graph with
    every null input size set to it is summarised (and `report` is not used)."""
    variable = has_variable_sizes(graph)
    if variable and variable_size is not None:
        graph, report = with_variable_size(graph, variable_size), None
    report = report or check(graph)
    rows = [layer_row(graph, report, nid) for nid in graph.topological_order()]
    return Summary(rows, report, (variable_size or 1) if variable else None)


def layer_row(graph: Graph, report: ShapeReport, nid: str) -> LayerRow:
    """One node's row."""
    node, info = graph.nodes[nid], report.nodes[nid]
    total, trainable, macs, act = node_costs(graph, report, nid)
    return LayerRow(nid, node.type, list(info.output) if info.status == OK and info.outputs else None,
                    total, trainable, macs, act)


def has_variable_sizes(graph: Graph) -> bool:
    """Whether an Input has a null (variable) size."""
    return any(None in node.params["shape"] for node in graph.nodes_of_type("Input"))


def with_variable_size(graph: Graph, size: int) -> Graph:
    """A copy of `graph` with every null Input size set to `size`."""
    from netbuilder.core.io import graph_to_dict, load_graph

    if size < 1:
        raise ValueError(f"a variable size must be at least 1, got {size}")
    copy = load_graph(graph_to_dict(graph))
    for node in copy.nodes_of_type("Input"):
        copy.set_params(node.id, {"shape": [size if s is None else s for s in node.params["shape"]]})
    return copy


def count_params(graph: Graph, report: ShapeReport | None = None) -> int:
    report = report or check(graph)
    return sum(node_params(graph, report, nid)[0] for nid, info in report.nodes.items() if info.status == OK)


def _numel(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s or 1
    return n


class CostCounter:
    """Per-node costs kept between shape checks, totals updated by delta (issue 18).

    The live check hands out the same NodeShapes object for a node whose type, params and
    inputs did not change, so a pass only recounts nodes whose NodeShapes is new, whose weight
    sharing changed (the check does not look at it) or that were `mark`ed, and of those only
    the ones whose (type, params, input shapes) key differs from last time. `steps` does a pass one
    bounded piece at a time so the editor can spread a big one over several event-loop turns;
    dropping it half way leaves every count consistent, and the next pass finishes the job."""

    SCAN_PER_STEP = 256  # unchanged nodes looked at per step (an identity test each)

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, int, int, int]] = {}  # node id -> node_costs(...)
        self._seen: dict[str, tuple] = {}  # node id -> (NodeShapes, shares, key) it was counted with
        self._marked: set[str] = set()
        self.params = self.trainable = self.macs = self.activation_bytes = 0

    def mark(self, node_id: str | None = None) -> None:
        """Count `node_id` again in the next pass, even if its key is unchanged (every node when None)."""
        if node_id is None:
            self._seen.clear()
        else:
            self._marked.add(node_id)

    def update(self, graph: Graph, report: ShapeReport) -> None:
        """A whole pass at once."""
        for _ in self.steps(graph, report):
            pass

    def steps(self, graph: Graph, report: ShapeReport) -> Iterator[None]:
        """Bring the counts up to `report`; yields after each recounted node and after every
        SCAN_PER_STEP unchanged ones. The caller may stop between steps and start a new pass."""
        scanned = 0
        nodes, checked = graph.nodes, report.nodes
        for nid in list(self.rows):  # rows of removed nodes go; the scan is sliced (20,000: 10 ms)
            if nid in checked and nid in nodes:
                scanned += 1
                if scanned % self.SCAN_PER_STEP == 0:
                    yield
                continue
            self._set(nid, (0, 0, 0, 0))
            del self.rows[nid]
            self._seen.pop(nid, None)
            self._marked.discard(nid)
            yield
        for nid, info in report.nodes.items():
            node, seen = nodes.get(nid), self._seen.get(nid)
            if node is None:  # the graph moved on since `report`: the next pass drops it
                continue
            if seen is not None and seen[0] is info and seen[1] == node.shares and nid not in self._marked:
                scanned += 1
                if scanned % self.SCAN_PER_STEP == 0:
                    yield
                continue
            self._recount(graph, report, nid, info, seen)
            yield

    def _recount(self, graph: Graph, report: ShapeReport, nid: str, info: Any, seen: tuple | None) -> None:
        key = _param_key(graph, report, nid) if info.status == OK else None
        forced = nid in self._marked
        self._marked.discard(nid)
        shares = graph.nodes[nid].shares
        if not forced and key is not None and seen is not None and seen[2] == key and nid in self.rows:
            self._seen[nid] = (info, shares, key)  # re-inferred, but it costs what it cost
            return
        self._set(nid, node_costs(graph, report, nid))
        # params json cannot spell have no key to trust: such a node is counted afresh every pass
        self._seen[nid] = (info, shares, key) if key is not None or info.status != OK else (None, None, None)

    def _set(self, nid: str, costs: tuple[int, int, int, int]) -> None:
        old = self.rows.get(nid, (0, 0, 0, 0))
        self.params += costs[0] - old[0]
        self.trainable += costs[1] - old[1]
        self.macs += costs[2] - old[2]
        self.activation_bytes += costs[3] - old[3]
        self.rows[nid] = costs
