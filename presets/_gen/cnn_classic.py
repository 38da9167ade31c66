"""Classic CNNs with exact parameter counts: LeNet-5, AlexNet, VGG-16."""

from __future__ import annotations

from _gen.builder import IMAGENET_NOTE, Builder, classification, imagenet

from netbuilder.core.graph import Graph


def lenet5() -> Graph:
    b = Builder(
        "LeNet-5",
        "LeNet-5 (LeCun et al., 1998), the first successful CNN, on 32×32 grey images: two convolution + "
        "subsampling stages (5×5 'valid' convolutions shrink 32→28 and 14→10; 2×2 average pooling halves "
        "the size), then fully connected layers 400→120→84→10. Teaches the conv-pool-dense pattern and the "
        "output-size formula (n − f + 1). Tanh activations as in the original; 61,706 parameters. It trains "
        "offline on the built-in 8×8 digits resized to 32×32 (about 97 % validation accuracy in 5 epochs, "
        "a few seconds on a CPU); for real MNIST, point the dataset at a folder of MNIST images (one sub-folder "
        "per digit): they are resized to 32×32 too.",
        # SGD with momentum, as the paper; lr 0.05 and batches of 32 because the digits are only 1797 images
        classification("digits", dataset_options={"size": [32, 32]}, lr=0.05, optimizer="sgd", momentum=0.9,
                       batch_size=32, epochs=10),
    )
    x = b.input([1, 32, 32])
    x = b.chain(x, [
        ("conv1", "Conv2d", {"out_channels": 6, "kernel_size": 5}), ("tanh1", "Tanh"),
        ("pool1", "AvgPool2d", {"kernel_size": 2}),
        ("conv2", "Conv2d", {"out_channels": 16, "kernel_size": 5}), ("tanh2", "Tanh"),
        ("pool2", "AvgPool2d", {"kernel_size": 2}),
        ("flatten", "Flatten"),
        ("fc1", "Linear", {"out_features": 120}), ("tanh3", "Tanh"),
        ("fc2", "Linear", {"out_features": 84}), ("tanh4", "Tanh"),
        ("fc3", "Linear", {"out_features": 10}),
    ])
    b.output(x)
    return b.finish()


def alexnet() -> Graph:
    b = Builder(
        "AlexNet",
        "AlexNet (Krizhevsky et al., 2012) in torchvision's layout: 5 convolutions (11×11 stride 4, then "
        "5×5 and 3×3) with ReLU and overlapping 3×3 max pooling, then 3 fully connected layers with 2 dropout "
        "layers. Teaches large strides, ReLU, dropout against overfitting, and where the parameters are: "
        "about 58 M of its 61,100,840 sit in the dense layers. Input 3×224×224, 1000 ImageNet classes." + IMAGENET_NOTE,
        imagenet(lr=0.01, batch_size=128, weight_decay=0.0005, epochs=90),
    )
    x = b.input([3, 224, 224])

    def conv(i: int, out: int, k: int, s: int = 1, p: int = 0) -> list[tuple]:
        return [(f"conv{i}", "Conv2d", {"out_channels": out, "kernel_size": k, "stride": s, "padding": p}),
                (f"relu{i}", "ReLU")]

    def pool(i: int) -> tuple:
        return (f"pool{i}", "MaxPool2d", {"kernel_size": 3, "stride": 2})

    x = b.chain(x, [*conv(1, 64, 11, 4, 2), pool(1), *conv(2, 192, 5, p=2), pool(2),
                    *conv(3, 384, 3, p=1), *conv(4, 256, 3, p=1), *conv(5, 256, 3, p=1), pool(5),
                    ("avgpool", "AdaptiveAvgPool2d", {"output_size": 6}), ("flatten", "Flatten"),
                    ("dropout6", "Dropout", {"p": 0.5}), ("fc6", "Linear", {"out_features": 4096}), ("relu6", "ReLU"),
                    ("dropout7", "Dropout", {"p": 0.5}), ("fc7", "Linear", {"out_features": 4096}), ("relu7", "ReLU"),
                    ("fc8", "Linear", {"out_features": 1000})])
    b.output(x)
    return b.finish()


def vgg16() -> Graph:
    b = Builder(
        "VGG-16",
        "VGG-16 (Simonyan & Zisserman, 2014), torchvision layout without batch norm: 13 convolutions, all "
        "3×3 with 'same' padding 1, in 5 stages of 64, 128, 256, 512, 512 filters each ended by 2×2 max "
        "pooling (224→7), then 3 fully connected layers: 16 weight layers and 138,357,544 parameters. Teaches "
        "how stacked small kernels replace big ones and how depth and the first dense layer (103 M "
        "parameters alone) drive the size. Input 3×224×224, 1000 classes." + IMAGENET_NOTE,
        imagenet(lr=0.01, batch_size=256, weight_decay=0.0005, epochs=74),
    )
    x = b.input([3, 224, 224])
    layers: list[tuple] = []
    for stage, (width, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), start=1):
        for j in range(1, convs + 1):
            layers += [(f"conv{stage}_{j}", "Conv2d", {"out_channels": width, "kernel_size": 3, "padding": 1}),
                       (f"relu{stage}_{j}", "ReLU")]
        layers.append((f"pool{stage}", "MaxPool2d", {"kernel_size": 2, "stride": 2}))
    layers += [("avgpool", "AdaptiveAvgPool2d", {"output_size": 7}), ("flatten", "Flatten"),
               ("fc6", "Linear", {"out_features": 4096}), ("relu6", "ReLU"), ("dropout6", "Dropout", {"p": 0.5}),
               ("fc7", "Linear", {"out_features": 4096}), ("relu7", "ReLU"), ("dropout7", "Dropout", {"p": 0.5}),
               ("fc8", "Linear", {"out_features": 1000})]
    b.output(b.chain(x, layers))
    return b.finish()
