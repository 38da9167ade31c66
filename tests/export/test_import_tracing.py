"""`netbuilder import` of forwards torch.fx cannot trace symbolically: the fallbacks, what they report,
slicing/readouts as Split nodes, a VAE's reparameterize as Sampling, and a message for each refusal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from real_models import models_tracing as mt

from netbuilder.cli import main
from netbuilder.core.io import load_graph
from netbuilder.interchange.fx_import import ModuleImportError, import_module

MODELS = Path(mt.__file__)

CASES = [
    # module, input shapes, dtypes, node types that must appear, words of the tracing path
    (mt.DCGANGenerator, [[8, 1, 1]], None, {"ConvTranspose2d", "BatchNorm2d", "Tanh"},
     "torch.fx with concrete values (plain fx failed: TraceError"),
    (mt.HalfSequenceHead, [[4, 6]], None, {"Split", "Flatten", "Linear"},
     "plain fx failed: RuntimeError: 'len' is not supported in symbolic tracing by default. If you want this call "
     "to be recorded, please call torch.fx.wrap('len') at module scope; decided on the example batch: "
     "`x.dim() != 3` is False)"),
    (mt.CropSkip, [[1, 8, 8]], None, {"Split", "Concat"}, "torch.fx"),
    (mt.ViTReadout, [[3, 8]], None, {"Parameter", "Split", "Flatten", "TransformerEncoderLayer"}, "torch.fx"),
    (mt.VAE, [[1, 8, 8]], None, {"Sampling", "Flatten", "Sigmoid"}, "torch.fx"),
    (mt.BatchFirstLM, [[5]], ["int64"], {"Embedding", "LSTM", "LogSoftmax"},
     "torch.fx with concrete arguments hidden=None (a recurrent state passed as None starts from zeros)"),
    (lambda: mt.BatchFirstLM("GRU"), [[5]], ["int64"], {"GRU"}, "concrete arguments hidden=None"),
    (mt.CausalLM, [[6]], ["int64"], {"TransformerEncoderLayer"}, "torch.fx with concrete arguments has_mask=True"),
    (lambda: mt.CausalLM(torch_mask=False), [[6]], ["int64"], {"TransformerEncoderLayer"}, "has_mask=True"),
    (mt.MaskedSelfAttention, [[5, 8]], None, {"MultiheadAttention"}, "torch.fx"),
    (mt.EncoderStackLM, [[6]], ["int64"], {"TransformerEncoderLayer", "LayerNorm"}, "torch.fx"),
]


@pytest.mark.parametrize(("make", "shapes", "dtypes", "types", "path"), CASES,
                         ids=["dcgan", "len", "crop", "vit_readout", "vae", "lm_lstm", "lm_gru", "causal_lm",
                              "causal_lm_log_tril", "causal_buffer", "encoder_stack"])
def test_untraceable_public_styles_import_exactly(make, shapes, dtypes, types, path):
    module = make()
    result = import_module(module, shapes, input_dtypes=dtypes)
    assert result.complete, result.report()
    assert result.notes == [], result.report()
    assert types <= {n.type for n in result.graph}, result.report()
    assert path in result.traced_with
    assert result.report().startswith(f"traced with {result.traced_with}\n")
    assert result.imported_params == result.original_params == sum(p.numel() for p in module.parameters())
    assert result.max_abs_diff is not None and result.max_abs_diff <= 1e-5, result.report()


@pytest.mark.parametrize(("make", "shapes", "dtypes"), [
    (mt.CausalLM, [[6]], ["int64"]), (mt.MaskedSelfAttention, [[5, 8]], None)])
def test_a_square_subsequent_mask_becomes_the_causal_option(make, shapes, dtypes):
    result = import_module(make(), shapes, input_dtypes=dtypes)
    layers = [n for n in result.graph if n.type in ("TransformerEncoderLayer", "MultiheadAttention")]
    assert [n.params["causal"] for n in layers] == [True]
    assert len(result.graph) == (6 if make is mt.CausalLM else 3)  # the mask's operations are not nodes


class _OtherMask(torch.nn.Module):
    def __init__(self, mask):
        super().__init__()
        self.layer = torch.nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
        self.register_buffer("mask", mask)

    def forward(self, x):
        return self.layer(x, src_mask=self.mask)


@pytest.mark.parametrize("mask", [torch.ones(5, 5, dtype=torch.bool).tril(-1), torch.zeros(5, 5),
                                  torch.ones(5, 5, dtype=torch.bool).triu(2)], ids=["anti", "zeros", "band"])
def test_any_other_mask_is_refused_by_name(mask):
    result = import_module(_OtherMask(mask), [[5, 8]])
    assert [(s.node, s.reason) for s in result.skipped] == [
        ("layer", "called with a src_mask that is not the causal (square subsequent) mask (NetBuilder's attention "
         "layers take only a causal option)")]


def test_an_encoder_stack_is_one_node_per_layer_then_its_norm():
    result = import_module(mt.EncoderStackLM(), [[6]], input_dtypes=["int64"])
    stack = [(nid, n.type, n.params.get("causal")) for nid, n in result.graph.nodes.items() if "encoder" in nid]
    assert stack == [("encoder_layers_0", "TransformerEncoderLayer", True),
                     ("encoder_layers_1", "TransformerEncoderLayer", True), ("encoder_norm", "LayerNorm", None)]
    assert result.sources["encoder_layers_1"] == "encoder.layers.1"


@pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")  # nn.Transformer's own, seq-first layers
def test_the_word_language_model_transformer_names_its_two_unsupported_parts():
    module = mt.TransformerModel()
    result = import_module(module, [[4]], input_dtypes=["int64"])
    assert "`len(src)` used as 2" in result.traced_with and "has_mask=True" in result.traced_with
    assert [n.params["causal"] for n in result.graph if n.type == "TransformerEncoderLayer"] == [True, True]
    reasons = {s.node: s.reason for s in result.skipped}
    assert set(reasons) == {"mul", "_tensor_constant1"}, result.report()
    assert "combines a tensor with a constant (2.828" in reasons["mul"]  # * math.sqrt(ninp)
    assert "fixed tensor of shape 2×1×8 computed while tracing" in reasons["_tensor_constant1"]  # pe[:len]
    assert module.src_mask is None and not hasattr(module, "_tensor_constant0")  # the module is left as it was


def test_the_dcgan_branch_is_decided_on_the_example_batch_and_named():
    result = import_module(mt.DCGANGenerator(ngpu=2), [[8, 1, 1]])  # ngpu > 1, but the example is on the CPU
    assert "decided on the example batch: `input.is_cuda` is False" in result.traced_with
    assert "DataParallel" not in {n.type for n in result.graph} and result.max_abs_diff == 0.0


def test_plain_fx_is_used_when_it_works_and_the_slices_are_exact_splits():
    result = import_module(mt.CropSkip(), [[1, 8, 8]])
    assert result.traced_with == "torch.fx"
    splits = [n.params["split_size_or_sections"] for n in result.graph if n.type == "Split"]
    assert splits == [[1, 6, 1], [1, 6, 1]]  # 8 → 6 in dim 2, then in dim 3
    readout = import_module(mt.ViTReadout(), [[3, 8]])
    (split_id,) = [nid for nid, n in readout.graph.nodes.items() if n.type == "Split"]
    split = readout.graph.nodes[split_id]
    assert split.params == {"split_size_or_sections": [1, 3], "dim": 1}
    (flat,) = [nid for nid, n in readout.graph.nodes.items() if n.type == "Flatten"]  # (1, 8) → (8,)
    assert [(e.src, e.src_port) for e in readout.graph.edges if e.dst == flat] == [(split_id, 0)]


def test_the_vae_samples_like_the_original():
    module = mt.VAE()
    result = import_module(module, [[1, 8, 8]])
    (sampling,) = [nid for nid, n in result.graph.nodes.items() if n.type == "Sampling"]
    assert result.graph.nodes[sampling].params["sample_in_eval"] is True  # the original samples in eval too
    assert sorted(e.src for e in result.graph.edges if e.dst == sampling) == ["fc21", "fc22"]
    assert len([n for n in result.graph if n.type == "Output"]) == 3  # decode(z), mu, logvar


def test_the_word_language_model_lists_what_it_cannot_represent_by_name():
    result = import_module(mt.RNNModel(), [[5]], input_dtypes=["int64"])
    assert "concrete arguments hidden=None" in result.traced_with
    reasons = "\n".join(str(s) for s in result.skipped)
    assert "self.rnn (nn.LSTM): batch_first=False" in reasons
    assert "view: tensor.view(...) — reshapes across the batch dimension" in reasons
    assert "output_2: return value 2 — uses rnn's hidden state" in reasons


def test_a_branch_on_tensor_values_is_refused_by_name():
    with pytest.raises(ModuleImportError, match=r"`self\.fc\(x\)\.mean\(\)\.item\(\) > 0` decides a Python branch "
                                                r"from tensor values"):
        import_module(mt.ValueBranch(), [[4]])


class _BatchBranch(torch.nn.Module):
    def __init__(self, read):
        super().__init__()
        self.read = read

    def forward(self, x):
        return x if self.read(x) > 1 else -x


@pytest.mark.parametrize(("read", "text"), [(lambda x: x.size(0), "x.size(0) > 1"), (lambda x: len(x), "len(x) > 1"),
                                            (lambda x: x.shape[0], "x.shape[0] > 1")], ids=["size", "len", "shape"])
def test_a_branch_on_the_batch_size_is_refused_by_name(read, text):
    with pytest.raises(ModuleImportError, match=re.escape(f"`{text}` decides a Python branch from the batch size")):
        import_module(_BatchBranch(read), [[4]])


class _Loop(torch.nn.Module):  # a loop over a fixed size unrolls on the example
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 3)

    def forward(self, x):
        for _ in range(x.size(1) - 1):
            x = self.fc(x)
        return x


class _IntOfValues(torch.nn.Module):
    def forward(self, x):
        return x * int(x.sum())


class _TwoInputs(torch.nn.Module):
    def forward(self, x, y):
        return x + y


def test_a_loop_over_a_fixed_size_is_unrolled_and_named():
    result = import_module(_Loop(), [[3]])
    assert "`x.size(1) - 1` used as 2" in result.traced_with
    assert [n.shares for n in result.graph if n.type == "Linear"] == [None, "fc"]  # one layer called twice
    assert result.complete and result.max_abs_diff is not None and result.max_abs_diff <= 1e-6


def test_untraceable_forwards_give_both_reasons():
    with pytest.raises(ModuleImportError, match=r"torch.fx cannot trace _IntOfValues.forward: TypeError: .*; "
                                                r"tracing with the example batch failed too: TypeError"):
        import_module(_IntOfValues(), [[3]])
    with pytest.raises(ModuleImportError, match=r"\(with y=None: forward takes more arguments than the input "
                                                r"shapes given\)"):
        import_module(_TwoInputs(), [[3]])


class _Index(torch.nn.Module):
    def __init__(self, key):
        super().__init__()
        self.key = key
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return self.fc(x)[self.key]


@pytest.mark.parametrize(("key", "message"), [
    ((slice(None), slice(None, None, 2)), r"indexes dim 1 with \[::2\]"),
    ((0,), r"indexes the batch dimension \(\[0\]\)"),
    ((slice(None), None), r"indexes a tensor with \[:, None\]"),
    ((Ellipsis, 0), r"indexes a tensor with \[Ellipsis, 0\]"),
    ((slice(None), slice(2, 2)), r"takes an empty slice of dim 1"),
    ((slice(None), 0), r"\[:, 0\] selects one number per sample"),
])
def test_each_unsupported_index_has_a_message(key, message):
    result = import_module(_Index(key), [[4]])
    assert not result.complete
    assert any(s.node == "getitem" and re.search(message, s.reason) for s in result.skipped), result.report()


class _HalfUsed(torch.nn.Module):  # 0.5 * logvar outside a reparameterisation
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)

    def forward(self, x):
        return torch.exp(0.5 * self.fc(x))


def test_parts_of_a_reparameterisation_used_elsewhere_are_named():
    result = import_module(_HalfUsed(), [[4]])
    assert any("std = exp(0.5·logvar) (NetBuilder computes it only inside a Sampling node" in s.reason
               for s in result.skipped), result.report()


def test_the_command_line_says_which_path_was_used(tmp_path, capsys):
    out = tmp_path / "dcgan.json"
    code = main(["import", f"{MODELS}:DCGANGenerator", "--input-shape", "8,1,1", "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "traced with torch.fx with concrete values" in captured.out and "is_cuda` is False" in captured.out
    assert "outputs match the original" in captured.out
    assert load_graph(out).nodes_of_type("ConvTranspose2d")
    code = main(["import", f"{MODELS}:BatchFirstLM", "--input-shape", "5", "--input-dtype", "int64",
                 "-o", str(tmp_path / "lm.json")])
    assert code == 0 and "traced with torch.fx with concrete arguments hidden=None" in capsys.readouterr().out
