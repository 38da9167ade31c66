"""Presets that use the issue-14 layers: a tiny ViT, a MobileNetV3-style
block net, a one-to-many RNN (RepeatVector) and a siamese net whose two
towers share one set of weights. All train on the built-in 8×8 digits."""

from __future__ import annotations

from netbuilder.core.graph import Graph

from .builder import Builder, classification, reconstruction

DIM = 32  # the ViT's embedding size
PATCHES = 16  # 8×8 image, 2×2 patches


def vit_digits() -> Graph:
    b = Builder(
        "Tiny ViT on digits",
        "A Vision Transformer at digit size: a 2×2-stride-2 Conv2d cuts the 8×8 image into 16 patches and "
        f"embeds each as {DIM} numbers; a learned class token (Parameter 1×{DIM}) is put in front and a learned "
        f"position embedding (Parameter {PATCHES + 1}×{DIM}) is added, exactly like torchvision's ViT; two "
        "pre-norm Transformer encoder layers mix the patches, and the class token's output (split off the "
        "sequence) is classified. Attention needs data: on 1,797 digits it trails the small CNNs.",
        classification("digits", lr=0.002, epochs=20, batch_size=32),
    )
    x = b.input([1, 8, 8])
    x = b.chain(x, [("patch_embed", "Conv2d", {"out_channels": DIM, "kernel_size": 2, "stride": 2}),
                    ("patches", "Flatten", {"start_dim": 2}),  # (DIM, 16)
                    ("tokens", "Transpose", {"dim0": 1, "dim1": 2})])  # (16, DIM): one row per patch
    cls = b.add("class_token", "Parameter", {"shape": [1, DIM], "init": "zeros"}, src=x, row=-1)
    seq = b.add("with_class", "Concat", {"dim": 1}, src=[cls, x])
    pos = b.add("pos_embedding", "Parameter", {"shape": [PATCHES + 1, DIM]}, src=seq, row=1)
    seq = b.add("embedded", "Add", {}, src=[seq, pos])
    block = {"nhead": 4, "dim_feedforward": 64, "dropout": 0.1, "activation": "gelu", "norm_first": True}
    seq = b.chain(seq, [("encoder1", "TransformerEncoderLayer", block),
                        ("encoder2", "TransformerEncoderLayer", block),
                        ("split", "Split", {"split_size_or_sections": [1, PATCHES], "dim": 1})])
    head = b.chain(("split", 0), [("class_out", "Flatten"), ("norm", "LayerNorm"),
                                  ("head", "Linear", {"out_features": 10})])
    b.output(head)
    return b.finish()


def mobilenet_v3_digits() -> Graph:
    b = Builder(
        "MobileNetV3-style blocks on digits",
        "The parts of MobileNetV3 at digit size: a Conv-BN-Hardswish stem, then an inverted residual block — "
        "1×1 expansion, a depthwise 3×3 convolution, a squeeze-and-excite gate (global average → 1×1 "
        "squeeze → ReLU → 1×1 excite → Hardsigmoid, multiplied back onto the channels: 48×1×1 broadcasts "
        "over 48×8×8) and a linear 1×1 projection — with a skip connection around it.",
        classification("digits", lr=0.003, epochs=15, batch_size=32),
    )
    x = b.input([1, 8, 8])
    stem = b.chain(x, [("stem_conv", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1, "bias": False}),
                       ("stem_bn", "BatchNorm2d"), ("stem_act", "Hardswish")])
    y = b.chain(stem, [("expand", "Conv2d", {"out_channels": 48, "kernel_size": 1, "bias": False}),
                       ("expand_bn", "BatchNorm2d"), ("expand_act", "Hardswish"),
                       ("depthwise", "Conv2d", {"out_channels": 48, "kernel_size": 3, "padding": 1,
                                                "groups": "depthwise", "bias": False}),
                       ("depthwise_bn", "BatchNorm2d"), ("depthwise_act", "Hardswish")])
    gate = b.chain(y, [("se_pool", "AdaptiveAvgPool2d", {"output_size": 1}),
                       ("se_squeeze", "Conv2d", {"out_channels": 12, "kernel_size": 1}), ("se_relu", "ReLU"),
                       ("se_excite", "Conv2d", {"out_channels": 48, "kernel_size": 1}),
                       ("se_gate", "Hardsigmoid")], row=-1)
    y = b.add("se_scale", "Multiply", {}, src=[y, gate])
    y = b.chain(y, [("project", "Conv2d", {"out_channels": 16, "kernel_size": 1, "bias": False}),
                    ("project_bn", "BatchNorm2d")])
    y = b.add("residual", "Add", {}, src=[stem, y])
    y = b.chain(y, [("pool", "GlobalAvgPool"), ("head", "Linear", {"out_features": 10})])
    b.output(y)
    return b.finish()


def rnn_one_to_many() -> Graph:
    b = Builder(
        "One-to-many RNN (a code vector → 8 image rows)",
        "A one-to-many recurrent network: each digit is squeezed into one 16-number vector, RepeatVector "
        "feeds that same vector to an LSTM at each of 8 time steps, and the LSTM writes one image row (8 "
        "pixels) per step — a sequence generated from a single vector. Trained to redraw the input digit; "
        "compare with the many-to-one classifiers and the many-to-many sine preset.",
        reconstruction(epochs=20),
    )
    x = b.input([1, 8, 8])
    x = b.chain(x, [("flatten", "Flatten"), ("code", "Linear", {"out_features": 16}), ("code_act", "Tanh"),
                    ("repeat", "RepeatVector", {"n": 8}),  # (8, 16): the vector at every step
                    ("lstm", "LSTM", {"hidden_size": 32, "return_sequences": True}),
                    ("row", "Linear", {"out_features": 8}), ("pixels", "Sigmoid"),
                    ("image", "Reshape", {"shape": [1, 8, 8]})])
    b.output(x)
    return b.finish()


def siamese_digits() -> Graph:
    b = Builder(
        "Siamese towers on digit halves (shared weights)",
        "A siamese network: the image is split into its left and right halves and each half goes through "
        "the same tower — tower_right shares tower_left's Linear layers (⇄), so there is one set of weights, "
        "trained by both halves and counted once. The two embeddings are joined and classified.",
        classification("digits", lr=0.003, epochs=15, batch_size=32),
    )
    x = b.input([1, 8, 8])
    b.add("halves", "Split", {"split_size_or_sections": [4, 4], "dim": 3}, src=x)
    for side, row in (("left", -1.0), ("right", 1.0)):
        b.chain(("halves", 0 if side == "left" else 1),
                [(f"flat_{side}", "Flatten"), (f"tower_{side}", "Linear", {"out_features": 32}),
                 (f"act_{side}", "ReLU"), (f"embed_{side}", "Linear", {"out_features": 16})], row=row)
    for layer in ("tower", "embed"):
        b.graph.set_shares(f"{layer}_right", f"{layer}_left")
    y = b.add("joined", "Concat", {"dim": 1}, src=["embed_left", "embed_right"])
    y = b.chain(y, [("joined_act", "ReLU"), ("head", "Linear", {"out_features": 10})])
    b.output(y)
    return b.finish()


def rnn_one_to_one() -> Graph:
    b = Builder(
        "One-to-one RNN (one step: a plain network)",
        "The fourth sequence shape of the course, one-to-one: a single input step gives a single output — an "
        "RNN read over one time step is an ordinary dense layer with a tanh (hᵗ⁻¹ is zero, so U never acts). "
        "Each iris flower is a sequence of 1 step × 4 measurements. Compare with mlp_iris: same curves, "
        "4 × 16 + 16 × 16 + 2 × 16 weights in the RNN, of which the 16 × 16 recurrent ones stay unused.",
        classification("iris", lr=0.01, epochs=60, batch_size=16, standardize=True),
    )
    x = b.input([1, 4])
    b.output(b.chain(x, [("rnn", "RNN", {"hidden_size": 16}), ("fc", "Linear", {"out_features": 3})]))
    return b.finish()
