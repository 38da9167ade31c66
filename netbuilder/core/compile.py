"""Graph → torch.fx.GraphModule: a real, printable forward, no interpreter.

Each layer node becomes one `call_module` (or a few `call_function` nodes for
merges), wired in topological order; `GraphModule(root, graph)` then generates
ordinary Python for `forward`, so the result trains as fast as hand-written
code and works with torch.compile, TorchScript, ONNX export and DDP.
"""

from __future__ import annotations

import keyword
from typing import TYPE_CHECKING, Any, Sequence

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import ShapeReport, check
from netbuilder.core.spec import ShapeError

if TYPE_CHECKING:  # pragma: no cover
    import torch

    from netbuilder.core.budget import Budget


class CompileError(ValueError):
    """The graph cannot be compiled; the message lists every reason."""


# Attribute names of torch.fx.GraphModule (tests keep this in step with torch):
# a submodule with one of these names would shadow a method, or be refused.
_RESERVED = frozenset("""
    T_destination add_module add_submodule apply bfloat16 buffers call_super_init children code compile cpu cuda
    delete_all_unused_submodules delete_submodule double dump_patches eval extra_repr float forward get_buffer
    get_extra_state get_parameter get_submodule graph half ipu load_state_dict meta modules mtia named_buffers
    named_children named_modules named_parameters parameters print_readable recompile register_backward_hook
    register_buffer register_forward_hook register_forward_pre_hook register_full_backward_hook
    register_full_backward_pre_hook register_load_state_dict_post_hook register_load_state_dict_pre_hook
    register_module register_parameter register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
    set_extra_state set_submodule share_memory state_dict to to_empty to_folder train training type xpu zero_grad
""".split())


def module_name(node_id: str) -> str:
    """A node id as a safe attribute name (no dots, no clash with nn.Module)."""
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in node_id) or "node"
    if name[0].isdigit() or keyword.iskeyword(name) or name in _RESERVED or name.startswith("_"):
        name = f"n_{name}"
    return name


def module_names(graph: Graph) -> dict[str, str]:
    """module_name of every node, made unique ('forward' and 'n_forward' would
    both be 'n_forward': the later one becomes 'n_forward_2')."""
    names: dict[str, str] = {}
    taken = {module_name(nid) for nid in graph.nodes}  # names that need no suffix keep them
    used: set[str] = set()
    for nid in graph.nodes:
        name = module_name(nid)
        if name in used:
            i = 2
            while f"{name}_{i}" in used or f"{name}_{i}" in taken:
                i += 1
            name = f"{name}_{i}"
        used.add(name)
        names[nid] = name
    return names


def output_nodes(graph: Graph) -> list[str]:
    """Output nodes in file order; without any, the sinks (nodes nothing reads)."""
    outs = [n.id for n in graph if n.type == "Output"]
    if outs:
        return outs
    sources = {e.src for e in graph.edges}
    return [n.id for n in graph if n.id not in sources and n.type != "Input"]


def input_nodes(graph: Graph) -> list[str]:
    return [n.id for n in graph if n.type == "Input"]


def build_module(graph: Graph, report: ShapeReport, node_id: str) -> Any:
    """The nn.Module of one node (None for functional and I/O nodes, and for
    a node that shares another's module: its weights are the owner's, so
    summary, budget and import checks count them once)."""
    node = graph.nodes[node_id]
    if node.spec.module is None or node.shares is not None:
        return None
    shapes = report.nodes[node_id].inputs
    return node.spec.module(shapes, node.params).build()


def compile_graph(
    graph: Graph,
    *,
    outputs: Sequence[str] | None = None,
    report: ShapeReport | None = None,
    device: "str | torch.device | None" = None,
    budget: "Budget | None" = None,
) -> "torch.fx.GraphModule":
    """Compile `graph`. One positional input per Input node (file order).

    The forward returns a tensor for one Output, a tuple for several. With
    `outputs` (refs "node" or "node:port"), it returns exactly those, as a
    tuple — the trainer uses this to read hidden nodes for loss terms.
    `device="meta"` builds without allocating weights (for counting).
    Any other device first checks the size `budget` (default
    Budget.from_env()) and raises BudgetError, naming the node, before
    anything is allocated.
    """
    import torch
    import torch.fx as fx

    report = report or check(graph)
    if not report.ok:
        lines = "; ".join(f"{n or 'graph'}: {m}" for n, m in report.errors)
        raise CompileError(f"the graph has shape errors — {lines}")
    if str(device) != "meta":
        from netbuilder.core.budget import check_budget

        check_budget(graph, report, budget)
    g = fx.Graph()
    root = torch.nn.Module()
    values: dict[tuple[str, int], fx.Node] = {}
    names = module_names(graph)
    for nid in input_nodes(graph):
        values[(nid, 0)] = g.placeholder(names[nid])
    incoming: dict[str, list] = {nid: [] for nid in graph.nodes}
    for e in graph.edges:
        incoming[e.dst].append(e)
    order = graph.topological_order()
    with torch.device(device) if device is not None else _nullcontext():
        _add_modules(root, graph, report, order, names)
        for nid in order:
            node = graph.nodes[nid]
            if node.type in ("Input", "Output"):
                continue
            _emit_node(g, root, graph, report, nid, incoming[nid], values, names[graph.owner_of(nid)])
    refs = list(outputs) if outputs is not None else None
    results = [_resolve(graph, values, incoming, r) for r in (refs or output_nodes(graph))]
    if not results:
        raise CompileError("the network has no output: add an Output node")
    g.output(results[0] if len(results) == 1 and refs is None else tuple(results))
    g.lint()
    gm = fx.GraphModule(root, g, class_name=_class_name(graph.name))
    # a node that shares a module maps to its owner's attribute (train/subgraph.py reuses it)
    gm.meta["netbuilder_modules"] = {nid: names[graph.owner_of(nid)] for nid in graph.nodes
                                     if hasattr(root, names[graph.owner_of(nid)])}
    return gm


def _add_modules(root, graph: Graph, report: ShapeReport, order: list[str], names: dict[str, str]) -> None:
    """One submodule per node with weights, in topological order — the order
    of the state_dict and of code export's attributes. A node that shares
    another's module adds none: its call_module names the owner's."""
    for nid in order:
        node = graph.nodes[nid]
        if node.spec.module is None or node.shares is not None:
            continue
        try:
            root.add_module(names[nid], node.spec.module(report.nodes[nid].inputs, node.params).build())
        except (ShapeError, ValueError, RuntimeError, KeyError) as exc:
            raise CompileError(f"{nid} ({node.type}): {exc}") from exc


def _emit_node(g, root, graph: Graph, report: ShapeReport, nid: str, edges: list, values: dict,
               name: str | None = None) -> None:
    """`name`: the attribute of the node's module (its owner's when shared)."""
    node = graph.nodes[nid]
    spec = node.spec
    args = [values[(e.src, e.src_port)] for e in sorted(edges, key=lambda e: e.dst_port)]
    shapes = report.nodes[nid].inputs
    try:
        if spec.module is not None:
            name = name or module_name(nid)
            if not hasattr(root, name):  # called without _add_modules (a caller's own loop)
                root.add_module(name, spec.module(shapes, node.params).build())
            outs = [g.call_module(name, tuple(args))]
        else:
            outs = list(spec.emit(g, args, shapes, node.params))
    except (ShapeError, ValueError, RuntimeError, KeyError) as exc:
        raise CompileError(f"{nid} ({node.type}): {exc}") from exc
    for port, out in enumerate(outs):
        values[(nid, port)] = out


def _resolve(graph: Graph, values: dict, incoming: dict, ref: str):
    nid, _, port = ref.partition(":")
    if nid not in graph.nodes:
        raise CompileError(f"output {ref!r}: no node {nid!r}")
    if graph.nodes[nid].type == "Output":
        (edge,) = incoming[nid]
        return values[(edge.src, edge.src_port)]
    if port and not port.isdigit():
        raise CompileError(f"output {ref!r}: the port after ':' must be a number, e.g. {nid}:1")
    key = (nid, int(port or 0))
    if key not in values:
        raise CompileError(f"output {ref!r}: node {nid!r} has no output port {key[1]}")
    return values[key]


def _class_name(name: str) -> str:
    # ASCII only: TorchScript cannot save a class named e.g. "...Ρ005" (from "ρ = 0.05")
    parts = "".join(c if c.isascii() and c.isalnum() else " " for c in name).split()
    cls = "".join(p[:1].upper() + p[1:] for p in parts) or "Network"
    return cls if cls[0].isalpha() else f"Net{cls}"


class _nullcontext:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
