"""Faithful small re-implementations of public model styles (torchvision, minGPT, PyTorch examples)."""

from __future__ import annotations

import torch
from torch import nn


class SqueezeExcitation(nn.Module):  # torchvision.ops.SqueezeExcitation with MobileNetV3's Hardsigmoid
    def __init__(self, channels: int, squeeze: int) -> None:
        super().__init__()
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.activation = nn.ReLU()
        self.scale_activation = nn.Hardsigmoid()

    def forward(self, x):
        scale = self.scale_activation(self.fc2(self.activation(self.fc1(self.avgpool(x)))))
        return scale * x


class MobileNetV3Block(nn.Module):  # inverted residual: expand, depthwise, SE, project (Hardswish)
    def __init__(self, c: int = 8, expand: int = 16) -> None:
        super().__init__()
        self.expand = nn.Sequential(nn.Conv2d(c, expand, 1, bias=False), nn.BatchNorm2d(expand), nn.Hardswish())
        self.depthwise = nn.Sequential(nn.Conv2d(expand, expand, 3, padding=1, groups=expand, bias=False),
                                       nn.BatchNorm2d(expand), nn.Hardswish())
        self.se = SqueezeExcitation(expand, 8)
        self.project = nn.Sequential(nn.Conv2d(expand, c, 1, bias=False), nn.BatchNorm2d(c))

    def forward(self, x):
        return x + self.project(self.se(self.depthwise(self.expand(x))))


class StochasticDepth(nn.Module):  # torchvision.ops.StochasticDepth, as written there
    def __init__(self, p: float, mode: str) -> None:
        super().__init__()
        self.p = p
        self.mode = mode

    def forward(self, x):
        if not self.training or self.p == 0.0:
            return x
        size = [x.shape[0]] + [1] * (x.ndim - 1) if self.mode == "row" else [1] * x.ndim
        noise = torch.empty(size, dtype=x.dtype, device=x.device).bernoulli_(1.0 - self.p)
        return x * noise / (1.0 - self.p)


class MBConv(nn.Module):  # EfficientNet MBConv with SiLU, SE and stochastic depth
    def __init__(self, c: int = 8) -> None:
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(c, 4 * c, 1, bias=False), nn.BatchNorm2d(4 * c), nn.SiLU(),
                                   nn.Conv2d(4 * c, 4 * c, 3, padding=1, groups=4 * c, bias=False),
                                   nn.BatchNorm2d(4 * c), nn.Mish(), nn.Conv2d(4 * c, c, 1, bias=False),
                                   nn.GroupNorm(2, c))
        self.stochastic_depth = StochasticDepth(0.2, "row")

    def forward(self, x):
        return self.stochastic_depth(self.block(x)) + x


def channel_shuffle(x, groups: int):  # torchvision.models.shufflenetv2.channel_shuffle
    batchsize, num_channels, height, width = x.size()
    channels_per_group = num_channels // groups
    x = x.view(batchsize, groups, channels_per_group, height, width)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batchsize, num_channels, height, width)


class ShuffleUnit(nn.Module):  # ShuffleNetV2 stride-1 unit
    def __init__(self, c: int = 8) -> None:
        super().__init__()
        half = c // 2
        self.branch2 = nn.Sequential(nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.PReLU(),
                                     nn.Conv2d(half, half, 3, padding=1, groups=half, bias=False),
                                     nn.InstanceNorm2d(half, affine=True))
        self.shuffle = nn.ChannelShuffle(2)

    def forward(self, x):
        x1, x2 = x.chunk(2, dim=1)
        out = torch.cat((x1, self.branch2(x2)), dim=1)
        return self.shuffle(channel_shuffle(out, 2))


class TinyViT(nn.Module):  # torchvision VisionTransformer: class token, position embedding, encoder layer
    def __init__(self, d: int = 16, patches: int = 4) -> None:
        super().__init__()
        self.conv_proj = nn.Conv2d(1, d, 4, stride=4)
        self.class_token = nn.Parameter(torch.zeros(1, 1, d))
        self.pos_embedding = nn.Parameter(torch.randn(1, patches + 1, d) * 0.02)
        self.encoder = nn.TransformerEncoderLayer(d, 2, dim_feedforward=32, dropout=0.0, activation="gelu",
                                                  batch_first=True, norm_first=True)
        self.heads = nn.Linear(d * (patches + 1), 10)

    def forward(self, x):
        n = x.shape[0]
        x = self.conv_proj(x)
        x = x.flatten(2).permute(0, 2, 1)
        cls = self.class_token.expand(n, -1, -1)
        x = torch.cat([cls, x], dim=1) + self.pos_embedding
        x = self.encoder(x)
        return self.heads(torch.flatten(x, 1))


class MinGPTBlock(nn.Module):  # minGPT Block with nn.MultiheadAttention and a fixed causal mask
    def __init__(self, d: int = 16) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(d)
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.ln_2 = nn.LayerNorm(d)
        self.mlp = nn.Sequential(nn.Linear(d, 4 * d), nn.GELU(), nn.Linear(4 * d, d))

    def forward(self, x):
        h = self.ln_1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class CrossAttention(nn.Module):  # decoder-style: queries attend to a memory; scores by matmul
    def __init__(self, d: int = 8) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.decoder = nn.TransformerDecoderLayer(d, 2, dim_feedforward=16, dropout=0.0, batch_first=True)

    def forward(self, q, memory):
        out, _ = self.attn(q, memory, memory)
        out = self.decoder(out, memory)
        return torch.matmul(out, memory.transpose(1, 2)) @ memory


class SiameseNet(nn.Module):  # one tower applied to both inputs
    def __init__(self) -> None:
        super().__init__()
        self.tower = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
        self.head = nn.Linear(4, 1)

    def forward(self, a, b):
        return self.head(self.tower(a) * self.tower(b))
