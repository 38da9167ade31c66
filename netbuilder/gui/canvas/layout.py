"""Auto-layout: layered, left → right, for imported and preset graphs.

Columns are networkx's topological generations (a node sits one column right
of its deepest input); inside a column nodes are ordered by the mean row of
their inputs (the barycentre heuristic, a few sweeps each way), which keeps
branches side by side and edges short. No Qt here: a pure function.
"""

from __future__ import annotations

import networkx as nx

from netbuilder.core.graph import Graph
from netbuilder.gui.canvas.style import COLUMN_DX, ROW_DY

SWEEPS = 4


def layered_layout(graph: Graph, dx: float = COLUMN_DX, dy: float = ROW_DY,
                   origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    """New positions {node id: (x, y)} for every node of `graph`."""
    dag = nx.DiGraph()
    dag.add_nodes_from(graph.nodes)
    dag.add_edges_from((e.src, e.dst) for e in graph.edges)
    index = {nid: i for i, nid in enumerate(graph.nodes)}
    columns = [sorted(gen, key=index.__getitem__) for gen in nx.topological_generations(dag)]
    rows: dict[str, float] = {}
    for col in columns:
        for r, nid in enumerate(col):
            rows[nid] = float(r)
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        for col in (columns[1:] if forward else columns[-2::-1]):
            neighbours = dag.predecessors if forward else dag.successors

            def key(nid: str, neighbours=neighbours) -> tuple[float, int]:
                near = [rows[m] for m in neighbours(nid)]
                return (sum(near) / len(near) if near else rows[nid], index[nid])

            col.sort(key=key)
            for r, nid in enumerate(col):
                rows[nid] = float(r)
    positions: dict[str, tuple[float, float]] = {}
    for c, col in enumerate(columns):
        top = -(len(col) - 1) / 2  # centre each column on the main line
        for r, nid in enumerate(col):
            positions[nid] = (origin[0] + c * dx, origin[1] + (top + r) * dy)
    return positions


def needs_layout(graph: Graph) -> bool:
    """True when positions are missing (all nodes piled up), e.g. an imported file."""
    spots = {n.pos for n in graph}
    return len(graph) > 1 and len(spots) < max(2, len(graph) // 2)
