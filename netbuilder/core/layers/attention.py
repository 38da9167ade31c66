"""Attention: MultiheadAttention, Transformer encoder/decoder layers, and the
learned Parameter tensor (class tokens, position embeddings).

Sequences are (length, features) per sample with batch_first (the default);
batch_first=False is passed to PyTorch as is, and then the graph's dim 0 is
the sequence and each "sample" is (batch, features). The feature sizes
(embed_dim, kdim, vdim, d_model) are inferred, never stored.
"""

from __future__ import annotations

from netbuilder.core.layers._rules import dims, known, need_rank
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register

_MODULES = "netbuilder.core.modules."
_PORTS = {"self": ("in",), "query_memory": ("query", "memory"), "query_key_value": ("query", "key", "value")}
_BATCH_FIRST = Param("batch_first", "bool", True, "inputs are (batch, length, features); false: (length, batch, "
                     "features) — then the graph's dim 0 is the sequence")
_CAUSAL = Param("causal", "bool", False, "mask attention to later positions (position i sees 0..i only)")


def _sequences(type_name: str, named: dict[str, tuple]) -> None:
    for name, s in named.items():
        need_rank(type_name, s, (2,), f"a sequence (length, features) at '{name}'")
        known(type_name, s[1], f"number of features of '{name}' {dims(s)}")


def _heads(type_name: str, width: int, heads: int, what: str, name: str) -> None:
    if width % heads:
        raise ShapeError(f"{type_name}: {what} {width} does not split into {name} {heads} equal heads; "
                         f"use {name} that divides {width}")


def _same_rows(type_name: str, a: tuple, b: tuple, what: str, names: tuple[str, str]) -> None:
    if a[0] is not None and b[0] is not None and a[0] != b[0]:
        raise ShapeError(f"{type_name}: '{names[0]}' {dims(a)} and '{names[1]}' {dims(b)} differ in {what} "
                         f"({a[0]} vs {b[0]}); they must be equal")


def _mha_infer(ins, p):
    ports = _PORTS[p["mode"]]
    named = dict(zip(ports, ins))
    _sequences("MultiheadAttention", named)
    q = ins[0]
    key = ins[1] if len(ins) > 1 else q
    value = ins[2] if len(ins) > 2 else key
    _heads("MultiheadAttention", q[1], p["num_heads"], "embed_dim (the query's features)", "num_heads")
    if len(ins) == 3:
        _same_rows("MultiheadAttention", key, value, "length", ("key", "value"))
    if not p["batch_first"] and len(ins) > 1:  # dim 0 of a sample is the real batch then
        _same_rows("MultiheadAttention", q, key, "batch size (batch_first is false)", (ports[0], ports[1]))
    return [q]


def _mha_module(ins, p):
    q = ins[0]
    key = ins[1] if len(ins) > 1 else q
    value = ins[2] if len(ins) > 2 else key
    kwargs = {"dropout": p["dropout"], "bias": p["bias"],
              "kdim": key[1] if key[1] != q[1] else None, "vdim": value[1] if value[1] != q[1] else None,
              "batch_first": p["batch_first"], "causal": p["causal"]}
    return ModuleCall(_MODULES + "MultiheadAttention", (q[1], p["num_heads"]), kwargs)


def _mha_macs(ins, outs, p):
    q = ins[0]
    key = ins[1] if len(ins) > 1 else q
    value = ins[2] if len(ins) > 2 else key
    lq, lk, e = q[0], key[0], q[1]
    # projections of q, k, v and the output, then scores Q·Kᵀ and weights·V
    return lq * e * e + lk * e * key[1] + lk * e * value[1] + lq * e * e + 2 * lq * lk * e


register(LayerSpec(
    type="MultiheadAttention", category="Attention",
    help="Scaled dot-product attention with num_heads heads: self-attention (one input), or cross-attention "
         "of a query to a memory (or separate key and value). Outputs the attention output only.",
    params=(Param("num_heads", "int", 1, "number of heads (must divide the query's features)", min=1),
            Param("dropout", "float", 0.0, "dropout on the attention weights (training)", min=0.0, max=1.0),
            Param("bias", "bool", True, "learn biases in the projections"),
            _BATCH_FIRST,
            Param("mode", "choice", "self", "self: one input; query_memory: a query and a memory (key = value); "
                  "query_key_value: three inputs", choices=tuple(_PORTS)),
            _CAUSAL),
    infer=_mha_infer, module=_mha_module, macs=_mha_macs,
    inputs=lambda p: _PORTS[p["mode"]],
))


def _transformer_params() -> tuple[Param, ...]:
    return (
        Param("nhead", "int", 1, "number of attention heads (must divide d_model)", min=1),
        Param("dim_feedforward", "int", 2048, "width of the feed-forward network", min=1, max=1_000_000_000),
        Param("dropout", "float", 0.1, "dropout in training", min=0.0, max=1.0),
        Param("activation", "choice", "relu", "activation of the feed-forward network", choices=("relu", "gelu")),
        Param("layer_norm_eps", "float", 1e-5, "added to the variance in the layer norms (> 0)", min=1e-12),
        _BATCH_FIRST,
        Param("norm_first", "bool", False, "layer norm before attention and feed-forward (pre-LN)"),
        Param("bias", "bool", True, "learn biases in the linear layers and layer norms"),
        _CAUSAL,
    )


def _transformer_kwargs(p) -> dict:
    return {k: p[k] for k in ("dim_feedforward", "dropout", "activation", "layer_norm_eps", "batch_first",
                              "norm_first", "bias", "causal")}


def _encoder_infer(ins, p):
    (x,) = ins
    _sequences("TransformerEncoderLayer", {"in": x})
    _heads("TransformerEncoderLayer", x[1], p["nhead"], "d_model (the features)", "nhead")
    return [x]


def _decoder_infer(ins, p):
    tgt, memory = ins
    _sequences("TransformerDecoderLayer", {"tgt": tgt, "memory": memory})
    _heads("TransformerDecoderLayer", tgt[1], p["nhead"], "d_model (tgt's features)", "nhead")
    if memory[1] != tgt[1]:
        raise ShapeError(f"TransformerDecoderLayer: memory {dims(memory)} has {memory[1]} features but tgt "
                         f"{dims(tgt)} has d_model {tgt[1]}; they must be equal (add a Linear to the memory)")
    if not p["batch_first"]:
        _same_rows("TransformerDecoderLayer", tgt, memory, "batch size (batch_first is false)", ("tgt", "memory"))
    return [tgt]


def _block_macs(ins, outs, p):
    (lq, d), f = ins[0], p["dim_feedforward"]
    total = 4 * lq * d * d + 2 * lq * lq * d + 2 * lq * d * f  # self-attention and feed-forward
    if len(ins) > 1:  # the decoder's cross-attention to the memory
        lm = ins[1][0]
        total += 2 * lq * d * d + 2 * lm * d * d + 2 * lq * lm * d
    return total


for _name, _infer, _ports, _help in (
    ("TransformerEncoderLayer", _encoder_infer, ("in",),
     "A Transformer encoder block: self-attention then a feed-forward network, each with a residual "
     "connection and layer norm (d_model inferred)."),
    ("TransformerDecoderLayer", _decoder_infer, ("tgt", "memory"),
     "A Transformer decoder block: self-attention over tgt, attention to the encoder's memory, then a "
     "feed-forward network (d_model inferred)."),
):
    register(LayerSpec(
        type=_name, category="Attention", help=_help, params=_transformer_params(), infer=_infer,
        module=lambda ins, p, _n=_name: ModuleCall(_MODULES + _n, (ins[0][1], p["nhead"]), _transformer_kwargs(p)),
        macs=_block_macs, inputs=_ports,
    ))


def _parameter_infer(ins, p):
    return [tuple(p["shape"])]


register(LayerSpec(
    type="Parameter", category="Attention",
    help="A learned tensor of the given shape (a class token, a position embedding), output for every sample "
         "of the batch; its input only gives the batch size. ViT: Concat(Parameter [1, D], patches) and "
         "Add(x, Parameter [L, D]). With trainable off it is a fixed tensor (a constant of imported code).",
    params=(Param("shape", "int_list", [1, 16], "sizes without the batch, e.g. [1, 768] for a class token",
                  min=1, max=1_000_000_000),
            Param("init", "choice", "normal", "initial values: normal (mean 0, std), zeros or ones",
                  choices=("normal", "zeros", "ones")),
            Param("std", "float", 0.02, "standard deviation of the normal initialisation", min=0.0),
            Param("trainable", "bool", True, "learned by the optimizer; off = a fixed tensor (a constant of "
                  "imported code), saved with the weights but never trained")),
    infer=_parameter_infer,
    module=lambda ins, p: ModuleCall(_MODULES + "LearnedTensor", (list(p["shape"]),),
                                     {"init": p["init"], "std": p["std"],
                                      **({} if p["trainable"] else {"trainable": False})}),
    inputs=("batch",),
))
