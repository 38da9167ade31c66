"""Zoomed far out, the canvas draws the network as one picture (issue 18).

Below OVERVIEW_ZOOM the layer, port and connection items draw nothing (Qt skips
them in C++) and canvas/overview.py draws every block and connection from
recorded pictures. These tests check that the picture says what the model says
after any edit, that the items stay selectable and hit-testable, and that the
item index covers the network (a world-sized index made every repaint visit
every item).
"""

from __future__ import annotations

import random

import pytest
from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QGraphicsItem

from netbuilder.core.graph import Edge, Graph
from netbuilder.gui import theme
from netbuilder.gui.canvas import scene as scene_module
from netbuilder.gui.canvas.edge_item import EdgeItem
from netbuilder.gui.canvas.node_item import NodeItem
from netbuilder.gui.canvas.overview import OVERVIEW_ZOOM, Overview
from netbuilder.gui.canvas.port_item import PortItem
from netbuilder.gui.canvas.style import NODE_W
from netbuilder.gui.commands import AddEdgeCommand, AddNodeCommand, MoveNodesCommand, RemoveNodeCommand, \
    SetParamsCommand

NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents


def _grid_chain(n: int) -> Graph:
    """Input → alternating Linear/ReLU → Output on a 10-wide grid (no auto-layout)."""
    g = Graph(name="grid")
    middle = [("Linear", {"out_features": 8}) if i % 2 == 0 else ("ReLU", {}) for i in range(n - 2)]
    layers = [("Input", {"shape": [8]}), *middle, ("Output", {})]
    ids = [g.add_node(t, p, id="x" if i == 0 else None).id for i, (t, p) in enumerate(layers)]
    for src, dst in zip(ids, ids[1:]):
        g.add_edge(src, dst)
    for i, nid in enumerate(ids):
        g.nodes[nid].pos = (float(i % 10) * 220.0, float(i // 10) * 120.0)
    return g


@pytest.fixture
def far(make_window):
    """A 60-layer grid, zoomed far out (overview mode)."""
    window = make_window(_grid_chain(60))
    window.view.set_zoom(0.05)
    assert window.scene.overview.active
    return window


def _fresh(scene) -> Overview:
    """What a new overview of this scene, built from scratch, holds."""
    other = Overview.__new__(Overview)
    QGraphicsItem.__init__(other)
    other.graph_scene, other.active, other._colours, other._bounds = scene, True, {}, QRectF()
    other._forget()
    graph = scene.graph
    for nid in graph.nodes:
        other._place(nid)
    for edge in graph.edges:
        other._line(edge)
    return other


def _assert_matches_model(scene) -> None:
    overview, fresh = scene.overview, _fresh(scene)
    assert overview._boxes == fresh._boxes
    assert {e: line.toLine() for e, line in overview._lines.items()} == \
        {e: line.toLine() for e, line in fresh._lines.items()}
    tiled = {nid for tile in overview._tiles.values() for nid in tile}
    assert tiled == set(scene.graph.nodes)  # each block in exactly one tile ...
    assert sum(len(t) for t in overview._tiles.values()) == len(scene.graph.nodes)
    assert {e for lines in overview._tile_lines.values() for e in lines} == set(scene.graph.edges)  # ... each line too


def _items(scene) -> list[QGraphicsItem]:
    nodes = list(scene.node_items.values())
    ports = [p for n in nodes for p in (*n.inputs, *n.outputs)]
    return [*nodes, *ports, *scene.edge_items.values()]


def test_zoomed_out_items_draw_nothing_and_the_overview_draws_the_blocks(far, monkeypatch):
    scene, view = far.scene, far.view
    painted: list[str] = []
    for cls in (NodeItem, PortItem, EdgeItem):
        real = cls.paint
        monkeypatch.setattr(cls, "paint", lambda self, *a, _real=real: painted.append(type(self).__name__)
                            or _real(self, *a))
    assert all(item.flags() & NO_CONTENTS for item in _items(scene))
    _assert_matches_model(scene)
    view.fit_to_view()
    view.set_zoom(0.05)
    image = view.viewport().grab().toImage()
    assert painted == []  # no Python paint per item
    linear = next(n for n in scene.graph if n.type == "Linear")
    centre = view.mapFromScene(QPointF(linear.pos[0] + NODE_W / 2, linear.pos[1] + 40))
    assert image.pixelColor(centre).name() == theme.category_color(linear.spec.category).name()
    # zoomed in again: every item paints itself, the overview is gone
    view.set_zoom(0.5)
    assert not scene.overview.active and not scene.overview.isVisible()
    assert not any(item.flags() & NO_CONTENTS for item in _items(scene))
    view.viewport().grab()
    assert {"NodeItem", "PortItem", "EdgeItem"} <= set(painted)


def test_the_overview_follows_every_kind_of_edit(far):
    scene, graph, stack = far.scene, far.graph, far.undo_stack
    rng = random.Random(7)
    for step in range(60):
        ids = list(graph.nodes)
        kind = rng.choice(["add", "remove", "move", "connect", "params", "undo", "redo"])
        if kind == "add":
            stack.push(AddNodeCommand(graph, rng.choice(["ReLU", "Linear", "Conv2d"]), None,
                                      (rng.uniform(-3000, 3000), rng.uniform(-3000, 3000))))
        elif kind == "remove" and len(ids) > 3:
            stack.push(RemoveNodeCommand(graph, rng.choice(ids[1:])))
        elif kind == "move":
            nid = rng.choice(ids)
            stack.push(MoveNodesCommand(graph, {nid: (graph.nodes[nid].pos, (rng.uniform(-9000, 9000), 50.0))}))
        elif kind == "connect":
            src, dst = rng.sample(ids, 2)
            if graph.nodes[src].output_ports() and graph.nodes[dst].input_ports() and not graph.in_edges(dst):
                stack.push(AddEdgeCommand(graph, Edge(src, dst, 0, 0)))
        elif kind == "params":
            linear = [n.id for n in graph.nodes_of_type("Linear")]
            if linear:
                stack.push(SetParamsCommand(graph, rng.choice(linear), {"out_features": rng.choice([4, 8, 16])}))
        elif kind == "undo":
            stack.undo()
        else:
            stack.redo()
        far.live.flush()
        scene.finish_shapes()
        assert all(item.flags() & NO_CONTENTS for item in _items(scene)), (step, kind)
        _assert_matches_model(scene)
        for nid in graph.nodes:  # every layer where the index finds it, however far it moved
            item = scene.node_items[nid]
            assert item in scene.items(item.mapToScene(item.body_rect().center())), (step, kind, nid)


def test_zoomed_out_layers_are_still_selected_and_dragged(far, qtbot):
    scene, view = far.scene, far.view
    first = scene.node_items["x"]
    centre = first.mapToScene(first.body_rect().center())
    assert any(i is first for i in scene.items(centre))  # hit-testing is unchanged
    # a rubber band over the first row selects its ten layers
    path_rect = QRectF(-10, -10, 10 * 220.0, 100)
    from PySide6.QtGui import QPainterPath
    area = QPainterPath()
    area.addRect(path_rect)
    scene.setSelectionArea(area)
    assert len(scene.selected_node_ids()) == 10
    image = view.viewport().grab().toImage()
    selection = theme.current().color("selection").name()
    top_left = view.mapFromScene(QPointF(0, 0))
    nearby = {image.pixelColor(top_left.x() + dx, top_left.y() + dy).name() for dx in range(-2, 3)
              for dy in range(-2, 3)}
    assert selection in nearby  # the overview outlines what is selected
    # dragging an item moves its block and its connections at once
    first.setPos(QPointF(-5000, -800))
    box = scene.overview._boxes["x"]
    assert box[:2] == (-5000.0, -800.0)
    out_edge = scene.graph.out_edges("x")[0]
    assert scene.overview._lines[out_edge].p1() == QPointF(-5000 + NODE_W, -800 + box[2] / 2 + 12)
    assert scene.sceneRect().contains(QPointF(-5000, -800))  # the index grew around it
    scene.commit_moves()
    assert scene.graph.nodes["x"].pos == (-5000.0, -800.0)


def test_an_error_shows_in_the_error_colour(far):
    scene, graph, stack = far.scene, far.graph, far.undo_stack
    stack.push(AddNodeCommand(graph, "Conv2d", None, (0.0, -400.0), node_id="conv"))
    stack.push(AddEdgeCommand(graph, Edge("x", "conv", 0, 0)))  # a vector into a Conv2d: a shape error
    far.live.flush()
    scene.finish_shapes()
    boxes = scene.overview._boxes
    assert boxes["conv"][3] == "error"
    assert scene.overview._colours["error"].name() == theme.current().color("error").name()
    stack.undo()  # unconnected again: it waits (a pale block), it is not wrong
    far.live.flush()
    assert boxes["conv"][3].endswith("/waiting")
    assert scene.overview._colours[boxes["conv"][3]].alpha() < 255


def test_a_network_opened_zoomed_out_is_drawn_before_its_items_exist(make_window, tmp_path, monkeypatch):
    monkeypatch.setattr(scene_module, "EAGER_NODES", 30)
    monkeypatch.setattr(scene_module, "FIRST_BATCH", 12)
    from netbuilder.core.io import save_graph

    window = make_window()
    window.view.set_zoom(0.05)
    path = tmp_path / "grid.json"
    save_graph(_grid_chain(120), path)
    window.view.set_zoom(0.05)
    assert window.open_file(path)
    scene = window.scene
    window.view.set_zoom(0.05)  # the first view chose its own zoom
    assert scene.overview.active and scene.pending
    _assert_matches_model(scene)  # blocks for layers with no item yet, from the model
    scene.finish_items()
    far_items = _items(scene)
    assert len(far_items) > 120 and all(i.flags() & NO_CONTENTS for i in far_items)
    _assert_matches_model(scene)


def test_the_item_index_covers_the_network_not_the_world(far):
    scene = far.scene
    rect = scene.sceneRect()
    assert rect.width() < 3 * 10 * 220.0 + 2 * scene_module.INDEX_MARGIN
    assert far.view.sceneRect().width() >= 1e6  # the view still pans freely
    far.undo_stack.push(AddNodeCommand(far.graph, "ReLU", None, (50_000.0, 40_000.0)))
    assert scene.sceneRect().contains(QPointF(50_000.0, 40_000.0))


def test_zoom_threshold_is_where_blocks_lose_their_text():
    from netbuilder.gui.canvas.style import LOD_TITLE

    assert OVERVIEW_ZOOM == LOD_TITLE  # above it a node's type is written on it: items must paint


def test_a_repaint_of_two_far_corners_replays_only_their_tiles(make_window, monkeypatch):
    """Qt's exposedRect bounds every part waiting for a repaint: two blocks in opposite corners
    span the whole network. Only the tiles the clip touches are replayed, and both show."""
    from PySide6.QtGui import QPainter

    from netbuilder.gui.canvas import overview as overview_module

    monkeypatch.setattr(overview_module, "TILE", 440.0)  # two columns and four rows of the grid a tile: 5 × 2 tiles
    window = make_window(_grid_chain(60))
    view, scene = window.view, window.scene
    view.set_zoom(0.1)
    view.centerOn(QPointF(1100.0, 330.0))
    overview = scene.overview
    assert overview.active and len(overview._tiles) == 10
    view.viewport().grab()  # the item's cache is painted whole once
    replayed: list[object] = []
    real = QPainter.drawPicture
    monkeypatch.setattr(QPainter, "drawPicture", lambda self, *a: replayed.append(a[-1]) or real(self, *a))
    first, last = next(iter(window.graph.nodes)), list(window.graph.nodes)[-1]
    for nid, pos in ((first, (0.0, 40.0)), (last, (1980.0, 640.0))):  # each one block lower
        window.undo_stack.push(MoveNodesCommand(window.graph, {nid: (window.graph.nodes[nid].pos, pos)}))
    image = view.viewport().grab().toImage()
    assert 0 < len(replayed) <= 4, len(replayed)  # the tiles of the two blocks, not all 10 between them
    for nid in (first, last):
        x, y, h, colour = overview._boxes[nid]
        spot = view.mapFromScene(QPointF(x + NODE_W / 2, y + h / 2))
        assert image.pixelColor(spot).name() == overview._colours[colour].name(), nid
