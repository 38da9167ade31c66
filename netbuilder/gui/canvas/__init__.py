"""The node-graph canvas: scene (model → items), view (zoom, pan, drops),
node, port and edge items, and the auto-layout."""

from netbuilder.gui.canvas.scene import GraphScene
from netbuilder.gui.canvas.view import LAYER_MIME, GraphView

__all__ = ["GraphScene", "GraphView", "LAYER_MIME"]
