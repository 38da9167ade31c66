"""Summary, problems, history and minimap panels, and the context menu."""

from __future__ import annotations

from gui_helpers import drag, port_point, small_graph, view_point
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from netbuilder.core.graph import Edge


def test_summary_lists_every_layer_with_totals(make_window):
    window = make_window(small_graph())
    window.summary.refresh()
    model = window.summary.model
    rows = {model.text(r, 0): [model.text(r, c) for c in range(1, 5)] for r in range(model.rowCount())}
    assert list(rows) == ["x", "conv", "relu", "flat", "fc", "out"]
    assert rows["conv"] == ["Conv2d", "6×24×24", "156", f"{6 * 24 * 24 * 25:,}"]
    total = 156 + 3456 * 10 + 10
    assert f"{total:,}" in window.summary.totals.text()
    table = window.summary.table
    assert table.model().data(table.model().index(1, 3)) == "156"  # what the view shows
    QTest.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     table.visualRect(table.model().index(4, 0)).center())
    assert window.scene.selected_node_ids() == ["fc"]


def test_problems_list_every_diagnostic_and_click_selects(make_window):
    window = make_window(small_graph())
    problems = window.problems
    assert problems.count == 0 and "No problems" in problems.list.item(0).text()
    window.editor.set_params("conv", {"kernel_size": 99})
    window.editor.delete(edges=[Edge("fc", "out")])
    window.flush()
    texts = [problems.list.item(i).text() for i in range(problems.list.count())]
    assert problems.count == 2 and texts[0].startswith("conv: ") and texts[1].startswith("out: ")
    rect = problems.list.visualItemRect(problems.list.item(1))
    QTest.mouseClick(problems.list.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     rect.center())
    assert window.scene.selected_node_ids() == ["out"]
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert seen.contains(window.scene.node_items["out"].sceneBoundingRect().center())


def test_history_view_undoes_by_clicking(make_window):
    window = make_window(small_graph())
    window.editor.add_node("ReLU", (0, 300))
    window.editor.add_node("Tanh", (0, 500))
    window.history.setCurrentIndex(window.history.model().index(1, 0))
    assert window.undo_stack.index() == 1 and not window.graph.nodes_of_type("Tanh")


def test_connection_dropped_on_empty_canvas_offers_a_connected_layer(make_window, qtbot):
    window = make_window(small_graph())
    window.editor.delete(["out"])
    fc = window.scene.node_items["fc"].sceneBoundingRect()
    start = port_point(window, "fc", 0, True)
    empty = view_point(window, fc.center()) + QPoint(0, 160)
    drag(window.view.viewport(), start, empty)
    assert window.quick_add.isVisible()
    qtbot.keyClicks(window.quick_add.search, "Output")
    QTest.keyClick(window.quick_add.search, Qt.Key.Key_Return)
    (out,) = window.graph.nodes_of_type("Output")
    assert Edge("fc", out.id) in window.graph.edges


def test_context_menu_offers_what_fits_the_click(make_window):
    window = make_window(small_graph())
    centre = view_point(window, window.scene.node_items["relu"].sceneBoundingRect().center())
    window.view.contextMenuEvent(_context_event(centre, window))
    labels = [a.text() for a in window.context_menu.actions() if a.text()]
    assert window.scene.selected_node_ids() == ["relu"] and "&Duplicate" in labels
    window.context_menu.close()
    window.view.contextMenuEvent(_context_event(centre + QPoint(0, 250), window))
    window.scene.clearSelection()
    window.view.contextMenuEvent(_context_event(centre + QPoint(0, 250), window))
    labels = [a.text() for a in window.context_menu.actions() if a.text()]
    assert labels[0] == "Add Layer Here…"
    window.context_menu.close()


def _context_event(pos: QPoint, window):
    from PySide6.QtGui import QContextMenuEvent

    return QContextMenuEvent(QContextMenuEvent.Reason.Mouse, pos, window.view.viewport().mapToGlobal(pos))


def test_minimap_appears_for_networks_bigger_than_the_view(make_window):
    window = make_window(small_graph())
    window.view.fit_to_view()
    window.flush()
    assert not window.view.minimap.isVisible()
    window.view.set_zoom(1.5)
    window.view.minimap.sync()
    assert window.view.minimap.isVisible()
    mm = window.view.minimap
    QTest.mouseClick(mm, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(mm.width() - 10,
                                                                                           mm.height() // 2))
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert seen.contains(window.scene.node_items["out"].sceneBoundingRect().center())


def test_minimap_draws_every_layer_in_its_colour_and_errors_red(make_window):
    from netbuilder.gui import theme

    window = make_window(small_graph())
    window.editor.set_params("conv", {"kernel_size": 99})  # a shape error
    window.flush()
    mm = window.view.minimap
    mm.invalidate_now()
    image = mm._pixmap.toImage()
    colours = {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
               if image.pixelColor(x, y).alpha() == 255}
    assert theme.current().color("error").name() in colours
    assert theme.category_color(window.graph.nodes["fc"].spec.category).name() in colours
    left = mm._content.left()
    assert left == min(n.pos[0] for n in window.graph.nodes.values())  # boxes come from the graph's layers


def test_double_click_on_a_layer_edits_it_and_escape_clears(make_window):
    window = make_window(small_graph())
    item = window.scene.node_items["fc"]
    spot = view_point(window, item.mapToScene(item.body_rect().center()))
    QTest.mouseDClick(window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, spot)
    assert window.inspector.node_id == "fc"
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Escape)
    assert window.scene.selected_node_ids() == []


def test_window_layout_is_remembered(make_window):
    window = make_window(small_graph())
    window.history_dock.hide()
    assert window.close()
    again = make_window(small_graph())
    assert again.history_dock.isVisible()  # a new window starts with the default layout...
    again.restore_layout()
    assert not again.history_dock.isVisible()  # ...and restore_layout brings the user's back


def test_minimap_redraws_after_an_edit_in_slices(make_window, qtbot, monkeypatch):
    """A big network's minimap is redrawn a slice at a time: the old picture stays until the new
    one is whole, and the new one has the edit (here an error turns a layer red)."""
    from netbuilder.gui import theme
    from netbuilder.gui.canvas import minimap as minimap_module

    monkeypatch.setattr(minimap_module, "STEP", 1)  # every layer a step ...
    monkeypatch.setattr(minimap_module, "SLICE_S", 0.0)  # ... and every step a slice
    window = make_window(small_graph())
    mm = window.view.minimap
    mm.invalidate_now()
    before = mm._pixmap
    error = theme.current().color("error").name()
    window.editor.set_params("conv", {"kernel_size": 99})  # a shape error
    window.live.flush()  # checked; the minimap's coalescing timer has not run
    assert error not in _opaque_colours(before)
    mm._redraw_soon()  # what that timer runs
    assert mm._job is not None and mm._pixmap is before  # under way, the old picture shown
    qtbot.waitUntil(lambda: mm._job is None, timeout=5000)
    assert mm._pixmap is not before and error in _opaque_colours(mm._pixmap)


def _opaque_colours(pixmap) -> set[str]:
    image = pixmap.toImage()
    return {image.pixelColor(x, y).name() for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
            if image.pixelColor(x, y).alpha() == 255}
