"""The short texts painted on nodes (no Qt widgets needed)."""

from __future__ import annotations

from netbuilder.core.graph import Graph
from netbuilder.gui.canvas.style import overview_title, param_summary, short_value


def node(type_name: str, **params):
    g = Graph()
    return g.add_node(type_name, params)


def test_param_summary_shows_the_defining_param_and_changes():
    assert param_summary(node("Conv2d", out_channels=6, kernel_size=5, padding=2)) == "6 · k5 · p2"
    assert param_summary(node("Conv2d", kernel_size=[3, 5], padding="same")) == "16 · k3×5 · psame"
    assert param_summary(node("Linear", out_features=120)) == "120"
    assert param_summary(node("LSTM", hidden_size=64, bidirectional=True)) == "64 · bi"
    assert param_summary(node("Input", shape=[1, None, 8])) == "1×?×8"
    assert param_summary(node("ReLU")) == ""


def test_short_values():
    assert short_value([2, 2]) == "2" and short_value([2, 3]) == "2×3"
    assert short_value(0.001) == "0.001" and short_value(None) == "auto" and short_value(True) == "yes"


def test_overview_names_roles_and_types_the_rest():
    assert overview_title("mu", "Linear") == "mu"
    assert overview_title("conv1", "Conv2d") == "Conv2d"
    assert overview_title("layer1_0_bn1", "BatchNorm2d") == "BatchNorm2d"
    assert overview_title("pool", "MaxPool2d") == "MaxPool2d"
    assert overview_title("fc", "Linear") == "Linear"
    assert overview_title("x", "Input") == "Input"
