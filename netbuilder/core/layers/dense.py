"""Dense (fully connected) layers."""

from __future__ import annotations

from netbuilder.core.layers._rules import dims, known, prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register


def _linear_infer(ins, p):
    (x,) = ins
    if len(x) == 0:
        raise ShapeError("Linear needs at least one feature dimension; received a scalar")
    known("Linear", x[-1], f"last dimension (features) of input {dims(x)}",
          "give it a number in the Input's shape, or reduce the variable dims first "
          "(GlobalAvgPool, AdaptiveAvgPool2d, or an RNN with return_sequences false)")
    return [(*x[:-1], p["out_features"])]


register(LayerSpec(
    type="Linear",
    category="Dense",
    help="Fully connected layer y = xW + b on the last dimension, W being in_features × out_features "
         "(rows = inputs, as in the inspector and the course); PyTorch stores weight = Wᵀ "
         "(out_features × in_features) and computes y = x·weightᵀ + b. Weights: "
         "in_features·out_features + out_features (in_features is inferred).",
    params=(
        Param("out_features", "int", 10, "number of output neurons", min=1, max=1_000_000_000),
        Param("bias", "bool", True, "learn an additive bias"),
    ),
    infer=_linear_infer,
    module=lambda ins, p: ModuleCall("torch.nn.Linear", (ins[0][-1], p["out_features"]), {"bias": p["bias"]}),
    macs=lambda ins, outs, p: prod(outs[0]) * (ins[0][-1] or 0),
))
