"""Every catalog type, Keras layer_test style: inferred shapes equal a real
forward pass (train and eval), the file round trip is identity, it compiles,
and summary's parameter and MAC counts agree with torch."""

from __future__ import annotations

import json
import warnings

import pytest
import torch
from core_cases import ALL_CASES, DEFAULT_INPUTS, NOT_VARIED, VARIED, Case, build_case_graph
from core_helpers import BATCH, as_tuple, compatible, input_tensors
from torch.utils.flop_counter import FlopCounterMode

from netbuilder.core.compile import compile_graph, output_nodes
from netbuilder.core.io import dumps, graph_from_dict, graph_to_dict
from netbuilder.core.shapes import check
from netbuilder.core.spec import all_specs, get_spec
from netbuilder.core.summary import count_params, summary

CASE_PARAMS = [pytest.param(c, id=c.id) for c in ALL_CASES]


def _compile(case: Case):
    graph = build_case_graph(case)
    report = check(graph)
    assert report.ok, report.errors
    with warnings.catch_warnings():
        if case.warns:
            warnings.filterwarnings("ignore", message=case.warns)
        return graph, report, compile_graph(graph, report=report)


def _forward(case: Case, gm, inputs, train: bool):
    gm.train(train)
    with warnings.catch_warnings():
        if case.warns:
            warnings.filterwarnings("ignore", message=case.warns)
        return as_tuple(gm(*inputs))


def _has_variable_dims(graph) -> bool:
    return any(s is None for n in graph.nodes_of_type("Input") for s in n.params["shape"])


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_inferred_shapes_equal_forward_shapes(case: Case):
    graph, report, gm = _compile(case)
    inferred = [report.nodes[o].outputs[0] for o in output_nodes(graph)]
    # the node's own ports agree with what its Outputs show
    assert inferred == report.nodes["layer"].outputs or case.type in ("Output",)
    high = case.params.get("num_embeddings", 5)
    for size in case.fill if _has_variable_dims(graph) else case.fill[:1]:
        inputs = input_tensors(graph, size=size, high=high)
        for train in (True, False):
            outs = _forward(case, gm, inputs, train)
            assert len(outs) == len(inferred)
            for out, shape in zip(outs, inferred):
                assert out.shape[0] == BATCH
                assert compatible(shape, tuple(out.shape[1:])), (
                    f"inferred {shape}, real {tuple(out.shape[1:])} (None dims = {size}, train={train})")
                if None not in shape:
                    assert tuple(out.shape[1:]) == shape


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_file_round_trip_is_identity(case: Case):
    graph = build_case_graph(case)
    data = graph_to_dict(graph)
    again = graph_from_dict(json.loads(json.dumps(data)))
    assert graph_to_dict(again) == data
    assert dumps(again) == dumps(graph)
    # every param is saved, normalised (lists, not tuples), defaults filled in
    saved = next(n for n in data["nodes"] if n["id"] == "layer")["params"]
    assert set(saved) == {p.name for p in get_spec(case.type).params}
    assert saved == json.loads(json.dumps(saved))


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_compiled_parameters_match_summary(case: Case):
    graph, report, gm = _compile(case)
    gm.graph.lint()
    assert "def forward" in gm.code
    real = sum(p.numel() for p in gm.parameters())
    assert count_params(graph, report) == real
    rows = {r.node: r for r in summary(graph, report).rows}
    assert rows["layer"].params == real
    assert rows["layer"].trainable == sum(p.numel() for p in gm.parameters() if p.requires_grad)


# MACs of the layers whose cost is all matrix products and convolutions can
# be counted independently by torch's FlopCounterMode (2 FLOPs per MAC).
_COUNTED = {"Linear", "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Encoder", "Decoder",
            "ConvEncoder", "ConvDecoder", "RBM"}


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ALL_CASES
                                  if c.type in _COUNTED and not any(None in s for s in c.inputs)])
def test_macs_match_torch_flop_counter(case: Case):
    graph, report, gm = _compile(case)
    inputs = input_tensors(graph)
    gm.eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad(), warnings.catch_warnings():
        if case.warns:
            warnings.filterwarnings("ignore", message=case.warns)
        gm(*inputs)
    macs = {r.node: r.macs for r in summary(graph, report).rows}["layer"]
    assert macs > 0
    assert 2 * BATCH * macs == counter.get_total_flops()


def test_every_catalog_type_has_cases():
    types = {s.type for s in all_specs()}
    missing_default = sorted(types - set(DEFAULT_INPUTS))
    assert not missing_default, f"add default input shapes for {missing_default} in tests/core/core_cases.py"
    missing_varied = sorted(types - {c.type for c in VARIED})
    assert not missing_varied, f"add parameter cases for {missing_varied} in tests/core/core_cases.py"
    assert not set(DEFAULT_INPUTS) - types, "core_cases lists a type the catalog no longer has"


def test_every_param_is_varied_somewhere():
    """Each declared param takes a non-default value in at least one case."""
    unvaried = []
    for spec in all_specs():
        for param in spec.params:
            if (spec.type, param.name) in NOT_VARIED:
                continue
            values = [c.params[param.name] for c in VARIED if c.type == spec.type and param.name in c.params]
            values += [c.dtype for c in VARIED if param.name == "dtype" and c.type == spec.type]
            if not any(v != param.default for v in values):
                unvaried.append(f"{spec.type}.{param.name}")
    assert not unvaried, f"no case sets these params to a non-default value: {unvaried}"
