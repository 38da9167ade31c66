"""The benchmark networks, twice: as NetBuilder graphs (core API) and as the
nn.Modules a person would write by hand.

Each `Case` builds both, copies the hand-written weights into the compiled
graph by order (shapes checked), and checks the two give the same output in
eval mode, so the timings compare the same computation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import nn

from netbuilder.core.compile import compile_graph
from netbuilder.core.graph import Graph


# ------------------------------------------------------------------ graph helpers
def chain(g: Graph, src: str, layers: list[tuple[str, dict]]) -> str:
    """Add `layers` one after another behind `src`; returns the last node id."""
    for type_name, params in layers:
        nid = g.add_node(type_name, params).id
        g.add_edge(src, nid)
        src = nid
    return src


def finish(g: Graph, src: str) -> Graph:
    g.add_node("Output", id="out")
    g.add_edge(src, "out")
    return g


# ------------------------------------------------------------------------- MLP
def mlp_graph(width: int = 256) -> Graph:
    g = Graph(name="mlp")
    g.add_node("Input", {"shape": [784]}, id="x")
    last = chain(g, "x", [("Linear", {"out_features": width}), ("ReLU", {}),
                          ("Linear", {"out_features": width}), ("ReLU", {}),
                          ("Linear", {"out_features": 10})])
    return finish(g, last)


class MLP(nn.Module):
    def __init__(self, width: int = 256) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, width)
        self.fc2 = nn.Linear(width, width)
        self.fc3 = nn.Linear(width, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


# ---------------------------------------------------------------------- LeNet-5
def lenet_graph() -> Graph:
    g = Graph(name="lenet5")
    g.add_node("Input", {"shape": [1, 28, 28]}, id="x")
    last = chain(g, "x", [
        ("Conv2d", {"out_channels": 6, "kernel_size": 5, "padding": 2}), ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 2}),
        ("Conv2d", {"out_channels": 16, "kernel_size": 5}), ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 2}),
        ("Flatten", {}),
        ("Linear", {"out_features": 120}), ("ReLU", {}),
        ("Linear", {"out_features": 84}), ("ReLU", {}),
        ("Linear", {"out_features": 10}),
    ])
    return finish(g, last)


class LeNet5(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


# ------------------------------------------------------------- LSTM classifier
def lstm_graph(hidden: int = 128) -> Graph:
    g = Graph(name="lstm")
    g.add_node("Input", {"shape": [28, 28]}, id="x")  # 28 steps × 28 features
    last = chain(g, "x", [("LSTM", {"hidden_size": hidden}), ("Linear", {"out_features": 10})])
    return finish(g, last)


class LSTMClassifier(nn.Module):
    def __init__(self, hidden: int = 128) -> None:
        super().__init__()
        self.lstm = nn.LSTM(28, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        _, (h, _) = self.lstm(x)
        return self.fc(h[-1])


# -------------------------------------------------------------------------- VAE
def vae_graph(hidden: int = 400, latent: int = 20) -> Graph:
    g = Graph(name="vae")
    g.add_node("Input", {"shape": [784]}, id="x")
    stats = chain(g, "x", [("Linear", {"out_features": hidden}), ("ReLU", {}),
                           ("Linear", {"out_features": 2 * latent})])
    g.add_node("Chunk", {"chunks": 2}, id="mu_logvar")
    g.add_edge(stats, "mu_logvar")
    g.add_node("Sampling", id="z")
    g.add_edge("mu_logvar", "z", 0, 0)
    g.add_edge("mu_logvar", "z", 1, 1)
    last = chain(g, "z", [("Linear", {"out_features": hidden}), ("ReLU", {}),
                          ("Linear", {"out_features": 784}), ("Sigmoid", {})])
    return finish(g, last)


class VAE(nn.Module):
    def __init__(self, hidden: int = 400, latent: int = 20) -> None:
        super().__init__()
        self.enc1 = nn.Linear(784, hidden)
        self.enc2 = nn.Linear(hidden, 2 * latent)
        self.dec1 = nn.Linear(latent, hidden)
        self.dec2 = nn.Linear(hidden, 784)

    def forward(self, x: torch.Tensor):
        mu, logvar = self.enc2(F.relu(self.enc1(x))).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu) if self.training else mu
        return torch.sigmoid(self.dec2(F.relu(self.dec1(z)))), mu, logvar


def vae_loss(out, x, y):
    recon, mu, logvar = out
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return F.binary_cross_entropy(recon, x, reduction="sum") + kl


# -------------------------------------------------------------------- ResNet-18
def _basic_block(g: Graph, src: str, channels: int, stride: int) -> str:
    main = chain(g, src, [
        ("Conv2d", {"out_channels": channels, "kernel_size": 3, "stride": stride, "padding": 1, "bias": False}),
        ("BatchNorm2d", {}), ("ReLU", {}),
        ("Conv2d", {"out_channels": channels, "kernel_size": 3, "padding": 1, "bias": False}),
        ("BatchNorm2d", {}),
    ])
    skip = src
    if stride != 1 or channels != _channels(g, src):
        # added after the main path, so topological order (file order breaks
        # ties) registers it after conv2/bn2, as torchvision's BasicBlock does
        skip = chain(g, src, [("Conv2d", {"out_channels": channels, "kernel_size": 1, "stride": stride,
                                          "bias": False}), ("BatchNorm2d", {})])
    add = g.add_node("Add").id
    g.add_edge(main, add, 0, 0)
    g.add_edge(skip, add, 0, 1)
    return chain(g, add, [("ReLU", {})])


def _channels(g: Graph, nid: str) -> int:
    from netbuilder.core.shapes import check

    return check(g).output_shape(nid)[0]


def resnet18_graph(size: int = 64, classes: int = 10) -> Graph:
    g = Graph(name="resnet18")
    g.add_node("Input", {"shape": [3, size, size]}, id="x")
    x = chain(g, "x", [
        ("Conv2d", {"out_channels": 64, "kernel_size": 7, "stride": 2, "padding": 3, "bias": False}),
        ("BatchNorm2d", {}), ("ReLU", {}),
        ("MaxPool2d", {"kernel_size": 3, "stride": 2, "padding": 1}),
    ])
    for channels, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        x = _basic_block(g, x, channels, stride)
        x = _basic_block(g, x, channels, 1)
    x = chain(g, x, [("AdaptiveAvgPool2d", {"output_size": 1}), ("Flatten", {}),
                     ("Linear", {"out_features": classes})])
    return finish(g, x)


class BasicBlock(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        skip = x if self.downsample is None else self.downsample(x)
        return F.relu(out + skip)


class ResNet18(nn.Module):
    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        blocks, cin = [], 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            blocks += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
            cin = cout
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(512, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 1)
        x = self.blocks(x)
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


# ----------------------------------------------------------------------- cases
def ce_loss(out, x, y):
    return F.cross_entropy(out, y)


@dataclass
class Case:
    name: str
    graph: Callable[[], Graph]
    hand: Callable[[], nn.Module]
    input_shape: tuple[int, ...]
    batch: int
    loss: Callable[..., torch.Tensor] = ce_loss
    outputs: tuple[str, ...] | None = None  # compile_graph(outputs=...) to match the hand-written return

    def build(self, device: str = "cpu") -> tuple[nn.Module, nn.Module, torch.Tensor, torch.Tensor]:
        """(compiled graph, hand-written module, x, y) with identical weights."""
        torch.manual_seed(0)
        hand = self.hand()
        gm = compile_graph(self.graph(), outputs=list(self.outputs) if self.outputs else None)
        copy_by_order(hand, gm)
        hand, gm = hand.to(device), gm.to(device)
        x = torch.rand(self.batch, *self.input_shape, device=device)
        y = torch.randint(0, 10, (self.batch,), device=device)
        assert_same_output(gm, hand, x, self.name)
        return gm, hand, x, y


def copy_by_order(src: nn.Module, dst: nn.Module) -> None:
    """dst.load_state_dict(src's tensors, paired by registration order)."""
    s, d = src.state_dict(), dst.state_dict()
    if len(s) != len(d):
        raise AssertionError(f"state dicts differ in length: {len(s)} vs {len(d)}")
    for (sk, sv), (dk, dv) in zip(s.items(), d.items()):
        if sv.shape != dv.shape:
            raise AssertionError(f"order mismatch: {sk} {tuple(sv.shape)} vs {dk} {tuple(dv.shape)}")
    dst.load_state_dict(dict(zip(d.keys(), s.values())))


def assert_same_output(a: nn.Module, b: nn.Module, x: torch.Tensor, name: str) -> None:
    a.eval()
    b.eval()
    with torch.no_grad():
        oa, ob = a(x), b(x)
    a.train()
    b.train()
    oa = oa if isinstance(oa, tuple) else (oa,)
    ob = ob if isinstance(ob, tuple) else (ob,)
    for ta, tb in zip(oa, ob):
        if not torch.allclose(ta, tb, atol=1e-5, rtol=1e-4):
            raise AssertionError(f"{name}: compiled graph and hand-written module disagree")


CASES: list[Case] = [
    Case("mlp", mlp_graph, MLP, (784,), 64),
    Case("lenet5", lenet_graph, LeNet5, (1, 28, 28), 64),
    Case("lstm", lstm_graph, LSTMClassifier, (28, 28), 64),
    Case("vae", vae_graph, VAE, (784,), 64, loss=vae_loss, outputs=("out", "mu_logvar:0", "mu_logvar:1")),
    Case("resnet18", resnet18_graph, ResNet18, (3, 64, 64), 8),
]


def train_step(model: nn.Module, loss_fn: Callable, x: torch.Tensor, y: torch.Tensor) -> Callable[[], Any]:
    """One forward + backward (no optimizer: measured elsewhere)."""
    params = list(model.parameters())  # once, as an optimizer holds them

    def step() -> None:
        for p in params:
            p.grad = None
        loss_fn(model(x), x, y).backward()
    return step
