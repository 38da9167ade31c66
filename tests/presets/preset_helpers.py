"""Shared helpers of the preset tests."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from netbuilder.presets import PRESETS_DIR

# The published counts (torchvision's, for the ImageNet nets), from the issue.
EXACT_PARAMS = {
    "lenet5": 61_706,
    "alexnet": 61_100_840,
    "vgg16": 138_357_544,
    "resnet18": 11_689_512,
    "googlenet": 6_624_904,
    "mobilenet_v2": 3_504_872,
    "mobilenet_v3_small": 2_542_856,  # torchvision's counts, as published
    "efficientnet_b0": 5_288_548,
}
IMAGENET_SIZED = ("alexnet", "vgg16", "resnet18", "googlenet", "mobilenet_v2", "mobilenet_v3_small", "efficientnet_b0")
DIVERGES = ("rnn_exploding",)  # made to explode (tests/train/test_health.py checks that it does)
# train on downloaded datasets (mnist, cifar10...): test_real_data_presets.py trains them on generated files
NAMED_DATA = ("lenet5_mnist", "mlp_mnist", "ae_conv_fashion", "vae_fashion", "vgg_cifar10", "resnet20_cifar10",
              "mobilenet_v2_cifar10")


def load_generator() -> ModuleType:
    """presets/make_presets.py as a module (it is a script, not a package)."""
    if "make_presets" in sys.modules:
        return sys.modules["make_presets"]
    path = PRESETS_DIR / "make_presets.py"
    spec = importlib.util.spec_from_file_location("make_presets", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_presets"] = module
    spec.loader.exec_module(module)
    return module


def preset_names() -> list[str]:
    return sorted(p.stem for p in Path(PRESETS_DIR).glob("*.json"))


def small_preset_names() -> list[str]:
    return [n for n in preset_names() if n not in IMAGENET_SIZED and n not in NAMED_DATA]
