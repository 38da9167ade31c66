"""The few nn.Modules PyTorch lacks, used by layer specs.

Each class is self-contained (only `torch`, `nn` imports) so code export can
copy its source into a standalone file.
"""

from __future__ import annotations

import torch
from torch import nn


class Step(nn.Module):
    """Heaviside step: 1 where x ≥ threshold, else 0 (the perceptron's).

    The true derivative is zero almost everywhere, so with `straight_through`
    the backward pass uses the identity (a straight-through estimator) and the
    layer can still be trained by gradient descent.
    """

    def __init__(self, threshold: float = 0.0, straight_through: bool = True) -> None:
        super().__init__()
        self.threshold = threshold
        self.straight_through = straight_through

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = (x >= self.threshold).to(x.dtype)
        if self.straight_through:
            return x + (y - x).detach()
        return y


class GaussianNoise(nn.Module):
    """Adds N(0, std²) noise in training mode only (denoising autoencoders)."""

    def __init__(self, std: float = 0.1) -> None:
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.std > 0:
            return x + torch.randn_like(x) * self.std
        return x


class GlobalAvgPool(nn.Module):
    """Mean over every axis after the channels: (N, C, ...) → (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).mean(dim=2)


class GlobalMaxPool(nn.Module):
    """Max over every axis after the channels: (N, C, ...) → (N, C)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(2).amax(dim=2)


class Reshape(nn.Module):
    """Reshape every sample to `shape` (batch kept; one entry may be -1)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


class Recurrent(nn.Module):
    """nn.RNN / nn.LSTM / nn.GRU with batch_first, returning one tensor.

    return_sequences=True gives every step's output (N, L, D·H) for
    many-to-many nets; False gives the final hidden state of the last layer
    (N, D·H), both directions concatenated, for many-to-one nets.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bidirectional: bool = False, dropout: float = 0.0, return_sequences: bool = True,
                 **extra: object) -> None:
        super().__init__()
        cls = {"RNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[mode]
        self.rnn = cls(input_size, hidden_size, num_layers=num_layers, batch_first=True,
                       bidirectional=bidirectional, dropout=dropout, **extra)
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, hidden = self.rnn(x)
        if self.return_sequences:
            return out
        h_n = hidden[0] if isinstance(hidden, tuple) else hidden
        if self.rnn.bidirectional:
            return torch.cat([h_n[-2], h_n[-1]], dim=1)
        return h_n[-1]


class Sampling(nn.Module):
    """Reparameterisation: z = μ + σ·ε with σ = exp(½·log σ²), ε ~ N(0, I).

    In eval mode it returns μ unless `sample_in_eval`, so evaluation is
    deterministic. The KL term of a VAE reads this node's two inputs.
    """

    def __init__(self, sample_in_eval: bool = False) -> None:
        super().__init__()
        self.sample_in_eval = sample_in_eval

    def forward(self, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        if self.training or self.sample_in_eval:
            return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return mu


def _activation(name: str) -> nn.Module:
    return {
        "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "leaky_relu": nn.LeakyReLU,
        "elu": nn.ELU, "gelu": nn.GELU, "silu": nn.SiLU, "identity": nn.Identity,
    }[name]()


class DenseStack(nn.Module):
    """Linear + activation for each size in `sizes` (an encoder or decoder).

    `last_activation` replaces the activation after the final layer
    ("same" keeps it), e.g. sigmoid for a decoder producing pixels in [0, 1].
    """

    def __init__(self, in_features: int, sizes: list[int], activation: str = "relu",
                 last_activation: str = "same") -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i, size in enumerate(sizes):
            layers.append(nn.Linear(in_features, size))
            last = i == len(sizes) - 1
            act = activation if not last or last_activation == "same" else last_activation
            layers.append(_activation(act))
            in_features = size
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class ConvStack(nn.Module):
    """Conv (stride 2) + activation per entry of `channels`, halving H and W;
    transposed=True doubles them instead (a convolutional decoder)."""

    def __init__(self, in_channels: int, channels: list[int], kernel_size: int = 3,
                 activation: str = "relu", last_activation: str = "same", transposed: bool = False) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        pad = kernel_size // 2
        for i, ch in enumerate(channels):
            if transposed:
                layers.append(nn.ConvTranspose2d(in_channels, ch, kernel_size, stride=2, padding=pad,
                                                 output_padding=1))
            else:
                layers.append(nn.Conv2d(in_channels, ch, kernel_size, stride=2, padding=pad))
            last = i == len(channels) - 1
            act = activation if not last or last_activation == "same" else last_activation
            layers.append(_activation(act))
            in_channels = ch
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)


class RBM(nn.Module):
    """Restricted Boltzmann machine: visible units v, hidden units h.

    forward(v) returns p(h = 1 | v) = sigmoid(v W + b_h), so an RBM node can
    feed later layers; the trainer's contrastive-divergence mode uses
    `sample_h`/`sample_v` and the free energy to learn W, b_v, b_h.
    """

    def __init__(self, num_visible: int, num_hidden: int) -> None:
        super().__init__()
        weight = torch.empty(num_visible, num_hidden)
        if weight.device.type != "meta":
            # meta tensors hold no values, and random ops on them import torch._dynamo (~1 s):
            # only real devices draw the weights (the same draws as before)
            weight = torch.randn(num_visible, num_hidden) * 0.01
        self.weight = nn.Parameter(weight)
        self.visible_bias = nn.Parameter(torch.zeros(num_visible))
        self.hidden_bias = nn.Parameter(torch.zeros(num_hidden))

    def hidden_probs(self, v: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(v @ self.weight + self.hidden_bias)

    def visible_probs(self, h: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(h @ self.weight.t() + self.visible_bias)

    def free_energy(self, v: torch.Tensor) -> torch.Tensor:
        """F(v) = −v·b_v − Σ softplus(v W + b_h); CD's loss is F(v₀) − F(v_k)."""
        return -(v @ self.visible_bias) - nn.functional.softplus(v @ self.weight + self.hidden_bias).sum(dim=1)

    def gibbs(self, v: torch.Tensor, k: int = 1) -> torch.Tensor:
        """k steps of block Gibbs sampling v → h → v, starting from the data."""
        for _ in range(k):
            h = torch.bernoulli(self.hidden_probs(v))
            v = torch.bernoulli(self.visible_probs(h))
        return v

    def forward(self, v: torch.Tensor) -> torch.Tensor:
        return self.hidden_probs(v)
