"""What a cached shape check keeps between checks: per-node results and topological positions.

`shapes.check` with a cache stores a `CheckState` under `STATE` in the caller's dict, so the
next check after an edit visits only the nodes the edit reaches, in an order kept from
check to check (no sort of the whole graph).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from netbuilder.core.graph import Graph

if TYPE_CHECKING:
    from netbuilder.core.shapes import NodeShapes

STATE = "__previous_check__"  # the key of the CheckState in a caller's cache dict


@dataclass
class CheckState:
    """What the last check with a cache saw, to re-check only what changed."""

    structure: tuple  # graph identity and structure revision: order/incoming still valid
    order: list[str] | None  # None once a re-check has changed the structure (it keeps `pos` instead)
    incoming: dict[str, list]
    results: dict[str, tuple]  # node id -> (type, params snapshot, incoming edges, NodeShapes)
    graph: tuple  # (id(graph), id(graph.nodes)): the graph these results are of
    pos: dict[str, float]  # a topological position per node: sources first; floats so a node can move between two
    last: float = 0.0  # the largest position given out (a new node goes after it)
    raw: dict[str, NodeShapes] = field(default_factory=dict)  # every node's result, before the sharing check
    errors: dict[str, str] = field(default_factory=dict)  # the nodes among them in error -> message


def kept_order(cache: dict, graph: Graph) -> list[str] | None:
    """The nodes of `graph`, sources first, as the last check with `cache` ordered them
    (None when that check was not of this graph as it is): no sort of the whole graph."""
    state: CheckState | None = cache.get(STATE)
    if state is None or state.graph != (id(graph), id(graph.nodes)) or len(state.pos) != len(graph.nodes):
        return None
    return list(state.order) if state.order is not None else sorted(state.pos, key=state.pos.__getitem__)


class FinishedShapes:
    """The finished results as `_check_node` reads them (a node id → its NodeShapes)."""

    def __init__(self, results: dict[str, tuple]) -> None:
        self.results = results

    def get(self, nid: str) -> NodeShapes | None:
        r = self.results.get(nid)
        return r[3] if r is not None else None


def reposition(graph: Graph, pos: dict[str, float], src: str, dst: str) -> bool:
    """Make pos[src] < pos[dst] for a new edge src → dst by moving one of the two between
    its own predecessors and successors (a layer inserted on an edge, a new layer wired
    in); False when neither fits (then the caller sorts afresh)."""
    for nid in (src, dst):
        low = max((pos[e.src] for e in graph.in_edges(nid)), default=None)
        high = min((pos[e.dst] for e in graph.out_edges(nid)), default=None)
        if low is None and high is None:
            continue
        low = high - 1.0 if low is None else low
        high = low + 1.0 if high is None else high
        if high - low > 1e-6:
            pos[nid] = (low + high) / 2
            return pos[src] < pos[dst]
    return False
