"""Size budget: refuse a network too large to build BEFORE anything is allocated.

A kernel of 10^9 or 10^6 channels typed into the inspector can pass the shape
check (the sizes fit) and still ask for terabytes. `compile_graph` calls
`check_budget` first: parameters are counted on the meta device (no memory,
as in summary.py) and forward activations from the inferred shapes, and a
network over the limit is a `BudgetError` naming the node — never a frozen
machine or a MemoryError deep inside torch.

Limits: `Budget(...)`, or the environment variables NETBUILDER_MAX_PARAMS and
NETBUILDER_MAX_ACTIVATION_BYTES (per sample; times `batch_size` when given).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from netbuilder.core.compile import CompileError
from netbuilder.core.graph import Graph
from netbuilder.core.shapes import OK, ShapeReport, check
from netbuilder.core.summary import TOO_MANY, format_bytes as _bytes, format_count as _count


class BudgetError(CompileError):
    """The network would need more memory than the budget allows."""


@dataclass(frozen=True)
class Budget:
    """Limits checked before a network is built for real."""

    max_params: int = 1_000_000_000  # 4 GB of float32 weights (×4 with Adam's state and gradients)
    # forward outputs of all nodes for one batch: refuses the absurd (terabytes), not the merely
    # large — VGG-16 at 224×224 with the paper's batch of 256 needs about 28 GB and is allowed
    max_activation_bytes: int = 64 * 1024**3
    batch_size: int = 1

    @classmethod
    def from_env(cls, batch_size: int = 1) -> "Budget":
        """The defaults, overridden by NETBUILDER_MAX_PARAMS / NETBUILDER_MAX_ACTIVATION_BYTES."""
        return cls(_env_int("NETBUILDER_MAX_PARAMS", cls.max_params),
                   _env_int("NETBUILDER_MAX_ACTIVATION_BYTES", cls.max_activation_bytes), batch_size)

    @classmethod
    def unlimited(cls) -> "Budget":
        return cls(TOO_MANY * 2, TOO_MANY * 2)


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip().replace("_", "")
    try:
        return int(float(text)) if text else default
    except (ValueError, OverflowError):
        return default  # a typo in an env var should not stop the program


def node_param_count(graph: Graph, report: ShapeReport, node_id: str) -> int:
    """Parameters of one node, counted on the meta device; TOO_MANY when the
    weights are too large for torch to describe at all."""
    from netbuilder.core.summary import node_params

    return node_params(graph, report, node_id)[0]


def node_activation_bytes(graph: Graph, report: ShapeReport, node_id: str) -> int:
    """Bytes of this node's outputs for one sample (variable sizes count as 1)."""
    node, info = graph.nodes[node_id], report.nodes[node_id]
    if info.status != OK or node.type == "Output":
        return 0
    width = 8 if node.type == "Input" and node.params.get("dtype") == "int64" else 4
    total = 0
    for shape in info.outputs:
        n = 1
        for size in shape:
            n *= size or 1
        total += n * width
    return total


def budget_problems(graph: Graph, report: ShapeReport | None = None,
                    budget: Budget | None = None) -> list[tuple[str, str]]:
    """(node id, message) for each way the network exceeds the budget."""
    report = report or check(graph)
    budget = budget or Budget.from_env()
    ok_nodes = [nid for nid in graph.topological_order() if report.nodes[nid].status == OK]
    params = {nid: node_param_count(graph, report, nid) for nid in ok_nodes}
    acts = {nid: node_activation_bytes(graph, report, nid) * budget.batch_size for nid in ok_nodes}
    problems = _over(graph, params, budget.max_params, "parameters",
                     lambda n: f"{_count(n)} parameters ({_bytes(4 * n)} of float32 weights)",
                     "reduce out_channels / out_features / kernel_size / hidden_size, or raise "
                     "NETBUILDER_MAX_PARAMS")
    batch = f" for a batch of {budget.batch_size}" if budget.batch_size != 1 else " per sample"
    problems += _over(graph, acts, budget.max_activation_bytes, "activation memory",
                      lambda n: f"an output of {_bytes(n)}{batch}",
                      "reduce the input size, channels or upsampling, or raise NETBUILDER_MAX_ACTIVATION_BYTES")
    return problems


def _over(graph: Graph, per_node: dict[str, int], limit: int, what: str, describe, fix: str) -> list[tuple[str, str]]:
    """One problem per node over the limit by itself; else one for the total,
    naming the largest node."""
    def where(nid: str) -> str:
        return f"{nid} ({graph.nodes[nid].type})"

    single = [(nid, n) for nid, n in per_node.items() if n > limit]
    if single:
        return [(nid, f"{where(nid)} needs {describe(n)}, more than the {what} limit of {_limit(what, limit)}; {fix}")
                for nid, n in single]
    total = sum(per_node.values())
    if total <= limit:
        return []
    big = max(per_node, key=per_node.__getitem__)
    amount = f"{_count(total)} parameters" if what == "parameters" else f"{_bytes(total)} of {what}"
    return [(big, f"the network needs {amount} in all, "
                  f"more than the {what} limit of {_limit(what, limit)}; the largest is {where(big)} with "
                  f"{describe(per_node[big])}; {fix}")]


def _limit(what: str, limit: int) -> str:
    return _count(limit) if what == "parameters" else _bytes(limit)


def check_budget(graph: Graph, report: ShapeReport | None = None, budget: Budget | None = None) -> None:
    """Raise BudgetError listing every node over the budget."""
    problems = budget_problems(graph, report, budget)
    if problems:
        shown = "; ".join(m for _, m in problems[:3])  # the first few: a message, not a page
        more = f" (and {len(problems) - 3} more nodes over the limit)" if len(problems) > 3 else ""
        raise BudgetError(f"the network is too large to build — {shown}{more}")
