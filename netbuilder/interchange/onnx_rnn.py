"""ONNX LSTM/GRU/RNN → one NetBuilder recurrent node (batch_first).

torch.onnx.export writes nn.LSTM(batch_first=True) as a pattern, not one op:

    Shape → Gather → Unsqueeze → Concat → ConstantOfShape   (zero initial state)
    Transpose(x, [1, 0, 2])                                 (to time-major)
    LSTM(X, W, R, B, '', h0, c0)                            (Y: L × D × N × H)
    Squeeze(Y, [1])  or  Transpose(Y, [0, 2, 1, 3]) → Reshape([0, 0, -1])
    Transpose(…, [1, 0, 2])                                 (back to batch-first)

This module follows that pattern as *views* of tensors NetBuilder already
has: "time-major of value v", "Y of recurrent node n", "a tensor computed
only from sizes (or zeros)". Only the recurrent op itself becomes a node; a
stacked layer reading the previous one's Y directly joins it (num_layers),
and `out[:, -1]` of a one-direction layer becomes return_sequences=False.
Weights are reordered: ONNX keeps gates i,o,f,c (LSTM) and z,r,h (GRU),
PyTorch i,f,g,o and r,z,n; ONNX's B is the two bias vectors end to end.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from netbuilder.interchange.onnx_ops import Mapped
from netbuilder.interchange.onnx_sizes import BATCH, SizeTracker, TooLarge

_GATE_ORDER = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}  # torch gate k = ONNX block _GATE_ORDER[k]


class Refused(Exception):
    """This node is part of the recurrent pattern but cannot be imported; the message says why."""


@dataclass
class _Layer:
    nid: str
    mode: str
    hidden: int
    directions: int
    layers: int = 1
    nonlinearity: str = "tanh"
    last_y: str = ""  # the Y of the op that made the top layer


class RnnFusion:
    """Consumes the nodes of the recurrent pattern for an _Importer (onnx_import.py)."""

    def __init__(self, importer: Any):
        self.imp = importer
        self.sizes = SizeTracker(importer.consts, importer.dims, self._batch_axis)
        self.uses: dict[str, int] = {}  # readers of a tensor other than Shape (which reads only its sizes)
        for node in importer.onnx.node:
            for t in node.input if node.op_type != "Shape" else ():
                self.uses[t] = self.uses.get(t, 0) + 1
        self.time_major: dict[str, tuple[str, int]] = {}  # tensor -> the batch-first value it transposes
        self.y: dict[str, _Layer] = {}  # Y (L × D × N × H) of a recurrent node
        self.y_swapped: dict[str, _Layer] = {}  # Y transposed to L × N × D × H
        self.sequences: dict[tuple[str, int], _Layer] = {}  # a recurrent node's batch-first output
        self.joinable: set[str] = set()  # time-major tensors read by exactly one node, straight from a Y
        # h_n rows (layer·D + direction, as PyTorch stacks them): (layer, first row, row count)
        self.final_h: dict[str, tuple[_Layer, int, int]] = {}
        self.direction_h: dict[str, tuple[_Layer, int]] = {}  # one row of a bidirectional top layer: direction
        self.unreadable: dict[str, str] = {}  # final states no layer returns -> why

    def _batch_axis(self, tensor: str) -> int | None:
        if tensor in self.imp.values:
            return 0
        if tensor in self.time_major or tensor in self.y_swapped:
            return 1
        return 2 if tensor in self.y else None

    def why_missing(self, tensor: str) -> str | None:
        if tensor in self.unreadable:
            return self.unreadable[tensor]
        if tensor in self.final_h:
            return f"its input {tensor!r} is a final state other than the top layer's (no catalog layer returns it)"
        if tensor in self.direction_h:
            return (f"its input {tensor!r} is one direction's final state alone; a bidirectional layer returns "
                    "both concatenated (torch.cat([h_n[-2], h_n[-1]], 1))")
        if tensor in self.sizes and self.sizes.is_zeros(tensor):
            return (f"its input {tensor!r} is a zero tensor built from sizes (ONNX Shape); only a recurrent "
                    "layer's initial state may be one")
        if tensor in self.sizes:
            return f"its input {tensor!r} is computed from tensor sizes (ONNX Shape), which layers do not represent"
        if tensor in self.time_major or tensor in self.y or tensor in self.y_swapped:
            return f"its input {tensor!r} is time-major (batch off axis 0); only a recurrent layer reads that"
        return None

    def handle(self, node: Any) -> bool:
        """True when `node` was consumed here (raises Refused when it belongs here but cannot map)."""
        ins = [t for t in node.input if t]
        op = node.op_type
        try:
            if self.sizes.handle(node):
                return True
        except TooLarge as exc:  # onnxruntime would allocate it when the import is verified
            raise Refused(str(exc)) from None
        if op in ("LSTM", "GRU", "RNN"):
            self._recurrent(node)
            return True
        if op == "Transpose":
            return self._transpose(node)
        if op == "Squeeze" and ins[0] in self.y:
            layer = self.y[ins[0]]
            if layer.directions != 1 or [int(a) for a in np.atleast_1d(self._const(node, 1, "axes"))] != [1]:
                raise Refused("squeezes an axis other than the direction axis of a one-direction layer")
            self._to_time_major(node.output[0], layer, ins[0])
            return True
        if op == "Reshape" and ins[0] in self.y_swapped:
            layer = self.y_swapped[ins[0]]
            worked_out = self.sizes.value.get(node.input[1])  # dynamo writes [L, N, D·H] from Shape ops
            target = worked_out if worked_out is not None else [int(s) for s in self._const(node, 1, "shape")]
            if len(target) != 3 or target[1] not in (0, BATCH, self.imp.batch or 0) or target[2] not in (
                    -1, layer.hidden * layer.directions):
                raise Refused(f"reshapes the directions of {layer.nid} to {target} (only [L, N, D·H] is read)")
            self._to_time_major(node.output[0], layer, ins[0])
            return True
        if op == "Gather" and ins[0] in self.imp.values and self.imp.values[ins[0]] in self.sequences:
            return self._last_step(node)
        if op == "Concat" and ins and all(t in self.final_h for t in ins):
            return self._stack(node, ins)
        if op == "Concat" and len(ins) == 2 and all(t in self.direction_h for t in ins):
            return self._both_directions(node, ins)
        if op in ("Gather", "Squeeze") and ins[0] in self.final_h:
            return self._top_state(node)
        return False

    def _stack(self, node: Any, ins: list[str]) -> bool:
        """torch.cat of each op's h_n along axis 0: the h_n of the stacked layers."""
        parts = [self.final_h[t] for t in ins]
        layer, first = parts[0][0], parts[0][1]
        expected = first
        for part in parts:
            if part[0] is not layer or part[1] != expected or next(
                    (a.i for a in node.attribute if a.name == "axis"), 0) != 0:
                return False
            expected += part[2]
        self.final_h[node.output[0]] = (layer, first, expected - first)
        return True

    def _top_state(self, node: Any) -> bool:
        """h_n[-1] (or h_n.squeeze(0) of one layer): the top layer's final state, as return_sequences=False;
        for a bidirectional top layer h_n[-2] and h_n[-1] are its two directions (joined by a Concat)."""
        layer, first, count = self.final_h[node.input[0]]
        if node.op_type == "Gather":
            index = self.imp.consts.get(node.input[1])
            if index is None or index.ndim != 0 or next((a.i for a in node.attribute if a.name == "axis"), 0) != 0:
                return False
            if not -count <= int(index) < count:
                return False
            row = first + (int(index) % count)
        else:
            if [int(a) for a in np.atleast_1d(self._const(node, 1, "axes"))] != [0] or count != 1:
                return False
            row = first
        top = (layer.layers - 1) * layer.directions
        if row < top or first + count > layer.layers * layer.directions:
            raise Refused(f"reads the final state of layer {row // layer.directions} of {layer.nid}; only the "
                          "top layer's is an output")
        if layer.directions == 2:
            self.direction_h[node.output[0]] = (layer, row - top)
            return True
        self._final_state(layer, node.output[0])
        return True

    def _both_directions(self, node: Any, ins: list[str]) -> bool:
        (layer, d0), (other, d1) = (self.direction_h[t] for t in ins)
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        if other is not layer or (d0, d1) != (0, 1) or axis not in (1, -1):
            raise Refused(f"joins the final states of {layer.nid} other than forward then backward along the "
                          "features (torch.cat([h_n[-2], h_n[-1]], 1))")
        self._final_state(layer, node.output[0])
        return True

    def _final_state(self, layer: _Layer, out: str) -> None:
        if self.uses.get(layer.last_y):
            raise Refused(f"{layer.nid}: both every step and the final state are used")
        self._final_only(layer)
        self.imp.values[out] = (layer.nid, 0)

    def _final_only(self, layer: _Layer) -> None:
        if self.imp.graph.out_edges(layer.nid):
            raise Refused(f"{layer.nid}: both every step and the final state are used")
        self.imp.graph.set_params(layer.nid, {"return_sequences": False})
        self.imp.mapped[layer.nid].params["return_sequences"] = False
        self.sequences.pop((layer.nid, 0), None)

    # ------------------------------------------------------------ views
    def _transpose(self, node: Any) -> bool:
        x, out = node.input[0], node.output[0]
        perm = [int(p) for p in next((a.ints for a in node.attribute if a.name == "perm"), [])]
        if x in self.y and perm == [0, 2, 1, 3]:
            self.y_swapped[out] = self.y[x]
            if self.uses.get(x) != 1:
                raise Refused(f"the sequence output of {self.y[x].nid} is read twice")
            return True
        if perm != [1, 0, 2]:
            return False
        if x in self.time_major:  # back to batch-first: the value NetBuilder has
            self.imp.values[out] = self.time_major[x]
            return True
        if x in self.imp.values:
            self.time_major[out] = self.imp.values[x]
            return True
        return False

    def _to_time_major(self, out: str, layer: _Layer, src: str) -> None:
        self.time_major[out] = (layer.nid, 0)
        if self.uses.get(src) == 1 and self.uses.get(out) == 1:
            self.joinable.add(out)

    def _last_step(self, node: Any) -> bool:
        """out[:, -1] of a one-direction layer is its final hidden state: return_sequences=False."""
        value = self.imp.values[node.input[0]]
        layer = self.sequences[value]
        index = self.imp.consts.get(node.input[1])
        axis = next((a.i for a in node.attribute if a.name == "axis"), 0)
        if index is None or index.ndim != 0 or axis != 1:
            return False
        length = (self.imp.dims.get(node.input[0]) or [None, None])[1]
        if int(index) not in (-1, (length or 0) - 1):
            return False
        if layer.directions != 1:
            raise Refused(f"the last step of bidirectional {layer.nid} is not its final state (the backward "
                          "direction ends at step 0); no catalog layer picks one step")
        if self.uses.get(node.input[0]) != 1 or self.imp.graph.out_edges(layer.nid):
            raise Refused(f"{layer.nid}: both every step and the last step are used")
        self._final_only(layer)
        self.imp.values[node.output[0]] = value
        return True

    # ------------------------------------------------------------ the op
    def _recurrent(self, node: Any) -> None:
        op, x = node.op_type, node.input[0]
        if x not in self.time_major:
            raise Refused(f"its input {x!r} is not a transposed batch-first tensor (export with batch_first=True)")
        attrs = _attrs(node)
        layer = self._check(node, attrs)
        weights = _weights(node, self.imp.consts, layer)
        prev = self._joins(x, layer)
        if prev is not None:
            self._add_layer(prev, weights)
            layer = prev
        else:
            params = {"hidden_size": layer.hidden, "num_layers": 1, "bidirectional": layer.directions == 2,
                      "dropout": 0.0, "return_sequences": True}
            if op == "RNN":
                params["nonlinearity"] = layer.nonlinearity
            name = node.name or node.output[0]
            layer.nid = self.imp._add(op, params, name)
            self.imp.mapped[layer.nid] = Mapped(op, params, [x], {f"rnn.{k}": v for k, v in weights.items()})
            src, port = self.time_major[x]
            self.imp.graph.add_edge(src, layer.nid, port, 0, check_cycle=False)
        self.y[node.output[0]] = layer
        layer.last_y = node.output[0]
        self.sequences[(layer.nid, 0)] = layer
        outs = list(node.output) + ["", ""]
        if outs[1]:
            self.final_h[outs[1]] = (layer, (layer.layers - 1) * layer.directions, layer.directions)
        if outs[2]:
            self.unreadable[outs[2]] = f"the final cell state of {layer.nid} is read (no catalog layer returns it)"

    def _check(self, node: Any, attrs: dict) -> _Layer:
        op = node.op_type
        direction = attrs.get("direction", "forward")
        if direction not in ("forward", "bidirectional"):
            raise Refused(f"direction {direction!r} (PyTorch reads forward, or both ways)")
        if attrs.get("layout", 0) or attrs.get("clip") is not None or attrs.get("input_forget", 0):
            raise Refused("layout, clip or input_forget other than PyTorch's")
        if op == "GRU" and attrs.get("linear_before_reset", 0) != 1:
            raise Refused("linear_before_reset=0 (PyTorch's GRU applies the reset gate after the linear map)")
        acts = [a.lower() for a in attrs.get("activations", [])]
        default = {"LSTM": ["sigmoid", "tanh", "tanh"], "GRU": ["sigmoid", "tanh"], "RNN": ["tanh"]}[op]
        per_direction = len(default)
        if op == "RNN" and acts and acts[0] == "relu":
            default = ["relu"]
        if acts and acts != default * (len(acts) // per_direction):
            raise Refused(f"activations {acts} (PyTorch's {op} uses {default})")
        inputs = list(node.input) + [""] * 8
        if inputs[4] or (op == "LSTM" and inputs[7]):
            raise Refused("sequence lengths or peepholes are given (PyTorch has neither)")
        for state in inputs[5:7] if op == "LSTM" else inputs[5:6]:
            if state and not self.sizes.is_zeros(state):
                raise Refused(f"the initial state {state!r} is not zero (NetBuilder layers start from zeros)")
        return _Layer("", op, int(attrs["hidden_size"]), 2 if direction == "bidirectional" else 1,
                      nonlinearity=default[0] if op == "RNN" else "tanh")

    def _joins(self, x: str, layer: _Layer) -> _Layer | None:
        """The previous recurrent node this op stacks onto (its Y read by this op only), if any."""
        if x not in self.joinable:
            return None
        prev = self.sequences.get(self.time_major[x])
        if prev is None or (prev.mode, prev.hidden, prev.directions, prev.nonlinearity) != (
                layer.mode, layer.hidden, layer.directions, layer.nonlinearity):
            return None
        return prev if not self.imp.graph.out_edges(prev.nid) else None

    def _add_layer(self, prev: _Layer, weights: dict[str, np.ndarray]) -> None:
        mapped = self.imp.mapped[prev.nid]
        for key, value in weights.items():
            mapped.weights[f"rnn.{key.replace('_l0', f'_l{prev.layers}')}"] = value
        prev.layers += 1
        mapped.params["num_layers"] = prev.layers
        self.imp.graph.set_params(prev.nid, {"num_layers": prev.layers})
        del self.sequences[(prev.nid, 0)]

    def _const(self, node: Any, index: int, attr: str) -> np.ndarray:
        name = node.input[index] if len(node.input) > index else ""
        value = self.imp.consts.get(name) if name else next(
            (np.array(a.ints) for a in node.attribute if a.name == attr), None)
        if value is None:
            raise Refused(f"its {attr} input is computed, not a constant")
        return value


def _weights(node: Any, consts: dict, layer: _Layer) -> dict[str, np.ndarray]:
    """W, R, B of one ONNX op → weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 (and _reverse)."""
    w, r = consts.get(node.input[1]), consts.get(node.input[2])
    if w is None or r is None:
        raise Refused("its weights W and R are computed, not constants")
    gates, h = len(_GATE_ORDER[layer.mode]), layer.hidden
    b = consts.get(node.input[3]) if len(node.input) > 3 and node.input[3] else None
    b = np.zeros((layer.directions, 2 * gates * h), np.float32) if b is None else b
    out = {}
    for d, suffix in enumerate(["", "_reverse"][:layer.directions]):
        for key, value in (("weight_ih", w[d]), ("weight_hh", r[d]), ("bias_ih", b[d][:gates * h]),
                           ("bias_hh", b[d][gates * h:])):
            blocks = np.split(value, gates, axis=0)
            reordered = np.concatenate([blocks[k] for k in _GATE_ORDER[layer.mode]])
            out[f"{key}_l0{suffix}"] = np.ascontiguousarray(reordered)
    return out


def _attrs(node: Any) -> dict:
    import onnx

    values = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    return {k: (v.decode() if isinstance(v, bytes) else [s.decode() if isinstance(s, bytes) else s for s in v]
                if isinstance(v, list) else v) for k, v in values.items()}

