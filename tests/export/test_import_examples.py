"""`netbuilder import` of the official PyTorch examples' models (tests/export/real_models/examples.py):
each imports exactly — same parameters, same outputs — through the layers they need (PixelShuffle,
ReflectionPad2d, InstanceNorm2d, interpolate, squeeze), or names what it cannot represent."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from real_models import examples as ex

from netbuilder.core.compile import compile_graph
from netbuilder.interchange.fx_import import import_module

EXACT = [
    (ex.MnistNet, [[1, 28, 28]], {"Conv2d", "MaxPool2d", "Flatten", "LogSoftmax"}),
    (ex.SuperResolutionNet, [[1, 8, 8]], {"PixelShuffle"}),
    (ex.TransformerNet, [[3, 16, 16]], {"ReflectionPad2d", "InstanceNorm2d", "Upsample", "Add"}),
    (ex.Regression, [[4]], {"Linear"}),
]


def _exact(result, module) -> None:
    assert result.complete, result.report()
    assert result.imported_params == result.original_params == sum(p.numel() for p in module.parameters())
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5, result.report()


@pytest.mark.parametrize(("cls", "shapes", "types"), EXACT, ids=[c[0].__name__ for c in EXACT])
def test_pytorch_examples_import_exactly(cls, shapes, types):
    module = cls()
    result = import_module(module, shapes)
    _exact(result, module)
    assert result.notes == [], result.report()
    assert types <= {n.type for n in result.graph}


def test_super_resolution_triples_each_side_like_the_original():
    result = import_module(ex.SuperResolutionNet(), [[1, 8, 8]])
    (shuffle,) = [n for n in result.graph if n.type == "PixelShuffle"]
    assert shuffle.params == {"upscale_factor": 3}
    out = compile_graph(result.graph)(torch.zeros(2, 1, 8, 8))
    assert tuple(out.shape) == (2, 1, 24, 24)


def test_style_transfer_pads_by_reflection_before_each_conv():
    result = import_module(ex.TransformerNet(), [[3, 16, 16]])
    pads = [n.params["padding"] for n in result.graph if n.type == "ReflectionPad2d"]
    assert pads == [4] + [1] * 8 + [4]  # kernel_size // 2 of conv1, conv2, conv3, 4 residual convs, ...


@pytest.mark.filterwarnings("ignore:dropout2d. Received a 2-D input")  # the example's own Dropout2d on vectors
def test_mnist_rnn_dropout2d_on_vectors_is_element_wise_dropout():
    module = ex.MnistRNN()
    result = import_module(module, [[1, 28, 28]])
    _exact(result, module)
    assert [n.type for n in result.graph if n.id.startswith("dropout")] == ["Dropout", "Dropout"]
    assert any("dropout1: imported as Dropout(p=0.25" in note for note in result.notes)


def test_dcgan_discriminator_names_its_squeeze_to_one_number():
    result = import_module(ex.DCGANDiscriminator(), [[3, 64, 64]])
    assert "`input.is_cuda` is False" in result.traced_with
    (skipped,) = result.skipped
    assert "squeezes each sample to a single number" in skipped.reason


def test_squeeze_and_unsqueeze_away_from_the_batch_import_exactly():
    class Squeezes(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = torch.nn.Linear(6, 4)
            self.conv = torch.nn.Conv1d(1, 3, 3)

        def forward(self, x):
            y = self.conv(self.fc(x).unsqueeze(1))  # (N, 1, 4) → (N, 3, 2)
            y = y.unsqueeze(-1).squeeze(3)
            return torch.squeeze(y[:, :1], 1), torch.unsqueeze(x, 2)

    module = Squeezes()
    result = import_module(module, [[6]])
    _exact(result, module)

    class Batch(torch.nn.Module):
        def forward(self, x):
            return x.squeeze(), x.unsqueeze(0)

    reasons = [s.reason for s in import_module(Batch(), [[1, 4]]).skipped]
    assert any("squeeze() without a dim also drops the batch dimension" in r for r in reasons), reasons
    assert any("unsqueezes the batch dimension (dim 0)" in r for r in reasons), reasons


def test_functional_pad_imports_as_the_padding_layer_of_its_mode():
    class Pads(torch.nn.Module):
        def forward(self, x):  # x: (N, 2, 5, 6)
            a = F.pad(x, (1, 2, 0, 3), mode="reflect")
            b = F.pad(x, (2, 2, 1, 0), mode="replicate")
            c = F.pad(x, (1, 1, 1, 1), value=0.5)
            d = F.pad(x, [3, 0, 3, 0])
            return a, b, c, d

    module = Pads()
    result = import_module(module, [[2, 5, 6]])
    _exact(result, module)
    params = {n.type: n.params for n in result.graph if n.type.endswith("Pad2d")}
    assert params == {"ReflectionPad2d": {"padding": [1, 2, 0, 3]}, "ConstantPad2d": {"padding": 1, "value": 0.5},
                      "ZeroPad2d": {"padding": [3, 0, 3, 0]}, "ReplicationPad2d": {"padding": [2, 2, 1, 0]}}

    class Circular(torch.nn.Module):
        def forward(self, x):
            return F.pad(x, (1, 1), mode="circular")

    (skipped,) = import_module(Circular(), [[2, 5]]).skipped
    assert "mode='circular' padding" in skipped.reason
