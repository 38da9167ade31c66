"""Compare two graph files: layers added, removed or changed, and how shapes, parameters and MACs differ.

Nodes are matched by id, then by structure (same type fed by matched nodes), so
renamed or imported copies compare as the same layers. Exit status: 0 same
architecture, 1 different, 2 unreadable input (as diff(1)).
"""

from __future__ import annotations

import argparse
import json

from netbuilder.commands import load_or_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("a", metavar="A.json", help="the first (older) graph file")
    parser.add_argument("b", metavar="B.json", help="the second (newer) graph file")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    from netbuilder.core.diff import diff_graphs

    a = load_or_report(args.a)
    b = load_or_report(args.b) if a is not None else None
    if a is None or b is None:
        return 2
    result = diff_graphs(a, b, f"{args.a} ({a.name})", f"{args.b} ({b.name})")
    print(json.dumps(result.to_json()) if args.json else result.text())
    return 0 if result.same_architecture else 1
