"""nn.Module → Graph: trace (fx_tracing), then map each operation onto the catalog.

Supported modules and functions (see fx_rules; function calls in fx_calls)
become nodes and edges, laid out left to right by topological generation.
Whatever has no catalog equivalent is listed in the result's report, by name,
with the reason; its consumers are left with an empty input port rather than
guessed. When the import is complete the result is verified like an export:
the original's weights are copied into the compiled graph and both are run on
a random batch. Non-tensor values of the trace (tuples, shapes, RNN outputs)
are fx_trace's markers; the checks after an import are import_checks'.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

from netbuilder.core.graph import Graph, GraphError
from netbuilder.interchange import fx_rules as rules
from netbuilder.interchange.fx_calls import FunctionCalls
from netbuilder.interchange.fx_masks import bind_call, causal_option, find_masks, torch_layer
from netbuilder.interchange.fx_result import ImportResult, Skipped
from netbuilder.interchange.fx_trace import RNN_PARTS, RnnValue, Refused, TupleValue, describe, dims_text, is_node
from netbuilder.interchange.fx_tracing import EXAMPLE_BATCH, trace
from netbuilder.interchange.import_checks import check_import, example, flatten, transfer_weights
from netbuilder.interchange.layout import layout_by_generation
from netbuilder.interchange.user_code import ModuleImportError, load_module_object

if TYPE_CHECKING:  # pragma: no cover
    import torch

DX, DY = 220.0, 120.0  # layout grid, as the shipped presets use

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


class _Importer(FunctionCalls):
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
        self.examples = [example(s, d, batch=EXAMPLE_BATCH) for s, d in zip(self.shapes, self.dtypes)]
        gm, self.result.traced_with, self.fixed_args = trace(self.module, self.shapes, self.examples)
        self.gm = gm
        masks = find_masks(gm, self.examples)  # what builds a causal mask is the layers' causal option, not nodes
        for n in gm.graph.nodes:
            if n in masks:
                self.values[n] = masks[n]
                continue
            try:
                self.values[n] = self._visit(n)
            except rules.Unmappable as exc:
                self.values[n] = None
                self.result.skipped.append(Skipped(n.name, describe(n, gm), str(exc)))
        layout_by_generation(self.graph, DX, DY)
        check_import(self, verify)
        return self.result

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
            if n.kwargs or len(n.args) not in (1, 2) or len(n.args) == 2 and n.args[1] is not None:
                raise rules.Unmappable("called with an initial hidden state (NetBuilder starts from zeros)")
            return RnnValue(n, sub, n.target, self._ref(n.args[0]))
        if torch_layer(sub) == "MultiheadAttention":
            return self._torch_attention(n, sub)
        if torch_layer(sub) == "TransformerEncoder":
            return self._encoder_stack(n, sub)
        if torch_layer(sub):  # nn.Transformer{Encoder,Decoder}Layer: a causal mask is the causal option
            bound, mask, flag = bind_call(n, sub)
            type_name, params = rules.map_module(sub)
            params["causal"] = causal_option(bound, mask, flag, self.values)
            inputs = [bound["src"]] if "src" in bound else [bound["tgt"], bound["memory"]]
            return self._add_module(n, type_name, params, [self._ref(a) for a in inputs])
        type_name, params = rules.map_module(sub)
        if n.kwargs:
            raise rules.Unmappable(f"called with keyword arguments {sorted(n.kwargs)}")
        if type_name == "Dropout2d" and len(self._dims(n.args[0])) == 2:
            type_name = "Dropout"  # torch's dropout2d on (N, C) is element-wise dropout (its own warning says so)
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

    def _encoder_stack(self, n, sub) -> tuple[str, int]:
        """nn.TransformerEncoder: its layers one node each (weights from encoder.layers.i), then its norm."""
        bound, mask, flag = bind_call(n, sub)
        causal = causal_option(bound, mask, flag, self.values)
        ref = self._ref(bound["src"])
        parts = [(f"layers.{i}", layer) for i, layer in enumerate(sub.layers)]
        for path, part in parts + ([("norm", sub.norm)] if sub.norm is not None else []):
            type_name, params = rules.map_module(part)
            if type_name == "TransformerEncoderLayer":
                params["causal"] = causal
            ref = self._add(f"{n.name}_{path.replace('.', '_')}", type_name, params, [ref])
            self.result.sources[ref[0]] = f"{n.target}.{path}"
        return ref

    def _torch_attention(self, n, sub) -> TupleValue:
        """nn.MultiheadAttention returns (output, weights): output [0] becomes the node; weights are refused."""
        a, mask, flag = bind_call(n, sub)
        causal = causal_option(a, mask, flag, self.values)
        q, k, v = a["query"], a["key"], a["value"]
        mode, inputs = ("self", [q]) if q is k is v else ("query_memory", [q, k]) if k is v \
            else ("query_key_value", [q, k, v])
        params = {**rules.attention_params(sub, mode), "causal": causal}
        ref = self._add_module(n, "MultiheadAttention", params, [self._ref(x) for x in inputs])
        return TupleValue([ref, Refused(f"{n.target}'s attention weights (NetBuilder's MultiheadAttention gives "
                                         "the attention output only)")])

    def _get_attr(self, n) -> tuple[str, int]:
        """A bare nn.Parameter (class token, position embedding) of shape (1, ...) becomes a Parameter node."""
        import torch

        value = self.gm
        for part in n.target.split("."):
            value = getattr(value, part)
        if not isinstance(value, torch.nn.Parameter) and n.target.startswith("_tensor_constant"):
            raise rules.Unmappable(f"uses a fixed tensor of shape {dims_text(value.shape)} computed while tracing "
                                   "(a buffer sliced to the example's size, e.g. a positional-encoding table); "
                                   "NetBuilder has no layer holding a fixed tensor")
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
        try:
            mode, params = rules.recurrent_params(rnn.module, sequences)
        except rules.Unmappable as exc:  # reported at the first use of the output: name the layer itself
            raise rules.Unmappable(f"self.{rnn.qual} (nn.{type(rnn.module).__name__}): {exc}") from None
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


__all__ = ["ImportResult", "ModuleImportError", "Skipped", "import_module", "load_module_object", "transfer_weights"]
