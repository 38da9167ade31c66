"""Table of layer test cases: (type, params, input shapes) for every catalog type.

Keras `layer_test` style: each case is a tiny graph Input(s) → node → Output(s),
checked against a real forward pass by test_layer_catalog.py. Every type has
a case with its default params (DEFAULT_INPUTS) plus cases that vary its params.
Shapes exclude the batch; None is a variable size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from netbuilder.core.graph import Graph
from netbuilder.core.spec import get_spec

# Input shapes that fit each type's default params (one tuple per input port).
DEFAULT_INPUTS: dict[str, list[tuple]] = {
    "Input": [], "Output": [(4,)],
    "Linear": [(20,)],
    "Conv1d": [(3, 20)], "Conv2d": [(3, 12, 12)],
    "ConvTranspose1d": [(4, 10)], "ConvTranspose2d": [(4, 7, 7)],
    "MaxPool1d": [(3, 10)], "MaxPool2d": [(3, 8, 8)],
    "AvgPool1d": [(3, 10)], "AvgPool2d": [(3, 8, 8)], "SumPool2d": [(3, 8, 8)],
    "AdaptiveAvgPool2d": [(3, 9, 9)], "AdaptiveMaxPool2d": [(3, 9, 9)],
    "GlobalAvgPool": [(3, 5, 5)], "GlobalMaxPool": [(3, 5, 5)],
    "ReLU": [(6,)], "ReLU6": [(6,)], "LeakyReLU": [(6,)], "ELU": [(6,)], "GELU": [(6,)], "Sigmoid": [(6,)],
    "Tanh": [(6,)], "SiLU": [(6,)], "Softplus": [(6,)], "Softmax": [(6,)], "LogSoftmax": [(6,)],
    "Step": [(6,)],
    "BatchNorm1d": [(5,)], "BatchNorm2d": [(3, 4, 4)], "LayerNorm": [(6,)],
    "Dropout": [(10,)], "Dropout2d": [(3, 4, 4)], "GaussianNoise": [(10,)],
    "Flatten": [(3, 4, 5)], "Unflatten": [(64,)], "Reshape": [(3, 4)], "Upsample": [(3, 4, 4)],
    "Identity": [(7,)],
    "Add": [(4, 5), (4, 5)], "Multiply": [(4, 5), (4, 5)], "Concat": [(3, 4), (5, 4)], "Chunk": [(6, 4)],
    "Split": [(2, 4)],
    "RNN": [(5, 3)], "LSTM": [(5, 3)], "GRU": [(5, 3)], "Embedding": [(7,)],
    "Encoder": [(20,)], "Decoder": [(20,)], "ConvEncoder": [(1, 9, 9)], "ConvDecoder": [(4, 3, 3)],
    "Sampling": [(4,), (4,)], "RBM": [(12,)],
    # issue 14
    "Hardswish": [(6,)], "Hardsigmoid": [(6,)], "Mish": [(6,)], "PReLU": [(6,)],
    "GroupNorm": [(4, 3, 3)], "InstanceNorm2d": [(3, 4, 4)], "StochasticDepth": [(4, 3)],
    "Permute": [(3, 4)], "Transpose": [(3, 4)], "ChannelShuffle": [(4, 2, 2)], "RepeatVector": [(5,)],
    "PixelShuffle": [(8, 3, 3)], "PixelUnshuffle": [(2, 4, 6)],
    "ZeroPad1d": [(3, 5)], "ConstantPad1d": [(3, 5)], "ReflectionPad1d": [(3, 5)], "ReplicationPad1d": [(3, 5)],
    "ZeroPad2d": [(3, 4, 5)], "ConstantPad2d": [(3, 4, 5)], "ReflectionPad2d": [(3, 4, 5)],
    "ReplicationPad2d": [(3, 4, 5)],
    "MatMul": [(3, 4), (4, 5)], "Parameter": [(4,)],
    "MultiheadAttention": [(5, 8)], "TransformerEncoderLayer": [(5, 8)], "TransformerDecoderLayer": [(5, 8), (6, 8)],
}


# Types that read integer ids rather than floats.
INT_INPUT = {"Embedding": "int64"}


@dataclass(frozen=True)
class Case:
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    inputs: tuple = ()  # input shapes, one per input port
    dtype: str = "float32"  # of the Input nodes
    warns: str = ""  # a known, harmless torch warning this case triggers (regex), ignored
    fill: tuple[int, ...] = (5, 7)  # sizes tried for the variable (None) dims, one forward pass each

    @property
    def id(self) -> str:
        params = ",".join(f"{k}={v}" for k, v in self.params.items())
        shapes = "+".join("x".join("N" if s is None else str(s) for s in shape) for shape in self.inputs)
        return f"{self.type}({params})[{shapes}]".replace(" ", "")


def C(type_name: str, inputs: list[tuple] | tuple, dtype: str = "float32", warns: str = "",
      fill: tuple[int, ...] = (5, 7), **params: Any) -> Case:
    if not inputs:
        shapes: tuple = ()
    elif isinstance(inputs[0], (tuple, list)):
        shapes = tuple(tuple(s) for s in inputs)
    else:
        shapes = (tuple(inputs),)
    return Case(type_name, params, shapes, dtype, warns, fill)


_SAME_EVEN = "Using padding='same' with even kernel"

VARIED: list[Case] = [
    # -- I/O
    C("Input", [], shape=[3]), C("Input", [], shape=[2, None, 4]), C("Input", [], shape=[6], dtype="int64"),
    C("Output", (2, 3)), C("Output", (None, 5)),
    # -- dense
    C("Linear", (3, 7), out_features=5), C("Linear", (2, 3, 4), out_features=1, bias=False),
    C("Linear", (None, 6), out_features=3),
    # -- conv 1d
    C("Conv1d", (3, 20), out_channels=4, kernel_size=5, stride=2, padding=1),
    C("Conv1d", (3, 20), out_channels=2, kernel_size=3, dilation=2, bias=False),
    C("Conv1d", (3, 20), out_channels=6, groups="depthwise"),
    C("Conv1d", (4, 11), out_channels=6, groups=2, kernel_size=[4], stride=[3]),
    C("Conv1d", (3, 9), out_channels=2, kernel_size=4, padding="same", warns=_SAME_EVEN),
    C("Conv1d", (3, 9), out_channels=2, kernel_size=3, padding="valid"),
    C("Conv1d", (3, 9), out_channels=2, kernel_size=3, padding=2, padding_mode="reflect"),
    C("Conv1d", (3, 4), out_channels=2, kernel_size=3, padding=4, padding_mode="circular"),
    C("Conv1d", (3, 4), out_channels=2, kernel_size=3, padding=[6], padding_mode="replicate"),
    C("Conv1d", (3, None), out_channels=2, kernel_size=3, stride=2),
    # -- conv 2d
    C("Conv2d", (3, 12, 10), out_channels=4, kernel_size=[3, 5], stride=[2, 1], padding=[1, 2]),
    C("Conv2d", (3, 12, 12), out_channels=4, kernel_size=3, dilation=2, stride=3),
    C("Conv2d", (4, 8, 8), out_channels=6, groups=2, bias=False),
    C("Conv2d", (3, 8, 8), out_channels=6, groups="depthwise", kernel_size=1),
    C("Conv2d", (3, 7, 6), out_channels=2, kernel_size=4, dilation=2, padding="same"),
    C("Conv2d", (3, 7, 6), out_channels=2, kernel_size=[2, 3], padding="same", warns=_SAME_EVEN),
    C("Conv2d", (3, 5, 5), out_channels=2, kernel_size=5, padding="same", padding_mode="reflect"),
    C("Conv2d", (3, 5, 5), out_channels=2, kernel_size=3, padding="valid", padding_mode="circular"),
    C("Conv2d", (3, 5, 6), out_channels=2, kernel_size=3, padding=[4, 2], padding_mode="reflect"),
    C("Conv2d", (3, 5, 5), out_channels=2, kernel_size=3, padding=5, padding_mode="circular"),
    C("Conv2d", (3, 3, 3), out_channels=2, kernel_size=3, padding=4, padding_mode="replicate", stride=2),
    C("Conv2d", (3, None, None), out_channels=5, kernel_size=3, stride=2, padding=1),
    C("Conv2d", (3, None, 9), out_channels=5, kernel_size=3, padding="same", padding_mode="circular"),
    # -- transposed conv
    C("ConvTranspose1d", (4, 10), out_channels=3, kernel_size=3, stride=2, output_padding=1),
    C("ConvTranspose1d", (4, 10), out_channels=3, kernel_size=3, padding="same"),
    C("ConvTranspose1d", (4, 10), out_channels=3, kernel_size=2, padding="valid", stride=3),
    C("ConvTranspose1d", (4, 10), out_channels=2, kernel_size=3, dilation=2, output_padding=1, padding=1),
    C("ConvTranspose1d", (4, 10), out_channels=8, groups="depthwise", bias=False),
    C("ConvTranspose1d", (4, None), out_channels=2, kernel_size=4, stride=2, padding=1),
    C("ConvTranspose2d", (4, 7, 7), out_channels=3, kernel_size=4, stride=2, padding=1),
    C("ConvTranspose2d", (4, 5, 6), out_channels=3, kernel_size=3, stride=[2, 3], output_padding=[1, 2]),
    C("ConvTranspose2d", (4, 5, 6), out_channels=3, kernel_size=5, padding="same"),
    C("ConvTranspose2d", (4, 5, 6), out_channels=3, kernel_size=2, dilation=2, padding="same"),
    C("ConvTranspose2d", (4, 5, 5), out_channels=6, groups=2, kernel_size=[1, 3], bias=False),
    C("ConvTranspose2d", (4, None, 7), out_channels=2, kernel_size=3, stride=2, padding=1, output_padding=1),
    # -- max pool
    C("MaxPool1d", (3, 10), kernel_size=3, stride=2, padding=1, ceil_mode=True),
    C("MaxPool1d", (3, 10), kernel_size=2, dilation=3, stride=1, padding=1),
    C("MaxPool1d", (3, 2), kernel_size=3, stride=2, ceil_mode=True),  # window wider than input: ok in ceil mode
    C("MaxPool1d", (3, None), kernel_size=[2]),
    C("MaxPool2d", (3, 7, 8), kernel_size=3, stride=2, ceil_mode=True),
    C("MaxPool2d", (3, 5, 5), kernel_size=2, stride=2, padding=1, ceil_mode=True),  # last window dropped
    C("MaxPool2d", (3, 8, 9), kernel_size=[2, 3], stride=[1, 2], padding=[1, 1], dilation=[2, 1]),
    C("MaxPool2d", (3, None, 8), kernel_size=2),
    # -- average and sum pool
    C("AvgPool1d", (3, 10), kernel_size=3, stride=2, padding=1, count_include_pad=False, ceil_mode=True),
    C("AvgPool1d", (3, 9), kernel_size=[4], stride=[2]),
    C("AvgPool2d", (3, 7, 7), kernel_size=3, stride=2, ceil_mode=True),
    C("AvgPool2d", (3, 6, 7), kernel_size=[2, 4], stride=[2, 1], padding=[1, 2], count_include_pad=False),
    C("AvgPool2d", (3, 2, 2), kernel_size=3, stride=2, ceil_mode=True),
    C("SumPool2d", (3, 6, 6), kernel_size=3, stride=1, padding=1),
    C("SumPool2d", (3, 7, 5), kernel_size=2, stride=[2, 1], ceil_mode=True),
    C("SumPool2d", (3, None, None), kernel_size=2),
    # -- adaptive and global pool
    C("AdaptiveAvgPool2d", (3, 9, 7), output_size=[2, 3]), C("AdaptiveAvgPool2d", (3, None, None), output_size=4),
    C("AdaptiveMaxPool2d", (3, 2, 2), output_size=[4, 3]), C("AdaptiveMaxPool2d", (3, 5, None), output_size=1),
    C("GlobalAvgPool", (3, 7)), C("GlobalAvgPool", (3, None, None)),
    C("GlobalMaxPool", (3, 7)), C("GlobalMaxPool", (4, 2, None)),
    # -- activations
    C("ReLU", (2, 3, 4)), C("ReLU6", (2, 3)), C("Sigmoid", (2, 3)), C("Tanh", (None, 3)), C("SiLU", (2, 3)),
    C("LeakyReLU", (2, 3), negative_slope=0.2), C("ELU", (2, 3), alpha=0.5), C("GELU", (2, 3), approximate="tanh"),
    C("Softplus", (2, 3), beta=2.0, threshold=10.0),
    C("Softmax", (2, 3), dim=1), C("Softmax", (2, 3, 4), dim=2), C("Softmax", (2, 3, 4), dim=-3),
    C("LogSoftmax", (4, 3), dim=1), C("LogSoftmax", (None, 3), dim=-1),
    C("Step", (2, 3), threshold=0.5), C("Step", (5,), straight_through=False),
    # -- normalization
    C("BatchNorm1d", (4, 6), eps=1e-3, momentum=0.5), C("BatchNorm1d", (5,), affine=False),
    C("BatchNorm1d", (4, None), track_running_stats=False),
    C("BatchNorm2d", (3, 4, 4), affine=False, momentum=0.0, track_running_stats=False),
    C("BatchNorm2d", (3, None, 5), eps=0.1),
    C("LayerNorm", (3, 4, 5), normalized_dims=2), C("LayerNorm", (None, 5), elementwise_affine=False, eps=1e-3),
    C("LayerNorm", (3, 4), normalized_dims=2),
    # -- regularization
    C("Dropout", (2, 10), p=0.3), C("Dropout", (10,), p=1.0), C("Dropout", (10,), p=0.0),
    C("Dropout2d", (3, 4, 4), p=0.2), C("GaussianNoise", (3, 4), std=0.5), C("GaussianNoise", (None, 4), std=0.0),
    # -- reshape
    C("Flatten", (3, 4, 5), start_dim=2), C("Flatten", (3, 4, 5), end_dim=2), C("Flatten", (3, 4, 5), start_dim=-2),
    C("Flatten", (None, 4)), C("Flatten", (5,)), C("Flatten", (2, 3, 4, 5), start_dim=2, end_dim=-2),
    C("Unflatten", (3, 12), dim=2, unflattened_size=[3, 4]), C("Unflatten", (12, 3), dim=-2, unflattened_size=[2, 6]),
    C("Unflatten", (None, 12), dim=2, unflattened_size=[4, 3]),
    C("Reshape", (3, 4), shape=[4, 3]), C("Reshape", (3, 4, 2), shape=[2, -1, 3]),
    C("Reshape", (None, 4), shape=[-1, 2]), C("Reshape", (12,), shape=[1, 1, 12]),
    C("Upsample", (3, 5, 7), scale_factor=1.5, mode="bilinear"), C("Upsample", (3, 10, 7), scale_factor=0.3),
    C("Upsample", (3, 4, 5), size=[6, 8]), C("Upsample", (3, 5), scale_factor=2.5, mode="linear"),
    C("Upsample", (2, 5), scale_factor=3.0), C("Upsample", (2, 5), size=9, mode="linear"),
    C("Upsample", (3, None, None), scale_factor=2.0), C("Upsample", (3, 7, 7), scale_factor=1 / 3),
    C("Identity", (None, 2, 3)),
    # -- merges
    C("Add", [(4, 5), (4, 5), (4, 5)], num_inputs=3), C("Add", [(None, 5), (None, 5)]),
    C("Multiply", [(3,), (3,), (3,), (3,)], num_inputs=4), C("Multiply", [(2, None), (2, 6)], fill=(6,)),
    C("Concat", [(3, 4), (3, 6)], dim=2), C("Concat", [(3, 4), (3, 6)], dim=-1),
    C("Concat", [(1, 4, 4), (2, 4, 4), (3, 4, 4)], num_inputs=3), C("Concat", [(None, 4), (None, 3)], dim=2),
    C("Concat", [(2, None), (3, None)], dim=1),
    C("Chunk", (2, 9), chunks=3, dim=2), C("Chunk", (4, 6), dim=-1), C("Chunk", (None, 4), dim=2),
    C("Chunk", (8,), chunks=4, dim=1),
    C("Split", (20,), split_size_or_sections=[16, 4]), C("Split", (3, 9), split_size_or_sections=[2, 3, 4], dim=2),
    C("Split", (None, 4), split_size_or_sections=[1, 3], dim=2),
    # -- recurrent
    C("RNN", (5, 3), hidden_size=4, nonlinearity="relu", return_sequences=True),
    C("RNN", (5, 3), hidden_size=4, bidirectional=True), C("RNN", (None, 3), hidden_size=2, num_layers=3, dropout=0.2),
    C("LSTM", (5, 3), hidden_size=4, num_layers=2, dropout=0.1, return_sequences=True),
    C("LSTM", (5, 3), hidden_size=4, bidirectional=True, num_layers=2),
    C("LSTM", (5, 3), hidden_size=4, bidirectional=True, return_sequences=True),
    C("LSTM", (None, 8), hidden_size=6), C("LSTM", (None, 8), hidden_size=6, return_sequences=True),
    C("GRU", (5, 3), hidden_size=4, bidirectional=True, return_sequences=True),
    C("GRU", (6, 2), hidden_size=3, num_layers=2, dropout=0.5), C("GRU", (None, 3), hidden_size=2),
    C("Embedding", (9,), dtype="int64", num_embeddings=20, embedding_dim=4),
    C("Embedding", (None,), dtype="int64", num_embeddings=5, embedding_dim=3),
    # -- blocks
    C("Encoder", (3, 20), sizes=[8, 4], activation="tanh", last_activation="identity"),
    C("Encoder", (None, 6), sizes=[5], activation="gelu"),
    C("Decoder", (4,), sizes=[8, 16], activation="leaky_relu", last_activation="same"),
    C("Decoder", (2, 4), sizes=[3], activation="elu", last_activation="silu"),
    C("ConvEncoder", (1, 9, 8), channels=[4, 8], kernel_size=5, activation="elu", last_activation="identity"),
    C("ConvEncoder", (3, None, 8), channels=[2], kernel_size=1),
    C("ConvDecoder", (8, 3, 4), channels=[4, 2], kernel_size=5, activation="tanh", last_activation="sigmoid"),
    C("ConvDecoder", (2, None, 3), channels=[3], last_activation="relu"),
    # -- generative
    C("Sampling", [(3, 4), (3, 4)], sample_in_eval=True), C("Sampling", [(None, 2), (None, 2)]),
    C("RBM", (12,), num_hidden=5), C("RBM", (3,), num_hidden=1),
    # -- issue 14: activations, norms, regularization
    C("Hardswish", (2, 3)), C("Hardsigmoid", (None, 3)), C("Mish", (2, 3)),
    C("PReLU", (3, 4, 4), num_parameters=3, init=0.1), C("PReLU", (None, 4)),
    C("GroupNorm", (6, 4, 4), num_groups=3, eps=1e-3, affine=False), C("GroupNorm", (4, None), num_groups=2),
    C("GroupNorm", (6,), num_groups=6),
    C("InstanceNorm2d", (3, 5, 4), affine=True, eps=1e-3, momentum=0.5, track_running_stats=True),
    C("InstanceNorm2d", (2, None, 3)),
    C("StochasticDepth", (3, 4), p=0.2, mode="batch"), C("StochasticDepth", (5,), p=1.0),
    C("StochasticDepth", (None, 2), p=0.0),
    # -- issue 14: reordering
    C("Permute", (2, 3, 4), dims=[0, 2, 3, 1]), C("Permute", (None, 3, 4), dims=[0, -1, 1, 2]),
    C("Permute", (5,), dims=[0, 1]),
    C("Transpose", (2, 3, 4), dim0=3, dim1=1), C("Transpose", (None, 5), dim0=-1, dim1=1),
    C("ChannelShuffle", (6, 3, 3), groups=3), C("ChannelShuffle", (6, None), groups=2),
    C("RepeatVector", (3,), n=6), C("RepeatVector", (2, None), n=2),
    C("PixelShuffle", (18, 2, 5), upscale_factor=3), C("PixelShuffle", (4, None, 3)),
    C("PixelUnshuffle", (3, 6, 9), downscale_factor=3), C("PixelUnshuffle", (1, 8, 4), downscale_factor=4),
    # -- padding (fast style transfer's ReflectionPad2d, U-Net crops, ...)
    C("ZeroPad2d", (2, 3, 4), padding=[1, 0, 2, 3]), C("ZeroPad1d", (2, 5), padding=[0, 4]),
    C("ConstantPad2d", (2, 3, 3), padding=2, value=-1.5), C("ConstantPad1d", (2, None), padding=[3, 1], value=2.0),
    C("ReflectionPad2d", (2, 4, 5), padding=[4, 0, 3, 1]), C("ReflectionPad2d", (1, None, None), padding=2),
    C("ReflectionPad1d", (3, 6), padding=[5, 2]), C("ReplicationPad2d", (2, 1, 2), padding=[3, 1, 0, 4]),
    C("ReplicationPad1d", (2, 3), padding=7),
    # -- issue 14: broadcasting merges and MatMul
    C("Multiply", [(4, 1, 1), (4, 6, 6)]), C("Add", [(1, 5), (3, 1)]), C("Add", [(None, 1), (1, 4)]),
    C("Multiply", [(3, 1), (3, 4), (1, 4)], num_inputs=3),
    C("MatMul", [(2, 3, 4), (1, 4, 5)]), C("MatMul", [(None, 4), (4, 2)]), C("MatMul", [(3, None, 4), (3, 4, None)]),
    # -- issue 14: attention
    C("Parameter", (3, 5), shape=[2, 8], init="zeros"), C("Parameter", (None, 4), shape=[3], init="ones"),
    C("Parameter", (4,), shape=[5, 2], std=1.0), C("Parameter", (2,), shape=[3], init="ones", trainable=False),
    C("MultiheadAttention", (5, 8), num_heads=2, dropout=0.1, causal=True),
    C("MultiheadAttention", [(4, 8), (6, 6)], mode="query_memory", num_heads=4, bias=False),
    C("MultiheadAttention", [(4, 8), (6, 5), (6, 3)], mode="query_key_value", num_heads=2, causal=True),
    C("MultiheadAttention", (None, 6), num_heads=3, causal=True),
    C("MultiheadAttention", (3, 8), batch_first=False, num_heads=2, causal=True),
    C("TransformerEncoderLayer", (5, 8), nhead=2, dim_feedforward=16, dropout=0.0, activation="gelu",
      layer_norm_eps=1e-6, norm_first=True, causal=True),
    C("TransformerEncoderLayer", (None, 6), nhead=3, dim_feedforward=12, bias=False),
    C("TransformerEncoderLayer", (3, 4), batch_first=False, dim_feedforward=8, causal=True),
    C("TransformerDecoderLayer", [(5, 8), (3, 8)], nhead=2, dim_feedforward=16, dropout=0.0, activation="gelu",
      layer_norm_eps=1e-6, norm_first=True, causal=True),
    C("TransformerDecoderLayer", [(None, 6), (4, 6)], nhead=3, dim_feedforward=12, bias=False),
    C("TransformerDecoderLayer", [(3, 4), (3, 4)], batch_first=False, dim_feedforward=8, causal=True),
]

# Params deliberately left at their default in VARIED (the test that every
# param is exercised reads this).
NOT_VARIED: set[tuple[str, str]] = set()


def default_cases() -> list[Case]:
    return [Case(t, {}, tuple(DEFAULT_INPUTS[t]), INT_INPUT.get(t, "float32")) for t in DEFAULT_INPUTS]


ALL_CASES: list[Case] = default_cases() + VARIED


def build_case_graph(case: Case) -> Graph:
    """Input(s) → the node under test → one Output per output port.

    For an Input case, the node under test is the Input itself."""
    graph = Graph(name=f"case {case.type}")
    if case.type == "Input":
        graph.add_node("Input", {**case.params, "dtype": case.dtype}, id="layer")
        graph.add_node("Output", id="out0")
        graph.add_edge("layer", "out0")
        return graph
    for i, shape in enumerate(case.inputs):
        graph.add_node("Input", {"shape": list(shape), "dtype": case.dtype}, pos=(0, 100 * i), id=f"in{i}")
    node = graph.add_node(case.type, dict(case.params), pos=(200, 0), id="layer")
    for i in range(len(case.inputs)):
        graph.add_edge(f"in{i}", "layer", 0, i)
    for port in range(len(node.output_ports())):
        graph.add_node("Output", pos=(400, 100 * port), id=f"out{port}")
        graph.add_edge("layer", f"out{port}", port, 0)
    return graph


def spec_input_count(type_name: str, params: dict) -> int:
    spec = get_spec(type_name)
    return len(spec.input_ports(spec.validate_params(params)))
