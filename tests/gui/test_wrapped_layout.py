"""Long networks are wrapped into bands (like lines of text) so that a
window shows them legibly: LeNet-5 opens readable instead of as a thin strip,
blocks (groups) stay whole, short chains stay on one line, and layouts the
user placed by hand are never moved."""

from __future__ import annotations

from gui_helpers import small_graph

from netbuilder.core.graph import Graph
from netbuilder.gui.canvas.layout import (
    LEGIBLE_TEXT, VIEW, _fit_zoom, layered_layout, needs_wrapping, reading_layout,
)
from netbuilder.presets import load_preset, preset_path


def _band_of(pos: dict[str, tuple[float, float]]) -> dict[str, int]:
    """Band index of each node: rows inside a band are ≤ one row (120) apart,
    bands are separated by more (a row and a half)."""
    ys = sorted({y for _, y in pos.values()})
    band, index = 0, {ys[0]: 0}
    for a, b in zip(ys, ys[1:]):
        band += b - a > 150
        index[b] = band
    return {nid: index[y] for nid, (_, y) in pos.items()}


def _chain(n: int) -> Graph:
    g = Graph(name="chain")
    g.add_node("Input", {"shape": [8]}, id="n0")
    for i in range(1, n):
        g.add_node("ReLU", id=f"n{i}")
        g.add_edge(f"n{i - 1}", f"n{i}")
    return g


def test_lenet5_wraps_into_rows_that_read_at_detail_zoom():
    g = load_preset("lenet5")
    one_line = layered_layout(g, view=None)
    assert _fit_zoom(one_line, VIEW) < 0.4  # the thin strip it used to be
    pos = layered_layout(g)
    assert _fit_zoom(pos, VIEW, True) >= LEGIBLE_TEXT
    band = _band_of(pos)
    order = g.topological_order()
    assert 2 <= max(band.values()) + 1 <= 4
    # read band by band, left to right, the rows give the chain in order
    assert sorted(order, key=lambda n: (band[n], pos[n][0])) == order


def test_a_chain_that_reads_on_one_line_stays_on_one_line():
    pos = layered_layout(_chain(6))
    assert len({y for _, y in pos.values()}) == 1
    long = layered_layout(_chain(40))
    assert len({y for _, y in long.values()}) > 1


def test_bands_are_cut_between_blocks_not_through_them():
    g = load_preset("resnet18")
    assert g.groups, "the ResNet-18 preset groups its residual blocks"
    pos = layered_layout(g)
    band = _band_of(pos)
    assert max(band.values()) >= 2  # it is wrapped
    for group in g.groups.values():
        assert len({band[n] for n in group.nodes}) == 1, group.name


def test_stored_strips_are_rewrapped_but_hand_placed_layouts_are_not():
    lenet = load_preset("lenet5")
    assert needs_wrapping(lenet)
    new = reading_layout(lenet)
    assert new is not None and _fit_zoom(new, VIEW, True) >= LEGIBLE_TEXT
    hand = _chain(14)
    for i, node in enumerate(hand):
        node.pos = (i * 213.0 + 7, (i % 3) * 13.0)  # placed by hand: not on the layout's grid
    assert not needs_wrapping(hand) and reading_layout(hand) is None
    assert not needs_wrapping(small_graph())  # legible on one line already


def test_opening_lenet5_shows_it_legibly_and_unmodified(make_window):
    window = make_window()
    assert window.open_file(preset_path("lenet5"))
    window.flush()
    view = window.view
    view.resize(1100, 600)  # the canvas of a 1600×1000 window
    view.show_network()
    assert view.zoom() >= LEGIBLE_TEXT  # node details and edge labels are drawn
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    assert all(seen.contains(item.sceneBoundingRect()) for item in window.scene.node_items.values())
    assert not window.document.modified and window.undo_stack.count() == 0


def test_the_default_network_opens_wrapped(make_window):
    window = make_window()  # LeNet on digits, 14 layers
    ys = {n.pos[1] for n in window.graph}
    assert len(ys) > 1
    assert all(window.scene.node_items[n.id].pos().toTuple() == n.pos for n in window.graph)
    assert not window.document.modified


def test_a_short_wide_canvas_gets_fewer_longer_bands():
    """The Training dock leaves the canvas a strip of the window: the chain
    is re-wrapped for that canvas, not for the full window's."""
    g = _chain(12)
    for nid, pos in layered_layout(g, view=None).items():
        g.nodes[nid].pos = pos
    bands = {view: max(_band_of(reading_layout(g, view)).values()) + 1 for view in (VIEW, (1600.0, 300.0))}
    assert bands == {VIEW: 3, (1600.0, 300.0): 2}
    short = _chain(8)
    for nid, pos in layered_layout(short, view=None).items():
        short.nodes[nid].pos = pos
    assert reading_layout(short) is not None and reading_layout(short, (1600.0, 300.0)) is None  # one line
