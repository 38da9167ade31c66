"""The Summary panel recounts only the layers an edit changed, makes row texts only
for rows asked for, and keeps the check's order (no sort of the graph per refresh)."""

from __future__ import annotations

from gui_helpers import small_graph

from netbuilder.core import summary as summary_module
from netbuilder.core.graph import Edge


def test_an_edit_recounts_only_the_layers_it_changed(make_window, monkeypatch):
    window = make_window(small_graph())
    panel = window.summary
    panel.refresh()
    counted: list[str] = []
    real = summary_module.node_costs
    monkeypatch.setattr(summary_module, "node_costs", lambda g, r, nid: (counted.append(nid), real(g, r, nid))[1])
    window.editor.set_params("fc", {"out_features": 7})
    panel.refresh()
    assert counted == ["fc", "out"]  # fc and the Output reading it changed; x, conv, relu, flat are kept
    rows = {panel.model.text(r, 0): panel.model.text(r, 3) for r in range(panel.model.rowCount())}
    assert rows["fc"] == f"{6 * 24 * 24 * 7 + 7:,}"
    assert f"{156 + 6 * 24 * 24 * 7 + 7:,}" in panel.totals.text()


def test_rows_are_made_when_asked_for_and_follow_the_order(make_window):
    window = make_window(small_graph())
    panel = window.summary
    panel.refresh()
    assert panel.model._made == {} or len(panel.model._made) <= panel.model.rowCount()
    panel.model._made.clear()
    assert panel.model.text(2, 0) == "relu" and set(panel.model._made) == {2}
    nid = window.editor.add_node("ReLU", (0.0, 300.0))
    window.editor.delete(edges=[Edge("fc", "out")])
    window.editor.connect("fc", 0, nid, 0)
    window.editor.connect(nid, 0, "out", 0)
    assert Edge(nid, "out") in window.graph.edges  # the new layer is now before an older one
    panel.refresh()
    order = [panel.model.text(r, 0) for r in range(panel.model.rowCount())]
    assert order.index("fc") < order.index(nid) < order.index("out")


def test_the_summary_shows_the_budget_bars_counts_without_counting_again(make_window, monkeypatch):
    window = make_window(small_graph())
    bar, panel = window.export_actions.budget, window.summary
    window.editor.set_params("fc", {"out_features": 5})
    while bar.busy():
        bar.run_slice()
    counted: list[str] = []
    monkeypatch.setattr(summary_module, "node_costs", lambda *a: counted.append(a[2]) or (0, 0, 0, 0))
    panel.refresh()
    assert counted == []  # the bar counted them, in its slices
    assert f"{156 + 6 * 24 * 24 * 5 + 5:,}" in panel.totals.text()
    assert panel.model.text(4, 3) == f"{6 * 24 * 24 * 5 + 5:,}"
