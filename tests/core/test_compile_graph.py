"""compile_graph: inputs in file order, tuple outputs, taps, errors, names."""

from __future__ import annotations

import pytest
import torch
from core_helpers import chain

from netbuilder.core.compile import CompileError, compile_graph, module_name, module_names, output_nodes
from netbuilder.core.graph import Graph


def _two_in_two_out() -> Graph:
    """b (5) and a (3) → Concat → Linear → out_main; a → out_raw. File order: a, b."""
    graph = Graph(name="two heads")
    graph.add_node("Input", {"shape": [3]}, id="a")
    graph.add_node("Input", {"shape": [5]}, id="b")
    graph.add_node("Concat", id="cat")
    graph.add_edge("b", "cat", 0, 0)
    graph.add_edge("a", "cat", 0, 1)
    graph.add_node("Linear", {"out_features": 2}, id="fc")
    graph.add_edge("cat", "fc")
    graph.add_node("Output", id="out_main")
    graph.add_node("Output", id="out_raw")
    graph.add_edge("fc", "out_main")
    graph.add_edge("a", "out_raw")
    return graph


def test_inputs_in_file_order_and_tuple_of_outputs():
    gm = compile_graph(_two_in_two_out())
    a, b = torch.randn(2, 3), torch.randn(2, 5)
    main, raw = gm(a, b)
    assert main.shape == (2, 2) and torch.equal(raw, a)
    fc = gm.get_submodule(gm.meta["netbuilder_modules"]["fc"])
    torch.testing.assert_close(main, fc(torch.cat([b, a], dim=1)))
    assert [n.target for n in gm.graph.nodes if n.op == "placeholder"] == ["a", "b"]
    assert type(gm).__name__ == "TwoHeads"


def test_single_output_is_a_tensor():
    out = compile_graph(chain("ReLU", shape=(4,)))(torch.randn(2, 4))
    assert isinstance(out, torch.Tensor)


def test_output_taps_read_hidden_nodes():
    graph = _two_in_two_out()
    graph.add_node("Chunk", {"chunks": 2}, id="split")
    graph.add_edge("fc", "split")
    gm = compile_graph(graph, outputs=["cat", "split:1", "out_main", "a"])
    a, b = torch.randn(2, 3), torch.randn(2, 5)
    cat, half, main, same = gm(a, b)
    assert cat.shape == (2, 8) and half.shape == (2, 1) and main.shape == (2, 2) and torch.equal(same, a)
    torch.testing.assert_close(half, main[:, 1:])
    (only,) = compile_graph(graph, outputs=["fc"])(a, b)  # one tap is still a tuple
    assert only.shape == (2, 2)


@pytest.mark.parametrize("ref,message", [
    ("ghost", "no node 'ghost'"), ("fc:3", "has no output port 3"), ("fc:x", "must be a number"),
])
def test_bad_output_refs(ref, message):
    with pytest.raises(CompileError, match=message):
        compile_graph(_two_in_two_out(), outputs=[ref])


def test_shape_errors_refuse_to_compile_and_say_why():
    graph = chain(("Conv2d", {"kernel_size": 7}), shape=(1, 4, 4))
    with pytest.raises(CompileError, match=r"shape errors — l1: Conv2d: kernel 7 is larger"):
        compile_graph(graph)
    with pytest.raises(CompileError, match="graph: the network has no Input node"):
        g = Graph()
        g.add_node("ReLU")
        compile_graph(g)


def test_without_output_nodes_the_sinks_are_outputs():
    graph = chain("ReLU", "Tanh", shape=(3,), output=False)
    assert output_nodes(graph) == ["l2"]
    assert compile_graph(graph)(torch.randn(2, 3)).shape == (2, 3)


def test_meta_device_builds_without_memory():
    gm = compile_graph(chain(("Linear", {"out_features": 10_000}), shape=(10_000,)), device="meta")
    assert all(p.device.type == "meta" for p in gm.parameters())


def test_train_and_eval_propagate_to_every_module():
    gm = compile_graph(chain(("Dropout", {}), ("BatchNorm1d", {}), shape=(4,)))
    gm.eval()
    assert not any(m.training for m in gm.modules())
    gm.train()
    assert all(m.training for m in gm.modules())


@pytest.mark.parametrize("node_id,name", [
    ("conv", "conv"), ("forward", "n_forward"), ("training", "n_training"), ("class", "n_class"),
    ("_hidden", "n__hidden"), ("compile", "n_compile"), ("state_dict", "n_state_dict"), ("a-b.c", "a_b_c"),
    ("9lives", "n_9lives"), ("", "node"),
])
def test_module_name_sanitising(node_id, name):
    assert module_name(node_id) == name


def test_reserved_names_cover_every_graph_module_attribute():
    from netbuilder.core import compile as compile_module

    public = {a for a in dir(torch.fx.GraphModule) if not a.startswith("_")}
    assert public <= compile_module._RESERVED, sorted(public - compile_module._RESERVED)


def test_colliding_module_names_are_made_unique():
    graph = Graph()
    graph.add_node("Input", {"shape": [2]}, id="forward")
    for node_id in ("n_forward", "eval", "n_eval", "n_eval_2"):
        graph.add_node("ReLU", id=node_id)
    graph.add_edge("forward", "n_forward")
    graph.add_edge("n_forward", "eval")
    graph.add_edge("eval", "n_eval")
    graph.add_edge("n_eval", "n_eval_2")
    names = module_names(graph)
    assert len(set(names.values())) == len(names)
    gm = compile_graph(graph)
    assert set(gm.meta["netbuilder_modules"]) == {"n_forward", "eval", "n_eval", "n_eval_2"}
    assert gm(torch.tensor([[-1.0, 2.0]])).tolist() == [[0.0, 2.0]]
    gm.eval()  # the method is still the method
