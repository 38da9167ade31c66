"""How traced PyTorch operations map onto catalog layer types (for fx_import).

Modules map by class: a catalog type of the same name takes its params from
the module's attributes of the same names (PyTorch's names are the catalog's),
with small fix-ups where the catalog says it differently (`bias` as a bool,
`groups="depthwise"`, ...). NetBuilder's own modules (and the copies that code
export writes) map back to their node types. Functions and tensor methods map
through a table of signatures. Every rule raises `Unmappable(reason)` when the
operation has an option the catalog cannot express.
"""

from __future__ import annotations

import inspect
import operator
from typing import Any, Callable

from netbuilder.core.layers.padding import MODES as PAD_MODES
from netbuilder.core.spec import get_spec, has_spec


class Unmappable(Exception):
    """This operation has no catalog equivalent; the message says why."""


def compact(value: Any) -> Any:
    """(3, 3) -> 3, (3, 5) -> [3, 5]: the catalog's 'ints' form."""
    if isinstance(value, (tuple, list)):
        values = [int(v) for v in value]
        return values[0] if len(set(values)) == 1 else values
    return value


# ------------------------------------------------------------------ modules
_ACT_NAMES = {"ReLU": "relu", "Tanh": "tanh", "Sigmoid": "sigmoid", "LeakyReLU": "leaky_relu", "ELU": "elu",
              "GELU": "gelu", "SiLU": "silu", "Identity": "identity"}
_OWN = ("Step", "GaussianNoise", "GlobalAvgPool", "GlobalMaxPool", "Reshape", "Recurrent", "Sampling",
        "DenseStack", "ConvStack", "RBM", "ChannelShuffle", "StochasticDepth", "RepeatVector", "LearnedTensor",
        "MultiheadAttention", "TransformerEncoderLayer", "TransformerDecoderLayer")


def is_own_module(module: Any) -> bool:
    """One of NetBuilder's modules, or an exact copy of one (as code export writes them)."""
    from netbuilder.core import modules as nb_modules

    cls = type(module)
    name = cls.__name__
    if name not in _OWN:
        return False
    ours = getattr(nb_modules, name)
    if cls is ours:
        return True
    if cls.__module__.startswith("torch."):  # nn.ChannelShuffle / nn.MultiheadAttention...: PyTorch's own
        return False
    if name == "StochasticDepth" and getattr(module, "mode", None) in ("row", "batch") and hasattr(module, "p"):
        return True  # torchvision.ops.StochasticDepth or a copy of it: same attributes, same semantics
    try:
        return inspect.getsource(cls.forward) == inspect.getsource(ours.forward)
    except (OSError, TypeError):
        return False


def map_module(module: Any) -> tuple[str, dict[str, Any]]:
    """(catalog type, params) for a leaf module, or raise Unmappable."""
    name = type(module).__name__
    if is_own_module(module):
        return _OWN_RULES[name](module)
    if not type(module).__module__.startswith("torch.nn"):
        raise Unmappable(f"{name} is not a PyTorch or NetBuilder layer")
    if name == "AvgPool2d" and module.divisor_override is not None:
        if module.divisor_override != 1:
            raise Unmappable(f"divisor_override={module.divisor_override} (only 1, a sum pool, is supported)")
        return "SumPool2d", _pool_params(module, get_spec("SumPool2d"))
    if name in ("LSTM", "GRU", "RNN"):
        raise Unmappable("handled by the recurrent patterns")  # fx_import reads how its outputs are used
    if not has_spec(name) or get_spec(name).module is None:
        raise Unmappable(f"no NetBuilder layer computes nn.{name}")
    spec = get_spec(name)
    fix = _FIXUPS.get(name)
    return name, fix(module, spec) if fix else _attrs(module, spec)


def _attrs(module: Any, spec) -> dict[str, Any]:
    params = {}
    for p in spec.params:
        if hasattr(module, p.name):
            value = getattr(module, p.name)
            params[p.name] = list(value) if isinstance(value, tuple) else value
    return params


def _conv_params(module: Any, spec) -> dict[str, Any]:
    params = _attrs(module, spec)
    for key in ("kernel_size", "stride", "dilation", "output_padding"):
        if key in params:
            params[key] = compact(getattr(module, key))
    if not isinstance(module.padding, str):
        params["padding"] = compact(module.padding)
    params["bias"] = module.bias is not None
    if module.groups > 1 and module.groups == module.in_channels:
        params["groups"] = "depthwise"
    if getattr(module, "padding_mode", "zeros") != "zeros" and "padding_mode" not in params:
        raise Unmappable(f"padding_mode={module.padding_mode!r}")
    return params


def _pool_params(module: Any, spec) -> dict[str, Any]:
    if getattr(module, "return_indices", False):
        raise Unmappable("return_indices=True (pooling indices)")
    params = _attrs(module, spec)
    for key in ("kernel_size", "stride", "padding", "dilation"):
        if key in params and params[key] is not None:
            params[key] = compact(getattr(module, key))
    if "stride" in params and compact(module.stride) == compact(module.kernel_size):
        params["stride"] = None  # PyTorch's default, as the catalog writes it
    return params


def _adaptive_params(module: Any, spec) -> dict[str, Any]:
    if getattr(module, "return_indices", False):
        raise Unmappable("return_indices=True (pooling indices)")
    size = module.output_size
    if size is None or (isinstance(size, (tuple, list)) and None in size):
        raise Unmappable(f"output_size={size!r} keeps an input size (None)")
    return {"output_size": compact(size)}


def _linear_params(module: Any, spec) -> dict[str, Any]:
    return {"out_features": module.out_features, "bias": module.bias is not None}


def _layer_norm_params(module: Any, spec) -> dict[str, Any]:
    if module.elementwise_affine and getattr(module, "bias", True) is None:
        raise Unmappable("bias=False (NetBuilder's LayerNorm always learns a shift when affine)")
    return {"normalized_dims": len(module.normalized_shape), "eps": module.eps,
            "elementwise_affine": module.elementwise_affine}


def _upsample_params(module: Any, spec) -> dict[str, Any]:
    if module.align_corners:
        raise Unmappable("align_corners=True")
    if module.mode not in spec.param("mode").choices:
        raise Unmappable(f"mode={module.mode!r}")
    scale = module.scale_factor
    if isinstance(scale, (tuple, list)):
        if len(set(scale)) != 1:
            raise Unmappable(f"scale_factor={scale!r} differs per axis")
        scale = scale[0]
    params = {"mode": module.mode, "size": compact(module.size) if module.size is not None else None}
    if scale is not None:
        params["scale_factor"] = float(scale)
    return params


_FIXUPS: dict[str, Callable] = {
    "Linear": _linear_params, "Conv1d": _conv_params, "Conv2d": _conv_params, "ConvTranspose1d": _conv_params,
    "ConvTranspose2d": _conv_params, "MaxPool1d": _pool_params, "MaxPool2d": _pool_params,
    "AvgPool1d": _pool_params, "AvgPool2d": _pool_params, "AdaptiveAvgPool2d": _adaptive_params,
    "AdaptiveMaxPool2d": _adaptive_params, "LayerNorm": _layer_norm_params, "Upsample": _upsample_params,
    "PReLU": lambda m, spec: {"num_parameters": m.num_parameters, "init": float(m.init)},
    "TransformerEncoderLayer": lambda m, spec: transformer_params(m),
    "TransformerDecoderLayer": lambda m, spec: transformer_params(m),
    **{f"{mode}Pad{n}d": lambda m, spec: {**_attrs(m, spec), "padding": compact(m.padding)}  # (4, 4, 4, 4) → 4
       for mode in PAD_MODES for n in (1, 2)},
}


def attention_params(m: Any, mode: str = "self") -> dict[str, Any]:
    """Params of a MultiheadAttention node for an nn.MultiheadAttention (embed_dim/kdim/vdim inferred)."""
    if m.bias_k is not None or m.add_zero_attn:
        raise Unmappable("add_bias_kv / add_zero_attn (not in NetBuilder's MultiheadAttention)")
    return {"num_heads": m.num_heads, "dropout": float(m.dropout), "bias": m.in_proj_bias is not None,
            "batch_first": m.batch_first, "mode": mode, "causal": bool(getattr(m, "causal", False))}


def transformer_params(m: Any) -> dict[str, Any]:
    """Params of a Transformer{Encoder,Decoder}Layer node (d_model inferred)."""
    import torch.nn.functional as F

    act = {1: "relu", 2: "gelu"}.get(getattr(m, "activation_relu_or_gelu", 0))
    if act is None:
        act = {F.relu: "relu", F.gelu: "gelu"}.get(m.activation) if callable(m.activation) else None
    if act is None:
        raise Unmappable(f"activation {m.activation!r} (NetBuilder's transformer layers take relu or gelu)")
    return {"nhead": m.self_attn.num_heads, "dim_feedforward": m.linear1.out_features, "dropout": float(m.dropout.p),
            "activation": act, "layer_norm_eps": m.norm1.eps, "batch_first": m.self_attn.batch_first,
            "norm_first": m.norm_first, "bias": m.linear1.bias is not None,
            "causal": bool(getattr(m, "causal", False))}


def recurrent_params(rnn: Any, return_sequences: bool) -> tuple[str, dict[str, Any]]:
    """Params of an RNN/LSTM/GRU node for a torch recurrent module."""
    mode = type(rnn).__name__
    if not rnn.batch_first:
        raise Unmappable("batch_first=False (NetBuilder's recurrent layers take (batch, length, features))")
    if getattr(rnn, "proj_size", 0):
        raise Unmappable(f"proj_size={rnn.proj_size}")
    if not rnn.bias:
        raise Unmappable("bias=False")
    params = {"hidden_size": rnn.hidden_size, "num_layers": rnn.num_layers, "bidirectional": rnn.bidirectional,
              "dropout": float(rnn.dropout), "return_sequences": return_sequences}
    if mode == "RNN":
        params["nonlinearity"] = rnn.nonlinearity
    return mode, params


def _act_name(module: Any) -> str:
    name = type(module).__name__
    if name not in _ACT_NAMES:
        raise Unmappable(f"activation {name} inside a dense/conv stack")
    return _ACT_NAMES[name]


def _stack_acts(layers: list) -> tuple[str, str]:
    acts = [_act_name(m) for m in layers[1::2]]
    if len(set(acts[:-1])) > 1:
        raise Unmappable(f"the stack mixes activations {acts}")
    activation = acts[0] if len(acts) == 1 or not acts[:-1] else acts[0]
    last = "same" if acts[-1] == activation else acts[-1]
    return activation, last


def _dense_stack(module: Any) -> tuple[str, dict[str, Any]]:
    layers = list(module.layers)
    activation, last = _stack_acts(layers)
    sizes = [m.out_features for m in layers[0::2]]
    return ("Encoder" if last == "same" else "Decoder"), {"sizes": sizes, "activation": activation,
                                                        "last_activation": last}


def _conv_stack(module: Any) -> tuple[str, dict[str, Any]]:
    layers = list(module.layers)
    activation, last = _stack_acts(layers)
    first = layers[0]
    transposed = type(first).__name__ == "ConvTranspose2d"
    return ("ConvDecoder" if transposed else "ConvEncoder"), {
        "channels": [m.out_channels for m in layers[0::2]], "kernel_size": first.kernel_size[0],
        "activation": activation, "last_activation": last}


_OWN_RULES: dict[str, Callable[[Any], tuple[str, dict[str, Any]]]] = {
    "Step": lambda m: ("Step", {"threshold": m.threshold, "straight_through": m.straight_through}),
    "GaussianNoise": lambda m: ("GaussianNoise", {"std": m.std}),
    "GlobalAvgPool": lambda m: ("GlobalAvgPool", {}),
    "GlobalMaxPool": lambda m: ("GlobalMaxPool", {}),
    "Reshape": lambda m: ("Reshape", {"shape": list(m.shape)}),
    "Recurrent": lambda m: recurrent_params(m.rnn, m.return_sequences),
    "Sampling": lambda m: ("Sampling", {"sample_in_eval": m.sample_in_eval}),
    "DenseStack": _dense_stack,
    "ConvStack": _conv_stack,
    "RBM": lambda m: ("RBM", {"num_hidden": int(m.weight.shape[1])}),
    "ChannelShuffle": lambda m: ("ChannelShuffle", {"groups": m.groups}),
    "StochasticDepth": lambda m: ("StochasticDepth", {"p": float(m.p), "mode": m.mode}),
    "RepeatVector": lambda m: ("RepeatVector", {"n": m.n}),
    "LearnedTensor": lambda m: ("Parameter", {"shape": list(m.weight.shape[1:]),
                                              **({} if isinstance(m.weight, nn_parameter()) else {"trainable": False})}),
    "MultiheadAttention": lambda m: ("MultiheadAttention", attention_params(m)),
    "TransformerEncoderLayer": lambda m: ("TransformerEncoderLayer", transformer_params(m)),
    "TransformerDecoderLayer": lambda m: ("TransformerDecoderLayer", transformer_params(m)),
}


def nn_parameter() -> type:
    import torch

    return torch.nn.Parameter


# -------------------------------------------------------------- functions
def _sig(*names: str, **defaults: Any) -> inspect.Signature:
    """A signature `(names..., key=default...)`, so arguments bind by name however they were passed."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(n, kind) for n in names]
                             + [inspect.Parameter(k, kind, default=v) for k, v in defaults.items()])


SIG_UNARY = _sig("input", inplace=False)
SIG_SOFTMAX = _sig("input", dim=None, _stacklevel=3, dtype=None)
SIG_FLATTEN = _sig("input", start_dim=0, end_dim=-1)
SIG_BINARY = _sig("input", "other", alpha=1)
SIG_CAT = _sig("tensors", dim=0)
SIG_CHUNK = _sig("input", "chunks", dim=0)
SIG_SPLIT = _sig("input", "split_size_or_sections", dim=0)
SIG_REDUCE = _sig("input", dim=None, keepdim=False, dtype=None)
_SIG_MAXPOOL = _sig("input", "kernel_size", stride=None, padding=0, dilation=1, ceil_mode=False,
                    return_indices=False)
_SIG_AVGPOOL = _sig("input", "kernel_size", stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                    divisor_override=None)


def bind(sig: inspect.Signature, args: tuple, kwargs: dict) -> dict[str, Any]:
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as exc:
        raise Unmappable(f"unexpected arguments ({exc})") from None
    bound.apply_defaults()
    return dict(bound.arguments)


def _unary(type_name: str, **names: str) -> Callable[[dict], tuple[str, dict]]:
    """A rule copying some bound arguments into params (`param=argument`)."""
    return lambda a: (type_name, {p: a[arg] for p, arg in names.items()})


def _softmax(type_name: str):
    def rule(a):
        if a["dim"] is None:
            raise Unmappable("softmax without dim (PyTorch's implicit dim is deprecated)")
        if a["dtype"] is not None:
            raise Unmappable(f"dtype={a['dtype']}")
        return type_name, {"dim": a["dim"]}
    return rule


def _pool(kind: str, n: int):
    def rule(a):
        if a.get("return_indices"):
            raise Unmappable("return_indices=True (pooling indices)")
        type_name = f"{kind}Pool{n}d"
        params = {"kernel_size": compact(a["kernel_size"]),
                  "stride": None if a["stride"] in (None, [], ()) else compact(a["stride"]),
                  "padding": compact(a["padding"]), "ceil_mode": a["ceil_mode"]}
        if params["stride"] == params["kernel_size"]:
            params["stride"] = None
        if kind == "Max":
            params["dilation"] = compact(a["dilation"])
        elif a["divisor_override"] == 1 and n == 2:
            type_name = "SumPool2d"
        elif a["divisor_override"] is not None:
            raise Unmappable(f"divisor_override={a['divisor_override']}")
        else:
            params["count_include_pad"] = a["count_include_pad"]
        return type_name, params
    return rule


def _interpolate(a):
    if a["align_corners"]:
        raise Unmappable("align_corners=True")
    if a["antialias"]:
        raise Unmappable("antialias=True")
    scale = a["scale_factor"]
    if isinstance(scale, (tuple, list)):
        if len(set(scale)) != 1:
            raise Unmappable(f"scale_factor={scale!r} differs per axis")
        scale = scale[0]
    params: dict[str, Any] = {"mode": a["mode"], "size": compact(a["size"]) if a["size"] is not None else None}
    if scale is not None:
        params["scale_factor"] = float(scale)
    return "Upsample", params


_PAD_MODES = {"reflect": "Reflection", "replicate": "Replication", "constant": "Constant"}


def _pad(a: dict) -> tuple[str, dict]:
    """F.pad(x, (left, right[, top, bottom]), mode, value) → the padding layer of that mode."""
    sides, mode = list(a["pad"]), _PAD_MODES.get(a["mode"])
    if mode is None:
        raise Unmappable(f"mode={a['mode']!r} padding (NetBuilder pads by zeros, a constant, reflection or "
                         "replication)")
    if len(sides) not in (2, 4):
        raise Unmappable(f"pads {len(sides) // 2} dims (NetBuilder's padding layers pad 1 or 2)")
    value = a["value"] or 0.0
    params: dict[str, Any] = {"padding": compact(sides)}
    if mode == "Constant" and value == 0.0:
        mode = "Zero"
    elif mode == "Constant":
        params["value"] = float(value)
    return f"{mode}Pad{len(sides) // 2}d", params


def function_rules() -> dict[Any, tuple[inspect.Signature, Callable]]:
    """{fx call_function target: (signature, rule(bound args) -> (type, params))}."""
    import torch
    import torch.nn.functional as F

    adaptive = _sig("input", "output_size", return_indices=False)
    table = [
        ([F.relu, torch.relu], SIG_UNARY, _unary("ReLU")),
        ([F.relu6], SIG_UNARY, _unary("ReLU6")),
        ([torch.sigmoid, F.sigmoid], SIG_UNARY, _unary("Sigmoid")),
        ([torch.tanh, F.tanh], SIG_UNARY, _unary("Tanh")),
        ([F.silu], SIG_UNARY, _unary("SiLU")),
        ([F.leaky_relu], _sig("input", negative_slope=0.01, inplace=False),
         _unary("LeakyReLU", negative_slope="negative_slope")),
        ([F.elu], _sig("input", alpha=1.0, inplace=False), _unary("ELU", alpha="alpha")),
        ([F.gelu], _sig("input", approximate="none"), _unary("GELU", approximate="approximate")),
        ([F.softplus], _sig("input", beta=1.0, threshold=20.0), _unary("Softplus", beta="beta", threshold="threshold")),
        ([F.softmax, torch.softmax], SIG_SOFTMAX, _softmax("Softmax")),
        ([F.log_softmax, torch.log_softmax], SIG_SOFTMAX, _softmax("LogSoftmax")),
        ([F.dropout], _sig("input", p=0.5, training=True, inplace=False), _unary("Dropout", p="p")),
        ([F.dropout2d], _sig("input", p=0.5, training=True, inplace=False), _unary("Dropout2d", p="p")),
        ([F.max_pool1d], _SIG_MAXPOOL, _pool("Max", 1)),
        ([F.max_pool2d], _SIG_MAXPOOL, _pool("Max", 2)),
        ([F.avg_pool1d], _SIG_AVGPOOL, _pool("Avg", 1)),
        ([F.avg_pool2d], _SIG_AVGPOOL, _pool("Avg", 2)),
        ([F.adaptive_avg_pool2d], adaptive,
         lambda a: ("AdaptiveAvgPool2d", {"output_size": compact(a["output_size"])})),
        ([F.adaptive_max_pool2d], adaptive, _adaptive_max),
        ([F.hardswish], SIG_UNARY, _unary("Hardswish")),
        ([F.hardsigmoid], SIG_UNARY, _unary("Hardsigmoid")),
        ([F.mish], SIG_UNARY, _unary("Mish")),
        ([F.pad], _sig("input", "pad", mode="constant", value=None), _pad),
        ([F.interpolate], _sig("input", size=None, scale_factor=None, mode="nearest", align_corners=None,
                               recompute_scale_factor=None, antialias=False), _interpolate),
    ]
    return {target: (sig, rule) for targets, sig, rule in table for target in targets}


def _adaptive_max(a: dict) -> tuple[str, dict]:
    if a["return_indices"]:
        raise Unmappable("return_indices=True (pooling indices)")
    return "AdaptiveMaxPool2d", {"output_size": compact(a["output_size"])}


# tensor methods that are the same operation as a torch function
METHOD_FUNCTIONS = ("relu", "sigmoid", "tanh", "softmax", "log_softmax")


def merge_type(target: Any) -> str | None:
    """'Add' / 'Multiply' for element-wise merges (operators, torch functions, methods)."""
    import torch

    table = {operator.add: "Add", operator.iadd: "Add", torch.add: "Add", "add": "Add",
             operator.mul: "Multiply", operator.imul: "Multiply", torch.mul: "Multiply", "mul": "Multiply"}
    try:
        return table.get(target)
    except TypeError:  # unhashable target
        return None
