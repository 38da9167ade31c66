"""Small CNNs that train on the built-in 8×8 digits in seconds."""

from __future__ import annotations

from _gen.builder import Builder, classification, conv_bn_act
from _gen.cnn_modern import basic_block, inverted_residual

from netbuilder.core.graph import Graph

DIGITS = [1, 8, 8]


def lenet_digits() -> Graph:
    b = Builder(
        "LeNet on digits",
        "LeNet-5's conv → pool → conv → pool → dense pattern, adapted to the 8×8 digits: 5×5 kernels with "
        "padding 2 ('same') keep 8×8, so each 2×2 max pooling halves it (8→4→2) and 16×2×2 = 64 features "
        "reach the 120→84→10 dense layers. Modern choices (ReLU, max pooling). Try padding 0 to see the "
        "shape error a 5×5 kernel meets on a 4×4 map. Trains to about 97% accuracy in a few seconds.",
        classification("digits", lr=0.002, epochs=15, batch_size=32),
    )
    x = b.input(DIGITS)
    x = b.chain(x, [
        ("conv1", "Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}), ("relu1", "ReLU"),
        ("pool1", "MaxPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 5, "padding": 2}), ("relu2", "ReLU"),
        ("pool2", "MaxPool2d", {"kernel_size": 2}),
        ("flatten", "Flatten"),
        ("fc1", "Linear", {"out_features": 120}), ("relu3", "ReLU"),
        ("fc2", "Linear", {"out_features": 84}), ("relu4", "ReLU"),
        ("fc3", "Linear", {"out_features": 10}),
    ])
    b.output(x)
    return b.finish()


def resnet_digits() -> Graph:
    b = Builder(
        "Tiny ResNet on digits",
        "A two-block ResNet for 8×8 digits: a 3×3 stem, a basic block whose input is added back to its output "
        "(identity skip), then a stride-2 block whose shortcut needs a 1×1 stride-2 convolution to match "
        "16×8×8 to 32×4×4, global average pooling and a 10-way linear layer. Teaches residual connections "
        "and projection shortcuts on a net that trains in seconds.",
        classification("digits", lr=0.003, epochs=10, batch_size=32),
    )
    x = b.input(DIGITS)
    x = b.chain(x, conv_bn_act("", 16, 3, padding=1, names=("conv1", "bn1", "relu")))
    x = basic_block(b, x, "layer1_0", 16, 1, False)
    x = basic_block(b, x, "layer2_0", 32, 2, True)
    x = b.chain(x, [("avgpool", "GlobalAvgPool"), ("fc", "Linear", {"out_features": 10})])
    b.output(x)
    return b.finish()


def mobilenet_digits() -> Graph:
    b = Builder(
        "Tiny MobileNet on digits",
        "MobileNetV2's inverted residual blocks at digit scale: each block expands channels 4× with a 1×1 "
        "convolution, filters each channel on its own with a depthwise 3×3 convolution (groups = "
        "'depthwise'), and projects back with a linear 1×1 convolution; the first block keeps its shape and "
        "adds a skip connection. Compare its parameter count with a plain 3×3 convolution of the same width.",
        classification("digits", lr=0.003, epochs=10, batch_size=32),
    )
    x = b.input(DIGITS)
    x = b.chain(x, conv_bn_act("stem_", 16, 3, padding=1, act="ReLU6", names=("conv", "bn", "relu6")))
    x = inverted_residual(b, x, "block1", 16, 16, 1, 4)
    x = inverted_residual(b, x, "block2", 16, 32, 2, 4)
    x = b.chain(x, [*conv_bn_act("head_", 64, 1, act="ReLU6", names=("conv", "bn", "relu6")),
                    ("avgpool", "GlobalAvgPool"), ("fc", "Linear", {"out_features": 10})])
    b.output(x)
    return b.finish()
