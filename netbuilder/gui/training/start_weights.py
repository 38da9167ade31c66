"""The weights Start trains from, while the network is still the one they were saved from.

After File ▸ Import from ONNX… the dock holds the imported weights file; Start hands it to the
runner as long as the network is unchanged, and begins afresh after an edit that changes a
layer (its weights no longer fit) or after New/Open.
"""

from __future__ import annotations

import json
from typing import Any


def architecture(graph: Any) -> str:
    """The network without its positions, names and training block: what a weights file fits.
    Node ids count (a state_dict's keys are node ids), so core.diff's same_architecture, which
    allows renames, is not the test here."""
    from netbuilder.core.io import graph_to_dict

    data = graph_to_dict(graph)
    nodes = [{k: n.get(k) for k in ("id", "type", "params", "shares")} for n in data.get("nodes", [])]
    return json.dumps([nodes, data.get("edges", [])], sort_keys=True, default=str)


class StartWeights:
    def __init__(self) -> None:
        self.path: str | None = None
        self._fits = ""  # architecture() of the network the weights were saved from

    def set(self, weights: str | None, graph: Any) -> None:
        self.path = None if weights is None else str(weights)
        self._fits = architecture(graph) if weights is not None else ""

    def for_run(self, graph: Any) -> str | None:
        """The weights file for a run of `graph`, or None when the network changed since."""
        if self.path is None or self._fits != architecture(graph):
            return None
        return self.path
