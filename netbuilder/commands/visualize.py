"""Picture what a trained layer responds to, as a PNG.

`netbuilder visualize FILE --checkpoint CKPT --node ID [--channel K] -o OUT.png`
With --channel: the input that maximises channel K of the node (for the
output layer of a classifier: class K), found by gradient ascent from noise
with jitter and blur. Without it: a conv node's kernels, or the maximising
inputs of the node's first 16 channels side by side.
Exit status: 0 written, 1 cannot visualise, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import sys

from netbuilder.commands import positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--checkpoint", required=True, metavar="CKPT", help="trained weights (checkpoint or state_dict)")
    parser.add_argument("--node", required=True, metavar="ID", help="layer to visualise (node id, or id:port)")
    parser.add_argument("--channel", type=int, metavar="K", help="channel (or class) whose maximising input to draw")
    parser.add_argument("--steps", type=positive_int, default=64, help="gradient-ascent steps (default 64)")
    parser.add_argument("--scale", type=positive_int, default=8, help="pixels per input pixel in the PNG (default 8)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the starting noise")
    parser.add_argument("-o", "--output", required=True, metavar="OUT.png", help="PNG file to write")


def run(args: argparse.Namespace) -> int:
    from netbuilder.train.visualize import VisualizeError, load_trained, save_png, visualize_node

    try:
        graph, report, model = load_trained(args.file, args.checkpoint)
    except VisualizeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        image = visualize_node(graph, report, model, args.node, args.channel, steps=args.steps, seed=args.seed)
        out = save_png(image, args.output, scale=args.scale)
    except VisualizeError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    what = f"channel {args.channel} of {args.node}" if args.channel is not None else args.node
    print(f"wrote {out} ({what})")
    return 0
