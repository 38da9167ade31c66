"""NetBuilder: build neural networks on a canvas, check every shape, compile
to real PyTorch, and train them.

The small public API. Importing it is cheap (no torch): heavy modules load on
first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["load_graph", "save_graph", "check", "compile_graph", "summary", "Graph", "__version__"]

if TYPE_CHECKING:  # pragma: no cover
    from netbuilder.core.compile import compile_graph
    from netbuilder.core.graph import Graph
    from netbuilder.core.io import load_graph, save_graph
    from netbuilder.core.shapes import check
    from netbuilder.core.summary import summary

_LAZY = {
    "load_graph": "netbuilder.core.io",
    "save_graph": "netbuilder.core.io",
    "check": "netbuilder.core.shapes",
    "compile_graph": "netbuilder.core.compile",
    "summary": "netbuilder.core.summary",
    "Graph": "netbuilder.core.graph",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'netbuilder' has no attribute {name!r}")
