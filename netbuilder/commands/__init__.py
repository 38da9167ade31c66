"""CLI subcommands: one module each with `add_arguments(parser)` and `run(args) -> int`.

Modules import torch and friends inside `run`, never at import time.
"""

from __future__ import annotations

import argparse
import sys

from netbuilder.core.io import GraphFileError


def load_or_report(path: str):
    """Load a graph file, or print a clear message and return None (exit 2)."""
    from netbuilder.core.io import load_graph

    try:
        return load_graph(path)
    except GraphFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def save_or_report(graph, path) -> bool:
    """Save a graph file, or print a clear message and return False (exit 2)."""
    from netbuilder.core.io import save_graph

    try:
        save_graph(graph, path)
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    return True


def positive_int(text: str) -> int:
    """argparse type for --batch-size and friends: a whole number ≥ 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return value
