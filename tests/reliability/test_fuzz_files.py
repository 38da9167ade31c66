"""Loader fuzz (CI part): malformed files load or fail with a clear GraphFileError.

Every case must end in a loaded graph (which then checks, compiles and runs,
or reports why not) or a GraphFileError whose message starts with the file
and names the node, edge or field — never another exception, never a hang.
tests/reliability/fuzz_long.py runs the same on many more cases.
"""

from __future__ import annotations

import collections
import json
import os
from pathlib import Path

import pytest
from reliability_check import load_case, time_limit
from reliability_files import BAD_VALUES, MUTATIONS, dump, hints_for, json_paths, malformed_cases, set_at

from netbuilder.core.io import MAX_DEPTH, GraphFileError, load_graph

PRESETS = Path(__file__).resolve().parents[2] / "presets"
N_FILES = int(os.environ.get("NB_FUZZ_FILES", "1000"))

SMALL = {
    "format": "netbuilder-graph", "version": 1, "name": "small", "description": "",
    "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [1, 8, 8], "dtype": "float32"}, "pos": [0, 0]},
        {"id": "conv", "type": "Conv2d", "params": {"out_channels": 2, "kernel_size": [3, 3]}, "pos": [1, 0]},
        {"id": "cat", "type": "Concat", "params": {"num_inputs": 2, "dim": 1}, "pos": [2, 0]},
        {"id": "flat", "type": "Flatten", "params": {}, "pos": [3, 0]},
        {"id": "fc", "type": "Linear", "params": {"out_features": 3}, "pos": [4, 0]},
        {"id": "y", "type": "Output", "params": {}, "pos": [5, 0]},
    ],
    "edges": [{"src": "x", "dst": "conv"}, {"src": "conv", "dst": "cat"},
              {"src": "conv", "dst": "cat", "dst_port": 1}, {"src": "cat", "dst": "flat"},
              {"src": "flat", "dst": "fc"}, {"src": "fc", "dst": "y"}],
    "training": {"dataset": "digits", "lr": 0.01},
}


def _run(cases, tmp_path: Path) -> tuple[collections.Counter, list[str]]:
    outcomes: collections.Counter = collections.Counter()
    failures = []
    for label, raw, hints in cases:
        try:
            with time_limit(15):
                outcomes[load_case(tmp_path / "graph.json", raw, hints).split(",")[0]] += 1
        except Exception as exc:  # noqa: BLE001 - any other exception is the failure we look for
            failures.append(f"{label}: {type(exc).__name__}: {str(exc)[:300]}")
    return outcomes, failures


def test_generated_malformed_files_load_or_fail_clearly(tmp_path):
    bases = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(PRESETS.glob("*.json"))[:6]]
    cases = list(malformed_cases(seed=20240611, count=N_FILES, bases=bases))
    assert len(cases) >= len(MUTATIONS)  # every kind of damage comes up at least once
    outcomes, failures = _run(cases, tmp_path)
    assert not failures, "\n".join(failures[:20])
    assert outcomes["refused"] > 0 and sum(outcomes.values()) == len(cases)


def _every_field_cases():
    for path in list(json_paths(SMALL))[1:]:
        for value in BAD_VALUES:
            doc = json.loads(json.dumps(SMALL))
            set_at(doc, path, value)
            yield f"{'/'.join(map(str, path))} = {str(value)[:20]}", dump(doc), hints_for(path)


def test_every_field_with_every_wrong_value(tmp_path):
    cases = list(_every_field_cases())
    outcomes, failures = _run(cases, tmp_path)
    assert not failures, "\n".join(failures[:20])
    assert outcomes["refused"] > len(cases) // 2


@pytest.mark.parametrize(("content", "words"), [
    (b"", "invalid JSON"),
    (b"\xef\xbb\xbf", "invalid JSON"),
    (b"   \n", "invalid JSON"),
    (b'{"nodes": [', "invalid JSON at line 1"),
    (b"\xff\xfe{\x00}\x00", "not UTF-8"),
    ('{"name": "é"}'.encode("latin-1"), "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (b'{"nodes": [], "training": ' + b"[" * 200 + b"]" * 200 + b"}", f"more than {MAX_DEPTH} levels"),
    (b'{"nodes": [{"id": "x", "type": "Input", "params": {"shape": [1' + b"0" * 400 + b']}}]}',
     "nodes[0] (id 'x'): node 'x' (Input): shape must be ≤ 1000000000, got a number with about 401 digits"),
    (b'{"nodes": [{"id": "x", "type": "Input", "params": {"shape": [1' + b"0" * 5000 + b']}}]}', "digits"),
    (b'{"nodes": [{"id": "x", "type": "Input", "params": {"shape": [NaN]}}]}', "shape"),
    (b'{"nodes": [{"id": "x", "type": "Linear", "params": {"out_features": 1e400}}]}', "out_features"),
    (b'{"nodes": [{"id": "x", "type": "Linear", "params": {"out_features": -3}}]}', "out_features must be ≥ 1"),
    (b'{"nodes": [{"id": "x", "type": "Conv2d", "params": {"kernel_size": ' + b"9" * 30 + b'}}]}',
     "kernel_size must fit in 64 bits"),
    (b'{"nodes": [{"id": "x", "type": "Conv3d"}]}', "unknown layer type 'Conv3d'; did you mean"),
    (b'{"nodes": [{"id": "a", "type": "ReLU"}, {"id": "a", "type": "ReLU"}]}', "nodes[1] (id 'a')"),
    (b'{"nodes": [{"type": "ReLU"}]}', "nodes[0]: field 'id'"),
    (b'{"nodes": [{"id": "a", "type": "ReLU"}], "edges": [{"src": "a", "dst": "b"}]}', "no node with id 'b'"),
    (b'{"nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "ReLU"}], "edges": '
     b'[{"src": "a", "dst": "b"}, {"src": "b", "dst": "a"}]}', "edges[1] ('b' → 'a'): connecting b → a would make"),
    (b'{"nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "ReLU"}], "edges": '
     b'[{"src": "a", "dst": "b", "src_port": 3}]}', "has no output port 3"),
    (b'{"nodes": [{"id": "a", "type": "ReLU"}, {"id": "b", "type": "ReLU"}], "edges": '
     b'[{"src": "a", "dst": "b", "dst_port": true}]}', "'dst_port' must be an integer"),
    (b"[1, 2]", "expected a JSON object"),
    (b'{"format": "onnx"}', "not a NetBuilder graph"),
    (b'{"version": 7}', "newer than this NetBuilder"),
])
def test_special_files_are_refused_with_a_clear_message(tmp_path, content, words):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with time_limit(15), pytest.raises(GraphFileError) as info:
        load_graph(path)
    message = str(info.value)
    assert message.startswith(str(path)) and words in message, message
    assert len(message) < 1500


def test_a_long_chain_listed_backwards_loads_without_hanging(tmp_path):
    """Edges were cycle-checked one by one: O(n²), minutes for 30k nodes in
    reverse order. Now one check at the end (the limit is a hang guard)."""
    n = 30_000
    nodes = [{"id": "n0", "type": "Input", "params": {"shape": [4]}}]
    nodes += [{"id": f"n{i}", "type": "ReLU"} for i in range(1, n)]
    edges = [{"src": f"n{i}", "dst": f"n{i + 1}"} for i in range(n - 1)][::-1]
    path = tmp_path / "chain.json"
    path.write_text(json.dumps({"nodes": nodes, "edges": edges}))
    with time_limit(60):
        graph = load_graph(path)
    assert len(graph.edges) == n - 1 and graph.edges[0] == graph.edges[0].__class__("n29998", "n29999")
