"""Activations: element-wise (or along one dim for softmax), shape-preserving."""

from __future__ import annotations

from netbuilder.core.layers._rules import prod
from netbuilder.core.params import Param
from netbuilder.core.spec import LayerSpec, ModuleCall, ShapeError, register


def _same(ins, p):
    return [ins[0]]


def _dim_infer(type_name: str):
    def infer(ins, p):
        rank = len(ins[0]) + 1  # with batch, as torch counts dims
        if not -rank <= p["dim"] < rank:
            raise ShapeError(f"{type_name}: dim {p['dim']} is out of range for input with batch of rank {rank} "
                             f"(use {-rank}..{rank - 1}; -1 = last)")
        return [ins[0]]
    return infer


def _activation(type_name: str, help: str, params: tuple[Param, ...] = (), target: str | None = None,
                infer=_same) -> None:
    names = [p.name for p in params]
    register(LayerSpec(
        type=type_name,
        category="Activation",
        help=help,
        params=params,
        infer=infer,
        module=lambda ins, p: ModuleCall(target or f"torch.nn.{type_name}", (), {n: p[n] for n in names}),
        macs=lambda ins, outs, p: prod(outs[0]),
    ))


_activation("ReLU", "max(0, x): the default hidden activation.")
_activation("ReLU6", "min(max(0, x), 6): ReLU capped at 6 (MobileNet), robust in low precision.")
_activation("LeakyReLU", "x if x > 0 else negative_slope·x: keeps a small gradient for negatives.",
            (Param("negative_slope", "float", 0.01, "slope for x < 0", min=0.0),))
_activation("ELU", "x if x > 0 else α(eˣ − 1).", (Param("alpha", "float", 1.0, "saturation value for negatives", min=0.0),))
_activation("GELU", "x·Φ(x), the Gaussian error linear unit (transformers).",
            (Param("approximate", "choice", "none", "exact or tanh approximation", choices=("none", "tanh")),))
_activation("Sigmoid", "1 / (1 + e⁻ˣ): squashes to (0, 1); binary outputs, gates.")
_activation("Tanh", "tanh(x): squashes to (−1, 1).")
_activation("SiLU", "x·sigmoid(x) (swish).")
_activation("Softplus", "log(1 + e^(βx))/β: a smooth ReLU.",
            (Param("beta", "float", 1.0, "sharpness", min=1e-6), Param("threshold", "float", 20.0,
             "above this βx the function is linear")))
_activation("Softmax", "exp(x) / Σ exp(x) along dim: class probabilities.",
            (Param("dim", "int", -1, "dimension to normalise (counting the batch as 0; -1 = last)"),),
            infer=_dim_infer("Softmax"))
_activation("LogSoftmax", "log of softmax along dim; pair with the nll loss.",
            (Param("dim", "int", -1, "dimension to normalise (counting the batch as 0; -1 = last)"),),
            infer=_dim_infer("LogSoftmax"))
_activation("Step", "Heaviside step (the perceptron's): 1 if x ≥ threshold else 0; trains with a "
            "straight-through gradient.",
            (Param("threshold", "float", 0.0, "where the output jumps from 0 to 1"),
             Param("straight_through", "bool", True, "pass gradients through as if the step were the identity")),
            target="netbuilder.core.modules.Step")
_activation("Hardswish", "x·ReLU6(x + 3)/6: a cheap swish (MobileNetV3).")
_activation("Hardsigmoid", "ReLU6(x + 3)/6: a cheap sigmoid (MobileNetV3's squeeze-and-excite gate).")
_activation("Mish", "x·tanh(softplus(x)): a smooth, non-monotonic ReLU (YOLOv4).")


def _prelu_infer(ins, p):
    (x,) = ins
    n = p["num_parameters"]
    if n != 1:
        channels = x[0] if x else None
        if channels is None or channels != n:
            raise ShapeError(f"PReLU: num_parameters {n} must be 1 (one slope) or the number of channels "
                             f"(dim 1, here {'?' if channels is None else channels}) of input "
                             f"{'×'.join('?' if s is None else str(s) for s in x) or 'scalar'}")
    return [x]


register(LayerSpec(
    type="PReLU", category="Activation",
    help="x if x > 0 else a·x with a learned slope a (one, or one per channel).",
    params=(Param("num_parameters", "int", 1, "number of learned slopes: 1, or the number of channels", min=1),
            Param("init", "float", 0.25, "initial slope")),
    infer=_prelu_infer,
    module=lambda ins, p: ModuleCall("torch.nn.PReLU", (), {"num_parameters": p["num_parameters"], "init": p["init"]}),
    macs=lambda ins, outs, p: prod(outs[0]),
))
