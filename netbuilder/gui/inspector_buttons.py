"""Buttons on a layer's inspector page that open a worked view of that layer:
"Worked example…" (convolution and pooling by hand) and "Show unfolded…"
(a recurrent layer drawn once per time step). Each reads the layer's current
parameters when clicked, and acts on the layer shown then: a page is kept and
shown again for every layer of its type (inspector_pages).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QPushButton

from netbuilder.core.shapes import OK


def layer_buttons(inspector: Any, layout: Any, node: Any) -> dict[str, QPushButton]:
    """Conv2d and pooling: a button to open 'convolution by hand' with this node's settings.
    Returns the page's buttons by the inspector attribute that names them while shown."""
    from netbuilder.train.by_hand import POOL_TYPES

    if node.type in ("RNN", "LSTM", "GRU"):
        return {"unfold_button": _unfold_button(inspector, layout, node)}
    if node.type != "Conv2d" and node.type not in POOL_TYPES:
        return {}
    button = QPushButton("Worked example…")
    button.setToolTip("type a small input and kernel and see this layer's output computed by hand")

    def show() -> None:
        from netbuilder.gui.training.views.conv_by_hand import open_worked_example

        nid = inspector.node_id  # the page is kept and shown for other layers of the type: the one shown now
        current = inspector.graph.nodes.get(nid) if nid else None
        if current is not None:
            inspector.worked_example = open_worked_example(inspector, nid, current.type, dict(current.params))

    button.clicked.connect(show)
    layout.addWidget(button)
    return {"worked_example_button": button}


def _unfold_button(inspector: Any, layout: Any, node: Any) -> QPushButton:
    """A recurrent node: show it unfolded over its sequence's steps, gates named."""
    button = QPushButton("Show unfolded…")
    button.setToolTip("the layer drawn once per time step, hidden state flowing right, its gates named")

    def show() -> None:
        from netbuilder.gui.node_facts import weights
        from netbuilder.gui.training.views.rnn_unfolded import RnnUnfolded, open_unfolded

        nid = inspector.node_id
        report, current = inspector.live.report, inspector.graph.nodes.get(nid) if nid else None
        info = report.nodes.get(nid) if nid else None
        if current is None or info is None or info.status != OK:
            inspector.status.setText("Connect this layer to a sequence first: its shapes are not known yet.")
            inspector.status.show()
            return
        steps = info.inputs[0][0] if info.inputs and info.inputs[0] else None
        view = RnnUnfolded(current.type, weights(inspector.graph, report, nid), steps, dict(current.params))
        inspector.unfolded = open_unfolded(inspector, nid, view)

    button.clicked.connect(show)
    layout.addWidget(button)
    return button
