"""fx_import's mapping of traced function and method calls (torch.*, tensor.*, operators).

A mixin of the importer: each method turns one call_function / call_method
node into catalog nodes (or a marker of fx_trace), or raises Unmappable
naming why it has no catalog equivalent.
"""

from __future__ import annotations

import operator
from typing import Any

from netbuilder.interchange import fx_rules as rules
from netbuilder.interchange.fx_trace import (BatchSize, Refused, Reparam, RnnValue, ShapeValue, TupleValue,
                                             dims_text, hashable, is_node, key_text, rnn_item)
from netbuilder.interchange.fx_tracing import original_len

# shape arithmetic on sizes the trace knows (channels // groups)
_ARITHMETIC = {operator.floordiv: operator.floordiv, operator.mul: operator.mul, operator.add: operator.add,
               operator.sub: operator.sub}


class FunctionCalls:
    """Calls of functions and tensor methods; the importer provides _add, _ref, _tensor, _dims, values, graph."""

    def _call(self, n) -> Any:
        import torch

        target, args, kwargs = n.target, n.args, n.kwargs
        if target is operator.getitem:
            return self._getitem(n, self.values.get(args[0]) if is_node(args[0]) else args[0], args[1])
        if target is original_len:  # len(x) of a tensor is its batch size (fx_tracing records the call)
            return BatchSize() if self._dims(args[0]) else None
        reparam = self._reparam(n, target, [self.values.get(a) if is_node(a) else a for a in args])
        if reparam is not None:
            return reparam
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
        if target in (torch.squeeze, torch.unsqueeze, "squeeze", "unsqueeze"):
            return self._squeeze(n, target if isinstance(target, str) else target.__name__)
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

    def _reparam(self, n, target: Any, values: list) -> Any:
        """A VAE's reparameterize (mu + randn_like(std) * std, std = exp(0.5 * logvar)) → a Sampling node."""
        import torch

        name = getattr(target, "__name__", target)
        stages = [v.stage if isinstance(v, Reparam) else None for v in values]
        if name in ("mul", "truediv", "div") and len(values) == 2 and not n.kwargs:
            refs = [isinstance(v, tuple) for v in values]
            if name == "mul" and refs in ([True, False], [False, True]) and values[refs.index(False)] == 0.5:
                return Reparam("half", n.args[refs.index(True)])
            if name != "mul" and refs == [True, False] and values[1] == 2:  # logvar / 2
                return Reparam("half", n.args[0])
            if sorted(map(str, stages)) == ["eps", "std"] and values[0].logvar is values[1].logvar:
                return Reparam("noise", values[0].logvar)
        if name in ("exp", "exp_") and stages[:1] == ["half"]:
            return Reparam("std", values[0].logvar)
        if target is torch.randn_like and stages[:1] == ["std"] and len(values) == 1 and not n.kwargs:
            return Reparam("eps", values[0].logvar)
        if name in ("add", "iadd") and len(values) == 2 and "noise" in stages and not n.kwargs:
            mu = n.args[1 - stages.index("noise")]
            logvar = values[stages.index("noise")].logvar
            return self._add(n.name, "Sampling", {"sample_in_eval": True}, [self._ref(mu), self._ref(logvar)])
        return None

    def _expands_batch(self, n) -> bool:
        """x.expand(B, -1, ...) of a value that already has the batch (a Parameter node's output)."""
        ref = self.values.get(n.args[0]) if is_node(n.args[0]) else None
        return isinstance(ref, tuple) and self.graph.nodes[ref[0]].type == "Parameter" \
            and all(s == -1 or isinstance(self.values.get(s) if is_node(s) else s, BatchSize) or i > 0 and
                    s == self._dims(n)[i] for i, s in enumerate(n.args[1:]))

    def _getitem(self, n, base: Any, key: Any) -> Any:
        if isinstance(base, TupleValue):
            item = base.items[key]
            if isinstance(item, Refused):
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
        if isinstance(base, tuple):  # a layer's output: x[:, 0] (a class token), x[:, :, :n] (a crop)
            return self._index(n, n.args[0], key)
        raise rules.Unmappable(f"indexes a tensor ([{key_text(key)}])")

    def _index(self, n, source: Any, key: Any) -> Any:
        """Basic indexing on non-batch dims, as Split nodes (one per sliced dim) and a Reshape for each int."""
        keys = [self._key_value(k) for k in (key if isinstance(key, tuple) else (key,))]
        dims = self._dims(source)
        if any(k is Ellipsis or k is None for k in keys) or len(keys) > len(dims):
            raise rules.Unmappable(f"indexes a tensor with [{key_text(key)}] (NetBuilder slices with ints and "
                                   "start:stop per dimension)")
        if keys[0] != slice(None):
            raise rules.Unmappable(f"indexes the batch dimension ([{key_text(key)}])")
        ref, selected = self._ref(source), False
        for dim, k in enumerate(keys[1:], start=1):
            size = dims[dim]
            if isinstance(k, int):
                start, stop, selected = k % size, k % size + 1, True
            elif isinstance(k, slice) and k.step in (None, 1) and all(type(v) in (int, type(None))
                                                                       for v in (k.start, k.stop)):
                start, stop, _ = k.indices(size)
            else:
                raise rules.Unmappable(f"indexes dim {dim} with [{key_text(k)}] (a step, or a size the trace "
                                       "does not know)")
            if stop <= start:
                raise rules.Unmappable(f"takes an empty slice of dim {dim}")
            if (start, stop) == (0, size):
                continue
            sections = [s for s in (start, stop - start, size - stop) if s]
            split = self._add(f"{n.name}_split", "Split", {"split_size_or_sections": sections, "dim": dim}, [ref])
            ref = (split[0], 1 if start else 0)
        if not selected:
            return ref
        out = self._dims(n)
        if len(out) < 2:
            raise rules.Unmappable(f"[{key_text(key)}] selects one number per sample; NetBuilder layers keep at "
                                   "least one dimension besides the batch (slice with i:i+1 instead)")
        return self._add(n.name, "Flatten" if len(out) == 2 else "Reshape", {} if len(out) == 2
                         else {"shape": list(out[1:])}, [ref])

    def _key_value(self, k: Any) -> Any:
        """An index with the sizes the trace computed (x.size(1) // 2) filled in."""
        if isinstance(k, slice):
            return slice(*(self._key_value(v) for v in (k.start, k.stop, k.step)))
        value = self.values.get(k) if is_node(k) else k
        if isinstance(value, BatchSize):
            raise rules.Unmappable("indexes with the batch size")
        return value

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

    def _squeeze(self, n, name: str) -> Any:
        """x.squeeze(d) / x.unsqueeze(d) away from the batch: a Reshape (a Flatten when 2-D)."""
        a = rules.bind(rules._sig("input", dim=None), n.args, n.kwargs)
        in_dims, out_dims = self._dims(a["input"]), self._dims(n)
        if a["dim"] is None:
            raise rules.Unmappable(f"{name}() without a dim also drops the batch dimension of a batch of 1; "
                                   "give the dim")
        dims = a["dim"] if isinstance(a["dim"], (tuple, list)) else (a["dim"],)
        rank = len(in_dims) + (1 if name == "unsqueeze" else 0)
        if any(d % rank == 0 for d in dims):
            raise rules.Unmappable(f"{name}s the batch dimension (dim {a['dim']})")
        if out_dims == in_dims:
            return self._ref(a["input"])
        if len(out_dims) == 1:
            raise rules.Unmappable(f"{name}s each sample to a single number (NetBuilder's layers keep at least "
                                   "one dim per sample)")
        if len(out_dims) == 2:
            return self._add(n.name, "Flatten", {}, [self._ref(a["input"])])
        return self._add(n.name, "Reshape", {"shape": list(out_dims[1:])}, [self._ref(a["input"])])

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


    # ------------------------------------------------------------ helpers
    def _split(self, n, a: dict) -> TupleValue:
        sections = a["split_size_or_sections"]
        if isinstance(sections, int):  # equal parts of that size, the last one smaller
            size = self._dims(a["input"])[a["dim"]]
            sections = [min(sections, size - start) for start in range(0, size, sections)]
        ref = self._add(n.name, "Split", {"split_size_or_sections": list(sections), "dim": a["dim"]},
                        [self._ref(a["input"])])
        return TupleValue([(ref[0], i) for i in range(len(sections))])
