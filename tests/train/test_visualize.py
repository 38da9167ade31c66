"""Kernels as images, activation maximisation, and `netbuilder visualize`."""

import numpy as np
import pytest
import torch
from PIL import Image

from netbuilder.cli import main
from netbuilder.core.compile import compile_graph
from netbuilder.core.io import load_graph
from netbuilder.train.visualize import channel_objective, kernel_images, maximise

LENET = "presets/lenet_digits.json"


def test_kernel_images_average_inputs_or_show_rgb():
    w = torch.arange(2 * 3 * 2 * 2, dtype=torch.float32).reshape(2, 3, 2, 2)
    rgb = kernel_images(w)
    assert rgb.shape == (2, 2, 2, 3) and rgb[1, 0, 1, 2] == w[1, 2, 0, 1]
    gray = kernel_images(w[:, :2])
    np.testing.assert_allclose(gray, w[:, :2].mean(dim=1).numpy())


def test_maximise_raises_the_chosen_channel():
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(1, 4, 3)
    start = channel_objective(conv(torch.full((4, 1, 8, 8), 0.5)), torch.arange(4))
    images, final = maximise(conv, (1, 8, 8), [0, 1, 2, 3], steps=30)
    assert images.shape == (4, 1, 8, 8)
    assert bool((final > start + 0.1).all())
    assert float((images[0] - images[1]).abs().mean()) > 0.05  # each channel its own picture


@pytest.fixture
def checkpoint(tmp_path):
    torch.manual_seed(0)
    model = compile_graph(load_graph(LENET))
    path = tmp_path / "w.pt"
    torch.save(model.state_dict(), path)
    return str(path)


def test_cli_writes_png_that_depends_on_channel(tmp_path, checkpoint, capsys):
    pics = []
    for k in (0, 3):
        out = tmp_path / f"c{k}.png"
        assert main(["visualize", LENET, "--checkpoint", checkpoint, "--node", "conv1", "--channel", str(k),
                     "--steps", "10", "-o", str(out)]) == 0
        pics.append(np.asarray(Image.open(out)))
    assert pics[0].shape == (64, 64)  # 8×8 input at scale 8
    assert np.abs(pics[0].astype(int) - pics[1].astype(int)).mean() > 5
    kernels = tmp_path / "k.png"
    assert main(["visualize", LENET, "--checkpoint", checkpoint, "--node", "conv1", "--scale", "1",
                 "-o", str(kernels)]) == 0
    assert np.asarray(Image.open(kernels)).shape == (5, 6 * 6 - 1)  # 6 kernels of 5×5, 1 px apart


def test_cli_names_bad_node_and_channel(tmp_path, checkpoint, capsys):
    out = str(tmp_path / "x.png")
    assert main(["visualize", LENET, "--checkpoint", checkpoint, "--node", "nope", "-o", out]) == 1
    assert "no node 'nope'" in capsys.readouterr().err
    assert main(["visualize", LENET, "--checkpoint", checkpoint, "--node", "fc3", "--channel", "10", "-o", out]) == 1
    assert "has 10 channels" in capsys.readouterr().err
    assert main(["visualize", LENET, "--checkpoint", str(tmp_path / "none.pt"), "--node", "fc3", "-o", out]) == 2
    assert "no such file" in capsys.readouterr().err
