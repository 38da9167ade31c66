"""Random sequences of edits keep the Graph consistent (hypothesis state machine).

After every step: the per-node edge queries agree with the edge list, the
topological order is valid, no input port has two edges, every change emitted
exactly one event per revision, and the file round trip is identity.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.io import graph_from_dict, graph_to_dict
from netbuilder.core.shapes import check

_TYPES = st.sampled_from([("Input", {"shape": [4]}), ("ReLU", {}), ("Add", {"num_inputs": 3}), ("Concat", {}),
                          ("Chunk", {"chunks": 2}), ("Chunk", {"chunks": 3}), ("Output", {})])


class GraphEdits(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.graph = Graph()
        self.events = 0
        self.graph.subscribe(self._count)

    def _count(self, event) -> None:
        self.events += 1

    def _pick(self, data, pool):
        return data.draw(st.sampled_from(sorted(pool))) if pool else None

    @rule(kind=_TYPES)
    def add_node(self, kind):
        self.graph.add_node(kind[0], kind[1])

    @rule(data=st.data(), src_port=st.integers(0, 2), dst_port=st.integers(0, 2))
    def add_edge(self, data, src_port, dst_port):
        src, dst = self._pick(data, self.graph.nodes), self._pick(data, self.graph.nodes)
        if src is None:
            return
        before = list(self.graph.edges)
        try:
            self.graph.add_edge(src, dst, src_port, dst_port)
        except GraphError:
            assert self.graph.edges == before  # a refused edit changes nothing

    @rule(data=st.data())
    def remove_edge(self, data):
        if self.graph.edges:
            self.graph.remove_edge(data.draw(st.sampled_from(self.graph.edges)))

    @rule(data=st.data())
    def remove_node(self, data):
        node_id = self._pick(data, self.graph.nodes)
        if node_id is not None:
            touching = [e for e in self.graph.edges if node_id in (e.src, e.dst)]
            _, removed = self.graph.remove_node(node_id)
            assert removed == touching

    @rule(data=st.data(), n=st.integers(2, 4))
    def resize_ports(self, data, n):
        nodes = [nid for nid, node in self.graph.nodes.items() if node.type in ("Add", "Concat", "Chunk")]
        node_id = self._pick(data, nodes)
        if node_id is not None:
            key = "chunks" if self.graph.nodes[node_id].type == "Chunk" else "num_inputs"
            self.graph.set_params(node_id, {key: n})

    @rule()
    def reload(self):
        self.graph.replace_with(graph_from_dict(graph_to_dict(self.graph)))

    @invariant()
    def consistent(self):
        graph = self.graph
        assert graph.revision == self.events
        for node_id, node in graph.nodes.items():
            ins = [e for e in graph.edges if e.dst == node_id]
            assert graph.in_edges(node_id) == sorted(ins, key=lambda e: e.dst_port)
            assert graph.out_edges(node_id) == [e for e in graph.edges if e.src == node_id]
            assert len({e.dst_port for e in ins}) == len(ins)
            assert all(e.dst_port < len(node.input_ports()) for e in ins)
            assert all(e.src_port < len(node.output_ports()) for e in graph.out_edges(node_id))
        order = graph.topological_order()
        assert sorted(order) == sorted(graph.nodes)
        position = {nid: i for i, nid in enumerate(order)}
        assert all(position[e.src] < position[e.dst] for e in graph.edges)
        assert graph_to_dict(graph_from_dict(graph_to_dict(graph))) == graph_to_dict(graph)
        report = check(graph)
        assert set(report.nodes) == set(graph.nodes)


GraphEdits.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None, database=None)
test_graph_edit_sequences = GraphEdits.TestCase
