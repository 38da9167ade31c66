"""Issue 14's layers against PyTorch's own modules: parameter counts and
state_dict keys, numbers, broadcasting, and the ViT / one-to-many patterns."""

from __future__ import annotations

import pytest
import torch
from core_cases import ALL_CASES, build_case_graph
from core_helpers import chain, input_tensors

from netbuilder.core import modules as nb
from netbuilder.core.compile import compile_graph
from netbuilder.core.graph import Graph
from netbuilder.core.shapes import check
from netbuilder.interchange.codegen import class_name, generate_code

NEW = {"Hardswish", "Hardsigmoid", "Mish", "PReLU", "GroupNorm", "InstanceNorm2d", "StochasticDepth", "Permute",
       "Transpose", "ChannelShuffle", "RepeatVector", "MatMul", "Parameter", "MultiheadAttention",
       "TransformerEncoderLayer", "TransformerDecoderLayer"}


@pytest.mark.parametrize("make, ours", [
    (lambda: torch.nn.MultiheadAttention(8, 2, batch_first=True), lambda: nb.MultiheadAttention(8, 2)),
    (lambda: torch.nn.MultiheadAttention(8, 2, kdim=5, vdim=3, bias=False),
     lambda: nb.MultiheadAttention(8, 2, kdim=5, vdim=3, bias=False)),
    (lambda: torch.nn.TransformerEncoderLayer(8, 2, 16, batch_first=True),
     lambda: nb.TransformerEncoderLayer(8, 2, 16)),
    (lambda: torch.nn.TransformerDecoderLayer(8, 2, 16, bias=False), lambda: nb.TransformerDecoderLayer(8, 2, 16,
                                                                                                        bias=False)),
])
def test_state_dicts_equal_pytorchs_own_modules(make, ours):
    theirs, mine = make(), ours()
    assert {k: v.shape for k, v in theirs.state_dict().items()} == {k: v.shape for k, v in mine.state_dict().items()}


def test_causal_attention_equals_pytorch_with_the_square_subsequent_mask():
    torch.manual_seed(0)
    mine = nb.MultiheadAttention(8, 2, causal=True).eval()
    ref = torch.nn.MultiheadAttention(8, 2, batch_first=True).eval()
    ref.load_state_dict(mine.state_dict())
    x = torch.randn(3, 5, 8)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(5)
    assert torch.allclose(mine(x), ref(x, x, x, attn_mask=mask, need_weights=False)[0], atol=1e-6)
    early = mine(x[:, :3])  # causal: the first steps never see the later ones
    assert torch.allclose(early, mine(x)[:, :3], atol=1e-6)


def test_causal_encoder_layer_equals_pytorch_with_a_mask():
    torch.manual_seed(0)
    mine = nb.TransformerEncoderLayer(8, 2, 16, dropout=0.0, causal=True).eval()
    ref = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True).eval()
    ref.load_state_dict(mine.state_dict())
    x = torch.randn(2, 4, 8)
    mask = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert torch.allclose(mine(x), ref(x, src_mask=mask), atol=1e-5)


def test_channel_shuffle_equals_nn_channel_shuffle():
    x = torch.randn(2, 6, 3, 3)
    assert torch.equal(nb.ChannelShuffle(3)(x), torch.nn.ChannelShuffle(3)(x))


def test_stochastic_depth_drops_whole_rows_in_training_and_is_identity_in_eval():
    torch.manual_seed(0)
    layer = nb.StochasticDepth(0.5, "row")
    x = torch.ones(200, 4)
    y = layer(x)
    kept = y[:, 0] != 0
    assert torch.equal(y[kept], torch.full_like(y[kept], 2.0)) and torch.all(y[~kept] == 0)
    assert 50 < kept.sum() < 150
    batch = nb.StochasticDepth(0.5, "batch")(x)
    assert torch.all(batch == 0) or torch.all(batch == 2)
    assert torch.equal(layer.eval()(x), x)


def test_squeeze_and_excite_broadcasts_and_mismatches_are_named():
    g = Graph()
    g.add_node("Input", {"shape": [32, 1, 1]}, id="gate")
    g.add_node("Input", {"shape": [32, 112, 112]}, id="x")
    g.add_node("Multiply", id="se")
    g.add_edge("gate", "se", 0, 0)
    g.add_edge("x", "se", 0, 1)
    g.add_node("Output", id="out")
    g.add_edge("se", "out")
    assert check(g).nodes["se"].outputs == [(32, 112, 112)]
    gate, x = torch.randn(2, 32, 1, 1), torch.randn(2, 32, 112, 112)
    assert torch.equal(compile_graph(g)(gate, x), gate * x)
    g.set_params("gate", {"shape": [32, 2, 1]})
    assert "dim 2 is 2 vs 112" in check(g).nodes["se"].message
    g.set_params("gate", {"shape": [112, 112]})
    assert "line the batch" in check(g).nodes["se"].message


def test_permute_and_transpose_keep_the_batch_first():
    assert "must start with 0" in check(chain(("Permute", {"dims": [1, 0, 2]}), shape=(3, 4))).nodes["l1"].message
    assert "batch" in check(chain(("Transpose", {"dim0": 0, "dim1": 1}), shape=(3, 4))).nodes["l1"].message


def test_matmul_checks_inner_sizes():
    g = Graph()
    g.add_node("Input", {"shape": [3, 4]}, id="a")
    g.add_node("Input", {"shape": [5, 2]}, id="b")
    g.add_node("MatMul", id="mm")
    g.add_edge("a", "mm", 0, 0)
    g.add_edge("b", "mm", 0, 1)
    assert "4 columns but other 5×2 has 5 rows" in check(g).nodes["mm"].message


def test_vit_class_token_and_position_embedding():
    """cat(cls.expand(B, -1, -1), x) and x + pos_embedding."""
    g = Graph(name="vit stem")
    g.add_node("Input", {"shape": [4, 6]}, id="patches")
    g.add_node("Parameter", {"shape": [1, 6], "init": "zeros"}, id="cls")
    g.add_node("Concat", {"dim": 1}, id="cat")
    g.add_node("Parameter", {"shape": [5, 6]}, id="pos")
    g.add_node("Add", id="add")
    g.add_node("Output", id="out")
    g.add_edge("patches", "cls")
    g.add_edge("cls", "cat", 0, 0)
    g.add_edge("patches", "cat", 0, 1)
    g.add_edge("cat", "pos")
    g.add_edge("cat", "add", 0, 0)
    g.add_edge("pos", "add", 0, 1)
    g.add_edge("add", "out")
    gm = compile_graph(g)
    assert gm.state_dict()["cls.weight"].shape == (1, 1, 6) and gm.state_dict()["pos.weight"].shape == (1, 5, 6)
    x = torch.randn(3, 4, 6)
    cls, pos = gm.cls.weight, gm.pos.weight
    assert torch.equal(gm(x), torch.cat([cls.expand(3, -1, -1), x], dim=1) + pos)
    gm(x).sum().backward()
    assert torch.equal(gm.pos.weight.grad, torch.full((1, 5, 6), 3.0))  # summed over the batch


def test_repeat_vector_feeds_a_one_to_many_rnn():
    g = chain(("RepeatVector", {"n": 5}), ("LSTM", {"hidden_size": 3, "return_sequences": True}), shape=(4,))
    assert check(g).nodes["l2"].outputs == [(5, 3)]
    out = compile_graph(g)(torch.randn(2, 4))
    assert out.shape == (2, 5, 3)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ALL_CASES if c.type in NEW])
def test_generated_code_equals_the_compiled_graph(case, tmp_path):
    graph = build_case_graph(case)
    source = generate_code(graph)
    ns: dict = {"__name__": "gen"}
    exec(compile(source, str(tmp_path / "gen.py"), "exec"), ns)
    model = ns[class_name(graph)]()
    gm = compile_graph(graph).eval()
    model.load_state_dict(gm.state_dict())
    inputs = input_tensors(graph)
    expected, got = gm(*inputs), model.eval()(*inputs)
    assert torch.equal(expected, got)


def test_a_fixed_parameter_is_a_buffer_saved_with_the_weights_and_never_trained():
    from netbuilder.core.summary import summary
    from netbuilder.interchange.fx_import import import_module

    g = chain(("Parameter", {"shape": [3], "init": "ones", "trainable": False}), shape=(3,))
    model = compile_graph(g)
    assert list(model.parameters()) == [] and list(model.state_dict()) == ["l1.weight"]
    assert {r.node: r.params for r in summary(g, check(g)).rows}["l1"] == 0  # a constant is no parameter
    assert torch.equal(model(torch.zeros(2, 3)), torch.ones(2, 3))
    model.load_state_dict({"l1.weight": torch.full((1, 3), 2.0)})  # loads like a weight (imported constants)
    assert torch.equal(model(torch.zeros(1, 3)), torch.full((1, 3), 2.0))
    back = import_module(model, [[3]])  # the compiled module imports back as a fixed Parameter
    assert [n.params.get("trainable") for n in back.graph if n.type == "Parameter"] == [False]
