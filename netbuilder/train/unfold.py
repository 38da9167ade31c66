"""A recurrent layer unfolded over time: its gates and their weight slices.

PyTorch stacks the gates' weights in one tensor per layer: weight_ih_l0 is
(gates·H, I), rows in the order below. `gates` splits the shapes the
inspector shows (the module's named parameters) into the named gates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

# torch's row order inside weight_ih / weight_hh
GATE_NAMES = {
    "RNN": (("h", "hidden state", "tanh"),),
    "LSTM": (("i", "input gate", "σ"), ("f", "forget gate", "σ"), ("g", "cell candidate", "tanh"),
             ("o", "output gate", "σ")),
    "GRU": (("r", "reset gate", "σ"), ("z", "update gate", "σ"), ("n", "new candidate", "tanh")),
}


@dataclass(frozen=True)
class Gate:
    symbol: str
    name: str
    activation: str
    w_ih: tuple[int, int]  # (H, I): the gate's rows of weight_ih_l0
    w_hh: tuple[int, int]  # (H, H)
    rows: tuple[int, int]  # [start, stop) rows in the stacked tensor


def gates(mode: str, weights: Sequence[tuple[str, tuple[int, ...], bool]]) -> list[Gate]:
    """The first layer's gates, from (name, shape, trainable) rows."""
    if mode not in GATE_NAMES:
        raise ValueError(f"{mode} is not a recurrent layer (RNN, LSTM, GRU)")
    shapes = {name.rsplit(".", 1)[-1]: shape for name, shape, _ in weights}
    ih, hh = shapes.get("weight_ih_l0"), shapes.get("weight_hh_l0")
    if ih is None or hh is None:
        raise ValueError(f"the {mode} module has no weight_ih_l0 / weight_hh_l0")
    names = GATE_NAMES[mode]
    h = ih[0] // len(names)
    return [Gate(s, n, a, (h, ih[1]), (h, hh[1]), (k * h, (k + 1) * h)) for k, (s, n, a) in enumerate(names)]
