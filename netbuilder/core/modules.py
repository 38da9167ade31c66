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


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle: (N, g·c, ...) → channels interleaved
    across the g groups; the same numbers as nn.ChannelShuffle, written with
    view/transpose so every exporter (ONNX included) handles it."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c = x.shape[0], x.shape[1]
        rest = x.shape[2:]
        x = x.reshape(n, self.groups, c // self.groups, *rest)
        return x.transpose(1, 2).reshape(n, c, *rest)


class StochasticDepth(nn.Module):
    """torchvision.ops.StochasticDepth: in training, zero the whole input per
    sample ("row") or for the whole batch ("batch") with probability p and
    scale what survives by 1/(1 − p); the identity in eval mode."""

    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        survival = 1.0 - self.p
        size = [x.shape[0]] + [1] * (x.dim() - 1) if self.mode == "row" else [1] * x.dim()
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(survival)
        if survival > 0.0:
            noise = noise / survival
        return x * noise


class RepeatVector(nn.Module):
    """(N, F, ...) → (N, n, F, ...): each sample repeated as n steps."""

    def __init__(self, n: int) -> None:
        super().__init__()
        self.n = n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.unsqueeze(1).repeat(1, self.n, *([1] * (x.dim() - 1)))


class LearnedTensor(nn.Module):
    """A learned tensor of shape (1, *shape) — a class token, a position
    embedding — returned expanded over the batch of its input (whose values
    are not read): (N, *shape). Expanding is a view, and its gradient sums
    over the batch exactly as broadcasting would. With trainable=False it is
    a buffer: a constant the optimizer never sees."""

    def __init__(self, shape: list[int], init: str = "normal", std: float = 0.02, trainable: bool = True) -> None:
        super().__init__()
        weight = torch.zeros(1, *shape)
        if weight.device.type != "meta":  # random ops on meta import torch._dynamo (~1 s)
            if init == "normal":
                nn.init.normal_(weight, std=std)
            elif init == "ones":
                nn.init.ones_(weight)
        if trainable:
            self.weight = nn.Parameter(weight)
        else:  # a fixed tensor (an imported constant): saved and loaded with the weights, never trained
            self.register_buffer("weight", weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.weight.expand(x.shape[0], *self.weight.shape[1:])


def causal_mask(rows: int, cols: int, device: torch.device) -> torch.Tensor:
    """True where attention is not allowed: query i sees keys j ≤ i only."""
    return torch.ones(rows, cols, dtype=torch.bool, device=device).triu(1)


class MultiheadAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention (the same weights and state_dict keys) that
    returns only the attention output. Called with one tensor it is
    self-attention; with two, key = value = the second. `causal`: query i
    attends to keys j ≤ i only (a decoder, a language model)."""

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = True,
                 causal: bool = False) -> None:
        super().__init__(embed_dim, num_heads, dropout=dropout, bias=bias, kdim=kdim, vdim=vdim,
                         batch_first=batch_first)
        self.causal = causal

    def forward(self, query: torch.Tensor, key: torch.Tensor | None = None,
                value: torch.Tensor | None = None) -> torch.Tensor:
        key = query if key is None else key
        value = key if value is None else value
        mask = None
        if self.causal:
            seq = 1 if self.batch_first else 0
            mask = causal_mask(query.shape[seq], key.shape[seq], query.device)
        out, _ = super().forward(query, key, value, need_weights=False, attn_mask=mask)
        return out


class TransformerEncoderLayer(nn.TransformerEncoderLayer):
    """nn.TransformerEncoderLayer (same weights and keys); `causal` masks
    each position from the ones after it."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = True,
                 norm_first: bool = False, bias: bool = True, causal: bool = False) -> None:
        super().__init__(d_model, nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                         activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                         norm_first=norm_first, bias=bias)
        self.causal = causal

    def forward(self, src: torch.Tensor) -> torch.Tensor:
        if not self.causal:
            return super().forward(src)
        n = src.shape[1 if self.self_attn.batch_first else 0]
        return super().forward(src, src_mask=causal_mask(n, n, src.device), is_causal=True)


class TransformerDecoderLayer(nn.TransformerDecoderLayer):
    """nn.TransformerDecoderLayer (same weights and keys): self-attention
    over tgt (masked when `causal`), then attention to memory."""

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, batch_first: bool = True,
                 norm_first: bool = False, bias: bool = True, causal: bool = False) -> None:
        super().__init__(d_model, nhead, dim_feedforward=dim_feedforward, dropout=dropout,
                         activation=activation, layer_norm_eps=layer_norm_eps, batch_first=batch_first,
                         norm_first=norm_first, bias=bias)
        self.causal = causal

    def forward(self, tgt: torch.Tensor, memory: torch.Tensor) -> torch.Tensor:
        if not self.causal:
            return super().forward(tgt, memory)
        n = tgt.shape[1 if self.self_attn.batch_first else 0]
        return super().forward(tgt, memory, tgt_mask=causal_mask(n, n, tgt.device), tgt_is_causal=True)
