"""Import an ONNX model file as a NetBuilder graph with its weights.

Each ONNX node maps onto a catalog layer (rules in onnx_ops.py and
onnx_shape_ops.py; a constant operand adds a Parameter node); its
initializers become the layer's state_dict entries. LSTM/GRU/RNN patterns
and the size arithmetic around them are followed in onnx_rnn.py and
onnx_sizes.py. Anything without a
catalog equivalent is listed by op type and node name, and what depends on
it is left out too — never a silently different model. When the graph is
complete, the compiled graph and onnxruntime run the same random batch and
the report gives the largest difference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from netbuilder.core.graph import Graph, GraphError
from netbuilder.interchange.fx_result import ImportResult, Skipped
from netbuilder.interchange.fx_rules import Unmappable
from netbuilder.interchange.layout import layout_by_generation
from netbuilder.interchange.onnx_ops import RULES as _BASIC
from netbuilder.interchange.onnx_ops import Mapped, OpContext
from netbuilder.interchange.onnx_read import OnnxImportError, brief, read_model
from netbuilder.interchange.onnx_rnn import Refused, RnnFusion
from netbuilder.interchange.onnx_shape_ops import RULES as _MORE

RULES = _BASIC | _MORE

INSTALL_HINT = "reading ONNX files needs the onnx package: pip install 'netbuilder[onnx]'"
_DTYPES = {1: "float32", 7: "int64"}  # onnx.TensorProto.FLOAT / INT64
_ALIASES = ("Identity", "Dropout")  # ops that pass their input through in inference
DX, DY = 200.0, 110.0


_STANDARD_DOMAINS = ("", "ai.onnx")
MAX_ID = 64  # characters of a node id made from an ONNX name (the format's limit is 200)
# what a rule or pattern may raise on a node the checker let through with odd attributes or inputs
_MALFORMED = (IndexError, KeyError, TypeError, ValueError, AttributeError, OverflowError, ZeroDivisionError)


@dataclass
class OnnxImportResult(ImportResult):
    weights: dict[str, Any] = field(default_factory=dict)  # the compiled graph's state_dict (torch tensors)
    checked_with: str = ""  # onnxruntime, or onnx.reference without it
    module: Any = None  # the compiled graph with the weights loaded

    def report(self) -> str:
        lines = super().report().splitlines()
        lines[0] = "read the ONNX graph"
        lines[1] = lines[1].replace("parameters:", "weight values:").replace("in the original", "in the file")
        if self.max_abs_diff is not None:
            lines[2] = (f"outputs match {self.checked_with} on a random batch (max |difference| "
                        f"{self.max_abs_diff:.1e})")
        return "\n".join(lines)


def import_onnx(path: str | Path, name: str | None = None, verify: bool = True) -> OnnxImportResult:
    """Read `path` and build the graph; raises OnnxImportError when nothing can be imported.
    The file may come from anyone: whatever is in it ends in an OnnxImportError or a result
    that lists what was left out, never another exception (onnx_read.py has the limits)."""
    path = Path(path)
    try:
        model = _read(path)
        importer = _Importer(model, name or path.stem)
        result = importer.run()
        if result.complete:
            _finish(result, importer, model, verify)
        return result
    except OnnxImportError as exc:
        if not str(exc).startswith(str(path)):  # every message names the file
            raise OnnxImportError(f"{path}: {exc}") from None
        raise
    except MemoryError:
        raise OnnxImportError(f"{path}: not enough memory to import this model") from None
    except (RecursionError, GraphError, *_MALFORMED) as exc:  # a case no check above names: still one line
        raise OnnxImportError(f"{path}: cannot be imported ({type(exc).__name__}: {brief(str(exc))}); "
                              "please report this file as an importer bug") from None


def _read(path: Path) -> Any:
    try:
        import onnx
    except ImportError:
        raise OnnxImportError(INSTALL_HINT) from None
    model = read_model(path)  # a regular file under the size cap, sizes and names checked, external data in
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # ValidationError and whatever else the checker raises: "not a usable ONNX file"
        text = re.sub(r"\s+", " ", str(exc)).strip() or type(exc).__name__  # the node is named on a later line
        raise OnnxImportError(f"{path}: not a valid ONNX model ({text[:300]})") from None
    try:
        return onnx.shape_inference.infer_shapes(model)
    except Exception:  # without inferred ranks, rules that need one say so by node
        return model


class _Importer:
    def __init__(self, model: Any, name: str):
        import onnx.numpy_helper as nh

        self.onnx = model.graph
        self.graph = Graph(name=_safe_name(name))
        self.result = OnnxImportResult(self.graph, traced_with="ONNX")
        self.consts: dict[str, np.ndarray] = {t.name: nh.to_array(t) for t in self.onnx.initializer}
        self.dims: dict[str, list[int | None]] = {}
        for info in [*self.onnx.input, *self.onnx.value_info, *self.onnx.output]:
            if info.type.tensor_type.HasField("shape"):
                self.dims[info.name] = [d.dim_value if d.HasField("dim_value") else None
                                        for d in info.type.tensor_type.shape.dim]
        self.values: dict[str, tuple[str, int]] = {}  # ONNX tensor -> (node id, output port)
        self.mapped: dict[str, Mapped] = {}  # node id -> what made it (weights, for folding a bias)
        self.uses: dict[str, int] = {}  # ONNX tensor -> how many nodes read it
        for node in self.onnx.node:
            for t in node.input:
                self.uses[t] = self.uses.get(t, 0) + 1
        self.batch: int | None = None
        self.rnn = RnnFusion(self)  # LSTM/GRU/RNN patterns and the size arithmetic around them
        self.constant_values = 0  # Constant-node values that became Parameter weights (counted as in the file)

    def run(self) -> OnnxImportResult:
        self._inputs()
        for node in self.onnx.node:
            self._node(node)
        for out in self.onnx.output:
            self._output(out.name)
        self.result.original_params = sum(int(self.consts[t.name].size) for t in self.onnx.initializer
                                          if self.consts[t.name].dtype.kind == "f") + self.constant_values
        layout_by_generation(self.graph, DX, DY)
        return self.result

    def _inputs(self) -> None:
        for info in self.onnx.input:
            if info.name in self.consts:
                continue  # old exporters list initializers as inputs too
            tensor = info.type.tensor_type
            dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
            if tensor.elem_type not in _DTYPES or len(dims) < 2:
                raise OnnxImportError(f"input {brief(info.name)}: only float32/int64 tensors with a batch dim and at "
                                      f"least one more are supported (got element type {tensor.elem_type}, "
                                      f"{len(dims)} dims)")
            self.batch = self.batch or dims[0]
            try:
                nid = self._add("Input", {"shape": dims[1:], "dtype": _DTYPES[tensor.elem_type]}, info.name)
            except GraphError as exc:
                raise OnnxImportError(f"input {brief(info.name)}: {exc}") from None
            self.values[info.name] = (nid, 0)

    def _node(self, node: Any) -> None:
        label = f"{node.op_type} {brief(node.name or _first(node.output))}"
        if node.domain not in _STANDARD_DOMAINS:
            self._skip(node, label, f"{node.op_type} is a custom op of the domain {brief(node.domain)} (only "
                                    "standard ONNX ops map onto layers)")
            return
        if not node.output or not node.output[0]:
            self._skip(node, label, "the node has no output")
            return
        try:
            self._map(node, label)
        except _MALFORMED as exc:  # attributes or inputs that do not fit the op's definition
            self._skip(node, label, f"its attributes or inputs do not fit the ONNX {node.op_type} op "
                                    f"({type(exc).__name__}: {brief(str(exc))})")

    def _map(self, node: Any, label: str) -> None:
        if node.op_type == "Constant":
            self._constant(node, label)
            return
        if node.op_type in _ALIASES and node.input and node.input[0] in self.values:
            self.values[node.output[0]] = self.values[node.input[0]]
            return
        if node.op_type in _ALIASES and node.input and node.input[0] in self.consts:  # deduped initializers
            self.consts[node.output[0]] = self.consts[node.input[0]]
            return
        try:
            if self.rnn.handle(node):
                return
        except Refused as exc:
            self._skip(node, label, str(exc))
            return
        if node.op_type == "Reshape" and len(node.input) > 1 and node.input[1] in self.rnn.sizes:
            target = self.rnn.sizes.resolve(node.input[1])  # x.view(x.size(0), -1): [batch, -1]
            if target is not None:
                self.consts[node.input[1]] = target
        missing = [t for t in node.input if t and t not in self.values and t not in self.consts]
        if missing:
            why = self.rnn.why_missing(missing[0]) or f"its input {brief(missing[0])} was not imported"
            self._skip(node, label, why)
            return
        if self._fold_bias(node):
            return
        rule = RULES.get(node.op_type)
        if rule is None:
            self._skip(node, label, f"no catalog layer for the ONNX op {node.op_type}")
            return
        try:
            made = rule(OpContext(node, self.consts, self.dims, self.batch))
        except Unmappable as exc:
            self._skip(node, label, str(exc))
            return
        self._place(node, label, made if isinstance(made, list) else [made])

    def _place(self, node: Any, label: str, made: list[Mapped]) -> None:
        """Add the layers a rule made, in order (a helper's output may feed the next)."""
        added: list[str] = []
        try:
            for mapped in made:
                if any(t not in self.values for t in mapped.inputs):
                    raise Unmappable("a constant where NetBuilder needs a computed tensor")
                onnx_name = node.name or node.output[0]
                nid = self._add(mapped.type, mapped.params, f"{onnx_name}/{mapped.name}" if mapped.name
                                else onnx_name)
                added.append(nid)
                self.mapped[nid] = mapped
                for port, tensor in enumerate(mapped.inputs):
                    src, src_port = self.values[tensor]
                    self.graph.add_edge(src, nid, src_port, port, check_cycle=False)
                for port, tensor in enumerate(mapped.outputs or [node.output[0]]):
                    self.values[tensor] = (nid, port)
            self.constant_values += sum(int(v.size) for m in made if m.type == "Parameter" for v in m.weights.values())
        except (Unmappable, GraphError) as exc:
            for nid in added:  # nothing half-made stays
                self.graph.remove_node(nid)
                self.mapped.pop(nid, None)
            self.values = {t: v for t, v in self.values.items() if v[0] not in added}
            self._skip(node, label, str(exc))

    def _constant(self, node: Any, label: str) -> None:
        import onnx

        attr = {a.name: a for a in node.attribute}
        if "value" not in attr:
            self._skip(node, label, "only Constant with a tensor 'value' is read")
            return
        self.consts[node.output[0]] = onnx.numpy_helper.to_array(attr["value"].t)

    def _fold_bias(self, node: Any) -> bool:
        """MatMul(x, W) + b (how ONNX writes a Linear on 3-d input) → one Linear with a bias."""
        if node.op_type != "Add" or len(node.input) != 2:
            return False
        for x, b in (node.input, reversed(node.input)):
            bias = self.consts.get(b)
            src = self.values.get(x)
            owner = self.mapped.get(src[0]) if src else None
            if (bias is None or owner is None or owner.type != "Linear" or owner.params["bias"]
                    or self.uses.get(x) != 1 or bias.size != owner.params["out_features"]):
                continue
            owner.params["bias"] = True
            owner.weights["bias"] = bias.reshape(-1).copy()
            self.graph.set_params(src[0], {"bias": True})
            self.values[node.output[0]] = src
            return True
        return False

    def _output(self, tensor: str) -> None:
        if tensor not in self.values:
            why = self.rnn.why_missing(tensor)
            if why:  # nothing was skipped for it yet
                why = why.replace("its input", "the output")
                self.result.skipped.append(Skipped(tensor, f"output {brief(tensor)}", why))
            return  # otherwise its producer is already listed as skipped
        nid = self._add("Output", {}, f"out_{tensor}")
        src, port = self.values[tensor]
        self.graph.add_edge(src, nid, port, 0, check_cycle=False)

    def _skip(self, node: Any, label: str, reason: str) -> None:
        self.result.skipped.append(Skipped(node.name or _first(node.output), label, reason))  # names ≤ MAX_NAME

    def _add(self, type_name: str, params: dict, onnx_name: str) -> str:
        nid = _node_id(onnx_name, type_name, self.graph)
        self.graph.add_node(type_name, params, id=nid)
        return nid


def _node_id(onnx_name: str, type_name: str, graph: Graph) -> str:
    """'/layer1/conv1/Conv' -> 'layer1_conv1' (the PyTorch module path); unique."""
    parts = [p for p in onnx_name.split("/") if p]
    base = "_".join(parts[:-1] if len(parts) > 1 else parts)
    base = re.sub(r"\W", "_", base).strip("_")[-MAX_ID:].strip("_")  # the end of a long path names the layer
    if not base or base[0].isdigit():
        base = f"{type_name.lower()}_{base}" if base else ""
    if not base:
        return graph.new_id(type_name)
    nid, i = base, 2
    while nid in graph.nodes:
        nid, i = f"{base}_{i}", i + 1
    return nid


def _first(names: Any) -> str:
    return names[0] if len(names) else ""


def _safe_name(name: str) -> str:
    return re.sub(r"[^\w .-]", "_", name)[:80] or "imported"


def _finish(result: OnnxImportResult, imp: _Importer, model: Any, verify: bool) -> None:
    from netbuilder.interchange.onnx_weights import load_weights, verify_outputs

    load_weights(result, imp.mapped)
    if verify:  # the model as read and checked here, never the file again (it may have changed)
        verify_outputs(result, model, [i.name for i in imp.onnx.input if i.name not in imp.consts])
