"""Autoencoders and generative models on the 8×8 digits (pixels in [0, 1])."""

from __future__ import annotations

from _gen.builder import Builder, reconstruction

from netbuilder.core.graph import Graph

DIGITS = [1, 8, 8]
UNFLATTEN = ("unflatten", "Unflatten", {"dim": 1, "unflattened_size": DIGITS})


def _dense_ae(b: Builder, middle: list[tuple], noise: float | None = None) -> Graph:
    """Input (→ noise) → Flatten → middle layers → Unflatten → Output."""
    x = b.input(DIGITS)
    head = [("noise", "GaussianNoise", {"std": noise})] if noise else []
    x = b.chain(x, [*head, ("flatten", "Flatten"), *middle, UNFLATTEN])
    b.output(x)
    return b.finish()


def ae_vanilla() -> Graph:
    b = Builder(
        "Autoencoder (vanilla)",
        "The basic autoencoder, layer by layer: an encoder (Linear 64→32 + ReLU) maps each flattened 8×8 "
        "digit to a 32-number code, and a decoder (Linear 32→64 + Sigmoid) maps the code back to pixels. "
        "No labels: the loss is the reconstruction error between output and input, so the network must learn "
        "what digits have in common. Open the samples view to compare inputs and reconstructions.",
        reconstruction(),
    )
    return _dense_ae(b, [("encoder", "Linear", {"out_features": 32}), ("code", "ReLU"),
                         ("decoder", "Linear", {"out_features": 64}), ("pixels", "Sigmoid")])


def ae_undercomplete() -> Graph:
    b = Builder(
        "Autoencoder (undercomplete, 8-number code)",
        "An undercomplete autoencoder: the code (8 numbers) is much smaller than the input (64 pixels), a "
        "bottleneck that forces the network to keep only the most important features — a learned, nonlinear "
        "relative of PCA. Encoder and decoder are dense blocks (64→32→8 and 8→32→64). The Latent tab plots "
        "the 8-number codes of validation digits (their top two principal components); try a code of 64 "
        "to see the identity it would otherwise learn.",
        reconstruction(epochs=30),
    )
    return _dense_ae(b, [("encoder", "Encoder", {"sizes": [32, 8]}),
                         ("decoder", "Decoder", {"sizes": [32, 64], "last_activation": "sigmoid"})])


def ae_sparse_l1() -> Graph:
    b = Builder(
        "Sparse autoencoder (L1 penalty)",
        "A sparse autoencoder with an overcomplete code (128 units for 64 pixels): without a constraint it "
        "could copy its input. An L1 penalty λ·Σ|h| on the code's activations (loss term sparsity_l1 on the "
        "encoder node) drives most of them to zero for any given digit, so each unit learns a distinct "
        "stroke. Total loss = reconstruction + λ·‖h‖₁.",
        reconstruction({"type": "sparsity_l1", "node": "encoder", "weight": 0.001}),
    )
    return _dense_ae(b, [("encoder", "Encoder", {"sizes": [128]}),
                         ("decoder", "Decoder", {"sizes": [64], "last_activation": "sigmoid"})])


def ae_sparse_kl() -> Graph:
    b = Builder(
        "Sparse autoencoder (KL divergence, ρ = 0.05)",
        "A sparse autoencoder with the KL sparsity penalty: sigmoid code units have a mean activation ρ̂ⱼ over "
        "the batch, and β·Σⱼ KL(ρ ‖ ρ̂ⱼ) = β·Σⱼ [ρ log(ρ/ρ̂ⱼ) + (1−ρ) log((1−ρ)/(1−ρ̂ⱼ))] pulls each one towards "
        "a small target ρ = 0.05 (loss term sparsity_kl on the encoder node), so every unit is active for "
        "only a few inputs.",
        reconstruction({"type": "sparsity_kl", "node": "encoder", "rho": 0.05, "weight": 0.005}, lr=0.005,
                       epochs=30),
    )
    return _dense_ae(b, [("encoder", "Encoder", {"sizes": [128], "activation": "sigmoid"}),
                         ("decoder", "Decoder", {"sizes": [64], "last_activation": "sigmoid"})])


def ae_denoising() -> Graph:
    b = Builder(
        "Denoising autoencoder",
        "A denoising autoencoder: a GaussianNoise node corrupts each input with N(0, 0.3²) noise during "
        "training only, and the loss compares the reconstruction with the clean input. To undo the noise the "
        "network must learn the structure of digits rather than copy pixels. In evaluation the noise is "
        "off.",
        reconstruction(epochs=30),
    )
    return _dense_ae(b, [("encoder", "Encoder", {"sizes": [64, 32]}),
                         ("decoder", "Decoder", {"sizes": [64, 64], "last_activation": "sigmoid"})], noise=0.3)


def ae_contractive() -> Graph:
    b = Builder(
        "Contractive autoencoder",
        "A contractive autoencoder: besides reconstructing, it penalises λ·‖∂h/∂x‖²_F, the squared Frobenius "
        "norm of the Jacobian of the code h with respect to the input x (loss term contractive on the "
        "encoder node). The code becomes insensitive to small changes of the input, yet must still "
        "distinguish different digits. For a sigmoid layer the norm is Σⱼ (hⱼ(1−hⱼ))² Σᵢ Wⱼᵢ².",
        reconstruction({"type": "contractive", "node": "encoder", "lambda": 0.01, "weight": 1.0}, lr=0.01,
                       epochs=30),
    )
    return _dense_ae(b, [("encoder", "Encoder", {"sizes": [32], "activation": "sigmoid"}),
                         ("decoder", "Decoder", {"sizes": [64], "last_activation": "sigmoid"})])


def ae_conv() -> Graph:
    b = Builder(
        "Convolutional autoencoder",
        "A convolutional autoencoder: stride-2 3×3 convolutions shrink 1×8×8 to 16×4×4 and 32×2×2, then "
        "transposed convolutions (ConvTranspose2d, stride 2, output_padding 1) grow it back to 16×4×4 and "
        "1×8×8. out = (n−1)·s − 2p + k + output_padding: (2−1)·2 − 2 + 3 + 1 = 4. Weights are shared across "
        "the image, so it needs far fewer parameters than a dense autoencoder.",
        reconstruction(epochs=30),
    )
    x = b.input(DIGITS)
    down = {"kernel_size": 3, "stride": 2, "padding": 1}
    up = {"kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}
    x = b.chain(x, [
        ("enc_conv1", "Conv2d", {"out_channels": 16, **down}), ("enc_relu1", "ReLU"),
        ("enc_conv2", "Conv2d", {"out_channels": 32, **down}), ("code", "ReLU"),
        ("dec_deconv1", "ConvTranspose2d", {"out_channels": 16, **up}), ("dec_relu1", "ReLU"),
        ("dec_deconv2", "ConvTranspose2d", {"out_channels": 1, **up}), ("pixels", "Sigmoid"),
    ])
    b.output(x)
    return b.finish()


def vae() -> Graph:
    b = Builder(
        "Variational autoencoder (VAE)",
        "A variational autoencoder: the encoder outputs the mean μ and log-variance log σ² of a Gaussian over "
        "an 8-number code; the Sampling node draws z = μ + σ·ε with ε ~ N(0, I) (the reparameterisation "
        "trick keeps it differentiable); the decoder turns z into pixels. Loss = reconstruction + "
        "KL(q(z|x) ‖ N(0, I)) with KL = −½ Σ (1 + log σ² − μ² − σ²): the negative ELBO, here per pixel "
        "(binary cross-entropy reconstruction + the kl_gaussian term on the Sampling node, divided by the 64 "
        "pixels). The KL term makes the latent space smooth: decode random z ~ N(0, I) to generate new digits.",
        reconstruction({"type": "kl_gaussian", "node": "sampling", "weight": 1.0}, loss="bce", epochs=40),
    )
    x = b.input(DIGITS)
    h = b.chain(x, [("flatten", "Flatten"), ("encoder", "Encoder", {"sizes": [128]})])
    row = b.rows[h]
    mu = b.add("mu", "Linear", {"out_features": 8}, src=h, row=row - 0.5)
    logvar = b.add("logvar", "Linear", {"out_features": 8}, src=h, row=row + 0.5)
    z = b.add("sampling", "Sampling", src=[mu, logvar], row=row)
    x = b.chain(z, [("decoder", "Decoder", {"sizes": [128, 64], "last_activation": "sigmoid"}), UNFLATTEN])
    b.output(x)
    return b.finish()


def rbm() -> Graph:
    b = Builder(
        "Restricted Boltzmann machine (CD-1)",
        "A restricted Boltzmann machine: 64 visible units (the pixels, as probabilities in [0, 1]) fully "
        "connected to 64 hidden units, no connections within a layer. It is trained without backpropagation "
        "by contrastive divergence (CD-1): sample h from p(h|v), reconstruct v' from p(v|h), and move the "
        "weights by η(v hᵀ − v' h'ᵀ). The reported loss is the reconstruction error. One of the five 'types "
        "of deep networks' of the course; its output here is p(h = 1 | v), the learned features.",
        {"dataset": "digits", "task": "reconstruction", "mode": "rbm_cd", "cd_k": 1, "loss": [],
         "optimizer": "sgd", "lr": 0.05, "momentum": 0.5, "batch_size": 32, "epochs": 20, "seed": 0},
    )
    x = b.input(DIGITS)
    x = b.chain(x, [("flatten", "Flatten"), ("rbm", "RBM", {"num_hidden": 64})])
    b.output(x)
    return b.finish()
