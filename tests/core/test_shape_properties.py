"""Property tests: random conv/pool stacks on random input sizes.

PyTorch is the oracle: each layer is also built directly with torch.nn from
the same params and run on the real tensor. Wherever check() reports an error
torch must raise too, and wherever check() is ok the inferred shape must equal
the real one exactly (then the compiled graph must agree as well).
"""

from __future__ import annotations

import os
import warnings

import pytest
import torch
from core_helpers import chain
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import nn

from netbuilder.core.compile import compile_graph
from netbuilder.core.shapes import check

# NB_HYPOTHESIS_EXAMPLES=5000 for a long search; CI keeps it quick.
SETTINGS = settings(max_examples=int(os.environ.get("NB_HYPOTHESIS_EXAMPLES", "80")), deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _ints(lo: int, hi: int, n: int = 2):
    """One int, or a list of n ints (PyTorch accepts both)."""
    return st.integers(lo, hi) | st.lists(st.integers(lo, hi), min_size=n, max_size=n)


def _conv(n: int):
    return st.fixed_dictionaries({
        "out_channels": st.sampled_from([1, 2, 4, 6]),
        "kernel_size": _ints(1, 5, n),
        "stride": _ints(1, 3, n),
        "padding": st.sampled_from(["same", "valid"]) | _ints(0, 3, n),
        "dilation": _ints(1, 3, n),
        "groups": st.sampled_from([1, 2, "depthwise"]),
        "padding_mode": st.sampled_from(["zeros", "reflect", "replicate", "circular"]),
    })


def _pool(n: int, kind: str):
    extra = ({"dilation": _ints(1, 3, n)} if kind == "Max" else {"count_include_pad": st.booleans()})
    return st.fixed_dictionaries({
        "kernel_size": _ints(1, 4, n),
        "stride": st.none() | _ints(1, 3, n),
        "padding": _ints(0, 2, n),
        "ceil_mode": st.booleans(),
        **extra,
    })


def _layers(n: int):
    return st.one_of(
        st.tuples(st.just(f"Conv{n}d"), _conv(n)),
        st.tuples(st.just(f"MaxPool{n}d"), _pool(n, "Max")),
        st.tuples(st.just(f"AvgPool{n}d"), _pool(n, "Avg")),
    )


def oracle(type_name: str, p: dict, in_channels: int) -> nn.Module:
    """The torch.nn layer for these params, built without NetBuilder's code."""
    n = int(type_name[-2])
    if type_name.startswith("Conv"):
        groups = in_channels if p["groups"] == "depthwise" else p["groups"]
        cls = {1: nn.Conv1d, 2: nn.Conv2d}[n]
        return cls(in_channels, p["out_channels"], p["kernel_size"], stride=p["stride"], padding=p["padding"],
                   dilation=p["dilation"], groups=groups, padding_mode=p["padding_mode"])
    if type_name.startswith("MaxPool"):
        return getattr(nn, type_name)(p["kernel_size"], p["stride"], p["padding"], p["dilation"],
                                      ceil_mode=p["ceil_mode"])
    return getattr(nn, type_name)(p["kernel_size"], p["stride"], p["padding"], ceil_mode=p["ceil_mode"],
                                  count_include_pad=p["count_include_pad"])


def refuses(layer, x: torch.Tensor) -> None:
    """Torch refuses too: it raises, or (transposed conv) makes an empty
    tensor, which NetBuilder reports as an error rather than letting through."""
    try:
        y = layer(x)
    except Exception:  # noqa: BLE001 - any torch error will do
        return
    assert y.numel() == 0, f"NetBuilder refused, but torch gave shape {tuple(y.shape)}"


def _run_stack(shape: tuple[int, ...], layers: list[tuple[str, dict]]) -> None:
    graph = chain(*layers, shape=shape)
    report = check(graph)
    x = torch.randn(2, *shape)
    for i, (type_name, params) in enumerate(layers, start=1):
        info = report.nodes[f"l{i}"]
        if info.status == "error":
            refuses(lambda x: oracle(type_name, params, x.shape[1])(x), x)
            # downstream is waiting, not a cascade of errors
            assert all(report.nodes[f"l{j}"].status == "waiting" for j in range(i + 1, len(layers) + 1))
            assert [n for n, _ in report.errors] == [f"l{i}"]
            return
        assert info.status == "ok"
        x = oracle(type_name, params, x.shape[1])(x)
        assert tuple(x.shape[1:]) == info.outputs[0], f"{type_name} {params}"
    assert report.ok
    gm = compile_graph(graph, report=report)
    assert tuple(gm(torch.randn(2, *shape)).shape[1:]) == report.output_shape("output")


@SETTINGS
@given(channels=st.sampled_from([1, 2, 3, 4]), size=st.tuples(st.integers(1, 12), st.integers(1, 12)),
       layers=st.lists(_layers(2), min_size=1, max_size=3))
def test_random_2d_stacks_match_torch(channels, size, layers):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
        _run_stack((channels, *size), layers)


@SETTINGS
@given(channels=st.sampled_from([1, 2, 4]), length=st.integers(1, 16),
       layers=st.lists(_layers(1), min_size=1, max_size=3))
def test_random_1d_stacks_match_torch(channels, length, layers):
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
        _run_stack((channels, length), layers)


@SETTINGS
@given(channels=st.sampled_from([2, 4]), size=st.tuples(st.integers(1, 8), st.integers(1, 8)),
       p=st.fixed_dictionaries({
           "out_channels": st.sampled_from([2, 4]), "kernel_size": _ints(1, 5), "stride": _ints(1, 3),
           "padding": _ints(0, 3) | st.just("same"), "output_padding": _ints(0, 2), "dilation": _ints(1, 2),
           "groups": st.sampled_from([1, 2])}))
def test_random_transposed_conv_matches_torch(channels, size, p):
    graph = chain(("ConvTranspose2d", p), shape=(channels, *size))
    info = check(graph).nodes["l1"]
    x = torch.randn(2, channels, *size)
    if p["padding"] == "same":
        if info.status == "error":
            return  # NetBuilder's own extension: PyTorch has no 'same' for transposed convs
        k = p["kernel_size"] if isinstance(p["kernel_size"], list) else [p["kernel_size"]] * 2
        d = p["dilation"] if isinstance(p["dilation"], list) else [p["dilation"]] * 2
        padding = [di * (ki - 1) // 2 for ki, di in zip(k, d)]
        assert info.outputs[0][1:] == tuple(size)  # 'same' keeps the size
    else:
        padding = p["padding"]
    layer = nn.ConvTranspose2d(channels, p["out_channels"], p["kernel_size"], stride=p["stride"], padding=padding,
                               output_padding=p["output_padding"], dilation=p["dilation"], groups=p["groups"])
    if info.status == "error":
        refuses(layer, x)
    else:
        assert tuple(layer(x).shape[1:]) == info.outputs[0]


@SETTINGS
@given(shape=st.tuples(st.integers(1, 4), st.integers(1, 20), st.integers(1, 20)),
       scale=st.floats(0.05, 4.0, allow_nan=False) | st.sampled_from([1 / 3, 0.3, 0.7, 1.1, 2.5]),
       mode=st.sampled_from(["nearest", "bilinear"]))
def test_upsample_scale_matches_torch(shape, scale, mode):
    graph = chain(("Upsample", {"scale_factor": scale, "mode": mode}), shape=shape)
    info = check(graph).nodes["l1"]
    layer = nn.Upsample(scale_factor=scale, mode=mode, **({"align_corners": False} if mode == "bilinear" else {}))
    x = torch.randn(2, *shape)
    if info.status == "error":
        refuses(layer, x)
    else:
        assert tuple(layer(x).shape[1:]) == info.outputs[0]
