"""`netbuilder import` of public model styles: new layers, attention, class tokens, shared towers."""

from __future__ import annotations

import pytest
import torch

from real_models import models as rm

from netbuilder.interchange.fx_import import import_module

CASES = [
    # module, input shapes, node types that must appear
    (rm.MobileNetV3Block, [[8, 6, 6]], {"Hardswish", "Hardsigmoid", "Multiply", "Add"}),
    (rm.MBConv, [[8, 6, 6]], {"StochasticDepth", "Mish", "GroupNorm", "SiLU"}),
    (rm.ShuffleUnit, [[8, 6, 6]], {"PReLU", "InstanceNorm2d", "Transpose", "ChannelShuffle", "Chunk"}),
    (rm.TinyViT, [[1, 8, 8]], {"Parameter", "Permute", "Concat", "TransformerEncoderLayer"}),
    (rm.MinGPTBlock, [[5, 16]], {"MultiheadAttention", "LayerNorm"}),
    (rm.CrossAttention, [[3, 8], [5, 8]], {"MultiheadAttention", "TransformerDecoderLayer", "MatMul", "Transpose"}),
    (rm.SiameseNet, [[8], [8]], {"Linear", "Multiply"}),
]


@pytest.mark.parametrize(("cls", "shapes", "types"), CASES, ids=[c[0].__name__ for c in CASES])
def test_public_model_styles_import_exactly(cls, shapes, types):
    module = cls()
    result = import_module(module, shapes)
    assert result.complete, result.report()
    assert result.notes == [], result.report()
    assert types <= {n.type for n in result.graph}
    assert result.imported_params == result.original_params == sum(p.numel() for p in module.parameters())
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5, result.report()


def test_a_tower_called_twice_shares_one_set_of_weights():
    result = import_module(rm.SiameseNet(), [[8], [8]])
    sharers = {nid: n.shares for nid, n in result.graph.nodes.items() if n.shares}
    assert sharers == {"tower_3": "tower_0", "tower_5": "tower_2"}
    assert result.imported_params == 8 * 16 + 16 + 16 * 4 + 4 + 5  # the tower counted once


def test_attention_weights_and_masks_are_refused_by_name():
    class Weights(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.attn = torch.nn.MultiheadAttention(8, 2, batch_first=True)

        def forward(self, x):
            out, w = self.attn(x, x, x)
            return out + w.sum()

    result = import_module(Weights(), [[4, 8]])
    assert any("attn's attention weights" in s.reason for s in result.skipped), result.report()

    class Masked(Weights):
        def forward(self, x):
            return self.attn(x, x, x, attn_mask=torch.ones(4, 4, dtype=torch.bool))[0]

    result = import_module(Masked(), [[4, 8]])
    assert any("attn_mask" in s.reason for s in result.skipped), result.report()


def test_a_parameter_without_a_leading_one_is_refused_by_name():
    class Bias(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.shift = torch.nn.Parameter(torch.zeros(4))

        def forward(self, x):
            return x + self.shift

    result = import_module(Bias(), [[4]])
    assert any("parameter shift of shape 4" in s.reason for s in result.skipped), result.report()
