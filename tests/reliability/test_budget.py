"""Very large values give a shape or budget error BEFORE anything is allocated.

A spy on ModuleCall.build records every module built outside the meta
device: a refused network must have built none (the budget counts on the
meta device, like the summary).
"""

from __future__ import annotations

import pytest

from netbuilder.core.budget import TOO_MANY, Budget, BudgetError, budget_problems, check_budget
from netbuilder.core.compile import compile_graph
from netbuilder.core.graph import Graph
from netbuilder.core.io import load_graph
from netbuilder.core.shapes import check
from netbuilder.core.summary import summary


def chain(shape: list, *layers: tuple[str, dict]) -> Graph:
    graph = Graph(name="big")
    graph.add_node("Input", {"shape": shape}, id="x")
    prev = "x"
    for i, (type_name, params) in enumerate(layers, start=1):
        graph.add_node(type_name, params, id=f"l{i}")
        graph.add_edge(prev, f"l{i}")
        prev = f"l{i}"
    graph.add_node("Output", id="y")
    graph.add_edge(prev, "y")
    return graph


def test_kernel_of_a_billion_is_a_shape_error(real_builds):
    graph = chain([1, 28, 28], ("Conv2d", {"kernel_size": 10**9}))
    report = check(graph)
    assert not report.ok
    ((node, message),) = report.errors
    assert node == "l1" and "kernel 1000000000 is larger than the padded input 28" in message
    with pytest.raises(Exception, match="shape errors"):
        compile_graph(graph)
    assert real_builds == []


@pytest.mark.parametrize(("shape", "layers", "culprit", "words"), [
    # shapes fit, the weights do not: 10^9 × 1000 × 40000² is beyond what torch can even describe
    ([1000, 40000, 40000], [("Conv2d", {"out_channels": 10**9, "kernel_size": 40000})], "l1",
     "more than 9.2e18 parameters"),
    # a kernel of 10^9 padded to fit: 16 × 10^18 weights, more than a 64-bit size
    ([1, 28, 28], [("Conv2d", {"kernel_size": 10**9, "padding": 10**9})], "l1", "more than 9.2e18 parameters"),
    # 10^6 channels twice: 9·10^12 weights in the second convolution
    ([1, 28, 28], [("Conv2d", {"out_channels": 10**6}), ("Conv2d", {"out_channels": 10**6})], "l2",
     "9,000,001,000,000 parameters"),
    ([10**9], [("Linear", {"out_features": 10**9})], "l1", "parameters"),
    ([1000], [("Linear", {"out_features": 10**6}), ("Linear", {"out_features": 10**4})], "l2", "parameters"),
    ([10**9, 10**9, 10**9], [("ReLU", {})], "x", "activation memory"),
    ([1, 28, 28], [("Upsample", {"scale_factor": 1e38})], "l1", "more than 8 EB"),
    ([5, 8], [("LSTM", {"hidden_size": 10**6, "num_layers": 64})], "l1", "parameters"),
    ([1, 28, 28], [("Flatten", {}), ("Encoder", {"sizes": [10**9, 10**9]})], "l2", "parameters"),
])
def test_huge_networks_are_refused_before_any_allocation(real_builds, shape, layers, culprit, words):
    graph = chain(shape, *layers)
    report = check(graph)
    assert report.ok, report.errors  # the shapes are fine: only the size is absurd
    summary(graph, report).table()  # the summary counts on the meta device and never raises
    problems = budget_problems(graph, report)
    assert culprit in [node for node, _ in problems]
    with pytest.raises(BudgetError) as info:
        compile_graph(graph, report=report)
    message = str(info.value)
    assert f"{culprit} ({graph.nodes[culprit].type})" in message and words in message, message
    assert "NETBUILDER_MAX_" in message  # says how to raise the limit
    assert real_builds == []


def test_an_input_of_a_billion_values_is_refused_for_a_training_batch(real_builds):
    graph = chain([10**9], ("Linear", {"out_features": 2}))  # 3.7 GB per sample: 238 GB for a batch of 64
    with pytest.raises(BudgetError, match=r"x \(Input\) needs an output of 238\.4 GB for a batch of 64"):
        compile_graph(graph, budget=Budget.from_env(batch_size=64))
    assert real_builds == []


def test_the_shipped_presets_fit_the_default_budget_with_their_batch_size():
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[2] / "presets").glob("*.json")):
        graph = load_graph(path)
        batch = Budget.from_env(batch_size=int(graph.training.get("batch_size", 64)))
        assert budget_problems(graph, budget=batch) == [], path.name


def test_a_module_too_large_to_describe_counts_as_too_many():
    graph = chain([1000, 40000, 40000], ("Conv2d", {"out_channels": 10**9, "kernel_size": 40000}))
    rows = {r.node: r for r in summary(graph).rows}
    assert rows["l1"].params == TOO_MANY


def test_the_total_is_limited_too_and_names_the_largest_node(real_builds):
    graph = chain([64], ("Linear", {"out_features": 100}), ("Linear", {"out_features": 300}),
                  ("Linear", {"out_features": 10}))
    budget = Budget(max_params=35_000)  # each layer fits alone (6,500 / 30,300 / 3,010): the sum does not
    with pytest.raises(BudgetError, match=r"needs 39,810 parameters in all, more than the parameters limit of 35,000; "
                                          r"the largest is l2 \(Linear\)"):
        compile_graph(graph, budget=budget)
    assert real_builds == []


def test_limits_come_from_the_environment(monkeypatch):
    graph = chain([1, 8, 8], ("Conv2d", {"out_channels": 4}), ("Flatten", {}), ("Linear", {"out_features": 10}))
    compile_graph(graph)  # 40 + 1,450 parameters: fine by default
    monkeypatch.setenv("NETBUILDER_MAX_PARAMS", "1000")
    with pytest.raises(BudgetError, match="l3 \\(Linear\\) needs 1,450 parameters"):
        compile_graph(graph)
    monkeypatch.setenv("NETBUILDER_MAX_PARAMS", "not a number")  # a typo falls back to the default
    compile_graph(graph)
    monkeypatch.setenv("NETBUILDER_MAX_ACTIVATION_BYTES", "100")
    with pytest.raises(BudgetError, match="activation memory"):
        compile_graph(graph)


def test_batch_size_multiplies_activations_and_meta_builds_skip_the_budget():
    graph = chain([3, 64, 64], ("Conv2d", {"out_channels": 64, "padding": 1}))
    per_sample = Budget(max_activation_bytes=2 * 1024**2)
    check_budget(graph, budget=per_sample)  # 1 MB + 48 KB for one sample
    with pytest.raises(BudgetError, match="for a batch of 8"):
        check_budget(graph, budget=Budget(max_activation_bytes=2 * 1024**2, batch_size=8))
    huge = chain([1, 28, 28], ("Conv2d", {"out_channels": 10**6}), ("Conv2d", {"out_channels": 10**6}))
    gm = compile_graph(huge, device="meta")  # counting on meta allocates nothing, so no budget
    assert sum(p.numel() for p in gm.parameters()) == 9_000_011_000_000
    compile_graph(chain([4], ("Linear", {"out_features": 2})), budget=Budget.unlimited())


def test_giant_numbers_in_a_file_are_refused_naming_the_field(tmp_path):
    path = tmp_path / "g.json"
    path.write_text('{"nodes": [{"id": "pool", "type": "MaxPool2d", "params": {"kernel_size": 1' + "0" * 400 + "}}]}")
    with pytest.raises(ValueError, match=r"nodes\[0\] \(id 'pool'\).*kernel_size must fit in 64 bits \(at most "
                                         r"9223372036854775807\), got a number with about 401 digits"):
        load_graph(path)


@pytest.mark.parametrize(("layer", "words"), [
    (("Conv2d", {"kernel_size": 10**9, "padding": 11 * 10**8}), "padded input 2200000028 along height is more than"),
    (("AvgPool2d", {"kernel_size": 2**62, "padding": 5}), "kernel_size 4611686018427387904 along height"),
    (("AvgPool1d", {"kernel_size": 2**31, "padding": 3}), "kernel_size 2147483648 along length"),
    (("AvgPool1d", {"kernel_size": 2, "stride": 2**31}), "stride 2147483648 along length"),
    (("MaxPool1d", {"kernel_size": 2, "dilation": 2**31 - 1, "padding": 1}), "dilated kernel d·(k−1)+1 2147483648"),
    (("Conv2d", {"kernel_size": 2**62, "dilation": 2**62}), "kernel_size 4611686018427387904"),
    (("Conv1d", {"kernel_size": 2**40}), "kernel_size 1099511627776 along length"),
])
def test_windows_beyond_32_bits_are_a_shape_error(layer, words):
    """PyTorch's pooling arithmetic is 32-bit: avg_pool1d raised 'cannot be converted to type int'
    and max_pool1d 'Invalid computed output size' where check() said ok (found by fuzz_long.py);
    sizes beyond a float raised OverflowError inside check() (math.ceil of a float division)."""
    report = check(chain([1, 28, 28] if "2d" in layer[0] else [1, 28], layer))
    assert not report.ok and report.errors[0][0] == "l1"
    assert words in report.errors[0][1] and "the largest size PyTorch" in report.errors[0][1]
