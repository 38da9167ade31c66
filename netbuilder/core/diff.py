"""Architecture diff: which layers were added, removed or changed between two graphs.

Nodes are matched by id first (same id, same type), then by structure: a
node whose inputs come from matched nodes through the same ports, of the
same type, is the same layer under another name (an import or a rename).
For matched pairs the diff lists changed params, output shapes and
parameter counts; totals compare parameters, MACs and activation memory.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import OK, format_shape
from netbuilder.core.summary import Summary, format_count, summary


@dataclass
class NodeChange:
    a: str  # id in the first graph
    b: str  # id in the second
    type: str
    params: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    shape: tuple[list | None, list | None] | None = None  # output shape before, after
    param_count: tuple[int, int] | None = None

    def text(self) -> str:
        parts = [f"{k} {_value(old)} → {_value(new)}" for k, (old, new) in self.params.items()]
        if self.shape is not None:
            parts.append(f"output {_shape(self.shape[0])} → {_shape(self.shape[1])}")
        if self.param_count is not None:
            parts.append(f"parameters {format_count(self.param_count[0])} → {format_count(self.param_count[1])}")
        name = self.a if self.a == self.b else f"{self.a} → {self.b}"
        why = "" if self.params else " (its input changed)"
        return f"~ {name} ({self.type}): {'; '.join(parts)}{why}"


@dataclass
class GraphDiff:
    a_name: str
    b_name: str
    matched: dict[str, str]  # id in a -> id in b
    added: list[str]  # ids in b
    removed: list[str]  # ids in a
    changed: list[NodeChange]
    edges_added: list[tuple[str, str]]  # (src, dst) ids in b
    edges_removed: list[tuple[str, str]]  # ids in a
    totals: dict[str, tuple[int, int]]
    types: dict[str, str] = field(default_factory=dict)  # "a:id" / "b:id" -> type, for messages
    inputs: dict[str, list[str]] = field(default_factory=dict)  # "a:id" / "b:id" -> ids feeding it

    def after(self, side: str, nid: str) -> str:
        """' after x, y': the nodes feeding `nid` in graph `side` ("a" or "b"), or ''."""
        feeding = self.inputs.get(f"{side}:{nid}")
        return f" after {', '.join(feeding)}" if feeding else ""

    @property
    def renamed(self) -> list[tuple[str, str]]:
        return [(a, b) for a, b in self.matched.items() if a != b]

    @property
    def same_architecture(self) -> bool:
        """No layer added, removed or changed and the same wiring (ids may differ)."""
        return not (self.added or self.removed or self.changed or self.edges_added or self.edges_removed)

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a_name, "b": self.b_name, "same_architecture": self.same_architecture,
            "added": [{"id": n, "type": self.types[f"b:{n}"], "after": self.inputs.get(f"b:{n}", [])}
                      for n in self.added],
            "removed": [{"id": n, "type": self.types[f"a:{n}"], "after": self.inputs.get(f"a:{n}", [])}
                        for n in self.removed],
            "changed": [{**asdict(c), "params": {k: list(v) for k, v in c.params.items()},
                         "shape": list(c.shape) if c.shape else None,
                         "param_count": list(c.param_count) if c.param_count else None} for c in self.changed],
            "renamed": [list(p) for p in self.renamed],
            "edges_added": [list(e) for e in self.edges_added],
            "edges_removed": [list(e) for e in self.edges_removed],
            "totals": {k: {"a": v[0], "b": v[1], "change": v[1] - v[0]} for k, v in self.totals.items()},
        }

    def text(self) -> str:
        lines = [f"Comparing {self.a_name} → {self.b_name}"]
        if self.same_architecture:
            lines.append("Same architecture" + (" (some nodes renamed)" if self.renamed else ""))
        if self.changed:
            lines += [f"Changed ({len(self.changed)}):", *(f"  {c.text()}" for c in self.changed)]
        if self.added:
            lines += [f"Added ({len(self.added)}):",
                      *(f"  + {n} ({self.types['b:' + n]}){self.after('b', n)}" for n in self.added)]
        if self.removed:
            lines += [f"Removed ({len(self.removed)}):",
                      *(f"  - {n} ({self.types['a:' + n]}){self.after('a', n)}" for n in self.removed)]
        if self.renamed:
            lines.append("Renamed: " + ", ".join(f"{a} → {b}" for a, b in self.renamed))
        if self.edges_added or self.edges_removed:
            edges = [f"+ {s} → {d}" for s, d in self.edges_added] + [f"- {s} → {d}" for s, d in self.edges_removed]
            lines.append(f"Connections ({len(edges)}): " + ", ".join(edges))
        labels = {"params": "Parameters", "macs": "MACs per sample", "activation_bytes": "Activation bytes per sample",
                  "nodes": "Nodes"}
        for key, (a, b) in self.totals.items():
            lines.append(f"{labels[key]}: {_change(a, b)}")
        return "\n".join(lines)


def _change(a: int, b: int) -> str:
    """'1,000 → 1,500 (+500)'; beyond a quadrillion the digits say nothing (and 2^63 is a lower bound)."""
    if max(a, b) < 10**15:
        return f"{a:,} → {b:,} ({b - a:+,})"
    return f"{format_count(a)} → {format_count(b)}"


def _value(v: Any) -> str:
    return "—" if v is None else str(v)


def _shape(s: list | None) -> str:
    return "error" if s is None else format_shape(tuple(s))


@dataclass
class _Side:
    graph: Graph
    summary: Summary
    order: list[str]

    @classmethod
    def of(cls, graph: Graph) -> "_Side":
        return cls(graph, summary(graph), graph.topological_order())

    def preds(self, nid: str) -> list[tuple[str, int, int]]:
        return [(e.src, e.src_port, e.dst_port) for e in self.graph.in_edges(nid)]

    def shape(self, nid: str) -> list | None:
        info = self.summary.report.nodes[nid]
        return [list(s) for s in info.outputs] if info.status == OK else None

    def params(self, nid: str) -> int:
        if not hasattr(self, "_params"):
            self._params = {r.node: r.params for r in self.summary.rows}
        return self._params[nid]


def diff_graphs(a: Graph, b: Graph, a_name: str | None = None, b_name: str | None = None) -> GraphDiff:
    sa, sb = _Side.of(a), _Side.of(b)
    matched = _match(sa, sb)
    back = {v: k for k, v in matched.items()}
    changed = [c for c in (_compare(sa, sb, x, y) for x, y in matched.items()) if c is not None]
    ea = {(matched.get(e.src, f"a:{e.src}"), matched.get(e.dst, f"a:{e.dst}"), e.src_port, e.dst_port): e
          for e in a.edges}
    eb = {(e.src, e.dst, e.src_port, e.dst_port): e for e in b.edges}
    edges_added = [(eb[k].src, eb[k].dst) for k in eb if k not in ea
                   and eb[k].src in back and eb[k].dst in back]
    edges_removed = [(ea[k].src, ea[k].dst) for k in ea if k not in eb
                     and ea[k].src in matched and ea[k].dst in matched]
    totals = {
        "params": (sa.summary.total_params, sb.summary.total_params),
        "macs": (sa.summary.total_macs, sb.summary.total_macs),
        "activation_bytes": (sa.summary.activation_bytes, sb.summary.activation_bytes),
        "nodes": (len(a), len(b)),
    }
    types = {f"a:{n.id}": n.type for n in a} | {f"b:{n.id}": n.type for n in b}
    inputs = ({f"a:{n}": [e.src for e in a.in_edges(n)] for n in a.nodes}
              | {f"b:{n}": [e.src for e in b.in_edges(n)] for n in b.nodes})
    return GraphDiff(a_name or a.name, b_name or b.name, matched,
                     [n for n in sb.order if n not in back], [n for n in sa.order if n not in matched],
                     changed, edges_added, edges_removed, totals, types, inputs)


def _match(sa: _Side, sb: _Side) -> dict[str, str]:
    a, b = sa.graph, sb.graph
    matched = {nid: nid for nid in sa.order if nid in b.nodes and b.nodes[nid].type == a.nodes[nid].type}
    taken = set(matched.values())
    position_b = {nid: i / max(1, len(sb.order)) for i, nid in enumerate(sb.order)}
    position_a = {nid: i / max(1, len(sa.order)) for i, nid in enumerate(sa.order)}

    def candidates(x: str) -> list[str]:
        return [y for y in sb.order if y not in taken and b.nodes[y].type == a.nodes[x].type]

    def same_inputs(x: str, y: str) -> bool:
        return [(matched.get(s), p, q) for s, p, q in sa.preds(x)] == sb.preds(y)

    # 1) same inputs through the same ports (follows renamed chains), 2) same
    # params and shape, 3) same type; nearest relative position breaks ties
    passes = [
        lambda x, y: same_inputs(x, y),
        lambda x, y: a.nodes[x].params == b.nodes[y].params and sa.shape(x) == sb.shape(y),
        lambda x, y: True,
    ]
    for accept in passes:
        progress = True
        while progress:
            progress = False
            for x in sa.order:
                if x in matched:
                    continue
                ok = [y for y in candidates(x) if accept(x, y)]
                if ok:
                    y = min(ok, key=lambda y: (a.nodes[x].params != b.nodes[y].params,
                                               abs(position_a[x] - position_b[y])))
                    matched[x] = y
                    taken.add(y)
                    progress = True
    return matched


_SIMPLE = (int, float, bool, str, tuple, list, type(None))


def module_text(module: Any) -> str:
    """Everything that defines a module's computation: its repr plus the plain
    attributes of it and its children (a repr alone misses e.g. Step's
    threshold), without what does not change the result (inplace)."""
    parts = [re.sub(r",?\s*inplace=True", "", repr(module))]
    for name, sub in module.named_modules():
        attrs = {k: v for k, v in vars(sub).items()
                 if not k.startswith("_") and k not in ("training", "inplace") and isinstance(v, _SIMPLE)}
        parts.append(f"{name}:{type(sub).__name__}:{sorted(attrs.items())}")
    return " ".join(" ".join(parts).split())


def _same_layer(sa: _Side, sb: _Side, x: str, y: str) -> bool:
    """Params written differently that build the same module (stride None vs
    = kernel_size, 3 vs [3, 3], groups "depthwise" vs the channel count)."""
    import torch

    from netbuilder.core.compile import build_module

    ra, rb = sa.summary.report, sb.summary.report
    if sa.graph.nodes[x].spec.module is None or ra.nodes[x].status != OK or rb.nodes[y].status != OK:
        return False
    try:
        with torch.device("meta"):
            return module_text(build_module(sa.graph, ra, x)) == module_text(build_module(sb.graph, rb, y))
    except (RuntimeError, TypeError, OverflowError):
        # weights too large for torch even to describe (kernel 10^9 padded to fit): the params
        # differ and no module can say they mean the same, so they are reported as changed
        return False


def _compare(sa: _Side, sb: _Side, x: str, y: str) -> NodeChange | None:
    pa, pb = sa.graph.nodes[x].params, sb.graph.nodes[y].params
    keys = list(pa) + [k for k in pb if k not in pa]
    params = {k: (pa.get(k), pb.get(k)) for k in keys if pa.get(k) != pb.get(k)}
    if params and _same_layer(sa, sb, x, y):
        params = {}
    change = NodeChange(x, y, sa.graph.nodes[x].type, params)
    shape_a, shape_b = sa.shape(x), sb.shape(y)
    if shape_a != shape_b:
        change.shape = (shape_a[0] if shape_a else None, shape_b[0] if shape_b else None)
    count_a, count_b = sa.params(x), sb.params(y)
    if count_a != count_b:
        change.param_count = (count_a, count_b)
    if not params and change.shape is None and change.param_count is None:
        return None
    return change
