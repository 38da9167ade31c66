"""Check every tensor shape of a graph file and that the network fits the size budget
(parameters, activation memory; counted on the meta device, nothing allocated).
Exit 0 if ok, 1 on shape or size errors, 2 if the file cannot be read."""

from __future__ import annotations

import argparse
import json
import sys

from netbuilder.commands import positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--batch-size", type=positive_int, default=1,
                        help="batch size the activation-memory budget is checked for (default 1, per sample; "
                             "limits: NETBUILDER_MAX_PARAMS, NETBUILDER_MAX_ACTIVATION_BYTES)")


def run(args: argparse.Namespace) -> int:
    from netbuilder.core.budget import Budget, budget_problems
    from netbuilder.core.io import GraphFileError, load_graph
    from netbuilder.core.shapes import check

    budget = Budget.from_env(batch_size=args.batch_size)
    try:
        graph = load_graph(args.file)
    except GraphFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if args.json:  # tools parsing stdout still get one JSON object
            print(json.dumps({"ok": False, "errors": [{"node": None, "message": str(exc)}], "nodes": {},
                              "params": 0, "budget": _budget_json(budget, [])}))
        return 2
    report = check(graph)
    params = _params(graph, report)
    # only nodes whose shapes are known are counted: a shape error hides nothing here
    over = budget_problems(graph, report, budget)
    ok = report.ok and not over
    if args.json:
        out = report.to_json(graph)
        out["ok"] = ok
        out["errors"] += [{"node": node, "message": message} for node, message in over]
        out["params"] = params
        out["budget"] = _budget_json(budget, over)
        print(json.dumps(out))
    else:
        _print_report(graph, report, params, over)
    return 0 if ok else 1


def _budget_json(budget, over: list[tuple[str, str]]) -> dict:
    return {"ok": not over, "batch_size": budget.batch_size, "max_params": budget.max_params,
            "max_activation_bytes": budget.max_activation_bytes}


def _print_report(graph, report, params: int, over: list[tuple[str, str]]) -> None:
    from netbuilder.core.shapes import format_shape
    from netbuilder.core.summary import format_count

    width = max((len(n) for n in graph.nodes), default=4)
    flagged = {node for node, _ in over}
    for nid, info in report.nodes.items():
        shape = ", ".join(format_shape(s) for s in info.outputs) if info.status == "ok" else info.message
        mark = "✗" if nid in flagged else {"ok": " ", "error": "✗", "waiting": "…"}[info.status]
        print(f"{mark} {nid:<{width}}  {graph.nodes[nid].type:<16} {shape}")
    count = format_count(params)  # "more than 9.2e18" for weights too large for torch to describe
    verdict = "OK" if report.ok and not over else "FAILED"
    too_big = " — too large to build" if over else ""
    print(f"\n{verdict}: {len(graph)} nodes, {count} parameters{too_big}")
    for node, message in report.errors:
        print(f"error: {node or 'graph'}: {message}")
    for _, message in over:  # these name the node and its type themselves
        print(f"error: {message}")


def _params(graph, report) -> int:
    from netbuilder.core.summary import count_params

    return count_params(graph, report)
