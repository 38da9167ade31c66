"""What fx_import tracks about a traced program besides tensors, and how it names things.

A traced forward passes around more than tensors: tuples (from torch.chunk),
shapes and batch sizes (x.size(0) in a view), and the (output, hidden) tuple
of an nn.LSTM, read through getitems. These markers stand for such values
until an operation turns them into a node's port — or finds no catalog
equivalent and raises Unmappable. The text helpers say how a traced
operation reads in the user's source, for the "not imported" report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from netbuilder.interchange import fx_rules as rules


@dataclass
class TupleValue:
    items: list


@dataclass
class ShapeValue:  # x.shape / x.size()
    dims: tuple


@dataclass
class BatchSize:  # x.size(0) / x.shape[0]
    pass


@dataclass
class RnnValue:
    """An nn.RNN/LSTM/GRU call, followed through the getitems that read it."""

    call: Any  # the fx node of the call
    module: Any
    qual: str
    input: Any
    part: str = "all"  # all | seq | hidden | h | c | h_index | last_step
    index: int | None = None

    def at(self, part: str, index: int | None = None) -> "RnnValue":
        return RnnValue(self.call, self.module, self.qual, self.input, part, index)


RNN_PARTS = {"all": "(output, hidden) tuple", "seq": "output sequence", "hidden": "hidden state",
             "c": "cell state c_n", "h": "h_n of every layer", "h_index": "hidden state of one layer/direction",
             "last_step": "last step of a bidirectional output"}


def rnn_item(rnn: RnnValue, key: Any) -> RnnValue:
    """rnn[key]: follow the parts a NetBuilder recurrent node can give; refuse the rest."""
    lstm = type(rnn.module).__name__ == "LSTM"
    if rnn.part == "all" and key in (0, 1):
        return rnn.at("seq" if key == 0 else "hidden")
    if rnn.part == "hidden" and lstm and key in (0, 1):
        return rnn.at("h" if key == 0 else "c")
    if (rnn.part == "hidden" and not lstm or rnn.part == "h") and isinstance(key, int):
        return rnn.at("h_index", key % (rnn.module.num_layers * (2 if rnn.module.bidirectional else 1)))
    if rnn.part == "seq" and isinstance(key, tuple) and len(key) in (2, 3) and key[1] == -1 \
            and all(k == slice(None) for k in key[:1] + key[2:]):
        return rnn.at("last_step")
    raise rules.Unmappable(f"reads part [{key_text(key)}] of {rnn.qual}'s {RNN_PARTS.get(rnn.part, rnn.part)}; "
                           f"a NetBuilder {type(rnn.module).__name__} node gives every step's output or the "
                           "last layer's final hidden state")


def is_node(value: Any) -> bool:
    import torch.fx as fx

    return isinstance(value, fx.Node)


def hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def key_text(key: Any) -> str:
    def one(k: Any) -> str:
        if isinstance(k, slice):
            return ":".join("" if v is None else str(v) for v in (k.start, k.stop)) + (f":{k.step}" if k.step else "")
        return repr(k)
    return ", ".join(one(k) for k in key) if isinstance(key, tuple) else one(key)


def dims_text(dims: Sequence) -> str:
    return "×".join(str(d) for d in dims)


def describe(n, gm) -> str:
    """How a traced operation reads in the source code."""
    if n.op == "call_module":
        return f"self.{n.target} (nn.{type(gm.get_submodule(n.target)).__name__})"
    if n.op == "call_method":
        return f"tensor.{n.target}(...)"
    if n.op == "get_attr":
        return f"self.{n.target}"
    if n.op == "call_function":
        target = n.target
        module = getattr(target, "__module__", None) or ""
        name = getattr(target, "__name__", repr(target))
        module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional",
                  "torch._C._VariableFunctions": "torch"}.get(module, module)
        return f"{module + '.' if module else ''}{name}(...)"
    return n.op


@dataclass
class Refused:  # a tuple item with no catalog equivalent (an attention module's weights)
    what: str


REPARAM_STAGES = {"half": "0.5·logvar", "std": "std = exp(0.5·logvar)", "eps": "eps = randn_like(std)",
                  "noise": "eps·std"}


@dataclass
class Reparam:
    """Part of a VAE's `mu + randn_like(std) * std` with `std = exp(0.5 * logvar)`, until the add makes a Sampling."""

    stage: str  # half | std | eps | noise
    logvar: Any  # the fx node of logvar

    def __repr__(self) -> str:
        return f"{REPARAM_STAGES[self.stage]} (NetBuilder computes it only inside a Sampling node: mu + eps·std)"
