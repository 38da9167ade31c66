"""Where imported layers go on the canvas: one column per topological generation, left → right."""

from __future__ import annotations

from netbuilder.core.graph import Graph


def layout_by_generation(graph: Graph, dx: float, dy: float) -> None:
    """Columns by topological generation, rows centred, `dx` × `dy` pixels apart."""
    import networkx as nx

    dag = nx.DiGraph()
    dag.add_nodes_from(graph.nodes)
    dag.add_edges_from((e.src, e.dst) for e in graph.edges)
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    for col, generation in enumerate(nx.topological_generations(dag)):
        members = sorted(generation, key=order.__getitem__)
        for row, nid in enumerate(members):
            graph.move_node(nid, (col * dx, (row - (len(members) - 1) / 2) * dy))
