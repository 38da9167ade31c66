"""check(touched=...) visits only the edited nodes and what they reach, keeping a
topological order from check to check. Property: after every random edit (add,
remove, connect, disconnect, params, insert between two layers) on real presets,
the incremental report equals a fresh full check, and `changed` names every node
whose result differs from the previous report."""

from __future__ import annotations

import random

import pytest

from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.params import ParamError
from netbuilder.core import shapes
from netbuilder.core.shape_state import STATE, kept_order
from netbuilder.core.shapes import ShapeCheck, check, touched_by
from netbuilder.core.spec import all_specs
from netbuilder.presets import load_preset

PRESETS = ("lenet5", "mlp_iris", "ae_conv", "lstm_digits", "mobilenet_v2_cifar10", "googlenet")
TYPES = ("Linear", "ReLU", "Conv2d", "Flatten", "Add", "Concat", "BatchNorm1d", "MaxPool2d", "Dropout", "Identity")


def same(a, b) -> bool:
    return a.nodes == b.nodes and sorted((d.node, d.message) for d in a.diagnostics) == \
        sorted((d.node, d.message) for d in b.diagnostics)


class Editor:
    def __init__(self, graph: Graph, rng: random.Random) -> None:
        self.g, self.rng = graph, rng
        self.specs = {s.type: s for s in all_specs()}

    def edit(self) -> None:
        verb = self.rng.choice([self.add, self.remove, self.connect, self.disconnect, self.params, self.params,
                                self.insert, self.share])
        try:
            verb()
        except (GraphError, ParamError, KeyError, ValueError):
            pass  # a refused edit changes nothing (the graph's own rule)

    def _node(self) -> str:
        return self.rng.choice(list(self.g.nodes))

    def add(self) -> None:
        nid = self.g.add_node(self.rng.choice(TYPES)).id
        if self.rng.random() < 0.7:
            self.g.add_edge(self._node(), nid)

    def remove(self) -> None:
        if len(self.g) > 3:
            self.g.remove_node(self._node())

    def connect(self) -> None:
        src, dst = self._node(), self._node()
        ports = len(self.g.nodes[dst].input_ports())
        port = self.rng.randrange(max(ports, 1))
        for e in self.g.in_edges(dst):
            if e.dst_port == port:
                self.g.remove_edge(e)
        self.g.add_edge(src, dst, 0, port)

    def disconnect(self) -> None:
        if self.g.edges:
            self.g.remove_edge(self.rng.choice(self.g.edges))

    def params(self) -> None:
        node = self.g.nodes[self._node()]
        ints = [p for p in node.spec.params if p.kind == "int"]
        if ints:
            p = self.rng.choice(ints)
            value = node.params.get(p.name, p.default)
            if isinstance(value, int):
                self.g.set_params(node.id, {p.name: max(int(p.min or 0), value + self.rng.choice((-1, 1, 7)))})

    def share(self) -> None:
        """Weights shared or unshared: the sharing check relates two nodes (and is skipped without any)."""
        linears = [n.id for n in self.g.nodes_of_type("Linear")]
        if len(linears) > 1:
            a, b = self.rng.sample(linears, 2)
            if self.rng.random() < 0.3:
                self.g.set_shares(a, None)
            else:
                self.g.set_params(a, dict(self.g.nodes[self.g.owner_of(b)].params))
                self.g.set_shares(a, b)
        assert self.g.has_sharing() == any(n.shares for n in self.g.nodes.values())

    def insert(self) -> None:
        """A layer put on an edge: a new node (last in any kept order) wired before an old one."""
        if not self.g.edges:
            return
        e = self.rng.choice(self.g.edges)
        nid = self.g.add_node(self.rng.choice(("ReLU", "Identity", "Dropout"))).id
        self.g.remove_edge(e)
        self.g.add_edge(e.src, nid, e.src_port, 0)
        self.g.add_edge(nid, e.dst, 0, e.dst_port)


@pytest.mark.parametrize("preset", PRESETS)
def test_incremental_check_equals_a_full_check_after_every_edit(preset):
    graph = load_preset(preset)
    rng = random.Random(preset)
    touched: set[str] = set()
    graph.subscribe(lambda event: touched.add(touched_by(event)) if touched_by(event) else None)
    cache: dict = {}
    before = check(graph, cache=cache)
    editor = Editor(graph, rng)
    incremental = 0
    for _ in range(150):
        for _ in range(rng.choice((1, 1, 1, 3))):
            editor.edit()
        kept = cache.get(STATE)
        now = check(graph, cache=cache, touched=set(touched))
        incremental += kept is not None and cache.get(STATE) is kept and kept.order is None
        touched.clear()
        full = check(graph)
        assert same(now, full), f"{preset}: the incremental check differs from a full one"
        assert now.changed is not None
        order = kept_order(cache, graph)
        assert order is not None and sorted(order) == sorted(graph.nodes)
        place = {nid: i for i, nid in enumerate(order)}
        assert all(place[e.src] < place[e.dst] for e in graph.edges), "the kept order is not topological"
        differs = {nid for nid, info in now.nodes.items() if before.nodes.get(nid) != info}
        assert differs <= now.changed, f"changed misses {sorted(differs - now.changed)[:5]}"
        before = now
    assert incremental > 100  # most checks took the incremental path (not the full-walk fallback)


@pytest.mark.parametrize("preset", PRESETS)
def test_a_check_left_unfinished_hands_its_work_to_the_next(preset, monkeypatch):
    """The editor's sliced check: edits arrive while a check is half done; the check is
    dropped and what it had still to do (and what it already changed) goes to the next one.
    Every check that finishes must equal a full one and name every node it changed."""
    monkeypatch.setattr(shapes, "STEP", 1)  # a yield after every node: small presets stop mid-walk too
    graph = load_preset(preset)
    rng = random.Random(preset + " slices")
    touched: set[str] = set()
    graph.subscribe(lambda event: touched.add(touched_by(event)) if touched_by(event) else None)
    cache: dict = {}
    shown = check(graph, cache=cache)  # what the canvas shows: the last finished report
    editor = Editor(graph, rng)
    todo: set[str] = set()
    carried: set[str] = set()
    dropped = finished = 0
    for i in range(160):
        editor.edit()
        todo |= touched
        touched.clear()
        run = ShapeCheck(graph, cache, todo, carried)
        report = None
        for _ in range(rng.choice((0, 1, 2, 5, 1000))):
            report = run.run(seconds=0.0)  # one step: the clock is always past a zero budget
            if report is not None:
                break
        if report is None and i < 150:  # the next edit comes in: the check is dropped
            waiting, carried = run.left()
            assert waiting is not None
            todo = set(waiting)
            dropped += 1
            continue
        report = run.run()
        todo, carried = set(), set()
        assert same(report, check(graph)), f"{preset}: a check after a dropped one differs from a full check"
        differs = {nid for nid in set(report.nodes) | set(shown.nodes)
                   if shown.nodes.get(nid) != report.nodes.get(nid)}
        assert differs <= report.changed, f"changed misses {sorted(differs - report.changed)[:5]}"
        shown = report
        finished += 1
    assert dropped > 30 and finished > 30


def _relu_chain(g: Graph, n: int) -> str:
    """Input "x" (8 features) → n ReLUs; the last one's id."""
    g.add_node("Input", {"shape": [8]}, id="x")
    prev = "x"
    for _ in range(n):
        prev = g.add_edge(prev, g.add_node("ReLU").id).dst
    return prev


def test_run_with_a_time_budget_stops_and_goes_on(monkeypatch):
    monkeypatch.setattr(shapes, "STEP", 4)
    g = Graph(name="chain")
    prev = _relu_chain(g, 40)
    cache: dict = {}
    check(g, cache=cache)
    g.set_params("x", {"shape": [2, 8]})  # every node's input changes
    run = ShapeCheck(g, cache, {"x"})
    steps = 0
    while run.run(seconds=0.0) is None:
        steps += 1
    assert steps == 41 // 4  # one stop per STEP nodes, then the report
    assert run.report is not None and run.report.output_shape(prev) == (2, 8)
    assert run.report.changed == set(g.nodes)
    assert run.run(seconds=0.0) is run.report  # a finished check keeps its report


def test_a_long_chain_edit_visits_only_what_it_reaches(monkeypatch):
    g = Graph(name="chain")
    g.add_node("Input", {"shape": [16]}, id="x")
    prev = "x"
    for i in range(2000):
        nid = g.add_node("Linear" if i % 2 == 0 else "ReLU", {"out_features": 16} if i % 2 == 0 else None).id
        g.add_edge(prev, nid)
        prev = nid
    touched: set[str] = set()
    g.subscribe(lambda event: touched.add(touched_by(event)) if touched_by(event) else None)
    cache: dict = {}
    check(g, cache=cache)
    visited: list[str] = []
    real = shapes._check_node
    monkeypatch.setattr(shapes, "_check_node", lambda node, *a: (visited.append(node.id), real(node, *a))[1])
    linear = [n.id for n in g.nodes_of_type("Linear")][500]
    g.set_params(linear, {"out_features": 32})  # the next Linear reads 32 (its inputs change), then stops
    report = check(g, cache=cache, touched=touched)
    assert len(visited) == 4 and report.ok  # the Linear, its ReLU, the next Linear and its ReLU (unchanged)
    touched.clear()
    visited.clear()
    extra = g.add_node("ReLU").id  # an unconnected layer: only it is checked, no sort of 2,000 nodes
    report = check(g, cache=cache, touched=touched)
    assert visited == [extra] and report.changed == {extra}


def test_a_full_walk_after_a_dropped_check_infers_what_it_left_stale(monkeypatch):
    """A dropped re-check, then an edit its kept order cannot take (an edge from a late layer
    into an early one, elsewhere): the full walk must re-infer the layers the dropped check
    never reached, though nothing about them or their inputs differs from the kept results."""
    monkeypatch.setattr(shapes, "STEP", 1)
    g = Graph(name="three chains")
    prev = _relu_chain(g, 10)
    g.add_node("Input", {"shape": [8]}, id="z")
    g.add_node("Add", id="add")
    g.add_edge("z", "add", 0, 0)
    g.add_edge("z", "add", 0, 1)
    g.add_edge("add", g.add_node("ReLU", id="after").id)  # "add" has a place after it: it cannot move either
    g.add_node("Input", {"shape": [8]}, id="y")
    g.add_node("ReLU", id="s1")
    g.add_node("ReLU", id="s2")
    g.add_edge("y", "s1")
    g.add_edge("s1", "s2")
    cache: dict = {}
    check(g, cache=cache)
    g.set_params("x", {"shape": [3, 8]})
    run = ShapeCheck(g, cache, {"x"})
    assert run.run(seconds=0.0) is None  # x done, the chain after it not yet
    waiting, carried = run.left()
    assert waiting == {"relu_1"} and carried == {"x"}
    g.remove_edge(g.in_edges("add")[1])
    g.add_edge("s1", "add", 0, 1)  # s1 comes after "add" in the kept order, and cannot move: a new sort
    report = ShapeCheck(g, cache, waiting | {"add"}, carried).run()
    assert cache[STATE].order is not None  # it was the full walk
    assert same(report, check(g)) and report.output_shape(prev) == (3, 8)
    assert {"x", prev} <= report.changed
