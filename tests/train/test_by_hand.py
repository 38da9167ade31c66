"""Convolution and pooling by hand equal torch's, with each cell's terms spelled out."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from netbuilder.train.by_hand import ByHandError, node_settings, parse_matrix, worked_example


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), ((2, 1), (0, 1), 1)])
def test_conv_equals_torch(stride, padding, dilation):
    rng = np.random.default_rng(0)
    x, k = rng.normal(size=(7, 6)), rng.normal(size=(3, 3))
    worked = worked_example(x, "conv", k, stride=stride, padding=padding, dilation=dilation, bias=0.5)
    ref = F.conv2d(torch.tensor(x)[None, None], torch.tensor(k)[None, None], torch.tensor([0.5], dtype=torch.float64),
                   stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()
    np.testing.assert_allclose(worked.output, ref, atol=1e-12)


def test_course_example_spelled_out():
    x = parse_matrix("1 2 0\n0 1 3\n2 1 1")
    k = parse_matrix("1 0; 0 1")
    worked = worked_example(x, "conv", k)
    np.testing.assert_array_equal(worked.output, [[2, 5], [1, 2]])
    assert worked.explain(0, 1) == "2·1 + 0·0 + 1·0 + 3·1 = 5"
    assert [(t.row, t.col) for t in worked.terms[1][0]] == [(1, 0), (1, 1), (2, 0), (2, 1)]


@pytest.mark.parametrize("kind", ["MaxPool2d", "AvgPool2d"])
def test_pooling_equals_torch(kind):
    x = np.random.default_rng(1).normal(size=(6, 7))
    params = {"kernel_size": 3, "stride": 2, "padding": 1}
    worked = worked_example(x, **node_settings(kind, {**params, "dilation": 1}))
    t = torch.tensor(x)[None, None]
    ref = (F.max_pool2d(t, 3, 2, 1) if kind == "MaxPool2d" else F.avg_pool2d(t, 3, 2, 1))[0, 0].numpy()
    np.testing.assert_allclose(worked.output, ref, atol=1e-12)
    assert worked.explain(0, 0).endswith(f"= {float(ref[0, 0]):.4g}".replace("= -", "= (-") + (")" if ref[0, 0] < 0 else ""))


def test_default_pool_stride_is_kernel():
    worked = worked_example(np.arange(16.0).reshape(4, 4), **node_settings("MaxPool2d", {"kernel_size": 2, "stride": None}))
    np.testing.assert_array_equal(worked.output, [[5, 7], [13, 15]])
    assert worked.explain(1, 1) == "max(10, 11, 14, 15) = 15"


def test_bad_input_is_named():
    with pytest.raises(ByHandError, match="rows have different lengths"):
        parse_matrix("1 2\n3")
    with pytest.raises(ByHandError, match="not a number"):
        parse_matrix("1 x")
    with pytest.raises(ByHandError, match="does not fit"):
        worked_example(np.ones((2, 2)), "conv", np.ones((3, 3)))
