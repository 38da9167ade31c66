"""nn.Module → Graph: trace with torch.fx, map each operation onto the catalog.

Supported modules and functions (see fx_rules) become nodes and edges, laid
out left to right by topological generation. Whatever has no catalog
equivalent is listed in the result's report, by name, with the reason; its
consumers are left with an empty input port rather than guessed. When the
import is complete the result is verified like an export: the original's
weights are copied into the compiled graph and both are run on a random batch.
Non-tensor values of the trace (tuples, shapes, RNN outputs) are fx_trace's
markers; the checks after an import are import_checks'.
"""

from __future__ import annotations

import contextlib
import io
import operator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Sequence

from netbuilder.interchange import fx_rules as rules
from netbuilder.interchange.fx_trace import (RNN_PARTS, BatchSize, RnnValue, ShapeValue, TupleValue, describe, dims_text,
                                      hashable, is_node, key_text, rnn_item)
from netbuilder.core.graph import Graph, GraphError
from netbuilder.interchange.import_checks import check_import, example, flatten, transfer_weights
from netbuilder.interchange.user_code import ModuleImportError, load_module_object

if TYPE_CHECKING:  # pragma: no cover
    import torch

DX, DY = 220.0, 120.0  # layout grid, as the shipped presets use
EXAMPLE_BATCH = 2


@dataclass
class Skipped:
    node: str  # the traced operation's name
    what: str  # how it reads in the source
    reason: str

    def __str__(self) -> str:
        return f"{self.node}: {self.what} — {self.reason}"


@dataclass
class ImportResult:
    graph: Graph
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)  # node id -> submodule path in the original
    param_sources: dict[str, str] = field(default_factory=dict)  # Parameter node id -> nn.Parameter path
    original_params: int = 0
    imported_params: int = 0
    max_abs_diff: float | None = None  # outputs vs the original, weights copied; None = not compared

    @property
    def complete(self) -> bool:
        return not self.skipped

    def report(self) -> str:
        lines = [f"{len(self.graph)} nodes, {len(self.graph.edges)} edges; parameters: "
                 f"{self.imported_params:,} imported, {self.original_params:,} in the original"]
        if self.max_abs_diff is not None:
            lines.append(f"outputs match the original with its weights copied (max |difference| "
                         f"{self.max_abs_diff:.1e})")
        if self.skipped:
            lines.append(f"not imported ({len(self.skipped)}):")
            lines += [f"  - {s}" for s in self.skipped]
        if self.notes:
            lines.append("notes:")
            lines += [f"  - {n}" for n in self.notes]
        return "\n".join(lines)


# --------------------------------------------------------------- importer
def import_module(
    module: "torch.nn.Module",
    input_shapes: Sequence[Sequence[int | None]],
    *,
    input_dtypes: Sequence[str] | None = None,
    name: str | None = None,
    verify: bool = True,
) -> ImportResult:
    """Trace `module` and build a Graph; shapes exclude the batch dimension."""
    import torch

    was_training = module.training
    module.eval()  # tracing and shape propagation must not update BatchNorm statistics
    try:
        with torch.no_grad():
            return _Importer(module, input_shapes, input_dtypes, name).run(verify)
    finally:
        module.train(was_training)


class _Importer:
    def __init__(self, module, shapes, dtypes, name) -> None:
        self.module = module
        self.shapes = [list(s) for s in shapes]
        self.dtypes = list(dtypes or ["float32"] * len(self.shapes))
        if len(self.dtypes) != len(self.shapes):
            raise ModuleImportError(f"{len(self.shapes)} input shapes but {len(self.dtypes)} dtypes")
        cls = type(module).__name__
        self.graph = Graph(name=name or cls, description=f"Imported from the PyTorch module {cls}.")
        self.result = ImportResult(self.graph)
        self.values: dict[Any, Any] = {}
        self.materialized: dict[Any, tuple[bool, tuple[str, int]]] = {}
        self.functions = rules.function_rules()
        self.owners: dict[str, str] = {}  # submodule path -> node id of its first call (the weights' owner)
        self.param_nodes: dict[str, tuple[str, int]] = {}  # parameter path -> its Parameter node

    # ------------------------------------------------------------- driver
    def run(self, verify: bool) -> ImportResult:
        gm = self._trace()
        self.gm = gm
        for n in gm.graph.nodes:
            try:
                self.values[n] = self._visit(n)
            except rules.Unmappable as exc:
                self.values[n] = None
                self.result.skipped.append(Skipped(n.name, describe(n, gm), str(exc)))
        _layout(self.graph)
        check_import(self, verify)
        return self.result

    def _trace(self):
        import torch
        import torch.fx as fx

        class Tracer(fx.Tracer):
            def is_leaf_module(self, m, qualname):
                return rules.is_own_module(m) or super().is_leaf_module(m, qualname)

        cls = type(self.module).__name__
        try:
            graph = Tracer().trace(self.module)
        except Exception as exc:  # fx raises TraceError, TypeError, NotImplementedError...
            raise ModuleImportError(
                f"torch.fx cannot trace {cls}.forward: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}"
                " — fx needs a forward without Python branches or loops that depend on tensor values") from None
        gm = fx.GraphModule(self.module, graph, class_name=cls)
        placeholders = [n for n in graph.nodes if n.op == "placeholder"]
        if len(placeholders) != len(self.shapes):
            raise ModuleImportError(f"{cls}.forward takes {len(placeholders)} input(s) "
                                    f"({', '.join(p.name for p in placeholders)}) but {len(self.shapes)} input "
                                    "shape(s) were given")
        self.examples = [example(s, d) for s, d in zip(self.shapes, self.dtypes)]
        prop = _shape_prop(gm)
        try:
            with contextlib.redirect_stderr(io.StringIO()):  # ShapeProp prints a traceback, then raises
                prop.propagate(*self.examples)
        except Exception as exc:
            cause = exc.__cause__ or exc  # ShapeProp wraps the error in a page about fx nodes
            shapes = ", ".join("×".join("?" if v is None else str(v) for v in s) for s in self.shapes)
            at = f" at {describe(prop.current, gm)}" if prop.current is not None else ""
            text = (str(cause).strip().splitlines() or [""])[0]
            raise ModuleImportError(f"running {cls} on inputs of shape {shapes} (plus a batch of {EXAMPLE_BATCH}) "
                                    f"failed{at}: {type(cause).__name__}: {text} — is the input shape right?") from None
        return gm

    # ------------------------------------------------------------- visits
    def _visit(self, n) -> Any:
        if n.op == "placeholder":
            i = len(self.graph.nodes_of_type("Input"))
            return self._add(n.name, "Input", {"shape": self.shapes[i], "dtype": self.dtypes[i]}, [])
        if n.op == "get_attr":
            return self._get_attr(n)
        if n.op == "call_module":
            return self._call_module(n)
        if n.op == "output":
            return self._outputs(n)
        return self._call(n)

    def _call_module(self, n) -> Any:
        sub = self.gm.get_submodule(n.target)
        if type(sub).__name__ in ("LSTM", "GRU", "RNN") and type(sub).__module__.startswith("torch.nn"):
            if n.kwargs or len(n.args) != 1:
                raise rules.Unmappable("called with an initial hidden state (NetBuilder starts from zeros)")
            return RnnValue(n, sub, n.target, self._ref(n.args[0]))
        if type(sub).__name__ == "MultiheadAttention" and not rules.is_own_module(sub):
            return self._torch_attention(n, sub)
        type_name, params = rules.map_module(sub)
        if n.kwargs:
            raise rules.Unmappable(f"called with keyword arguments {sorted(n.kwargs)}")
        if type_name == "MultiheadAttention":
            params["mode"] = ["self", "query_memory", "query_key_value"][len(n.args) - 1]
        return self._add_module(n, type_name, params, [self._ref(a) for a in n.args])

    def _add_module(self, n, type_name: str, params: dict, inputs: list) -> tuple[str, int]:
        """A node for a submodule call; a second call of the same submodule shares the first one's weights."""
        sub = self.gm.get_submodule(n.target)
        weighted = any(True for _ in sub.parameters()) or any(True for _ in sub.buffers())
        owner = self.owners.get(n.target) if weighted else None  # a weightless layer called twice: two nodes
        ref = self._add(n.name, type_name, params, inputs, shares=owner)
        if owner is None:
            self.owners[n.target] = ref[0]
        self.result.sources[ref[0]] = n.target
        return ref

    def _torch_attention(self, n, sub) -> TupleValue:
        """nn.MultiheadAttention returns (output, weights): output [0] becomes the node; weights are refused."""
        sig = rules._sig("query", "key", "value", key_padding_mask=None, need_weights=True, attn_mask=None,
                         average_attn_weights=True, is_causal=False)
        a = rules.bind(sig, n.args, n.kwargs)
        for option in ("key_padding_mask", "attn_mask"):
            if a[option] is not None:
                raise rules.Unmappable(f"called with {option} (NetBuilder's MultiheadAttention takes only a causal "
                                       "option)")
        if a["is_causal"]:
            raise rules.Unmappable("is_causal=True without a mask")
        q, k, v = a["query"], a["key"], a["value"]
        mode, inputs = ("self", [q]) if q is k is v else ("query_memory", [q, k]) if k is v \
            else ("query_key_value", [q, k, v])
        ref = self._add_module(n, "MultiheadAttention", rules.attention_params(sub, mode),
                               [self._ref(x) for x in inputs])
        return TupleValue([ref, _Refused(f"{n.target}'s attention weights (NetBuilder's MultiheadAttention gives "
                                         "the attention output only)")])

    def _get_attr(self, n) -> tuple[str, int]:
        """A bare nn.Parameter (class token, position embedding) of shape (1, ...) becomes a Parameter node."""
        import torch

        value = self.gm
        for part in n.target.split("."):
            value = getattr(value, part)
        if not isinstance(value, torch.nn.Parameter):
            raise rules.Unmappable("reads a buffer directly, outside a layer")
        if value.dim() < 2 or value.shape[0] != 1:
            raise rules.Unmappable(f"reads the parameter {n.target} of shape {dims_text(value.shape)} directly; "
                                   "a NetBuilder Parameter node holds a tensor of shape (1, ...) "
                                   "(a class token, a position embedding)")
        if n.target in self.param_nodes:
            return self.param_nodes[n.target]
        first_input = next(nid for nid in self.graph.nodes if self.graph.nodes[nid].type == "Input")
        ref = self._add(n.name, "Parameter", {"shape": list(value.shape[1:])}, [(first_input, 0)])
        self.result.param_sources[ref[0]] = n.target
        self.param_nodes[n.target] = ref
        return ref

    def _call(self, n) -> Any:
        import torch

        target, args, kwargs = n.target, n.args, n.kwargs
        if target is operator.getitem:
            return self._getitem(n, self.values.get(args[0]) if is_node(args[0]) else args[0], args[1])
        if target is getattr:
            if args[1] == "shape":
                return ShapeValue(self._dims(args[0]))
            raise rules.Unmappable(f"reads the tensor attribute .{args[1]}")
        if n.op == "call_method":
            if target == "size":
                dims = self._dims(args[0])
                dim = args[1] if len(args) > 1 else kwargs.get("dim")
                return ShapeValue(dims) if dim is None else BatchSize() if dim == 0 else dims[dim]
            if target in ("contiguous", "clone"):
                return self._ref(args[0])
            if target == "expand" and self._expands_batch(n):
                return self._ref(args[0])
            if target in ("view", "reshape"):
                return self._reshape(n)
            if target in rules.METHOD_FUNCTIONS:
                target = getattr(torch, target)
        if target is torch.reshape:
            return self._reshape(n)
        if target in (torch.permute, "permute"):
            dims = list(args[1:]) if n.op == "call_method" and not isinstance(args[1], (list, tuple)) else list(args[1])
            if dims[0] % len(dims) != 0:
                raise rules.Unmappable(f"permutes the batch dimension (dims {dims})")
            return self._add(n.name, "Permute", {"dims": dims}, [self._ref(args[0])])
        if target in (torch.transpose, "transpose", torch.swapaxes, "swapaxes"):
            a = rules.bind(rules._sig("input", "dim0", "dim1"), args, kwargs)
            rank = len(self._dims(a["input"]))
            if 0 in (a["dim0"] % rank, a["dim1"] % rank):
                raise rules.Unmappable("transposes the batch dimension")
            return self._add(n.name, "Transpose", {"dim0": a["dim0"], "dim1": a["dim1"]}, [self._ref(a["input"])])
        if target in (torch.matmul, torch.mm, torch.bmm, operator.matmul, "matmul", "mm", "bmm"):
            a = rules.bind(rules._sig("input", "other"), args, kwargs)
            refs = [self._tensor(a["input"], "a constant"), self._tensor(a["other"], "a constant")]
            return self._add(n.name, "MatMul", {}, refs)
        if target in _ARITHMETIC:  # shape arithmetic on sizes the trace knows (channels // groups)
            values = [self.values.get(a) if is_node(a) else a for a in args]
            if all(type(v) is int for v in values) and not kwargs:
                return _ARITHMETIC[target](*values)
        merge = rules.merge_type(target)
        if merge:
            a = rules.bind(rules.SIG_BINARY, args, kwargs)
            if a["alpha"] != 1:
                raise rules.Unmappable(f"alpha={a['alpha']}")
            refs = [self._tensor(a["input"], "a constant"), self._tensor(a["other"], "a constant")]
            return self._add(n.name, merge, {"num_inputs": 2}, refs)
        if target in (torch.cat, torch.concat, torch.concatenate):
            return self._cat(n, rules.bind(rules.SIG_CAT, args, kwargs))
        if target is torch.chunk or target == "chunk":
            a = rules.bind(rules.SIG_CHUNK, args, kwargs)
            ref = self._add(n.name, "Chunk", {"chunks": a["chunks"], "dim": a["dim"]}, [self._ref(a["input"])])
            return TupleValue([(ref[0], i) for i in range(a["chunks"])])
        if target is torch.split or target == "split":
            return self._split(n, rules.bind(rules.SIG_SPLIT, args, kwargs))
        if target is torch.flatten or target == "flatten":
            a = rules.bind(rules.SIG_FLATTEN, args, kwargs)
            if a["start_dim"] == 0 or a["start_dim"] == -len(self._dims(a["input"])):
                raise rules.Unmappable("flattens the batch dimension too (start_dim=0); use start_dim=1")
            return self._add(n.name, "Flatten", {"start_dim": a["start_dim"], "end_dim": a["end_dim"]},
                             [self._ref(a["input"])])
        if target in (torch.mean, torch.amax, "mean", "amax"):
            return self._reduce(n, "Max" if target in (torch.amax, "amax") else "Avg")
        if callable(target) and hashable(target) and target in self.functions:
            sig, rule = self.functions[target]
            bound = rules.bind(sig, args, kwargs)
            type_name, params = rule(bound)
            first = next(iter(bound))
            return self._add(n.name, type_name, params, [self._ref(bound[first])])
        raise rules.Unmappable("no NetBuilder layer computes it")

    def _expands_batch(self, n) -> bool:
        """x.expand(B, -1, ...) of a value that already has the batch (a Parameter node's output)."""
        ref = self.values.get(n.args[0]) if is_node(n.args[0]) else None
        return isinstance(ref, tuple) and self.graph.nodes[ref[0]].type == "Parameter" \
            and all(s == -1 or isinstance(self.values.get(s) if is_node(s) else s, BatchSize) or i > 0 and
                    s == self._dims(n)[i] for i, s in enumerate(n.args[1:]))

    def _getitem(self, n, base: Any, key: Any) -> Any:
        if isinstance(base, TupleValue):
            item = base.items[key]
            if isinstance(item, _Refused):
                if not n.users:  # `out, _ = self.attn(...)`: the weights are unpacked but never used
                    return None
                raise rules.Unmappable(f"reads {item.what}")
            return item
        if isinstance(base, ShapeValue):
            return BatchSize() if key == 0 else base.dims[key]
        if isinstance(base, RnnValue):
            return rnn_item(base, key)
        if base is None:
            return None
        raise rules.Unmappable(f"indexes a tensor ([{key_text(key)}])")

    def _cat(self, n, a: dict) -> Any:
        items = [self.values.get(t) if is_node(t) else t for t in a["tensors"]]
        if len(items) == 2 and all(isinstance(i, RnnValue) and i.part == "h_index" for i in items) \
                and items[0].call is items[1].call and items[0].module.bidirectional:
            last = items[0].module.num_layers * 2
            if [i.index for i in items] == [last - 2, last - 1] and a["dim"] in (1, -1):
                return self._materialize(items[0], False)
        if a["dim"] % (len(self._dims(a["tensors"][0])) or 1) == 0:
            raise rules.Unmappable("concatenates along the batch dimension (dim 0)")
        if len(items) == 1:
            return self._ref(a["tensors"][0])
        return self._add(n.name, "Concat", {"num_inputs": len(items), "dim": a["dim"]},
                         [self._ref(t) for t in a["tensors"]])

    def _reshape(self, n) -> Any:
        source = n.args[0]
        sizes = list(n.args[1:]) if n.op == "call_method" else list(n.args[1:2])
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = list(sizes[0])
        in_dims, out_dims = self._dims(source), self._dims(n)
        first = self.values.get(sizes[0]) if sizes and is_node(sizes[0]) else sizes[0] if sizes else None
        if not (isinstance(first, BatchSize) or first == -1) or out_dims[0] != in_dims[0]:
            raise rules.Unmappable(f"reshapes across the batch dimension (to {dims_text(out_dims)})")
        if out_dims == in_dims:
            return self._ref(source)
        if len(out_dims) == 2:
            return self._add(n.name, "Flatten", {}, [self._ref(source)])
        return self._add(n.name, "Reshape", {"shape": list(out_dims[1:])}, [self._ref(source)])

    def _reduce(self, n, kind: str) -> Any:
        a = rules.bind(rules.SIG_REDUCE, n.args, n.kwargs)
        rank = len(self._dims(a["input"]))
        dims = a["dim"] if isinstance(a["dim"], (list, tuple)) else [a["dim"]]
        if a["dim"] is None or sorted(d % rank for d in dims) != list(range(2, rank)) or a.get("dtype") is not None:
            raise rules.Unmappable("reduces dims other than all the spatial ones")
        if a["keepdim"]:
            if rank != 4:
                raise rules.Unmappable("keepdim=True on a tensor that is not (N, C, H, W)")
            return self._add(n.name, f"Adaptive{kind}Pool2d", {"output_size": 1}, [self._ref(a["input"])])
        return self._add(n.name, f"Global{kind}Pool", {}, [self._ref(a["input"])])

    def _outputs(self, n) -> None:
        flat = flatten(n.args[0])
        for i, v in enumerate(flat):
            nid = "output" if len(flat) == 1 else f"output_{i + 1}"
            try:
                self._add(nid, "Output", {}, [self._tensor(v, "a non-tensor value")])
            except rules.Unmappable as exc:
                self.result.skipped.append(Skipped(nid, f"return value {i + 1}", str(exc)))
        return None

    # ------------------------------------------------------------ helpers
    def _split(self, n, a: dict) -> TupleValue:
        sections = a["split_size_or_sections"]
        if isinstance(sections, int):  # equal parts of that size, the last one smaller
            size = self._dims(a["input"])[a["dim"]]
            sections = [min(sections, size - start) for start in range(0, size, sections)]
        ref = self._add(n.name, "Split", {"split_size_or_sections": list(sections), "dim": a["dim"]},
                        [self._ref(a["input"])])
        return TupleValue([(ref[0], i) for i in range(len(sections))])

    def _dims(self, fx_node) -> tuple:
        meta = getattr(fx_node, "meta", {}).get("tensor_meta")
        if meta is None or not hasattr(meta, "shape"):
            raise rules.Unmappable("works on a value whose shape is unknown")
        return tuple(meta.shape)

    def _tensor(self, arg: Any, what: str) -> Any:
        if not is_node(arg):
            raise rules.Unmappable(f"combines a tensor with {what} ({arg!r})")
        return self._ref(arg)

    def _ref(self, arg: Any) -> tuple[str, int] | None:
        """The (node, port) a tensor argument comes from; None if it was not imported."""
        value = self.values.get(arg) if is_node(arg) else arg
        if value is None or isinstance(value, tuple):
            return value
        if isinstance(value, RnnValue):
            return self._rnn_ref(value)
        raise rules.Unmappable(f"uses {type(value).__name__.strip('_').lower()} {value!r} as a layer input")

    def _rnn_ref(self, rnn: RnnValue) -> tuple[str, int]:
        last = rnn.module.num_layers * (2 if rnn.module.bidirectional else 1) - 1
        if rnn.part == "seq":
            return self._materialize(rnn, True)
        if rnn.part in ("h_index", "last_step") and not rnn.module.bidirectional \
                and (rnn.part == "last_step" or rnn.index == last):
            return self._materialize(rnn, False)
        raise rules.Unmappable(
            f"uses {rnn.qual}'s {RNN_PARTS.get(rnn.part, rnn.part)}; a NetBuilder {type(rnn.module).__name__} node "
            "gives every step's output or the last layer's final hidden state (both directions concatenated)")

    def _materialize(self, rnn: RnnValue, sequences: bool) -> tuple[str, int]:
        done = self.materialized.get(rnn.call)
        if done is not None:
            if done[0] != sequences:
                raise rules.Unmappable(f"{rnn.qual} is used both as a sequence and as a final state; a NetBuilder "
                                       "recurrent node gives one of them")
            return done[1]
        mode, params = rules.recurrent_params(rnn.module, sequences)
        ref = self._add(rnn.call.name, mode, params, [rnn.input])
        self.result.sources[ref[0]] = rnn.qual
        self.materialized[rnn.call] = (sequences, ref)
        return ref

    def _add(self, base: str, type_name: str, params: dict, inputs: list,
             shares: str | None = None) -> tuple[str, int]:
        nid = base if base not in self.graph.nodes else self.graph.new_id(base)
        try:
            self.graph.add_node(type_name, params, id=nid, shares=shares)
            for port, ref in enumerate(inputs):
                if ref is not None:
                    self.graph.add_edge(ref[0], nid, ref[1], port)
        except GraphError as exc:
            if nid in self.graph.nodes:
                self.graph.remove_node(nid)
            raise rules.Unmappable(f"as {type_name}: {exc}") from None
        return (nid, 0)


# --------------------------------------------------------------- utilities
_ARITHMETIC = {operator.floordiv: operator.floordiv, operator.mul: operator.mul, operator.add: operator.add,
               operator.sub: operator.sub}

@dataclass
class _Refused:  # a tuple item with no catalog equivalent (an attention module's weights)
    what: str


def _shape_prop(gm):
    """torch's ShapeProp, remembering the node it ran last (the one that failed)."""
    from torch.fx.passes.shape_prop import ShapeProp

    class Prop(ShapeProp):
        current = None

        def run_node(self, n):
            self.current = n
            return super().run_node(n)

    return Prop(gm)


def _layout(graph: Graph) -> None:
    """Columns by topological generation (left → right), rows centred."""
    import networkx as nx

    dag = nx.DiGraph()
    dag.add_nodes_from(graph.nodes)
    dag.add_edges_from((e.src, e.dst) for e in graph.edges)
    order = {nid: i for i, nid in enumerate(graph.nodes)}
    for col, generation in enumerate(nx.topological_generations(dag)):
        members = sorted(generation, key=order.__getitem__)
        for row, nid in enumerate(members):
            graph.move_node(nid, (col * DX, (row - (len(members) - 1) / 2) * DY))


__all__ = ["ImportResult", "ModuleImportError", "Skipped", "import_module", "load_module_object", "transfer_weights"]
