"""Canvas metrics, fonts and the short texts painted on nodes.

Node width fits the presets' 220 px column spacing with room for an edge
label between columns.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

from PySide6.QtCore import QRectF
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from netbuilder.core.graph import Node

NODE_W = 160.0
HEADER_H = 24.0
NODE_H = 84.0
PORT_R = 5.0
PORT_GAP = 18.0  # vertical distance between ports of a many-port node
GRID = 20.0  # snap step and minor grid
COLUMN_DX, ROW_DY = 220.0, 120.0  # auto-layout spacing (the presets' too)

# level of detail (screen pixels per scene pixel) below which details are skipped
LOD_TEXT = 0.75  # node params, edge labels, port labels (below this their text is under ~8 px)
LOD_TITLE = 0.12  # any text at all

# short names for params in the node's one-line summary
ABBREV = {
    "out_channels": "", "out_features": "", "hidden_size": "", "num_hidden": "", "kernel_size": "k",
    "stride": "s", "padding": "p", "dilation": "d", "groups": "g", "output_size": "", "p": "p",
    "num_layers": "layers", "negative_slope": "slope", "scale_factor": "×", "num_inputs": "inputs",
    "embedding_dim": "dim", "num_embeddings": "vocab", "output_padding": "op", "normalized_dims": "dims",
    "bidirectional": "bi", "return_sequences": "seq", "chunks": "chunks", "std": "σ", "dim": "dim",
    "channels": "", "sizes": "", "shape": "", "unflattened_size": "", "dtype": "",
}
# params never shown in the summary (rarely changed, clutter the node)
HIDDEN = {"bias", "padding_mode", "eps", "momentum", "affine", "track_running_stats", "count_include_pad",
          "ceil_mode", "elementwise_affine", "end_dim", "straight_through", "sample_in_eval", "approximate",
          "last_activation", "activation"}


@lru_cache(maxsize=None)
def font(size: float, bold: bool = False, mono: bool = False) -> QFont:
    """The application's font (or the system's fixed-width one) at `size` pt.
    Callers that change a returned font must copy it first (QFont(f))."""
    f = QFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if mono else QApplication.font())
    f.setPointSizeF(size)
    f.setBold(bold)
    return f


def short_value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        items = ["?" if v is None else short_value(v) for v in value]
        if len(set(items)) == 1 and len(items) > 1 and all(isinstance(v, int) for v in value):
            return items[0]  # (5, 5) reads as 5
        return "×".join(items)
    if value is None:
        return "auto"
    return str(value)


def param_summary(node: Node) -> str:
    """One short line of the node's telling params: '6 · k5 · p2'.

    The first param is always shown (it is the one that defines the layer);
    others only when they differ from their default."""
    spec = node.spec
    parts: list[str] = []
    for i, p in enumerate(spec.params):
        if p.name in HIDDEN:
            continue
        value = node.params.get(p.name)
        if i > 0 and value == p.default:
            continue
        if isinstance(value, bool) and not value:
            continue
        label = ABBREV.get(p.name, p.name)
        text = short_value(value)
        if isinstance(value, bool):
            parts.append(label)
        else:
            parts.append(f"{label}{' ' if len(label) > 2 else ''}{text}" if label else text)
    return " · ".join(parts)


# common short names of layer types in ids (fc1 is a Linear, bn1 a BatchNorm2d)
_ALIASES = {"fc": "linear", "dense": "linear", "bn": "batchnorm", "act": "relu", "drop": "dropout",
            "cat": "concat", "sum": "add", "emb": "embedding", "rnn": "rnn", "pool": "pool"}


def overview_title(node_id: str, type_name: str) -> str:
    """What a zoomed-out node shows: its id when that names a role (mu,
    logvar, code, classifier), else its type (conv1 → Conv2d, layer1_0_bn1 →
    BatchNorm2d): numbered, long or type-like ids read worse than the type."""
    word = node_id.lower()
    kind = type_name.lower()
    if not node_id.isalpha() or not 2 <= len(node_id) <= 12 or word in kind or _ALIASES.get(word, "#") in kind or kind.rstrip(
            "0123456789d") in word:
        return type_name
    return node_id


def port_y(index: int, count: int, height: float) -> float:
    """Vertical position of port `index` of `count`, centred in the body."""
    middle = HEADER_H + (height - HEADER_H) / 2
    return middle + (index - (count - 1) / 2) * PORT_GAP


def layer_bounds(boxes: Sequence[tuple[float, float, float, Any]]) -> QRectF:
    """The rect around layer bodies given as (x, y, height, ...) (each NODE_W wide)."""
    left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
    right, bottom = max(b[0] for b in boxes) + NODE_W, max(b[1] + b[2] for b in boxes)
    return QRectF(left, top, right - left, bottom - top)


def node_height(n_in: int, n_out: int) -> float:
    return max(NODE_H, HEADER_H + 16 + max(n_in, n_out) * PORT_GAP)
