"""Presets that train on the named real datasets (MNIST, Fashion-MNIST, CIFAR-10).

The accuracies quoted in the descriptions are the typical published figures
for these architectures (papers and well-known reference implementations),
not numbers measured by this project: the files are downloaded on first use.
"""

from __future__ import annotations

from _gen.builder import Builder, classification, conv_bn_act, reconstruction
from _gen.cnn_modern import basic_block, inverted_residual

from netbuilder.core.graph import Graph

MNIST = [1, 28, 28]
CIFAR = [3, 32, 32]
# standard CIFAR augmentation, done on the device per batch: random 32×32 crops of the
# 4-pixel zero-padded image and random horizontal mirroring
CIFAR_AUGMENT = {"augment": {"crop": 4, "flip": True}}
TYPICAL = " (a typical published figure, not measured by NetBuilder)"


def _cifar(**extra: object) -> dict:
    """The usual CIFAR recipe: SGD with momentum, weight decay, a cosine schedule, augmented images."""
    settings = {"lr": 0.1, "optimizer": "sgd", "momentum": 0.9, "weight_decay": 0.0005, "batch_size": 128,
                "epochs": 100, "schedule": "cosine", "dataset_options": CIFAR_AUGMENT}
    settings.update(extra)
    return classification("cifar10", **settings)


def lenet5_mnist() -> Graph:
    b = Builder(
        "LeNet-5 on MNIST",
        "LeNet-5 exactly as in LeCun et al. (1998), on the dataset it was made for: the 28×28 MNIST digits "
        "are zero-padded to a 1×32×32 input (the paper's own way). C1: 6 maps of 5×5 convolutions (32→28), "
        "S2: 2×2 average subsampling (→14), C3: 16 maps of 5×5 (→10; fully connected to S2's maps instead "
        "of the paper's sparse table), S4: subsampling (→5), C5: 120 maps of 5×5 — a convolution whose "
        "output is 120×1×1, so it acts as a dense layer —, F6: 84 units, and 10 outputs; tanh activations, "
        "61,706 parameters. Teaches the conv-pool-dense pattern and the output-size formula (n − f + 1). "
        "It typically reaches about 99 % test accuracy (the paper reports 0.95 % error) in 10 epochs"
        + TYPICAL + ". The official 10,000 test images are the validation set.",
        classification("mnist", lr=0.01, optimizer="sgd", momentum=0.9, batch_size=64, epochs=10),
    )
    x = b.input([1, 32, 32])
    x = b.chain(x, [
        ("c1", "Conv2d", {"out_channels": 6, "kernel_size": 5}), ("c1_tanh", "Tanh"),
        ("s2", "AvgPool2d", {"kernel_size": 2}),
        ("c3", "Conv2d", {"out_channels": 16, "kernel_size": 5}), ("c3_tanh", "Tanh"),
        ("s4", "AvgPool2d", {"kernel_size": 2}),
        ("c5", "Conv2d", {"out_channels": 120, "kernel_size": 5}), ("c5_tanh", "Tanh"),
        ("flatten", "Flatten"),
        ("f6", "Linear", {"out_features": 84}), ("f6_tanh", "Tanh"),
        ("logits", "Linear", {"out_features": 10}),
    ])
    b.output(x)
    return b.finish()


def mlp_mnist() -> Graph:
    b = Builder(
        "MLP on MNIST",
        "A multilayer perceptron on MNIST: each 28×28 digit enters as a flat vector of 784 pixels, so the "
        "network knows nothing about which pixels are neighbours. Two hidden layers (784→256→128, ReLU, "
        "dropout 0.2) and a 10-way output: 235,146 parameters, almost all in the first layer. Compare it with "
        "LeNet-5 on MNIST: about 4× the parameters for a little less accuracy. An MLP of this size typically "
        "reaches about 98 % test accuracy in 10 epochs" + TYPICAL + ".",
        classification("mnist", lr=0.001, batch_size=128, epochs=10),
    )
    x = b.input([784])
    x = b.chain(x, [
        ("hidden1", "Linear", {"out_features": 256}), ("relu1", "ReLU"), ("dropout1", "Dropout", {"p": 0.2}),
        ("hidden2", "Linear", {"out_features": 128}), ("relu2", "ReLU"), ("dropout2", "Dropout", {"p": 0.2}),
        ("logits", "Linear", {"out_features": 10}),
    ])
    b.output(x)
    return b.finish()


def ae_conv_fashion() -> Graph:
    b = Builder(
        "Convolutional autoencoder on Fashion-MNIST",
        "A convolutional autoencoder on Fashion-MNIST clothing images (pixels in [0, 1], not normalised, so "
        "the sigmoid output can match them): stride-2 3×3 convolutions shrink 1×28×28 to 16×14×14 and an "
        "8×7×7 code — 392 numbers for 784 pixels, a bottleneck —, transposed convolutions (stride 2, output_padding 1) grow it back to 16×14×14 and "
        "1×28×28. out = (n−1)·s − 2p + k + output_padding: (7−1)·2 − 2 + 3 + 1 = 14. No labels are used: the "
        "loss is the per-pixel error between output and input; open the samples view to compare them. Nets "
        "of this size typically reach a per-pixel mean squared error of about 0.005–0.01 on the test images "
        "within 10 epochs" + TYPICAL + "; fine textures (prints, stripes) are the last to come back.",
        reconstruction(dataset="fashion_mnist", lr=0.001, epochs=10, batch_size=128),
    )
    x = b.input(MNIST)
    down = {"kernel_size": 3, "stride": 2, "padding": 1}
    up = {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}
    x = b.chain(x, [
        ("enc_conv1", "Conv2d", {"out_channels": 16, **down}), ("enc_relu1", "ReLU"),
        ("enc_conv2", "Conv2d", {"out_channels": 8, **down}), ("code", "ReLU"),
        ("dec_deconv1", "ConvTranspose2d", {"out_channels": 16, **up}), ("dec_relu1", "ReLU"),
        ("dec_deconv2", "ConvTranspose2d", {"out_channels": 1, **up}), ("pixels", "Sigmoid"),
    ])
    b.output(x)
    return b.finish()


def vae_fashion() -> Graph:
    b = Builder(
        "Variational autoencoder on Fashion-MNIST",
        "A variational autoencoder (Kingma & Welling, 2013) on Fashion-MNIST, with the paper's sizes: a "
        "400-unit encoder gives the mean μ and log-variance log σ² of a 20-number Gaussian code; the Sampling "
        "node draws z = μ + σ·ε (the reparameterisation trick); a 400-unit decoder turns z into 784 pixel "
        "probabilities. Loss = binary cross-entropy reconstruction + KL(q(z|x) ‖ N(0, I)), both per pixel "
        "(the negative ELBO divided by 784). Decode random z ~ N(0, I) to draw new clothes. Summed over the "
        "pixels, a VAE of this size typically reaches a test negative ELBO of roughly 240 nats per image "
        "after 20 epochs" + TYPICAL + "; its samples are blurrier than its reconstructions.",
        reconstruction({"type": "kl_gaussian", "node": "sampling", "weight": 1.0}, dataset="fashion_mnist",
                       loss="bce", lr=0.001, epochs=20, batch_size=128),
    )
    x = b.input(MNIST)
    h = b.chain(x, [("flatten", "Flatten"), ("encoder", "Encoder", {"sizes": [400]})])
    row = b.rows[h]
    mu = b.add("mu", "Linear", {"out_features": 20}, src=h, row=row - 0.5)
    logvar = b.add("logvar", "Linear", {"out_features": 20}, src=h, row=row + 0.5)
    z = b.add("sampling", "Sampling", src=[mu, logvar], row=row)
    x = b.chain(z, [("decoder", "Decoder", {"sizes": [400, 784], "last_activation": "sigmoid"}),
                    ("unflatten", "Unflatten", {"dim": 1, "unflattened_size": MNIST})])
    b.output(x)
    return b.finish()


def vgg_cifar10() -> Graph:
    b = Builder(
        "Small VGG on CIFAR-10",
        "A small VGG for 32×32 colour photos: three stages of two 3×3 'same' convolutions (64, 128, 256 "
        "filters) with batch norm and ReLU, each ended by 2×2 max pooling (32→16→8→4), then global average "
        "pooling and one 10-way linear layer instead of VGG-16's huge dense layers: 1.15 M parameters. Trained "
        "with SGD + momentum, weight decay, a cosine schedule and random crops and flips, nets of this shape "
        "typically reach about 90 % test accuracy in 100 epochs" + TYPICAL + "; without the augmentation "
        "they overfit and stop near 85 %.",
        _cifar(lr=0.05),
    )
    x = b.input(CIFAR)
    layers: list[tuple] = []
    for stage, width in enumerate((64, 128, 256), start=1):
        for j in (1, 2):
            layers += conv_bn_act(f"conv{stage}_{j}", width, 3, padding=1, names=("", "_bn", "_relu"))
        layers.append((f"pool{stage}", "MaxPool2d", {"kernel_size": 2}))
    layers += [("avgpool", "GlobalAvgPool"), ("fc", "Linear", {"out_features": 10})]
    b.output(b.chain(x, layers))
    return b.finish()


def resnet20_cifar10() -> Graph:
    b = Builder(
        "ResNet-20 on CIFAR-10",
        "ResNet-20, the CIFAR-10 network of He et al. (2015): a 3×3 stem of 16 channels, then 3 stages of 3 "
        "basic blocks (16, 32, 64 channels at 32×32, 16×16, 8×8; 6·3 + 2 = 20 weight layers), global average "
        "pooling and a 10-way linear layer. Every block adds its input back (a skip connection); where the "
        "size halves, a 1×1 stride-2 convolution + batch norm reshapes the shortcut (the paper's option B; "
        "option A pads with zeros and has no weights), so it has 0.27 M parameters. The paper reports "
        "91.25 % test accuracy (8.75 % error) with crops, flips and SGD" + TYPICAL + ".",
        _cifar(weight_decay=0.0001, epochs=160),
    )
    x = b.input(CIFAR)
    x = b.chain(x, conv_bn_act("", 16, 3, padding=1, names=("conv1", "bn1", "relu")))
    in_planes = 16
    for stage, planes in enumerate((16, 32, 64), start=1):
        for i in range(3):
            stride = 2 if stage > 1 and i == 0 else 1
            x = basic_block(b, x, f"layer{stage}_{i}", planes, stride, stride != 1 or in_planes != planes)
            in_planes = planes
    x = b.chain(x, [("avgpool", "GlobalAvgPool"), ("fc", "Linear", {"out_features": 10})])
    b.output(x)
    return b.finish()


def mobilenet_v2_cifar10() -> Graph:
    b = Builder(
        "MobileNetV2 on CIFAR-10",
        "MobileNetV2's inverted residual blocks sized for 32×32 photos, in the common CIFAR adaptation: the "
        "same 17 blocks as the ImageNet net (expand 6× with a 1×1 convolution, filter each channel with a "
        "depthwise 3×3 convolution, project back with a linear 1×1 convolution; a skip connection where the "
        "shape is kept), but a stride-1 stem and a stride-1 second stage, so the maps shrink only 32→16→8→4 "
        "instead of 224→7. ReLU6 activations, 2.24 M parameters. Trained with crops, flips and SGD, this "
        "adaptation typically reaches about 93–94 % test accuracy in 200 epochs" + TYPICAL + ".",
        _cifar(weight_decay=0.00004, epochs=200),
    )
    x = b.input(CIFAR)
    x = b.chain(x, conv_bn_act("stem_", 32, 3, padding=1, act="ReLU6", names=("conv", "bn", "relu6")))
    in_ch, index = 32, 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 1), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1)):
        for i in range(n):
            x = inverted_residual(b, x, f"block{index}", in_ch, c, s if i == 0 else 1, t)
            in_ch, index = c, index + 1
    x = b.chain(x, [*conv_bn_act("head_", 1280, 1, act="ReLU6", names=("conv", "bn", "relu6")),
                    ("avgpool", "GlobalAvgPool"), ("dropout", "Dropout", {"p": 0.2}),
                    ("fc", "Linear", {"out_features": 10})])
    b.output(x)
    return b.finish()
