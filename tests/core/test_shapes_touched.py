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
from netbuilder.core.shapes import _STATE, check, kept_order, touched_by
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
        kept = cache.get(_STATE)
        now = check(graph, cache=cache, touched=set(touched))
        incremental += kept is not None and cache.get(_STATE) is kept and kept.order is None
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


def test_a_long_chain_edit_visits_only_what_it_reaches(monkeypatch):
    from netbuilder.core import shapes

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
