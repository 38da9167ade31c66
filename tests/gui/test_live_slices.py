"""The live shape check runs a big re-check in slices (issue 18): a new Input shape on a long
chain re-infers every layer, which must not hold the GUI thread in one block. An edit in the
middle of a check drops it and hands its work to the next; readers on timers do not force it."""

from __future__ import annotations

import pytest

from netbuilder.core import shapes
from netbuilder.core.graph import Graph
from netbuilder.core.shapes import check
from netbuilder.gui import live as live_module
from netbuilder.gui.budget import BudgetBar, graph_costs
from netbuilder.gui.commands import SetParamsCommand
from netbuilder.gui.live import LiveShapes


def _chain(n: int) -> Graph:
    graph = Graph(name="chain")
    prev = graph.add_node("Input", {"shape": [8]}, id="x").id
    for i in range(n):
        node = graph.add_node("Linear", {"out_features": 8}, id=f"fc{i}") if i % 2 == 0 else \
            graph.add_node("ReLU", id=f"relu{i}")
        graph.add_edge(prev, node.id)
        prev = node.id
    return graph


@pytest.fixture
def small_slices(monkeypatch):
    """A slice is one STEP of 8 layers: every check of a 200-layer chain takes many turns."""
    monkeypatch.setattr(live_module, "SLICE_MS", 0.0)
    monkeypatch.setattr(shapes, "STEP", 8)


def _same_as_full(report, graph) -> bool:
    full = check(graph)
    return report.nodes == full.nodes and report.errors == full.errors


def test_a_reshape_of_every_layer_is_checked_in_slices(qtbot, small_slices):
    graph = _chain(200)
    live = LiveShapes(graph)
    reports = []
    live.checked.connect(reports.append)
    graph.set_params("x", {"shape": [3, 8]})
    assert live.busy() and not live.slicing()
    live._run_slice()
    assert live.slicing() and live.latest.output_shape("relu199") == (8,)  # the last finished check
    qtbot.waitUntil(lambda: not live.busy(), timeout=5000)
    assert len(live.slice_seconds) >= 200 // 8 and len(reports) == 1
    assert reports[0] is live.latest and live.latest.output_shape("relu199") == (3, 8)
    assert live.latest.changed >= set(graph.nodes) and _same_as_full(live.latest, graph)
    live.close()


def test_an_edit_mid_check_drops_it_and_the_next_finishes_its_work(qtbot, small_slices):
    graph = _chain(200)
    live = LiveShapes(graph)
    before = live.report
    reports = []
    live.checked.connect(reports.append)
    graph.set_params("x", {"shape": [3, 8]})
    for _ in range(5):  # the first 40 layers re-inferred, the rest not yet
        live._run_slice()
    assert live.slicing()
    graph.set_params("fc100", {"out_features": 4})  # further down: the next check starts there too
    assert live.busy() and not live.slicing()  # dropped; its leftovers wait in the next one
    qtbot.waitUntil(lambda: not live.busy(), timeout=5000)
    assert len(reports) == 1  # the dropped check announced nothing
    report = reports[0]
    assert _same_as_full(report, graph)
    assert report.output_shape("fc100") == (3, 4) and report.output_shape("relu199") == (3, 8)
    differs = {nid for nid in graph.nodes if before.nodes[nid] != report.nodes[nid]}
    assert differs == set(graph.nodes) and differs <= report.changed  # the first 40 too: the canvas shows them
    live.close()


def test_report_finishes_a_check_in_flight_at_once(small_slices):
    graph = _chain(200)
    live = LiveShapes(graph)
    graph.set_params("x", {"shape": [5, 8]})
    live._run_slice()
    assert live.slicing()
    report = live.report  # a reader that needs the graph as it is: the rest now
    assert not live.busy() and not live.slicing() and report.output_shape("relu199") == (5, 8)
    assert _same_as_full(report, graph)
    live.close()


def test_the_budget_bar_waits_for_a_sliced_check_then_counts_it(qtbot, small_slices):
    graph = _chain(200)
    live = LiveShapes(graph)
    bar = BudgetBar(graph, live)
    qtbot.addWidget(bar)
    bar.show()
    bar.refresh()
    graph.set_params("x", {"shape": [3, 8]})
    live._run_slice()
    bar.run_slice()  # its pass would read the report: it must not finish the check in one go
    assert live.slicing() and bar.busy()
    qtbot.waitUntil(lambda: not live.busy() and not bar.busy(), timeout=10000)
    fresh = graph_costs(graph, check(graph))
    assert (bar.costs.params, bar.costs.macs, bar.costs.memory) == (fresh.params, fresh.macs, fresh.memory)
    assert bar.costs.memory != 0
    live.close()
    bar.shutdown()


def test_in_the_editor_nothing_forces_a_reshape_check_through(make_window, qtbot, small_slices):
    """The push (canvas, overview, inspector, training dock listeners) and the panels' timers
    read the last finished report; the check itself runs in slices and the canvas then shows it."""
    window = make_window(_chain(300))
    window.scene.finish_items()
    window.scene.select_nodes(["x"])  # the inspector shows the Input being edited
    bar = window.export_actions.budget
    qtbot.waitUntil(lambda: not bar.busy(), timeout=10000)
    window.undo_stack.push(SetParamsCommand(window.graph, "x", {"shape": [2, 8]}))
    assert window.live.busy() and not window.live.slicing()  # nobody ran it inside the push
    qtbot.waitUntil(lambda: not window.live.busy(), timeout=10000)
    assert len(window.live.slice_seconds) > 10
    window.scene.finish_shapes()
    item = window.scene.node_items.peek("relu299")
    assert item is not None and item._footer == "→ 2×8"
    qtbot.waitUntil(lambda: not bar.busy(), timeout=10000)
    assert bar.costs.memory == graph_costs(window.graph, check(window.graph), bar.batch_size()).memory


def test_a_check_that_replaced_many_results_moves_them_out_of_the_collectors_way(qtbot, monkeypatch):
    import gc

    monkeypatch.setattr(live_module, "FREEZE_AFTER", 100)  # a small "big" reshape keeps the test quick
    graph = _chain(200)
    live = LiveShapes(graph)
    gc.unfreeze()
    try:
        graph.set_params("x", {"shape": [3, 8]})  # all 201 results change: more than FREEZE_AFTER
        live.flush()
        assert gc.isenabled() and gc.get_freeze_count() > 0
        gc.unfreeze()
        graph.set_params("fc198", {"out_features": 4})  # two results: left to the collector as usual
        live.flush()
        assert gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        live.close()


def test_the_minimap_redraws_after_the_check_and_the_canvas_slices(make_window, qtbot, small_slices):
    """The minimap's redraw shares no turn with the check's slices: it waits for the check (its
    picture would show the old shapes) and for the canvas's own slices, then draws the new state."""
    window = make_window(_chain(300))
    window.scene.finish_items()
    minimap = window.view.minimap
    minimap.invalidate_now()
    before = minimap._pixmap
    drawn_while_busy = []
    start = minimap._drawing

    def drawing():
        drawn_while_busy.append(window.live.slicing() or window.scene.busy())
        return start()

    minimap._drawing = drawing
    window.undo_stack.push(SetParamsCommand(window.graph, "x", {"shape": [2, 8]}))
    window.live._run_slice()
    assert window.live.slicing()
    minimap._redraw_soon()  # its coalescing timer came due mid-check: it waits for another round
    assert minimap._job is None and minimap._timer.isActive()
    qtbot.waitUntil(lambda: not window.live.busy() and not window.scene.busy(), timeout=10000)
    qtbot.waitUntil(lambda: minimap._pixmap is not before and minimap._job is None, timeout=10000)
    assert drawn_while_busy and not any(drawn_while_busy)
