"""Property test: random sequences of every editing verb against the real
window (offscreen), seeded and deterministic. After every undo/redo the graph
is the one recorded at that step; after each sequence undo-all gives the
original file, redo-all the pre-undo file, save → load is identity, the canvas
shows the graph, and no exception reached Qt (see editor_fuzz.py).

benchmarks/long_random_edits.py runs the same driver for millions of edits."""

from __future__ import annotations

import pytest
from editor_fuzz import Fuzzer
from gui_helpers import small_graph

from netbuilder.core.graph import Graph

SEEDS = (1, 2, 3, 4)
SEQUENCES, LENGTH = 25, 100  # 4 seeds × 25 × 100 = 10,000 edits in CI; more: benchmarks/long_random_edits.py


def concat_graph() -> Graph:
    """Merges with several inputs and a group: num_inputs edits drop edges."""
    g = Graph(name="merge")
    g.add_node("Input", {"shape": [8]}, pos=(0, 0), id="x")
    for i in range(3):
        g.add_node("Linear", {"out_features": 4}, pos=(220, 120 * i), id=f"fc{i}")
        g.add_edge("x", f"fc{i}")
    g.add_node("Concat", {"num_inputs": 3}, pos=(440, 0), id="cat")
    for i in range(3):
        g.add_edge(f"fc{i}", "cat", 0, i)
    g.add_node("Output", pos=(660, 0), id="y")
    g.add_edge("cat", "y")
    g.add_group(["fc0", "fc1"], "pair")
    return g


def bases() -> list:
    from netbuilder.presets import load_preset

    return [small_graph, concat_graph, lambda: load_preset("mlp_iris"), lambda: Graph(name="empty")]


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_random_edit_sequences_undo_redo_and_save_exactly(make_window, seed):
    window = make_window(small_graph())
    fuzzer = Fuzzer(window, seed, bases())
    assert fuzzer.run(SEQUENCES, LENGTH) == SEQUENCES * LENGTH
