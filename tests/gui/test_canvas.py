"""The canvas driven with real mouse and keyboard events: drop from the
palette, connect ports, refuse cycles, move, delete, zoom, pan, quick-add."""

from __future__ import annotations

from gui_helpers import drag, port_point, small_graph, view_point
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from netbuilder.core.graph import Edge, Graph


def drop_layer(window, type_name: str, at: QPoint) -> None:
    """What a drag from the palette delivers to the canvas: the palette's own
    mime data, through enter → move → drop events on the viewport."""
    palette = window.palette
    mime = palette.tree.mimeData([palette.items[type_name]])
    viewport = window.view.viewport()
    actions = Qt.DropAction.CopyAction
    for event in (QDragEnterEvent(at, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                  QDragMoveEvent(at, actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier),
                  QDropEvent(QPointF(at), actions, mime, Qt.MouseButton.LeftButton,
                             Qt.KeyboardModifier.NoModifier)):
        QApplication.sendEvent(viewport, event)


def empty_window(make_window):
    return make_window(Graph(name="empty"))


def test_drag_palette_item_onto_canvas_adds_it_where_dropped(make_window):
    window = empty_window(make_window)
    target = window.view.viewport().rect().center() + QPoint(-100, 40)
    drop_layer(window, "Conv2d", target)
    (node,) = window.graph.nodes.values()
    assert node.type == "Conv2d"
    centre = window.scene.node_items[node.id].sceneBoundingRect().center()
    assert (view_point(window, centre) - target).manhattanLength() < 40
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert not window.graph.nodes and not window.scene.node_items


def test_connect_ports_with_the_mouse_labels_the_edge(make_window):
    window = empty_window(make_window)
    window.editor.add_node("Input", (0, 0), {"shape": [1, 28, 28]})
    window.editor.add_node("Conv2d", (300, 0), {"out_channels": 6, "kernel_size": 5})
    window.view.fit_to_view()
    viewport = window.view.viewport()
    drag(viewport, port_point(window, "input_1", 0, True), port_point(window, "conv2d_1", 0, False))
    assert window.graph.edges == [Edge("input_1", "conv2d_1")]
    window.flush()
    (edge_item,) = window.scene.edge_items.values()
    assert edge_item.label == "1×28×28"
    assert window.scene.node_items["conv2d_1"].footer == "→ 6×24×24"


def test_connecting_from_an_input_port_backwards_works_too(make_window):
    window = empty_window(make_window)
    window.editor.add_node("Input", (0, 0), {"shape": [4]})
    window.editor.add_node("Linear", (300, 0))
    window.view.fit_to_view()
    drag(window.view.viewport(), port_point(window, "linear_1", 0, False), port_point(window, "input_1", 0, True))
    assert window.graph.edges == [Edge("input_1", "linear_1")]


def test_cycle_and_double_connection_are_refused_with_a_message(make_window):
    window = make_window(small_graph())
    viewport = window.view.viewport()
    before = list(window.graph.edges)
    drag(viewport, port_point(window, "relu", 0, True), port_point(window, "conv", 0, False))
    assert window.graph.edges == before
    assert "already has an input" in window.statusBar().currentMessage()
    window.editor.delete(edges=[Edge("x", "conv")])
    drag(viewport, port_point(window, "relu", 0, True), port_point(window, "conv", 0, False))
    assert Edge("relu", "conv") not in window.graph.edges
    assert "cycle" in window.statusBar().currentMessage()


def test_dropping_a_layer_on_an_edge_inserts_it(make_window):
    window = make_window(small_graph())
    edge_item = window.scene.edge_items[Edge("relu", "flat")]
    drop_layer(window, "Dropout", view_point(window, edge_item._path.pointAtPercent(0.5)))
    dropout = window.graph.nodes_of_type("Dropout")[0].id
    assert Edge("relu", dropout) in window.graph.edges and Edge(dropout, "flat") in window.graph.edges
    assert Edge("relu", "flat") not in window.graph.edges
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert Edge("relu", "flat") in window.graph.edges and not window.graph.nodes_of_type("Dropout")


def test_drag_a_node_moves_it_as_one_undoable_step(make_window):
    window = make_window(small_graph())
    item = window.scene.node_items["relu"]
    start = view_point(window, item.mapToScene(item.body_rect().center() + QPointF(0, 10)))
    drag(window.view.viewport(), start, start + QPoint(0, 120))
    moved = window.graph.nodes["relu"].pos
    assert moved[1] > 40 and moved[0] == 440.0
    assert window.undo_stack.count() == 1
    window.undo_stack.undo()
    assert window.graph.nodes["relu"].pos == (440.0, 0.0)
    assert item.pos() == QPointF(440.0, 0.0)


def test_snap_to_grid_rounds_a_dragged_node(make_window):
    window = make_window(small_graph())
    window.actions_["snap"].setChecked(True)
    item = window.scene.node_items["relu"]
    start = view_point(window, item.mapToScene(item.body_rect().center()))
    drag(window.view.viewport(), start, start + QPoint(33, 47))
    x, y = window.graph.nodes["relu"].pos
    assert x % 20 == 0 and y % 20 == 0 and (x, y) != (440.0, 0.0)


def test_rubber_band_selects_and_delete_key_removes(make_window):
    window = make_window(small_graph())
    a = window.scene.node_items["relu"].sceneBoundingRect()
    b = window.scene.node_items["flat"].sceneBoundingRect()
    start = view_point(window, QPointF(a.left() + 40, a.top() - 30))
    end = view_point(window, QPointF(b.right() - 40, b.bottom() + 30))
    drag(window.view.viewport(), start, end)
    assert window.scene.selected_node_ids() == ["relu", "flat"]
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert "relu" not in window.graph.nodes and "flat" not in window.graph.nodes
    assert Edge("conv", "relu") not in window.graph.edges
    window.undo_stack.undo()
    assert set(window.graph.edges) == set(small_graph().edges)


def test_wheel_zooms_and_middle_drag_pans(make_window):
    window = make_window(small_graph())
    view = window.view
    before = view.zoom()
    centre = view.viewport().rect().center()
    wheel = QWheelEvent(QPointF(centre), QPointF(view.viewport().mapToGlobal(centre)), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom() > before
    spot = view.mapToScene(centre)
    drag(view.viewport(), centre, centre + QPoint(150, 0), button=Qt.MouseButton.MiddleButton)
    assert view.mapToScene(centre).x() < spot.x() - 50
    assert len(window.graph.nodes) == 6 and window.undo_stack.count() == 0


def test_fit_to_view_shows_every_layer(make_window):
    window = make_window(small_graph())
    window.view.set_zoom(2.5)
    window.actions_["fit"].trigger()
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    for item in window.scene.node_items.values():
        assert seen.contains(item.sceneBoundingRect())


def test_tab_opens_quick_add_and_enter_adds_after_the_selection(make_window, qtbot):
    window = make_window(small_graph())
    window.scene.select_nodes(["fc"])
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Tab)
    popup = window.quick_add
    assert popup.isVisible()
    qtbot.keyClicks(popup.search, "softm")
    assert popup.results.currentItem().text() == "Softmax"
    QTest.keyClick(popup.search, Qt.Key.Key_Return)
    assert not popup.isVisible()
    softmax = window.graph.nodes_of_type("Softmax")[0].id
    assert Edge("fc", softmax) in window.graph.edges
    assert window.scene.selected_node_ids() == [softmax]
    assert window.undo_stack.count() == 1


def test_palette_search_and_double_click(make_window):
    window = empty_window(make_window)
    palette = window.palette
    palette.search.setText("recurrent")
    assert set(palette.visible_types()) >= {"LSTM", "GRU", "RNN"} and "Conv2d" not in palette.visible_types()
    palette.search.setText("")
    item = palette.items["LSTM"]
    assert "gates" in item.toolTip(0)
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    QTest.mouseClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     rect.center())  # a real double click starts with a click
    QTest.mouseDClick(palette.tree.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      rect.center())
    assert [n.type for n in window.graph.nodes.values()] == ["LSTM"]


def test_error_and_waiting_nodes_are_marked(make_window):
    window = make_window(small_graph())
    window.editor.set_params("conv", {"kernel_size": 40})
    window.flush()
    conv, relu = window.scene.node_items["conv"], window.scene.node_items["relu"]
    assert conv.status == "error" and "kernel" in conv.toolTip()
    assert relu.status == "waiting" and relu.opacity() < 1
    assert window.scene.edge_items[Edge("conv", "relu")].problem
    assert "1 shape problem" in window.shape_status.text()
