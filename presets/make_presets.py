"""Build every shipped preset with the core Graph API and save it as JSON.

    python presets/make_presets.py            # rewrite presets/*.json
    python presets/make_presets.py --check    # exit 1 if a file differs from what this builds

The JSON files are the product (users open them; the GUI lists them through
netbuilder.presets); this script is how they are made, so a change to a
preset is a change here followed by a rerun. Output is deterministic.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the _gen helpers live beside this script
    sys.path.insert(0, str(HERE))

from _gen import autoencoders, cnn_classic, cnn_modern, cnn_small, dense_rnn  # noqa: E402
from _gen import health as health_presets  # noqa: E402
from _gen import modern  # noqa: E402
from _gen import imagenet_modern  # noqa: E402
from _gen import text as text_presets  # noqa: E402
from _gen import real_data  # noqa: E402

from netbuilder.core.graph import Graph  # noqa: E402
from netbuilder.core.io import dumps  # noqa: E402

# file name (without .json) -> builder; the order of netbuilder.presets.CATALOG
PRESETS: dict[str, Callable[[], Graph]] = {
    "lenet5": cnn_classic.lenet5,
    "alexnet": cnn_classic.alexnet,
    "vgg16": cnn_classic.vgg16,
    "resnet18": cnn_modern.resnet18,
    "googlenet": cnn_modern.googlenet,
    "mobilenet_v2": cnn_modern.mobilenet_v2,
    "lenet_digits": cnn_small.lenet_digits,
    "resnet_digits": cnn_small.resnet_digits,
    "mobilenet_digits": cnn_small.mobilenet_digits,
    "perceptron": dense_rnn.perceptron,
    "mlp_iris": dense_rnn.mlp_iris,
    "mlp_digits": dense_rnn.mlp_digits,
    "rnn_digits": dense_rnn.rnn_digits,
    "lstm_digits": dense_rnn.lstm_digits,
    "gru_digits": dense_rnn.gru_digits,
    "rnn_stacked_digits": dense_rnn.rnn_stacked_digits,
    "rnn_bidirectional_digits": dense_rnn.rnn_bidirectional_digits,
    "rnn_many_to_many": dense_rnn.rnn_many_to_many,
    "lstm_sine_forecaster": dense_rnn.lstm_sine_forecaster,
    "ae_vanilla": autoencoders.ae_vanilla,
    "ae_undercomplete": autoencoders.ae_undercomplete,
    "ae_sparse_l1": autoencoders.ae_sparse_l1,
    "ae_sparse_kl": autoencoders.ae_sparse_kl,
    "ae_denoising": autoencoders.ae_denoising,
    "ae_contractive": autoencoders.ae_contractive,
    "ae_conv": autoencoders.ae_conv,
    "vae": autoencoders.vae,
    "rbm": autoencoders.rbm,
    "deep_sigmoid_mlp": health_presets.deep_sigmoid_mlp, "deep_relu_bn_mlp": health_presets.deep_relu_bn_mlp,
    "rnn_exploding": health_presets.rnn_exploding, "rnn_clipped": health_presets.rnn_clipped,
    "vit_digits": modern.vit_digits, "mobilenet_v3_digits": modern.mobilenet_v3_digits,
    "rnn_one_to_many": modern.rnn_one_to_many, "siamese_digits": modern.siamese_digits,
    "lstm_sentiment": text_presets.lstm_sentiment,
    "lenet5_mnist": real_data.lenet5_mnist, "mlp_mnist": real_data.mlp_mnist,
    "ae_conv_fashion": real_data.ae_conv_fashion, "vae_fashion": real_data.vae_fashion,
    "vgg_cifar10": real_data.vgg_cifar10, "resnet20_cifar10": real_data.resnet20_cifar10,
    "mobilenet_v2_cifar10": real_data.mobilenet_v2_cifar10,
    "mobilenet_v3_small": imagenet_modern.mobilenet_v3_small,
    "efficientnet_b0": imagenet_modern.efficientnet_b0,
    "transformer_sentiment": text_presets.transformer_sentiment,
    "rnn_one_to_one": modern.rnn_one_to_one,
}


def build_all() -> dict[str, str]:
    """file name -> the exact JSON text of that preset."""
    return {f"{name}.json": dumps(build()) for name, build in PRESETS.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 on a difference")
    parser.add_argument("--out", type=Path, default=HERE, help="folder to write into (default: presets/)")
    args = parser.parse_args(argv)
    stale = []
    for file_name, text in build_all().items():
        path = args.out / file_name
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(file_name)
        if not args.check:
            from netbuilder.core.io import atomic_write_text

            atomic_write_text(path, text)
    verb = "out of date" if args.check else "written"
    print(f"{len(stale)} preset(s) {verb}" + (f": {', '.join(stale)}" if stale else ""))
    extra = sorted(p.name for p in args.out.glob("*.json") if p.name not in build_all_names())
    if extra:
        print(f"not made by this script (remove or add a builder): {', '.join(extra)}")
    return 1 if args.check and (stale or extra) else 0


def build_all_names() -> set[str]:
    return {f"{name}.json" for name in PRESETS}


if __name__ == "__main__":
    sys.exit(main())
