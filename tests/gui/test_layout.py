"""Auto-layout: layered left → right, no two layers on one spot (no Qt)."""

from __future__ import annotations

from netbuilder.core.graph import Graph
from netbuilder.gui.canvas.layout import layered_layout, needs_layout
from netbuilder.presets import load_preset


def test_every_edge_goes_right_or_on_to_a_later_band_and_no_spot_is_shared():
    for name in ("googlenet", "resnet18", "vae"):
        g = load_preset(name)
        pos = layered_layout(g)
        assert set(pos) == set(g.nodes)
        assert len(set(pos.values())) == len(g)
        for e in g.edges:  # inside a band left → right; a wrap starts further down, on the left
            (x1, y1), (x2, y2) = pos[e.src], pos[e.dst]
            assert x1 < x2 or (x2 < x1 and y2 > y1), (name, e)


def test_one_band_when_asked_is_left_to_right():
    g = load_preset("googlenet")
    pos = layered_layout(g, view=None)
    assert all(pos[e.src][0] < pos[e.dst][0] for e in g.edges)
    assert len(set(pos.values())) == len(g)


def test_parallel_branches_stack_around_the_main_line():
    g = Graph()
    g.add_node("Input", {"shape": [8]}, id="x")
    for b in ("a", "b", "c"):
        g.add_node("Linear", id=b)
        g.add_edge("x", b)
    g.add_node("Concat", {"num_inputs": 3}, id="cat")
    for i, b in enumerate(("a", "b", "c")):
        g.add_edge(b, "cat", 0, i)
    pos = layered_layout(g, dx=100, dy=50)
    assert pos["x"] == (0.0, 0.0) and pos["cat"] == (200.0, 0.0)
    assert sorted(pos[b][1] for b in "abc") == [-50.0, 0.0, 50.0]


def test_files_without_positions_need_a_layout():
    g = Graph()
    for i in range(4):
        g.add_node("ReLU", id=f"r{i}")
    assert needs_layout(g)
    for i, n in enumerate(g):
        n.pos = (i * 10.0, 0.0)
    assert not needs_layout(g)
