"""`netbuilder summary FILE [--json]`: per-layer table and totals, counted from torch."""

from __future__ import annotations

import json
import re

import torch
from cli_graphs import lenet, lenet_sequential
from torch.utils.flop_counter import FlopCounterMode

from netbuilder.cli import main


def _torch_counts() -> tuple[int, int]:
    net = lenet_sequential()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        net(torch.zeros(1, 1, 28, 28))
    return sum(p.numel() for p in net.parameters()), counter.get_total_flops() // 2


def test_summary_json(capsys, lenet_file):
    assert main(["summary", str(lenet_file), "--json", "--batch-size", "4"]) == 0
    data = json.loads(capsys.readouterr().out)
    params, conv_linear_macs = _torch_counts()
    assert data["ok"] is True and data["batch_size"] == 4
    assert data["total_params"] == data["trainable_params"] == params
    assert data["param_bytes"] == 4 * params
    rows = {r["node"]: r for r in data["layers"]}
    assert [r["node"] for r in data["layers"]] == lenet().topological_order()
    assert set(data["layers"][0]) == {"node", "type", "output_shape", "params", "trainable", "macs",
                                      "activation_bytes"}
    assert rows["conv2d_1"]["output_shape"] == [6, 28, 28] and rows["conv2d_1"]["params"] == 6 * 25 + 6
    assert rows["conv2d_1"]["activation_bytes"] == 6 * 28 * 28 * 4 * 4  # float32, batch 4
    assert rows["input_1"]["activation_bytes"] == 0 and rows["input_1"]["params"] == 0
    counted = sum(rows[n]["macs"] for n in rows if rows[n]["type"] in ("Conv2d", "Linear"))
    assert counted == conv_linear_macs
    assert data["total_macs"] >= counted
    assert data["activation_bytes"] == sum(r["activation_bytes"] for r in data["layers"])


def test_summary_table(capsys, lenet_file):
    assert main(["summary", str(lenet_file)]) == 0
    out = capsys.readouterr().out
    params, _ = _torch_counts()
    header = out.splitlines()[0].split()
    assert header[:3] == ["Layer", "Type", "Output"] and "Params" in header and "MACs" in header
    assert re.search(r"^conv2d_1\s+Conv2d\s+6×28×28\s+156\s", out, re.M)
    assert f"Total params: {params:,}" in out and "Total MACs per sample:" in out


def test_summary_of_a_broken_graph(capsys, broken_file):
    assert main(["summary", str(broken_file)]) == 1
    out = capsys.readouterr().out
    assert "error: conv2d_1: Conv2d: kernel 31" in out


def test_summary_of_an_unreadable_file(capsys, tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[]", encoding="utf-8")
    assert main(["summary", str(path)]) == 2
    assert "expected a JSON object" in capsys.readouterr().err


def test_variable_sizes_are_noted_and_can_be_given(capsys, tmp_path, lenet_file):
    path = tmp_path / "seq.json"
    path.write_text(json.dumps({"format": "netbuilder-graph", "version": 1, "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [None, 8]}},
        {"id": "lstm", "type": "LSTM", "params": {"hidden_size": 16, "return_sequences": True}}],
        "edges": [{"src": "x", "dst": "lstm"}]}), encoding="utf-8")
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^lstm\s+LSTM\s+\?×16\s+1,664\s+1,536\s+64 B$", out, re.M)
    assert "MACs and memory count it as 1" in out and "--seq-len N" in out
    assert main(["summary", str(path), "--seq-len", "100", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    (lstm,) = [r for r in data["layers"] if r["node"] == "lstm"]
    assert data["variable_size"] == 100 and lstm["output_shape"] == [100, 16]
    assert lstm["macs"] == 100 * 1_536 and lstm["activation_bytes"] == 100 * 16 * 4
    assert main(["summary", str(lenet_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["variable_size"] is None



def test_sizes_beyond_what_torch_can_describe_read_as_words(capsys, tmp_path):
    """A kernel of 10^9 padded to fit: its weights are a lower bound (2^63), not a count to print digit by digit."""
    path = tmp_path / "huge.json"
    path.write_text(json.dumps({"format": "netbuilder-graph", "version": 1, "nodes": [
        {"id": "x", "type": "Input", "params": {"shape": [1, 28, 28]}},
        {"id": "c", "type": "Conv2d", "params": {"kernel_size": 10**9, "padding": 10**9}}],
        "edges": [{"src": "x", "dst": "c"}]}), encoding="utf-8")
    assert main(["summary", str(path)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^c\s+Conv2d\s+16×1000000029×1000000029\s+more than 9\.2e18\s+more than 9\.2e18\s+"
                     r"more than 8 EB$", out, re.M), out
    assert "9,223,372,036,854,775,808" not in out and "Total params: more than 9.2e18" in out
