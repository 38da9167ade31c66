"""Recurrent layers: RNN, LSTM, GRU (batch_first), and Embedding.

`return_sequences` picks many-to-many (every step, (L, D·H)) or many-to-one
(the final hidden state, (D·H,)), so both wire without extra nodes.
"""

from __future__ import annotations

from netbuilder.core.layers._rules import dims, known, need_rank
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register

_GATES = {"RNN": 1, "LSTM": 4, "GRU": 3}


def _rnn_infer(mode: str):
    def infer(ins, p):
        (x,) = ins
        need_rank(mode, x, (2,), "(sequence length, features) — e.g. digits as 8 steps × 8")
        known(mode, x[1], f"number of features per step of input {dims(x)}")
        if p["dropout"] > 0 and p["num_layers"] == 1:
            raise ShapeError(f"{mode}: dropout acts between stacked layers; it needs num_layers ≥ 2 "
                             f"(got num_layers 1, dropout {p['dropout']})")
        width = p["hidden_size"] * (2 if p["bidirectional"] else 1)
        return [(x[0], width)] if p["return_sequences"] else [(width,)]
    return infer


def _rnn_module(mode: str):
    def module(ins, p):
        kwargs = {k: p[k] for k in ("num_layers", "bidirectional", "dropout", "return_sequences")}
        if mode == "RNN":
            kwargs["nonlinearity"] = p["nonlinearity"]
        return ModuleCall("netbuilder.core.modules.Recurrent", (mode, ins[0][1], p["hidden_size"]), kwargs)
    return module


def _rnn_macs(mode: str):
    def macs(ins, outs, p):
        steps, size = ins[0][0] or 1, ins[0][1]
        h, d, total = p["hidden_size"], 2 if p["bidirectional"] else 1, 0
        for layer in range(p["num_layers"]):
            i = size if layer == 0 else h * d
            total += d * steps * _GATES[mode] * h * (i + h)
        return total
    return macs


for _mode, _help in (
    ("RNN", "Simple recurrent layer: hᵗ = tanh(W xᵗ + U hᵗ⁻¹ + b), unrolled over the sequence. "
            "Weights per layer and direction: 1·h·(input + h + 2) — PyTorch keeps two bias vectors "
            "(b_ih and b_hh), so b counts twice."),
    ("LSTM", "Long short-term memory: 4 gates (input, forget, cell candidate and output) around a memory "
             "cell. Weights per layer and direction: 4·h·(input + h + 2) — PyTorch keeps two bias vectors "
             "per gate (b_ih and b_hh)."),
    ("GRU", "Gated recurrent unit: 3 gates (reset, update and the new/candidate state), no separate memory "
            "cell. Weights per layer and direction: 3·h·(input + h + 2) (two bias vectors, as LSTM): "
            "a quarter fewer than LSTM."),
):
    _params = (
        Param("hidden_size", "int", 32, "size of the hidden state", min=1, max=1_000_000),
        Param("num_layers", "int", 1, "stacked layers (a deep RNN)", min=1, max=64),
        Param("bidirectional", "bool", False, "also read the sequence backwards (doubles the output)"),
        Param("dropout", "float", 0.0, "dropout between stacked layers", min=0.0, max=1.0),
        Param("return_sequences", "bool", False, "true: output every step (many-to-many); false: the last (many-to-one)"),
    )
    if _mode == "RNN":
        _params += (Param("nonlinearity", "choice", "tanh", "activation of the hidden state", choices=("tanh", "relu")),)
    register(LayerSpec(
        type=_mode, category="Recurrent", help=_help, params=_params,
        infer=_rnn_infer(_mode), module=_rnn_module(_mode), macs=_rnn_macs(_mode),
    ))


def _embedding_infer(ins, p):
    (x,) = ins
    if len(x) != 1:
        raise ShapeError(f"Embedding expects a sequence of token ids (length,); received {dims(x)}")
    return [(x[0], p["embedding_dim"])]


register(LayerSpec(
    type="Embedding", category="Recurrent",
    help="Looks up a learned vector for each integer token id (input dtype int64).",
    params=(Param("num_embeddings", "int", 1000, "vocabulary size", min=1, max=100_000_000),
            Param("embedding_dim", "int", 32, "size of each vector", min=1, max=1_000_000)),
    infer=_embedding_infer,
    module=lambda ins, p: ModuleCall("torch.nn.Embedding", (p["num_embeddings"], p["embedding_dim"])),
))
