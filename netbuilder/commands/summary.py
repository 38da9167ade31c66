"""Per-layer table: output shape, parameters, MACs, activation memory; totals."""

from __future__ import annotations

import argparse
import json

from netbuilder.commands import load_or_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--batch-size", type=_positive, default=1,
                        help="batch size for the forward activation memory per layer and in total (default 1)")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value


def run(args: argparse.Namespace) -> int:
    from netbuilder.core.summary import summary

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    result = summary(graph)
    if args.json:
        print(json.dumps(result.to_json(args.batch_size)))
    else:
        print(result.table(args.batch_size))
        for node, message in result.report.errors:
            print(f"error: {node or 'graph'}: {message}")
    return 0 if result.report.ok else 1
