"""Check every tensor shape of a graph file; exit 0 if ok, 1 if shape errors, 2 if unreadable."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from netbuilder.core.io import GraphFileError, load_graph
    from netbuilder.core.shapes import check, format_shape

    try:
        graph = load_graph(args.file)
    except GraphFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.json:  # tools parsing stdout still get one JSON object
            print(json.dumps({"ok": False, "errors": [{"node": None, "message": str(exc)}], "nodes": {}, "params": 0}))
        return 2
    report = check(graph)
    params = _params(graph, report)
    if args.json:
        out = report.to_json(graph)
        out["params"] = params
        print(json.dumps(out))
    else:
        width = max((len(n) for n in graph.nodes), default=4)
        for nid, info in report.nodes.items():
            shape = ", ".join(format_shape(s) for s in info.outputs) if info.status == "ok" else info.message
            mark = {"ok": " ", "error": "✗", "waiting": "…"}[info.status]
            print(f"{mark} {nid:<{width}}  {graph.nodes[nid].type:<16} {shape}")
        print(f"\n{'OK' if report.ok else 'FAILED'}: {len(graph)} nodes, {params:,} parameters")
        for node, message in report.errors:
            print(f"error: {node or 'graph'}: {message}")
    return 0 if report.ok else 1


def _params(graph, report) -> int:
    from netbuilder.core.summary import count_params

    return count_params(graph, report)

