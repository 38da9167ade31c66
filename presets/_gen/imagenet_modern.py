"""Modern ImageNet classifiers at full size, exactly torchvision's layouts (parameter counts match):
MobileNetV3-Small (squeeze-and-excite, Hardswish) and EfficientNet-B0 (MBConv, SiLU, stochastic depth)."""

from __future__ import annotations

from _gen.builder import IMAGENET_NOTE, Builder, conv_bn_act, imagenet
from _gen.cnn_modern import _make_divisible

from netbuilder.core.graph import Graph


def _squeeze_excite(b: Builder, x: str, name: str, channels: int, squeeze: int, act: str, gate: str) -> str:
    """Global average → 1×1 squeeze → act → 1×1 excite → gate, multiplied back (C×1×1 broadcasts over C×H×W)."""
    g = b.chain(x, [(f"{name}_se_pool", "AdaptiveAvgPool2d", {"output_size": 1}),
                    (f"{name}_se_fc1", "Conv2d", {"out_channels": squeeze, "kernel_size": 1}),
                    (f"{name}_se_{act.lower()}", act),
                    (f"{name}_se_fc2", "Conv2d", {"out_channels": channels, "kernel_size": 1}),
                    (f"{name}_se_{gate.lower()}", gate)], row=b.rows[x] - 1)
    return b.add(f"{name}_se_scale", "Multiply", src=[x, g], row=b.rows[x])


def _block(b: Builder, x: str, name: str, in_ch: int, expanded: int, out_ch: int, kernel: int, stride: int,
           act: str, se: tuple[int, str, str] | None, drop: float = 0.0, eps: float = 1e-3) -> str:
    """An inverted residual: 1×1 expand (when wider) → depthwise k×k → squeeze-excite → linear 1×1."""
    y = x
    if expanded != in_ch:
        y = b.chain(y, conv_bn_act(f"{name}_expand_", expanded, 1, act=act, eps=eps,
                                   names=("conv", "bn", act.lower())))
    y = b.chain(y, conv_bn_act(f"{name}_dw_", expanded, kernel, stride=stride, padding=kernel // 2,
                               groups="depthwise", act=act, eps=eps, names=("conv", "bn", act.lower())))
    if se is not None:
        y = _squeeze_excite(b, y, name, expanded, *se)
    y = b.chain(y, conv_bn_act(f"{name}_project_", out_ch, 1, act=None, eps=eps, names=("conv", "bn", "")))
    if stride != 1 or in_ch != out_ch:
        return y
    if drop:
        y = b.add(f"{name}_drop", "StochasticDepth", {"p": round(drop, 6), "mode": "row"}, src=y)
    return b.add(f"{name}_add", "Add", src=[x, y])


# MobileNetV3-Small: (kernel, expanded, out, squeeze-excite, activation, stride) per block (Howard et al., 2019)
_V3_SMALL = ((3, 16, 16, True, "ReLU", 2), (3, 72, 24, False, "ReLU", 2), (3, 88, 24, False, "ReLU", 1),
             (5, 96, 40, True, "Hardswish", 2), (5, 240, 40, True, "Hardswish", 1),
             (5, 240, 40, True, "Hardswish", 1), (5, 120, 48, True, "Hardswish", 1),
             (5, 144, 48, True, "Hardswish", 1), (5, 288, 96, True, "Hardswish", 2),
             (5, 576, 96, True, "Hardswish", 1), (5, 576, 96, True, "Hardswish", 1))


def mobilenet_v3_small() -> Graph:
    b = Builder(
        "MobileNetV3-Small",
        "MobileNetV3-Small (Howard et al., 2019), torchvision's layout: 11 inverted residual blocks, 8 of "
        "them with a squeeze-and-excite gate (global average → 1×1 squeeze → ReLU → 1×1 excite → "
        "Hardsigmoid, multiplied back onto the channels), Hardswish in the deeper blocks (x·ReLU6(x+3)/6, a "
        "cheap swish), then a 576-channel 1×1 convolution and a 1024-wide Hardswish head. 2,542,856 "
        "parameters, 57 M multiply-adds: built for phones." + IMAGENET_NOTE,
        imagenet(lr=0.064, batch_size=256, weight_decay=0.00001, epochs=600, optimizer="rmsprop", momentum=0.9),
    )
    x = b.input([3, 224, 224])
    x = b.chain(x, conv_bn_act("features_0_", 16, 3, stride=2, padding=1, act="Hardswish", eps=1e-3,
                               names=("conv", "bn", "hardswish")))
    in_ch = 16
    for i, (kernel, expanded, out_ch, se, act, stride) in enumerate(_V3_SMALL, start=1):
        squeeze = (_make_divisible(expanded // 4), "ReLU", "Hardsigmoid") if se else None
        x = _block(b, x, f"features_{i}", in_ch, expanded, out_ch, kernel, stride, act, squeeze)
        in_ch = out_ch
    x = b.chain(x, [*conv_bn_act("features_12_", 576, 1, act="Hardswish", eps=1e-3,
                                 names=("conv", "bn", "hardswish")),
                    ("avgpool", "GlobalAvgPool"), ("classifier_0", "Linear", {"out_features": 1024}),
                    ("classifier_1", "Hardswish"), ("classifier_2", "Dropout", {"p": 0.2}),
                    ("classifier_3", "Linear", {"out_features": 1000})])
    b.output(x)
    return b.finish()


# EfficientNet-B0: (expand ratio, kernel, stride, out channels, repeats) per stage (Tan & Le, 2019)
_B0 = ((1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3), (6, 5, 1, 112, 3),
       (6, 5, 2, 192, 4), (6, 3, 1, 320, 1))


def efficientnet_b0() -> Graph:
    b = Builder(
        "EfficientNet-B0",
        "EfficientNet-B0 (Tan & Le, 2019), torchvision's layout: a SiLU stem, 16 MBConv blocks in 7 stages "
        "(1×1 expansion ×6, depthwise 3×3 or 5×5, squeeze-and-excite with SiLU and a sigmoid gate, linear "
        "1×1 projection) and a 1280-channel head. Blocks that keep their shape add a skip connection behind "
        "stochastic depth: in training a whole residual branch is dropped per sample with a probability "
        "that grows from 0 to 0.2 with depth (identity in evaluation). 5,288,548 parameters; the B1–B7 "
        "models scale its depth, width and resolution together." + IMAGENET_NOTE,
        imagenet(lr=0.016, batch_size=256, weight_decay=0.00001, epochs=350, optimizer="rmsprop", momentum=0.9),
    )
    x = b.input([3, 224, 224])
    x = b.chain(x, conv_bn_act("features_0_", 32, 3, stride=2, padding=1, act="SiLU",
                               names=("conv", "bn", "silu")))
    in_ch, total, index = 32, sum(stage[-1] for stage in _B0), 0
    for stage, (expand, kernel, stride, out_ch, repeats) in enumerate(_B0, start=1):
        for r in range(repeats):
            se = (max(1, in_ch // 4), "SiLU", "Sigmoid")
            x = _block(b, x, f"features_{stage}_{r}", in_ch, in_ch * expand, out_ch, kernel, stride if r == 0 else 1,
                       "SiLU", se, drop=0.2 * index / total, eps=1e-5)
            in_ch, index = out_ch, index + 1
    x = b.chain(x, [*conv_bn_act("features_8_", 1280, 1, act="SiLU", names=("conv", "bn", "silu")),
                    ("avgpool", "GlobalAvgPool"), ("classifier_0", "Dropout", {"p": 0.2}),
                    ("classifier_1", "Linear", {"out_features": 1000})])
    b.output(x)
    return b.finish()
