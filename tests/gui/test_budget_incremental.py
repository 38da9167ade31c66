"""The budget bar counts incrementally and in slices (issue 18): after random edits its totals
equal a fresh full recount, a big pass runs as bounded slices with the meters reading
"counting…", an edit drops the pass in flight, and no timer outlives the pass or the window."""

from __future__ import annotations

import random

import pytest

from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.summary import clear_param_cache
from netbuilder.gui import budget as budget_module
from netbuilder.gui.budget import BudgetBar, graph_costs


def _chain(n: int) -> Graph:
    graph = Graph()
    prev = graph.add_node("Input", {"shape": [8]}, id="x").id
    for i in range(n):
        nid = graph.add_node("Linear", {"out_features": 8}, id=f"fc{i}").id if i % 2 == 0 else \
            graph.add_node("ReLU", id=f"relu{i}").id
        graph.add_edge(prev, nid)
        prev = nid
    graph.add_node("Output", id="out")
    graph.add_edge(prev, "out")
    return graph


@pytest.fixture
def bar_on(qtbot):
    """bar_on(graph) -> a BudgetBar with its own live shape check, not in a window."""
    from netbuilder.gui.app import ensure_app
    from netbuilder.gui.live import LiveShapes

    ensure_app()
    made = []

    def make(graph: Graph) -> BudgetBar:
        live = LiveShapes(graph)
        bar = BudgetBar(graph, live)
        qtbot.addWidget(bar)
        made.append((bar, live))
        return bar

    yield make
    for bar, live in made:
        bar.shutdown()
        live.close()


def _settled(qtbot, bar: BudgetBar) -> None:
    qtbot.waitUntil(lambda: not bar.busy(), timeout=10_000)
    assert not bar.timers_active()  # a finished pass leaves no timer behind


def _fresh(graph: Graph, batch_size: int):
    clear_param_cache()
    return graph_costs(graph, batch_size=batch_size)


def _edit(graph: Graph, rng: random.Random) -> None:
    ids = list(graph.nodes)
    op = rng.choice(["add", "delete", "params", "connect", "disconnect", "batch"])
    try:
        if op == "add":
            nid = graph.add_node(rng.choice(["Linear", "ReLU"]),
                                 {"out_features": rng.choice([4, 8, 16])} if rng.random() < 0.5 else None).id
            if graph.nodes[nid].type == "ReLU" or rng.random() < 0.7:
                graph.add_edge(rng.choice(ids), nid)
        elif op == "delete" and len(ids) > 2:
            graph.remove_node(rng.choice([i for i in ids if i != "x"]))
        elif op == "params":
            linears = [n.id for n in graph.nodes_of_type("Linear")]
            if linears:
                graph.set_params(rng.choice(linears), {"out_features": rng.choice([2, 8, 12]),
                                                      "bias": rng.random() < 0.5})
        elif op == "connect":
            i, j = sorted(rng.sample(range(len(ids)), 2))
            graph.add_edge(ids[i], ids[j])
        elif op == "disconnect" and graph.edges:
            graph.remove_edge(rng.choice(graph.edges))
        elif op == "batch":
            graph.set_meta(training={**graph.training, "batch_size": rng.choice([1, 16, 64])})
    except GraphError:
        pass  # refused (cycle, taken port): the graph is as it was


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_totals_after_random_edits_equal_a_fresh_recount(qtbot, bar_on, monkeypatch, seed):
    monkeypatch.setattr(budget_module, "SLICE_STEPS", 3)  # every pass spans slices: edits land mid-pass
    graph, rng = _chain(30), random.Random(seed)
    bar = bar_on(graph)
    for i in range(40):
        _edit(graph, rng)
        if i % 3 == 0:
            qtbot.wait(rng.choice([0, 1, 5]))  # let some passes run part way, some to the end
        if i % 10 == 9:
            _settled(qtbot, bar)
            fresh = _fresh(graph, bar.batch_size())
            assert (bar.costs.params, bar.costs.macs, bar.costs.memory) == (fresh.params, fresh.macs, fresh.memory)
            assert bar.costs.per_node == fresh.per_node


def test_a_big_pass_runs_in_bounded_slices_showing_counting(qtbot, bar_on, monkeypatch):
    monkeypatch.setattr(budget_module, "SLICE_STEPS", 100)
    monkeypatch.setattr(budget_module, "SLICE_MS", 10_000.0)  # bounded by steps alone: deterministic
    graph = _chain(1500)
    bar = bar_on(graph)
    formats: list[str] = []
    bar.costs_changed.connect(lambda costs: formats.append("done"))
    bar.run_slice()  # the first slice by hand (the timer would run it a moment later)
    assert bar.counting and bar.slices == [100]
    formats.append(bar.meters["params"].format())
    _settled(qtbot, bar)
    assert formats == ["Params counting…", "done"]
    assert sum(bar.slices) == len(graph.nodes)  # a new graph: one step per node
    assert len(bar.slices) == len(graph.nodes) // 100 + 1 and max(bar.slices) == 100
    assert not bar.counting and bar.meters["params"].format() == "Params 54K / 200M"  # 750 × (8·8 + 8)
    # one edit: a few nodes recounted, the rest scanned; a single slice, the meters never say counting
    graph.set_params("fc100", {"out_features": 4})
    _settled(qtbot, bar)
    assert len(bar.slices) == 1 and not bar.counting
    assert bar.costs.params == _fresh(graph, 1).params


def test_the_real_clock_cuts_a_big_pass_into_slices(qtbot, bar_on, monkeypatch):
    monkeypatch.setattr(budget_module, "SLICE_MS", 1.0)
    clear_param_cache()  # cold: each Linear key is built on the meta device once
    graph = _chain(2000)
    bar = bar_on(graph)
    _settled(qtbot, bar)
    assert len(bar.slices) > 1 and max(bar.slices) <= budget_module.SLICE_STEPS
    assert bar.costs.params == _fresh(graph, 1).params


def test_an_edit_drops_the_pass_in_flight(qtbot, bar_on, monkeypatch):
    monkeypatch.setattr(budget_module, "SLICE_STEPS", 50)
    graph = _chain(600)
    bar = bar_on(graph)
    bar.run_slice()
    assert bar.counting and bar.timers_active()
    graph.set_params("x", {"shape": [16]})  # reshapes fc0, which the pass may already have counted
    assert bar._pass is None  # dropped: the next slice starts a pass from the new report
    _settled(qtbot, bar)
    assert bar.costs.params == _fresh(graph, 1).params


def test_sharing_weights_is_counted_without_a_shape_edit(qtbot, bar_on):
    graph = _chain(6)
    bar = bar_on(graph)
    _settled(qtbot, bar)
    before = bar.costs.params
    graph.set_shares("fc4", "fc2")
    _settled(qtbot, bar)
    assert bar.costs.params == before - (8 * 8 + 8) == _fresh(graph, 1).params


def test_closing_the_window_mid_pass_stops_every_timer(qtbot, make_window, monkeypatch):
    monkeypatch.setattr(budget_module, "SLICE_STEPS", 1)  # even LeNet's pass takes many slices
    window = make_window()
    bar = window.export_actions.budget
    _settled(qtbot, bar)
    bar.counter.mark()  # every node counted again: a pass of many one-step slices
    bar.run_slice()
    assert bar.counting and bar.timers_active()
    slices = len(bar.slices)
    window.undo_stack.setClean()
    window.close()
    assert not bar.timers_active()
    qtbot.wait(50)
    assert not bar.timers_active() and len(bar.slices) == slices  # nothing ran after the close


def test_a_deleted_bar_leaves_no_listener_on_the_graph(qtbot):
    from PySide6.QtWidgets import QApplication

    from netbuilder.gui.app import ensure_app
    from netbuilder.gui.live import LiveShapes

    ensure_app()
    graph = _chain(4)
    live = LiveShapes(graph)
    before = len(graph._listeners)
    bar = BudgetBar(graph, live)
    assert len(graph._listeners) == before + 1
    bar.deleteLater()
    QApplication.sendPostedEvents(None, 0)  # DeferredDelete
    qtbot.waitUntil(lambda: len(graph._listeners) == before, timeout=2000)
    graph.set_params("fc0", {"out_features": 3})  # no listener left to reach a deleted widget
    live.flush()
    live.close()


def test_a_check_run_by_an_earlier_listener_still_counts(qtbot, make_window):
    """The canvas reads the live report inside the graph event, before the bar hears of it
    (File ▸ Open in a real window): the bar must not wait for a check that already ran."""
    window = make_window()
    bar = window.export_actions.budget
    _settled(qtbot, bar)
    window.graph.replace_with(_chain(20))  # what File ▸ Open does: a reset event
    _settled(qtbot, bar)
    assert bar.costs.params == _fresh(window.graph, bar.batch_size()).params == 10 * (8 * 8 + 8)
