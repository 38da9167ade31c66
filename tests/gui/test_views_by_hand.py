"""Worked-example panel (convolution by hand) and the unfolded RNN, driven with pytest-qt."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from gui_helpers import small_graph
from PySide6.QtGui import QImage

from netbuilder.core.io import load_graph
from netbuilder.gui.training.views.conv_by_hand import ConvByHand
from netbuilder.gui.training.views.export import Exportable
from netbuilder.gui.training.views.rnn_unfolded import RnnUnfolded


def _table(table) -> np.ndarray:
    return np.array([[float(table.item(i, j).text()) for j in range(table.columnCount())]
                     for i in range(table.rowCount())])


def test_typed_matrices_give_torch_conv2d(qtbot):
    params = {"kernel_size": 2, "stride": 2, "padding": 1, "dilation": 1}
    panel = ConvByHand("Conv2d", params)
    qtbot.addWidget(panel)
    x = np.arange(20.0).reshape(4, 5) % 7
    panel.input_edit.setPlainText("\n".join(" ".join(f"{v:g}" for v in row) for row in x))
    panel.kernel_edit.setPlainText("1 -1\n2 0.5")
    panel.bias.setValue(1.0)
    ref = F.conv2d(torch.tensor(x)[None, None], torch.tensor([[[[1, -1], [2, 0.5]]]], dtype=torch.float64),
                   torch.tensor([1.0], dtype=torch.float64), stride=2, padding=1)[0, 0].numpy()
    np.testing.assert_allclose(_table(panel.output), ref, rtol=1e-3)
    text = panel.explain(1, 1)
    assert text.endswith(f"= {ref[1, 1]:.4g}") and "+ 1 =" in text
    assert panel.sum_label.text().startswith("<b>out[1, 1]</b>")
    # the inputs read by out[1, 1] (stride 2, padding 1: rows 1..2, cols 1..2) are highlighted
    lit = {(i, j) for i in range(4) for j in range(5) if panel.input_view.item(i, j).background().color().alpha()}
    assert lit == {(1, 1), (1, 2), (2, 1), (2, 2)}


def test_pooling_panel_and_bad_input(qtbot):
    panel = ConvByHand("MaxPool2d", {"kernel_size": 2, "stride": None, "padding": 0, "dilation": 1})
    qtbot.addWidget(panel)
    panel.input_edit.setPlainText("1 5 2 0\n3 4 8 1\n0 0 1 1\n9 2 1 3")
    np.testing.assert_array_equal(_table(panel.output), [[5, 8], [9, 3]])
    assert panel.explain(0, 1) == "max(2, 0, 8, 1) = 8"
    panel.input_edit.setPlainText("1 2\n3")
    assert "different lengths" in panel.error.text() and panel.output.rowCount() == 0


def test_inspector_opens_worked_example(make_window):
    window = make_window(small_graph())
    window.scene.select_nodes(["conv"])
    window.inspector.worked_example_button.click()
    dialog = window.inspector.worked_example
    panel = dialog.findChild(ConvByHand)
    assert panel.settings["op"] == "conv" and panel.output.rowCount() > 0
    dialog.close()


def test_lstm_unfolded_names_four_gates_with_inspector_shapes(qtbot, tmp_path):
    from netbuilder.core.shapes import check
    from netbuilder.gui.node_facts import weights

    graph = load_graph("presets/lstm_sine_forecaster.json")
    report = check(graph)
    rows = weights(graph, report, "lstm")
    view = RnnUnfolded("LSTM", rows, 16, graph.nodes["lstm"].params)
    box = Exportable(view, "unfolded")
    qtbot.addWidget(box)
    box.resize(820, 380)
    lines = view.gate_lines()
    assert [g.name for g in view.gates] == ["input gate", "forget gate", "cell candidate", "output gate"]
    assert all("(32×1)" in line and "(32×32)" in line for line in lines[:4])
    shown = {name.rsplit(".", 1)[-1]: shape for name, shape, _ in rows}  # as the inspector lists them
    assert shown["weight_ih_l0"] == (128, 1) and "weight_ih_l0 128×1" in lines[-1]
    out = box.export(tmp_path / "unfolded.png")
    image = QImage(str(out))
    assert image.width() == view.width() and not image.isNull()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}
    assert "#4c9be8" in colours  # the hidden-state arrows were drawn


def test_gru_has_three_named_gates():
    view = RnnUnfolded("GRU", [("weight_ih_l0", (48, 8), True), ("weight_hh_l0", (48, 16), True)], 8, {})
    assert [g.name for g in view.gates] == ["reset gate", "update gate", "new candidate"]
    assert view.gates[2].rows == (32, 48) and view.gates[0].w_hh == (16, 16)
