"""Opening big networks (issue 18, item 2): the layout is linear and gives the
same positions as before, a big file's items are created in batches (every
node still ends with an item that paints, is selectable and movable), the
zoomed-out drawing works, and loading leaves the garbage collector as it was."""

from __future__ import annotations

import gc
import json
import math
import random

import networkx as nx
import pytest
from PySide6.QtCore import QEvent, QPointF, QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHelpEvent

from netbuilder.core.graph import Edge, Graph
from netbuilder.core.io import GraphFileError, graph_to_dict, load_graph
from netbuilder.gui.canvas import layout
from netbuilder.gui.canvas import scene as scene_module


# ------------------------------------------------------------- the layout as it was (reference)
def _old_one_band(graph: Graph, dx: float, dy: float) -> layout.Positions:
    """layout._one_band before issue 18: networkx generations and views."""
    dag = nx.DiGraph()
    dag.add_nodes_from(graph.nodes)
    dag.add_edges_from((e.src, e.dst) for e in graph.edges)
    index = {nid: i for i, nid in enumerate(graph.nodes)}
    columns = [sorted(gen, key=index.__getitem__) for gen in nx.topological_generations(dag)]
    rows = {nid: float(r) for col in columns for r, nid in enumerate(col)}
    for sweep in range(layout.SWEEPS):
        forward = sweep % 2 == 0
        for col in (columns[1:] if forward else columns[-2::-1]):
            near_of = dag.predecessors if forward else dag.successors
            col.sort(key=lambda n: (sum(rows[m] for m in near_of(n)) / len(list(near_of(n)))
                                    if list(near_of(n)) else rows[n], index[n]))
            rows.update((nid, float(r)) for r, nid in enumerate(col))
    return {nid: (c * dx, (-(len(col) - 1) / 2 + r) * dy) for c, col in enumerate(columns) for r, nid in enumerate(col)}


def _old_wrap(positions, edges, dx, dy, view, groups):
    """layout.wrap_positions before issue 18: every candidate cut by a scan and placed."""
    left = min(x for x, _ in positions.values())
    column = {nid: round((x - left) / dx) for nid, (x, _) in positions.items()}
    count = max(column.values()) + 1
    crossing = layout._crossings(column, edges, count, groups)
    candidates = []
    for width in sorted({math.ceil(count / k) for k in range(1, count + 1)}, reverse=True):
        bands, start = [], 0
        while count - start > width:
            lo = start + max(1, math.ceil(width / 2))
            end = min(range(lo, start + width + 1), key=lambda b: (crossing[b], -b))
            bands.append([start, end])
            start = end
        bands.append([start, count])
        placed = layout._place(positions, column, bands, dx, dy)
        candidates.append((layout._fit_zoom(placed, view, len(bands) > 1), bands))
    target = min(layout.KEEP_WIDER * max(z for z, _ in candidates), layout.LEGIBLE_TEXT)
    return layout._place(positions, column, next(b for z, b in candidates if z >= target), dx, dy)


def _random_positions(rng: random.Random):
    n = rng.randint(2, 150)
    spread = max(1, n // rng.choice([1, 2, 4]))  # some columns left empty
    pos = {f"n{i}": (30 + rng.randint(0, spread) * 220.0, rng.choice([0.0, 120.0, -120.0, 240.0, 60.5]))
           for i in range(n)}
    ids = list(pos)
    edges = [tuple(rng.sample(ids, 2)) for _ in range(rng.randint(0, 2 * n))]
    groups = [rng.sample(ids, min(n, rng.randint(1, 6))) for _ in range(rng.randint(0, 3))]
    return pos, edges, groups


def test_wrapping_gives_the_same_positions_as_before():
    rng = random.Random(18)
    for _ in range(150):
        pos, edges, groups = _random_positions(rng)
        view = rng.choice([layout.VIEW, (500.0, 900.0), (3000.0, 300.0)])
        assert layout.wrap_positions(pos, edges, view=view, groups=groups) == \
            _old_wrap(pos, edges, layout.COLUMN_DX, layout.ROW_DY, view, groups)


def _random_dag(rng: random.Random) -> Graph:
    g = Graph(name="random")
    ids = [g.add_node("Input", {"shape": [4]}).id]
    for _ in range(rng.randint(1, 60)):
        if rng.random() < 0.3:  # a merge, sometimes of one node with itself (parallel edges)
            a, b = rng.sample(ids, 2) if len(ids) > 1 and rng.random() < 0.7 else (ids[-1], ids[-1])
            nid = g.add_node("Add").id
            g.add_edge(a, nid, 0, 0)
            g.add_edge(b, nid, 0, 1)
        else:
            nid = g.add_node("ReLU").id
            g.add_edge(rng.choice(ids), nid)
        ids.append(nid)
    return g


def test_layered_columns_and_rows_are_the_same_as_before():
    rng = random.Random(7)
    for _ in range(40):
        g = _random_dag(rng)
        assert layout.layered_layout(g, view=None) == _old_one_band(g, layout.COLUMN_DX, layout.ROW_DY)
        one_band = _old_one_band(g, layout.COLUMN_DX, layout.ROW_DY)
        edges = [(e.src, e.dst) for e in g.edges]
        assert layout.layered_layout(g) == _old_wrap(one_band, edges, layout.COLUMN_DX, layout.ROW_DY,
                                                     layout.VIEW, [])


def _chain_positions(n: int):
    pos = {f"n{i}": (i * layout.COLUMN_DX, 0.0) for i in range(n)}
    return pos, [(f"n{i}", f"n{i + 1}") for i in range(n - 1)]


def test_wrapping_places_the_nodes_once_and_cuts_few_candidates(monkeypatch):
    calls = {"place": 0, "cut": 0}
    place, cut = layout._place, layout._cut

    def counted(name, real):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return real(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(layout, "_place", counted("place", place))
    monkeypatch.setattr(layout, "_cut", counted("cut", cut))
    for n in (400, 6400):
        calls.update(place=0, cut=0)
        pos, edges = _chain_positions(n)
        wrapped = layout.wrap_positions(pos, edges)
        assert calls["place"] == 1  # was one per candidate width: 142 at 5,000 nodes
        assert calls["cut"] <= 2 * math.isqrt(n)  # candidates stop once they are too tall
        assert len(set(wrapped.values())) == n  # no two nodes on one spot


def test_layout_of_a_big_chain_has_no_overlaps():
    g = Graph(name="chain")
    prev = g.add_node("Input", {"shape": [8]}).id
    for _ in range(2999):
        nid = g.add_node("ReLU").id
        g.add_edge(prev, nid)
        prev = nid
    pos = layout.layered_layout(g)
    spots = sorted(pos.values())
    assert len(set(spots)) == len(g)
    by_row: dict[float, list[float]] = {}
    for x, y in spots:
        by_row.setdefault(y, []).append(x)
    for xs in by_row.values():  # nodes in a row are a column step apart: never overlapping
        assert all(b - a >= layout.COLUMN_DX for a, b in zip(xs, xs[1:]))


# ------------------------------------------------------------------------- garbage collector
def _chain_file(tmp_path, n: int, name: str = "chain.json"):
    g = Graph(name="chain")
    prev = g.add_node("Input", {"shape": [8]}, id="x").id
    for i in range(n - 1):
        nid = g.add_node("Linear", {"out_features": 8}).id if i % 2 == 0 else g.add_node("ReLU").id
        g.add_edge(prev, nid)
        prev = nid
    data = graph_to_dict(g)
    for node in data["nodes"]:
        node["pos"] = [0, 0]  # no positions: the editor lays it out
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _cyclic() -> dict:
    g = Graph(name="cyclic")
    g.add_node("Input", {"shape": [4]}, id="x")
    g.add_node("Add", id="b")
    g.add_node("ReLU", id="a")
    data = graph_to_dict(g)
    data["edges"] = [{"src": "x", "dst": "b"}, {"src": "b", "dst": "a"}, {"src": "a", "dst": "b", "dst_port": 1}]
    return data


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_garbage_collector_as_it_was(tmp_path, enabled):
    good = _chain_file(tmp_path, 50)
    bad = tmp_path / "bad.json"
    data = json.loads(good.read_text())
    data["edges"].append({"src": "x", "dst": "nowhere"})
    bad.write_text(json.dumps(data))
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        assert len(load_graph(good)) == 50
        assert gc.isenabled() is enabled
        with pytest.raises(GraphFileError, match="nowhere"):
            load_graph(bad)
        assert gc.isenabled() is enabled
        with pytest.raises(GraphFileError, match=r"edges\[2\] \('a' → 'b'\).*would make a cycle"):
            load_graph(_cyclic())
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_too_deep_values_are_still_refused_with_where():
    g = Graph(name="deep")
    g.add_node("Input", {"shape": [4]}, id="x")
    data = graph_to_dict(g)
    value: list = []
    data["training"] = {"deep": value}
    for _ in range(70):
        value.append([])
        value = value[0]
    with pytest.raises(GraphFileError, match="training/deep/0/0/...' is nested more than 64"):
        load_graph(data)


# --------------------------------------------------------------------------- batched items
@pytest.fixture
def small_batches(monkeypatch):
    """Batches at test size: more than 30 nodes is 'big', 12 items come first."""
    monkeypatch.setattr(scene_module, "EAGER_NODES", 30)
    monkeypatch.setattr(scene_module, "FIRST_BATCH", 12)


def _render(scene, rect: QRectF, size=(400, 300)) -> QImage:
    image = QImage(*size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor("#000000"))
    painter = QPainter(image)
    scene.render(painter, QRectF(0, 0, *size), rect)
    painter.end()
    return image


def _colours(image: QImage) -> set[str]:
    return {image.pixelColor(x, y).name() for x in range(0, image.width(), 3) for y in range(0, image.height(), 3)}


def test_a_big_network_gets_every_item_in_batches(make_window, tmp_path, qtbot, small_batches):
    window = make_window()
    path = _chain_file(tmp_path, 120)
    assert window.open_file(path)
    scene = window.scene
    assert 0 < scene.pending < 120 - 12 + 1  # painted before every item exists
    first = list(scene.node_items.values())
    assert "x" in {i.node_id for i in first}  # the start of the network comes first
    last = window.graph.topological_order()[-1]
    assert scene.node_items.peek(last) is None
    assert scene.node_items[last].node_id == last  # asked for: created on the spot
    qtbot.waitUntil(lambda: scene.pending == 0, timeout=10000)
    window.flush()
    graph = window.graph
    assert set(dict(scene.node_items)) == set(graph.nodes)
    assert set(scene.edge_items) == set(graph.edges)
    for nid, item in dict(scene.node_items).items():
        assert item.scene() is scene and item.pos() == QPointF(*graph.nodes[nid].pos)
        assert item.status == "ok" and item.footer.startswith("→ 8"), nid
        assert nid == "x" or item.inputs[0].connected
    for edge, item in scene.edge_items.items():
        assert item.label == "8", edge  # every edge labelled, also those completed by a later batch
    rect = window.view.network_rect()
    assert rect is not None and all(rect.contains(i.sceneBoundingRect()) for i in scene.node_items.values())
    item = scene.node_items[last]
    assert len(_colours(_render(scene, item.sceneBoundingRect()))) > 5  # it paints: body, header, text
    scene.clearSelection()
    item.setSelected(True)
    assert scene.selected_node_ids() == [last]
    item.setPos(item.pos() + QPointF(40, 80))
    scene.commit_moves()
    assert graph.nodes[last].pos == (item.pos().x(), item.pos().y())
    window.undo_stack.undo()
    assert item.pos() == QPointF(*graph.nodes[last].pos) != (item.pos().x() + 40, item.pos().y())


def test_edits_while_items_are_pending_stay_quick_and_right(make_window, tmp_path, qtbot, small_batches):
    window = make_window()
    assert window.open_file(_chain_file(tmp_path, 80))
    scene, graph = window.scene, window.graph
    waiting = [n for n in graph.topological_order() if scene.node_items.peek(n) is None]
    assert len(waiting) > 40
    last, gone = waiting[-1], waiting[-10]
    linear = next(n for n in waiting[:-12] if graph.nodes[n].type == "Linear")
    before = set(graph.nodes)
    window.editor.add_node("ReLU", (0.0, 900.0))
    (new,) = set(graph.nodes) - before
    window.editor.connect(last, 0, new, 0)
    window.editor.set_params(linear, {"out_features": 5})
    window.editor.delete([gone], [])
    assert scene.pending > 20  # an edit does not build every missing item at once
    qtbot.waitUntil(lambda: scene.pending == 0, timeout=10000)
    window.flush()
    assert set(dict(scene.node_items)) == set(graph.nodes) and gone not in graph.nodes
    assert set(scene.edge_items) == set(graph.edges) and Edge(last, new) in scene.edge_items
    assert scene.node_items[linear].footer == "→ 5"
    assert scene.node_items[new].status == "waiting"  # the chain before it was cut at `gone`
    for edge in graph.out_edges(linear):
        assert scene.edge_items[edge].label == "5"
    window.undo_stack.undo()  # the delete
    window.flush()
    assert gone in dict(scene.node_items) and set(scene.edge_items) == set(graph.edges)
    assert scene.node_items[new].status == "ok"


def test_opening_another_file_while_pending_starts_afresh(make_window, tmp_path, qtbot, small_batches):
    window = make_window()
    assert window.open_file(_chain_file(tmp_path, 90, "a.json"))
    assert window.scene.pending
    assert window.open_file(_chain_file(tmp_path, 20, "b.json"))  # small: all at once
    assert window.scene.pending == 0 and len(dict(window.scene.node_items)) == 20
    qtbot.wait(50)  # a stale batch would add the first file's nodes now
    assert set(dict(window.scene.node_items)) == set(window.graph.nodes)


# --------------------------------------------------------------------- painting, tooltips
def test_zoomed_out_drawing_paints_blocks_without_error(make_window, monkeypatch):
    from netbuilder.gui.canvas.node_item import NodeItem

    calls: list[str] = []
    for name in ("_paint_overview", "_paint_header", "_paint_text"):
        real = getattr(NodeItem, name)
        monkeypatch.setattr(NodeItem, name, lambda self, *a, _real=real, _name=name: calls.append(_name) or
                            _real(self, *a))
    window = make_window()
    scene = window.scene
    rect = scene.itemsBoundingRect()
    # full detail, the overview (type and shape), coloured blocks only
    for scale, drawn in ((4.0, {"_paint_header", "_paint_text"}), (0.5, {"_paint_overview"}), (0.05, set())):
        calls.clear()
        size = (max(8, int(rect.width() * scale)), max(8, int(rect.height() * scale)))
        assert len(_colours(_render(scene, rect, size))) > 2, scale  # something drawn besides the background
        assert set(calls) == drawn, scale


def test_tooltips_are_written_when_shown(window):
    scene = window.scene
    item = next(iter(scene.node_items.values()))
    assert item.node_id in item.toolTip()
    event = QGraphicsSceneHelpEvent(QEvent.Type.GraphicsSceneHelp)
    event.setScenePos(item.mapToScene(item.body_rect().center()))
    scene.helpEvent(event)
    assert QGraphicsItem.toolTip(item) == item.toolTip()  # what Qt shows is the current text
    port = item.outputs[0] if item.outputs else item.inputs[0]
    assert port.name in port.toolTip() and "port of" in port.toolTip()
    edge = next(iter(scene.edge_items.values()))
    assert edge.toolTip().startswith(f"{edge.edge.src} → {edge.edge.dst}")


def test_a_big_network_is_kept_out_of_collections_until_the_next_opens(make_window, tmp_path, monkeypatch):
    from netbuilder.gui import document

    monkeypatch.setattr(document, "FREEZE_NODES", 40)  # a small "big" network keeps the test quick
    window = make_window()
    gc.unfreeze()
    try:
        assert window.open_file(_chain_file(tmp_path, 60))
        assert gc.isenabled() and gc.get_freeze_count() > 0  # its objects no longer walked by each collection
        assert window.document.new()
        assert gc.get_freeze_count() == 0  # thawed: the old network's cycles can be collected
        assert window.open_file(_chain_file(tmp_path, 20, "small.json"))
        assert gc.get_freeze_count() == 0  # small networks are left to the collector as usual
    finally:
        gc.unfreeze()


def test_a_change_to_every_layer_of_a_big_network_is_shown_over_turns(make_window, monkeypatch):
    from netbuilder.gui.canvas import item_batches

    monkeypatch.setattr(item_batches, "SHOW_AT_ONCE", 20)  # a small "big" change keeps the test quick
    g = Graph(name="chain")
    prev = g.add_node("Input", {"shape": [8]}, id="x").id
    for i in range(60):
        prev_id = prev
        prev = g.add_node("Linear", {"out_features": 8}, pos=(220.0 * (i + 1), 0.0)).id
        g.add_edge(prev_id, prev)
    window = make_window(g)
    scene = window.scene
    window.editor.set_params("x", {"shape": [3, 8]})  # every layer's shapes change
    window.live.flush()
    assert scene._unshown  # not all in this turn
    shown_now = [nid for nid in g.nodes if scene._applied.get(nid) is window.live.report.nodes[nid]]
    assert len(shown_now) < len(g.nodes)
    while scene._unshown:
        _turn()
    report = window.live.report
    assert all(scene._applied.get(nid) is report.nodes[nid] for nid in g.nodes)
    assert scene.node_items[prev].footer.endswith("3×8")


def _turn() -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.processEvents()


def test_batched_items_are_indexed_batch_by_batch(make_window, tmp_path, qtbot, small_batches, monkeypatch):
    """Qt indexes new items when next asked where items are (or 2 s after the last addItem):
    at 20,000 layers that was 0.1 s for every item at once, on the first edit after the batches.
    Each batch indexes its own items, so a query afterwards reads no item's bounds."""
    from netbuilder.gui.canvas.node_item import NodeItem

    window = make_window()
    assert window.open_file(_chain_file(tmp_path, 120))
    scene = window.scene
    qtbot.waitUntil(lambda: scene.pending == 0, timeout=10_000)
    asked: list[str] = []
    real = NodeItem.boundingRect
    monkeypatch.setattr(NodeItem, "boundingRect", lambda self: asked.append(self.node_id) or real(self))
    scene.items(QPointF(-1e5, -1e5))  # far from every layer
    assert len(asked) < 10  # not the 100-odd items of the later batches
