"""`netbuilder check FILE [--json]`: the exact contract other tools rely on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cli_graphs import lenet, lenet_sequential

from netbuilder.cli import main
from netbuilder.core.shapes import check


def _check_json(capsys, path) -> tuple[int, dict]:
    code = main(["check", str(path), "--json"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1  # exactly one JSON object on one line
    return code, json.loads(out)


def test_json_contract_for_a_good_graph(capsys, lenet_file):
    code, data = _check_json(capsys, lenet_file)
    assert code == 0
    assert list(data) == ["ok", "errors", "nodes", "params", "budget"]
    assert data["ok"] is True and data["errors"] == []
    assert data["budget"] == {"ok": True, "batch_size": 1, "max_params": 1_000_000_000,
                              "max_activation_bytes": 64 * 1024**3}
    assert data["params"] == sum(p.numel() for p in lenet_sequential().parameters())
    graph = lenet()
    assert list(data["nodes"]) == graph.topological_order()
    report = check(graph)
    for node_id, info in data["nodes"].items():
        assert set(info) == {"type", "output_shape", "output_shapes"}
        assert info["type"] == graph.nodes[node_id].type
        assert info["output_shape"] == list(report.output_shape(node_id))
        assert info["output_shapes"] == [info["output_shape"]]
    assert data["nodes"]["conv2d_1"]["output_shape"] == [6, 28, 28]
    assert data["nodes"]["output_1"]["output_shape"] == [10]


def test_json_contract_for_shape_errors(capsys, broken_file):
    code, data = _check_json(capsys, broken_file)
    assert code == 1 and data["ok"] is False
    assert [e["node"] for e in data["errors"]] == ["conv2d_1"]
    assert set(data["errors"][0]) == {"node", "message"}
    assert "kernel 31 is larger than the padded input 28" in data["errors"][0]["message"]
    assert data["nodes"]["conv2d_1"] == {"type": "Conv2d", "output_shape": None, "output_shapes": []}
    assert data["nodes"]["relu_1"]["output_shape"] is None  # waiting, not an error of its own
    assert data["nodes"]["input_1"]["output_shape"] == [1, 28, 28]
    assert data["params"] == 0  # nothing downstream of the error can be counted


def test_variable_sizes_are_null(capsys, tmp_path):
    graph_file = tmp_path / "seq.json"
    graph_file.write_text(json.dumps({"format": "netbuilder-graph", "version": 1, "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [None, 8]}},
        {"id": "lstm", "type": "LSTM", "params": {"hidden_size": 4, "return_sequences": True}},
        {"id": "split", "type": "Chunk", "params": {"chunks": 2, "dim": 2}}],
        "edges": [{"src": "x", "dst": "lstm"}, {"src": "lstm", "dst": "split"}]}), encoding="utf-8")
    code, data = _check_json(capsys, graph_file)
    assert code == 0
    assert data["nodes"]["lstm"]["output_shape"] == [None, 4]
    assert data["nodes"]["split"]["output_shapes"] == [[None, 2], [None, 2]]


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b'{"nodes": [{"id": "a", "type": "Nope"}]}'])
def test_unreadable_files_exit_2_with_a_message(capsys, tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: ") and "bad.json" in captured.err
    assert "Traceback" not in captured.err
    code, data = _check_json(capsys, path)  # --json still prints one object
    assert code == 2 and data["ok"] is False and data["nodes"] == {} and data["params"] == 0
    assert list(data) == ["ok", "errors", "nodes", "params", "budget"]
    assert data["errors"][0]["node"] is None and "bad.json" in data["errors"][0]["message"]


def test_missing_file_exits_2(capsys, tmp_path):
    assert main(["check", str(tmp_path / "nope.json")]) == 2
    assert "cannot read the file" in capsys.readouterr().err


def test_human_readable_report(capsys, lenet_file, broken_file):
    assert main(["check", str(lenet_file)]) == 0
    out = capsys.readouterr().out
    params = sum(p.numel() for p in lenet_sequential().parameters())
    assert "conv2d_1" in out and "6×28×28" in out and f"OK: 14 nodes, {params:,} parameters" in out
    assert main(["check", str(broken_file)]) == 1
    out = capsys.readouterr().out
    assert "✗ conv2d_1" in out and "… relu_1" in out and "waiting for input" in out
    assert "FAILED: 14 nodes" in out and "error: conv2d_1: Conv2d: kernel 31" in out


def test_bad_arguments_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["check"])
    assert info.value.code == 2
    assert "usage: netbuilder check" in capsys.readouterr().err


def test_runs_as_a_subprocess_on_an_ascii_console(lenet_file):
    """The console script path; × and ✗ must not crash a console that cannot print them."""
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    done = subprocess.run([sys.executable, "-m", "netbuilder", "check", str(lenet_file)], capture_output=True,
                          env=env, check=False)
    assert done.returncode == 0, done.stderr
    assert b"OK: 14 nodes" in done.stdout and b"6?28?28" in done.stdout


def _chain_file(tmp_path, shape: list, *layers: tuple[str, dict]):
    nodes = [{"id": "x", "type": "Input", "params": {"shape": shape}}]
    nodes += [{"id": f"l{i}", "type": t, "params": p} for i, (t, p) in enumerate(layers, start=1)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"format": "netbuilder-graph", "version": 1, "nodes": nodes,
                                "edges": [{"src": a["id"], "dst": b["id"]} for a, b in zip(nodes, nodes[1:])]}),
                    encoding="utf-8")
    return path


def test_a_network_too_large_to_build_fails_the_check(capsys, tmp_path):
    """10^6 channels twice: the shapes fit, the 9·10^12 weights do not (counted on meta, nothing allocated)."""
    path = _chain_file(tmp_path, [1, 28, 28], ("Conv2d", {"out_channels": 10**6}), ("Conv2d", {"out_channels": 10**6}))
    code, data = _check_json(capsys, path)
    assert code == 1 and data["ok"] is False and data["budget"]["ok"] is False
    assert data["nodes"]["l2"]["output_shape"] == [10**6, 24, 24]  # shapes are still reported
    ((error,),) = [[e for e in data["errors"] if e["node"] == "l2"]]
    assert "l2 (Conv2d) needs 9,000,001,000,000 parameters" in error["message"]
    assert "NETBUILDER_MAX_PARAMS" in error["message"]
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "✗ l2" in out and "FAILED: 3 nodes, 9,000,011,000,000 parameters — too large to build" in out
    assert "error: l2 (Conv2d) needs 9,000,001,000,000 parameters" in out


def test_a_kernel_beyond_what_torch_can_describe_is_counted_as_more_than_2_63(capsys, tmp_path):
    path = _chain_file(tmp_path, [1, 28, 28], ("Conv2d", {"kernel_size": 10**9, "padding": 10**9}))
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "more than 9.2e18 parameters — too large to build" in out and "Traceback" not in out


def test_the_batch_size_and_the_environment_set_the_activation_budget(capsys, tmp_path, monkeypatch):
    path = _chain_file(tmp_path, [3, 64, 64], ("Conv2d", {"out_channels": 64, "padding": 1}))
    monkeypatch.setenv("NETBUILDER_MAX_ACTIVATION_BYTES", str(2 * 1024**2))  # 1 MB + 48 KB per sample fits
    code, data = _check_json(capsys, path)
    assert code == 0 and data["budget"] == {"ok": True, "batch_size": 1, "max_params": 1_000_000_000,
                                            "max_activation_bytes": 2 * 1024**2}
    assert main(["check", str(path), "--json", "--batch-size", "8"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["budget"]["ok"] is False and data["budget"]["batch_size"] == 8
    assert any("for a batch of 8" in e["message"] for e in data["errors"])
