"""Hand-written PyTorch modules, as people write them, for the import tests."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class MLP(nn.Module):
    def __init__(self, hidden: int = 32) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(hidden, 10))

    def forward(self, x):
        return self.net(x)


class LeNet(nn.Module):
    """The classic functional style: F.* calls and x.view(x.size(0), -1)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), (2, 2))
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return F.log_softmax(self.fc3(x), dim=1)


class BasicBlock(nn.Module):
    """torchvision's ResNet block, with a downsampling shortcut and a reused inplace ReLU."""

    def __init__(self, inplanes: int = 8, planes: int = 16, stride: int = 2) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride=stride, bias=False),
                                        nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        out += identity
        return self.relu(out)


class LSTMClassifier(nn.Module):
    """Many-to-one: the last layer's final hidden state h_n[-1] feeds the classifier."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(8, 32, num_layers=2, batch_first=True, dropout=0.1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        _, (h_n, _) = self.lstm(x)
        return self.fc(h_n[-1])


class LSTMLastStep(nn.Module):
    """Many-to-one written with the output's last step, out[:, -1, :]."""

    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1, :])


class BiGRUTagger(nn.Module):
    """Token ids → embedding → bidirectional GRU; both final states concatenated."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(100, 8)
        self.gru = nn.GRU(8, 16, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(32, 2)

    def forward(self, tokens):
        _, h = self.gru(self.emb(tokens))
        return self.fc(torch.cat([h[-2], h[-1]], dim=1))


class Seq2SeqRNN(nn.Module):
    """Many-to-many: every step's output goes through a Linear."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.RNN(4, 6, batch_first=True, nonlinearity="relu")
        self.head = nn.Linear(6, 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out)


class Functional(nn.Module):
    """Many functional spellings that all have a catalog equivalent."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding="same")
        self.depthwise = nn.Conv2d(8, 8, 3, padding=1, groups=8)

    def forward(self, x):
        x = F.leaky_relu(self.conv(x), 0.2)
        x = F.gelu(self.depthwise(x), approximate="tanh")
        y = F.avg_pool2d(x, 2, divisor_override=1)  # a sum pool
        y = F.interpolate(y, scale_factor=2)
        a, b = torch.chunk(y, 2, dim=1)
        z = torch.cat((a * torch.sigmoid(b), x), 1)  # 4 + 8 channels
        pooled = z.mean(dim=(2, 3))
        kept = F.adaptive_max_pool2d(z, 1).flatten(1)
        h = F.silu(pooled + kept)
        return F.softmax(h.reshape(h.shape[0], 3, 4), dim=-1)


class TwoHeads(nn.Module):
    """torch.split into unequal parts: a class head and a box head."""

    def __init__(self):
        super().__init__()
        self.body = nn.Linear(10, 12)
        self.cls = nn.Linear(8, 3)

    def forward(self, x):
        features, box = torch.split(self.body(x), [8, 4], dim=1)
        rest = x.split(5, dim=1)[1]  # int sections: two parts of 5
        return torch.cat((self.cls(features), box, rest), dim=1)


class Unsupported(nn.Module):
    """Parts NetBuilder cannot express: each must be named in the report."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.attn = nn.MultiheadAttention(4, 1)  # never called

    def forward(self, x):
        y = torch.exp(self.fc(x)) * 0.5
        return self.fc(y) + x[:, :1]
