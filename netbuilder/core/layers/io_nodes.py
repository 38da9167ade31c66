"""Input and Output: where tensors enter and leave the network."""

from __future__ import annotations

from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, register

register(LayerSpec(
    type="Input",
    category="Input / Output",
    help="A network input; shape excludes the batch (null = variable, e.g. sequence length).",
    params=(
        Param("shape", "shape", [1, 28, 28], "sizes without the batch dimension, e.g. [3, 32, 32]; null = any length",
              max=1_000_000_000),
        Param("dtype", "choice", "float32", "element type: float32 for data, int64 for token ids (Embedding)",
              choices=("float32", "int64")),
    ),
    infer=lambda ins, p: [tuple(p["shape"])],
    inputs=(),
))

register(LayerSpec(
    type="Output",
    category="Input / Output",
    help="A network output; several Output nodes make the model return a tuple.",
    params=(),
    infer=lambda ins, p: [ins[0]],
    outputs=(),
))
