"""CLI subcommands: one module each with `add_arguments(parser)` and `run(args) -> int`.

Modules import torch and friends inside `run`, never at import time.
"""

from __future__ import annotations

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
