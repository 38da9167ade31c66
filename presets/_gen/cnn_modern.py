"""Modern CNNs with exact parameter counts: ResNet-18, GoogLeNet, MobileNetV2.

Node ids follow torchvision's module names with dots as underscores
(layer1.0.conv1 → layer1_0_conv1), so weights map over by name.
"""

from __future__ import annotations

from _gen.builder import IMAGENET_NOTE, Builder, conv_bn_act, imagenet

from netbuilder.core.graph import Graph


def basic_block(b: Builder, x: str, name: str, planes: int, stride: int, downsample: bool) -> str:
    """ResNet BasicBlock: two 3×3 conv+BN on the upper row, the shortcut on the main row, Add, ReLU;
    framed as a group named as in torchvision (layer1.0)."""
    row, first = b.rows[x], len(b.graph.nodes)
    y = b.chain(x, [*conv_bn_act(f"{name}_", planes, 3, stride=stride, padding=1, names=("conv1", "bn1", "relu1")),
                    *conv_bn_act(f"{name}_", planes, 3, padding=1, act=None, names=("conv2", "bn2", ""))],
                row=row - 1)
    shortcut = x
    if downsample:
        shortcut = b.chain(x, conv_bn_act(f"{name}_downsample_", planes, 1, stride=stride, act=None,
                                          names=("0", "1", "")), row=row)
    s = b.add(f"{name}_add", "Add", src=[y, shortcut], row=row)
    out = b.add(f"{name}_relu2", "ReLU", src=s)
    b.group(name, name.replace("_", "."), first)
    return out


def resnet18() -> Graph:
    b = Builder(
        "ResNet-18",
        "ResNet-18 (He et al., 2015), torchvision layout: a 7×7 stride-2 stem, then 4 stages of 2 basic "
        "blocks (64, 128, 256, 512 channels). Each block adds its input back through a skip connection "
        "(Add): the residual path learns only a correction, so gradients flow through 18 layers. Where the "
        "size halves, a 1×1 stride-2 convolution + batch norm reshapes the shortcut. Convolutions have no bias "
        "(batch norm supplies it); global average pooling replaces big dense layers: 11,689,512 "
        "parameters." + IMAGENET_NOTE,
        imagenet(lr=0.1, batch_size=256, weight_decay=0.0001, epochs=90),
    )
    x = b.input([3, 224, 224])
    x = b.chain(x, [*conv_bn_act("", 64, 7, stride=2, padding=3, names=("conv1", "bn1", "relu")),
                    ("maxpool", "MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1})])
    in_planes = 64
    for stage, planes in enumerate((64, 128, 256, 512), start=1):
        for i in range(2):
            stride = 2 if stage > 1 and i == 0 else 1
            x = basic_block(b, x, f"layer{stage}_{i}", planes, stride, stride != 1 or in_planes != planes)
            in_planes = planes
    x = b.chain(x, [("avgpool", "GlobalAvgPool"), ("fc", "Linear", {"out_features": 1000})])
    b.output(x)
    return b.finish()


def basic_conv(prefix: str, out: int, k: int, padding: int = 0, stride: int = 1) -> list[tuple]:
    """torchvision's BasicConv2d: Conv2d(bias=False) + BatchNorm2d(eps=0.001) + ReLU."""
    return conv_bn_act(f"{prefix}_", out, k, stride=stride, padding=padding, eps=0.001)


def inception(b: Builder, x: str, name: str, c1: int, c3r: int, c3: int, c5r: int, c5: int, pool: int) -> str:
    """Four parallel branches (1×1; 1×1→3×3; 1×1→3×3 ('5×5' in the paper); 3×3 max pool→1×1), concatenated;
    framed as a group."""
    row, first = b.rows[x], len(b.graph.nodes)
    ends = [
        b.chain(x, basic_conv(f"{name}_branch1", c1, 1), row=row - 1.5),
        b.chain(x, [*basic_conv(f"{name}_branch2_0", c3r, 1), *basic_conv(f"{name}_branch2_1", c3, 3, 1)],
                row=row - 0.5),
        b.chain(x, [*basic_conv(f"{name}_branch3_0", c5r, 1), *basic_conv(f"{name}_branch3_1", c5, 3, 1)],
                row=row + 0.5),
        b.chain(x, [(f"{name}_branch4_0", "MaxPool2d", {"kernel_size": 3, "stride": 1, "padding": 1,
                                                         "ceil_mode": True}),
                    *basic_conv(f"{name}_branch4_1", pool, 1)], row=row + 1.5),
    ]
    out = b.add(f"{name}_cat", "Concat", {"num_inputs": 4, "dim": 1}, src=ends, row=row)
    b.group(name, name, first)
    return out


def googlenet() -> Graph:
    b = Builder(
        "GoogLeNet (Inception v1)",
        "GoogLeNet / Inception v1 (Szegedy et al., 2014), torchvision layout without the auxiliary heads: 9 "
        "inception modules, each running 1×1, 3×3, '5×5' (a 3×3 kernel in torchvision) and pooling branches "
        "in parallel and concatenating their feature maps along the channels. 1×1 convolutions reduce the "
        "channels before the expensive ones; global average pooling replaces the big dense layers, so the "
        "22-layer net has only 6,624,904 parameters. Every convolution is Conv2d (no bias) + BatchNorm2d "
        "(eps 0.001) + ReLU." + IMAGENET_NOTE,
        imagenet(lr=0.01, batch_size=256, weight_decay=0.0001, epochs=90),
    )
    x = b.input([3, 224, 224])

    def pool(node_id: str, k: int = 3, s: int = 2) -> tuple:
        return (node_id, "MaxPool2d", {"kernel_size": k, "stride": s, "ceil_mode": True})

    x = b.chain(x, [*basic_conv("conv1", 64, 7, 3, 2), pool("maxpool1"), *basic_conv("conv2", 64, 1),
                    *basic_conv("conv3", 192, 3, 1), pool("maxpool2")])
    x = inception(b, x, "inception3a", 64, 96, 128, 16, 32, 32)
    x = inception(b, x, "inception3b", 128, 128, 192, 32, 96, 64)
    x = b.chain(x, [pool("maxpool3")])
    for name, cfg in (("inception4a", (192, 96, 208, 16, 48, 64)), ("inception4b", (160, 112, 224, 24, 64, 64)),
                      ("inception4c", (128, 128, 256, 24, 64, 64)), ("inception4d", (112, 144, 288, 32, 64, 64)),
                      ("inception4e", (256, 160, 320, 32, 128, 128))):
        x = inception(b, x, name, *cfg)
    x = b.chain(x, [pool("maxpool4", 2, 2)])
    x = inception(b, x, "inception5a", 256, 160, 320, 32, 128, 128)
    x = inception(b, x, "inception5b", 384, 192, 384, 48, 128, 128)
    x = b.chain(x, [("avgpool", "GlobalAvgPool"), ("dropout", "Dropout", {"p": 0.2}),
                    ("fc", "Linear", {"out_features": 1000})])
    b.output(x)
    return b.finish()


def _make_divisible(v: float, divisor: int = 8) -> int:
    """torchvision's channel rounding (keeps widths multiples of 8)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def inverted_residual(b: Builder, x: str, name: str, in_ch: int, out_ch: int, stride: int, expand: int,
                      act: str = "ReLU6", kernel_size: int = 3) -> str:
    """MobileNetV2 block: 1×1 expand → depthwise 3×3 → 1×1 linear projection; skip when shapes match."""
    hidden = int(round(in_ch * expand))
    layers: list[tuple] = []
    if expand != 1:
        layers += conv_bn_act(f"{name}_expand_", hidden, 1, act=act, names=("conv", "bn", act.lower()))
    layers += conv_bn_act(f"{name}_dw_", hidden, kernel_size, stride=stride, padding=kernel_size // 2,
                          groups="depthwise", act=act, names=("conv", "bn", act.lower()))
    layers += conv_bn_act(f"{name}_project_", out_ch, 1, act=None, names=("conv", "bn", ""))
    row = b.rows[x]
    if stride == 1 and in_ch == out_ch:
        y = b.chain(x, layers, row=row - 1)
        return b.add(f"{name}_add", "Add", src=[x, y], row=row)
    return b.chain(x, layers, row=row)


def mobilenet_v2() -> Graph:
    b = Builder(
        "MobileNetV2",
        "MobileNetV2 (Sandler et al., 2018), torchvision layout: 17 inverted residual blocks. Each expands "
        "the channels 6× with a 1×1 convolution, filters every channel separately with a depthwise 3×3 "
        "convolution (groups = channels), then projects back with a linear 1×1 convolution — a depthwise-"
        "separable convolution costs about 8× fewer multiply-adds than a full 3×3. Blocks that keep the shape "
        "add a skip connection. ReLU6 activations; 3,504,872 parameters." + IMAGENET_NOTE,
        imagenet(lr=0.036, batch_size=256, weight_decay=0.00004, epochs=300),
    )
    x = b.input([3, 224, 224])
    x = b.chain(x, conv_bn_act("features_0_", 32, 3, stride=2, padding=1, act="ReLU6",
                               names=("conv", "bn", "relu6")))
    in_ch, index = 32, 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)):
        out_ch = _make_divisible(c)
        for i in range(n):
            x = inverted_residual(b, x, f"features_{index}", in_ch, out_ch, s if i == 0 else 1, t)
            in_ch, index = out_ch, index + 1
    x = b.chain(x, [*conv_bn_act(f"features_{index}_", 1280, 1, act="ReLU6", names=("conv", "bn", "relu6")),
                    ("avgpool", "GlobalAvgPool"), ("classifier_0", "Dropout", {"p": 0.2}),
                    ("classifier_1", "Linear", {"out_features": 1000})])
    b.output(x)
    return b.finish()
