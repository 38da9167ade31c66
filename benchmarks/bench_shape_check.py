"""Measurement 4 (core): shape check of 1000-node graphs, full and after one edit.

Two graphs: a long chain (Input → 998 × Linear/ReLU → Output) and a wide
branched one (Input → 50 parallel branches of 20 layers → Concat → Output).
Figures are milliseconds (median of repetitions), targets from issue 9:
a full check < 10 ms; a re-check after one parameter edit with a cache
(`check(graph, cache=...)`, as the editor does on every edit) should be
incremental, i.e. much cheaper than a full check.
"""

from __future__ import annotations

import _common  # noqa: F401  (puts the checkout on sys.path)
from _common import best_of, emit, median, parser

TARGET_MS = 10.0


def chain_graph(n: int = 1000):
    from netbuilder.core.graph import Graph

    g = Graph(name="chain")
    prev = g.add_node("Input", {"shape": [64]}, id="x").id
    for i in range(n - 2):
        nid = g.add_node("Linear", {"out_features": 64}).id if i % 2 == 0 else g.add_node("ReLU").id
        g.add_edge(prev, nid)
        prev = nid
    g.add_node("Output", id="out")
    g.add_edge(prev, "out")
    return g


def wide_graph(branches: int = 50, depth: int = 20):
    """Input fans out to `branches` chains joined by one Concat (1003 nodes)."""
    from netbuilder.core.graph import Graph

    g = Graph(name="wide")
    g.add_node("Input", {"shape": [32]}, id="x")
    g.add_node("Concat", {"num_inputs": branches}, id="cat")
    for b in range(branches):
        prev = "x"
        for i in range(depth):
            nid = g.add_node("Linear", {"out_features": 16}).id if i % 2 == 0 else g.add_node("ReLU").id
            g.add_edge(prev, nid)
            prev = nid
        g.add_edge(prev, "cat", 0, b)
    g.add_node("Output", id="out")
    g.add_edge("cat", "out")
    return g


def _first_linear(g) -> str:
    return next(n.id for n in g if n.type == "Linear")


def measure(quick: bool) -> dict:
    from netbuilder.core.io import graph_from_dict, graph_to_dict
    from netbuilder.core.shapes import check

    reps = 15 if quick else 60
    results: dict = {}
    for name, build in (("chain", chain_graph), ("wide", wide_graph)):
        g = build()
        n = len(g)
        data = graph_to_dict(g)
        results[f"shape_check.{name}.load_1000_nodes"] = {
            "ms": round(median(best_of(lambda: graph_from_dict(data), max(3, reps // 5))) * 1e3, 2),
            "nodes": n, "note": "graph_from_dict, every edge validated"}

        def cold() -> None:
            # a fresh graph each time: nothing cached anywhere (topological order included)
            check(graph_from_dict(data))
        load = median(best_of(lambda: graph_from_dict(data), reps))
        first = median(best_of(cold, reps)) - load
        results[f"shape_check.{name}.first_check"] = {"ms": round(first * 1e3, 2), "target": TARGET_MS, "nodes": n}
        results[f"shape_check.{name}.full_check"] = {
            "ms": round(median(best_of(lambda: check(g), reps)) * 1e3, 2), "target": TARGET_MS, "nodes": n,
            "note": "no cache, graph already sorted"}
        cache: dict = {}
        check(g, cache)
        target_node, sizes = _first_linear(g), iter([32, 64] * reps)

        def edit_and_recheck() -> None:
            g.set_params(target_node, {"out_features": next(sizes)})
            check(g, cache)
        results[f"shape_check.{name}.recheck_after_edit"] = {
            "ms": round(median(best_of(edit_and_recheck, reps)) * 1e3, 3), "target": TARGET_MS, "nodes": n,
            "note": "set_params on the first Linear + check(graph, cache)"}
        results[f"shape_check.{name}.recheck_unchanged"] = {
            "ms": round(median(best_of(lambda: check(g, cache), reps)) * 1e3, 3), "nodes": n,
            "note": "check(graph, cache) after a move or no edit"}
    results.update(_touched(20000 if not quick else 5000, reps))
    return results


def _touched(n: int, reps: int) -> dict:
    """The editor's check at scale: only the nodes the edit's events name (`touched`) and what
    their change reaches, against a walk that compares every node (`check(graph, cache)`)."""
    from netbuilder.core.shapes import check, touched_by

    g = chain_graph(n)
    touched: set[str] = set()
    g.subscribe(lambda event: touched.add(touched_by(event)) if touched_by(event) else None)
    cache: dict = {}
    check(g, cache)
    linear, sizes = [x.id for x in g if x.type == "Linear"][n // 4], iter([32, 64] * reps * 4)

    def param(incremental: bool) -> None:
        g.set_params(linear, {"out_features": next(sizes)})
        check(g, cache, touched=set(touched) if incremental else None)
        touched.clear()

    def add_and_remove(incremental: bool) -> None:
        nid = g.add_node("ReLU").id  # a new layer: a new structure (the walk sorts the graph again)
        check(g, cache, touched=set(touched) if incremental else None)
        touched.clear()
        g.remove_node(nid)
        check(g, cache, touched=set(touched) if incremental else None)
        touched.clear()

    out = {}
    for name, edit in (("param_edit", param), ("add_then_remove", add_and_remove)):
        walk = median(best_of(lambda: edit(False), max(3, reps // 6)))
        inc = median(best_of(lambda: edit(True), reps))
        out[f"shape_check.chain_{n}.{name}.touched"] = {
            "ms": round(inc * 1e3, 3), "walk_every_node_ms": round(walk * 1e3, 2), "ratio": round(inc / walk, 4),
            "nodes": n, "note": f"check(touched=...) / check(cache) walking every node ({walk * 1e3:.1f} ms)"}
    return out


def main() -> None:
    args = parser(__doc__.splitlines()[0]).parse_args()
    emit(measure(args.quick), args.json, "shape check, 1000 nodes; the editor's check at 20,000 (ms)")


if __name__ == "__main__":
    main()
