"""ONNX in, the rest of the common ops: ConvTranspose, Resize (nn.Upsample),
Squeeze/Unsqueeze, Split, and arithmetic with constants (x * 2 + 1)."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from netbuilder.interchange.onnx_import import import_onnx


class _AutoEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.dec = nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
        self.up = nn.Upsample(scale_factor=2)
        self.smooth = nn.Upsample(scale_factor=2, mode="bilinear")
        self.out = nn.Conv2d(2, 1, 3, padding=1)

    def forward(self, x):  # (N, 1, 8, 8) -> (N, 1, 32, 32)
        return torch.sigmoid(self.out(self.smooth(self.up(torch.relu(self.dec(torch.relu(self.enc(x))))))))


class _Line(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.line = nn.ConvTranspose1d(4, 6, 4, stride=2, padding=1, groups=2, bias=False)
        self.up = nn.Upsample(scale_factor=3, mode="linear")

    def forward(self, x):  # (N, 4, 5)
        return self.up(self.line(x))


class _Reshuffle(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 6)

    def forward(self, x):  # (N, 6)
        y = self.fc(x).unsqueeze(1)  # (N, 1, 6)
        a, b = torch.split(y, [2, 4], dim=2)
        return torch.cat([a * 2 + 1, 3 - b, b / 4 - 0.5], dim=2).squeeze(1)  # (N, 10)


def _export(model: nn.Module, shape: tuple, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model.eval(), (torch.randn(2, *shape),), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}}, opset_version=17)
    return path


def test_a_conv_autoencoder_with_transposed_convs_and_upsampling_imports(tmp_path):
    model = _AutoEncoder()
    result = import_onnx(_export(model, (1, 8, 8), tmp_path / "ae.onnx"))
    assert result.complete, result.report()
    assert result.checked_with == "onnxruntime" and result.max_abs_diff < 1e-5
    dec = result.graph.nodes["dec"]
    assert dec.type == "ConvTranspose2d"
    assert (dec.params["stride"], dec.params["padding"], dec.params["output_padding"]) == (2, 1, 1)
    assert dec.params["out_channels"] == 2 and dec.params["kernel_size"] == 3
    ups = sorted((n.params["mode"], n.params["scale_factor"]) for n in result.graph.nodes_of_type("Upsample"))
    assert ups == [("bilinear", 2.0), ("nearest", 2.0)]
    assert result.imported_params == result.original_params == sum(p.numel() for p in model.parameters())


def test_grouped_transposed_conv1d_and_linear_upsampling_import(tmp_path):
    result = import_onnx(_export(_Line(), (4, 5), tmp_path / "line.onnx"))
    assert result.complete, result.report()
    assert result.max_abs_diff < 1e-5
    line = result.graph.nodes["line"].params
    assert (line["out_channels"], line["groups"], line["bias"], line["padding"]) == (6, 2, False, 1)
    (up,) = result.graph.nodes_of_type("Upsample")
    assert (up.params["mode"], up.params["scale_factor"]) == ("linear", 3.0)


def test_unsqueeze_split_squeeze_and_constants_reproduce_onnxruntime(tmp_path):
    result = import_onnx(_export(_Reshuffle(), (6,), tmp_path / "shuffle.onnx"))
    assert result.complete, result.report()
    assert result.max_abs_diff < 1e-5
    (split,) = result.graph.nodes_of_type("Split")
    assert split.params == {"split_size_or_sections": [2, 4], "dim": 2}
    shapes = sorted(n.params["shape"] for n in result.graph.nodes_of_type("Reshape"))
    assert shapes == [[1, 6], [10]]  # unsqueeze(1) and squeeze(1)
    constants = sorted(float(v.reshape(-1)[0]) for k, v in result.weights.items()
                       if any(k.startswith(f"{n.id}.") for n in result.graph.nodes_of_type("Parameter")))
    # x*2 → 2, +1 → 1, 3 - b → -1 (negate) and 3, b/4 → 0.25, -0.5 → -0.5
    assert constants == pytest.approx([-1.0, -0.5, 0.25, 1.0, 2.0, 3.0])
    assert result.imported_params == result.original_params
    # constants stay constants: fixed Parameter nodes, buffers the optimizer never sees
    assert {n.params["trainable"] for n in result.graph.nodes_of_type("Parameter")} == {False}
    from netbuilder.core.compile import compile_graph

    model = compile_graph(result.graph)
    fixed = [m for m in model.modules() if type(m).__name__ == "LearnedTensor"]
    assert len(fixed) == 6 and not any(isinstance(m.weight, nn.Parameter) for m in fixed)


class _SizeView(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3)
        self.fc = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):  # the classic x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat → Reshape
        y = self.conv(x)
        return self.fc(y.view(y.size(0), -1)), y.reshape(y.shape[0], 2, 16)


def test_reshapes_to_sizes_read_from_the_batch_keep_the_batch(tmp_path):
    result = import_onnx(_export(_SizeView(), (1, 6, 6), tmp_path / "view.onnx"))
    assert result.complete, result.report()
    assert result.max_abs_diff < 1e-5
    assert sorted(n.type for n in result.graph.nodes.values()) == sorted(
        ["Input", "Conv2d", "Flatten", "Linear", "Reshape", "Output", "Output"])
    assert result.graph.nodes_of_type("Reshape")[0].params["shape"] == [2, 16]


class _Refused(nn.Module):
    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def forward(self, x):
        if self.kind == "reciprocal":
            return 2 / x
        if self.kind == "difference":
            return x - torch.relu(x)
        return nn.functional.interpolate(x, scale_factor=2, mode="bilinear", align_corners=True)


@pytest.mark.parametrize("kind, expected", [
    ("reciprocal", "no catalog layer for the ONNX op Reciprocal"),  # how torch writes 2 / x
    ("difference", "Sub of two computed tensors"),
    ("corners", "coordinate_transformation_mode 'align_corners'"),
])
def test_what_has_no_catalog_equivalent_is_named(tmp_path, kind, expected):
    result = import_onnx(_export(_Refused(kind), (2, 4, 4), tmp_path / f"{kind}.onnx"))
    assert not result.complete
    assert expected in result.report(), result.report()


def test_a_constant_divided_by_a_tensor_is_refused(tmp_path):
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Div", ["two", "x"], ["y"], name="/half/Div")], "div",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3])],
        [numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")])
    path = tmp_path / "div.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    result = import_onnx(path)
    assert not result.complete
    assert "/half/Div" in result.report() and "divides a constant by a computed tensor" in result.report()
