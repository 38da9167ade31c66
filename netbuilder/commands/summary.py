"""Per-layer table: output shape, parameters, MACs, activation memory; totals."""

from __future__ import annotations

import argparse
import json

from netbuilder.commands import load_or_report, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--batch-size", type=positive_int, default=1,
                        help="batch size for the forward activation memory per layer and in total (default 1)")
    parser.add_argument("--seq-len", "--variable-size", dest="variable_size", type=positive_int, metavar="N",
                        help="take every variable (null) input size, e.g. a sequence length, as N; by default "
                             "MACs and memory count it as 1 (per unit of length)")


def run(args: argparse.Namespace) -> int:
    from netbuilder.core.summary import summary

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    result = summary(graph, variable_size=args.variable_size)
    if args.json:
        print(json.dumps(result.to_json(args.batch_size)))
    else:
        print(result.table(args.batch_size))
        if result.variable_size is not None and args.variable_size is None:
            print("Set a length with --seq-len N.")
        for node, message in result.report.errors:
            print(f"error: {node or 'graph'}: {message}")
    return 0 if result.report.ok else 1
