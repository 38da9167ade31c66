"""Public model styles whose forwards torch.fx cannot trace symbolically, written as their sources do
(sizes shrunk so the tests stay fast): DCGAN's `ngpu` branch, `len(x)`, shape-dependent slicing,
the word-language-model's RNNModel with `forward(input, hidden)`, the examples' VAE, a ViT readout."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


class DCGANGenerator(nn.Module):  # pytorch/examples dcgan/main.py Generator (nz=8, ngf=4, nc=3)
    def __init__(self, ngpu: int = 1, nz: int = 8, ngf: int = 4, nc: int = 3):
        super().__init__()
        self.ngpu = ngpu
        self.main = nn.Sequential(
            nn.ConvTranspose2d(nz, ngf * 8, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 8),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 8, ngf * 4, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 4),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        if input.is_cuda and self.ngpu > 1:
            output = nn.parallel.data_parallel(self.main, input, range(self.ngpu))
        else:
            output = self.main(input)
        return output


class HalfSequenceHead(nn.Module):  # len(x) for the batch, a slice whose size depends on the input's shape
    def __init__(self, features: int = 6, hidden: int = 8, classes: int = 3):
        super().__init__()
        self.proj = nn.Linear(features, hidden)
        self.out = nn.Linear(hidden * 2, classes)

    def forward(self, x):  # x: (batch, 4, features)
        batch = len(x)
        if x.dim() != 3:
            raise ValueError("expected (batch, length, features)")
        h = torch.relu(self.proj(x))
        first = h[:, : h.size(1) // 2]
        return self.out(first.reshape(batch, -1))


class CropSkip(nn.Module):  # U-Net style: crop the skip connection to the upsampled map's size
    def __init__(self, channels: int = 4):
        super().__init__()
        self.down = nn.Conv2d(1, channels, 3, padding=1)
        self.inner = nn.Conv2d(channels, channels, 3)  # valid conv: 2 pixels smaller
        self.head = nn.Conv2d(channels * 2, 2, 1)

    def forward(self, x):
        skip = self.down(x)
        y = self.inner(skip)
        d = (skip.size(2) - y.size(2)) // 2
        crop = skip[:, :, d:d + y.size(2), d:d + y.size(3)]
        return self.head(torch.cat([crop, y], dim=1))


class ViTReadout(nn.Module):  # torchvision VisionTransformer's head: x = x[:, 0] (the class token)
    def __init__(self, dim: int = 8, classes: int = 3):
        super().__init__()
        self.class_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder = nn.TransformerEncoderLayer(dim, 2, 16, dropout=0.0, batch_first=True)
        self.heads = nn.Linear(dim, classes)

    def forward(self, x):  # x: (batch, tokens, dim)
        n = x.shape[0]
        x = torch.cat([self.class_token.expand(n, -1, -1), x], dim=1)
        x = self.encoder(x)
        x = x[:, 0]
        return self.heads(x)


class VAE(nn.Module):  # pytorch/examples vae/main.py (784 → 400 → 20 shrunk to 64 → 32 → 4)
    def __init__(self, pixels: int = 64, hidden: int = 32, latent: int = 4):
        super().__init__()
        self.pixels = pixels
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, self.pixels))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


class RNNModel(nn.Module):  # pytorch/examples word_language_model/model.py RNNModel (LSTM/GRU)
    def __init__(self, rnn_type: str = "LSTM", ntoken: int = 20, ninp: int = 8, nhid: int = 8, nlayers: int = 2,
                 dropout: float = 0.5, batch_first: bool = False):
        super().__init__()
        self.ntoken = ntoken
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = getattr(nn, rnn_type)(ninp, nhid, nlayers, dropout=dropout, batch_first=batch_first)
        self.decoder = nn.Linear(nhid, ntoken)
        self.rnn_type, self.nhid, self.nlayers = rnn_type, nhid, nlayers

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output)
        decoded = decoded.view(-1, self.ntoken)
        return F.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        if self.rnn_type == "LSTM":
            return (weight.new_zeros(self.nlayers, bsz, self.nhid), weight.new_zeros(self.nlayers, bsz, self.nhid))
        return weight.new_zeros(self.nlayers, bsz, self.nhid)


class BatchFirstLM(RNNModel):  # the same language model, batch first, returning the next-token scores only
    def __init__(self, rnn_type: str = "LSTM"):
        super().__init__(rnn_type, batch_first=True)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        return F.log_softmax(self.decoder(self.drop(output)), dim=-1)


class ValueBranch(nn.Module):  # a branch on tensor values: right for one batch only
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)

    def forward(self, x):
        y = self.fc(x)
        if y.mean().item() > 0:
            return y
        return -y


class CausalLM(nn.Module):  # word_language_model TransformerModel's `has_mask` and square subsequent mask
    def __init__(self, ntoken: int = 20, ninp: int = 8, nhead: int = 2, nhid: int = 16, torch_mask: bool = True):
        super().__init__()
        self.torch_mask = torch_mask
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.encoder = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout=0.0, batch_first=True)
        self.decoder = nn.Linear(ninp, ntoken)

    def _generate_square_subsequent_mask(self, sz):  # the example's own version: log of a lower triangle
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def forward(self, src, has_mask=True):
        if has_mask:
            sz = src.size(1)
            mask = nn.Transformer.generate_square_subsequent_mask(sz) if self.torch_mask \
                else self._generate_square_subsequent_mask(sz)
        else:
            mask = None
        output = self.encoder(self.input_emb(src), src_mask=mask)
        return F.log_softmax(self.decoder(output), dim=-1)


class MaskedSelfAttention(nn.Module):  # GPT style: a fixed causal mask buffer sliced to the sequence length
    def __init__(self, d: int = 8, block_size: int = 16):
        super().__init__()
        self.attn = nn.MultiheadAttention(d, 2, batch_first=True)
        self.register_buffer("mask", torch.triu(torch.ones(block_size, block_size, dtype=torch.bool), 1))

    def forward(self, x):
        t = x.size(1)
        return self.attn(x, x, x, attn_mask=self.mask[:t, :t], need_weights=False)[0]


class PositionalEncoding(nn.Module):  # word_language_model/model.py, as written there
    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Transformer):  # word_language_model/model.py TransformerModel (sizes shrunk)
    def __init__(self, ntoken: int = 20, ninp: int = 8, nhead: int = 2, nhid: int = 16, nlayers: int = 2,
                 dropout: float = 0.5):
        super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers,
                         num_decoder_layers=1)
        self.model_type = "Transformer"
        self.src_mask = None
        self.pos_encoder = PositionalEncoding(ninp, dropout, max_len=64)
        self.input_emb = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)

    def _generate_square_subsequent_mask(self, sz):
        return torch.log(torch.tril(torch.ones(sz, sz)))

    def forward(self, src, has_mask=True):
        if has_mask:
            device = src.device
            if self.src_mask is None or self.src_mask.size(0) != len(src):
                mask = self._generate_square_subsequent_mask(len(src)).to(device)
                self.src_mask = mask
        else:
            self.src_mask = None
        src = self.input_emb(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.encoder(src, mask=self.src_mask)
        output = self.decoder(output)
        return F.log_softmax(output, dim=-1)


class EncoderStackLM(nn.Module):  # nn.TransformerEncoder with a final norm, causal, batch first
    def __init__(self, ntoken: int = 20, d: int = 8, nlayers: int = 2):
        super().__init__()
        self.emb = nn.Embedding(ntoken, d)
        layer = nn.TransformerEncoderLayer(d, 2, 16, dropout=0.0, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, nlayers, norm=nn.LayerNorm(d), enable_nested_tensor=False)
        self.head = nn.Linear(d, ntoken)

    def forward(self, src):
        mask = nn.Transformer.generate_square_subsequent_mask(src.size(1))
        return self.head(self.encoder(self.emb(src), mask=mask, is_causal=True))
