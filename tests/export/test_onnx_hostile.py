"""ONNX files from strangers (issues 14 and 17): whatever the file holds, `netbuilder import`
ends quickly with one message naming the file and what is wrong — never a hang, a huge
allocation, a read outside the model's folder, or a traceback. Files are made here with
the onnx helper API."""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from netbuilder.cli import main
from netbuilder.interchange.onnx_import import OnnxImportError, import_onnx
from netbuilder.interchange.onnx_read import MAX_NODES

FLOAT = TensorProto.FLOAT


def _model(nodes, inits=(), ins=None, out_shape=("N", 3), opsets=(("", 17),), out="y"):
    ins = ins or [helper.make_tensor_value_info("x", FLOAT, ["N", 1, 4, 4])]
    graph = helper.make_graph(nodes, "g", ins, [helper.make_tensor_value_info(out, FLOAT, list(out_shape))],
                              list(inits))
    return helper.make_model(graph, opset_imports=[helper.make_opsetid(d, v) for d, v in opsets], ir_version=8)


def _good(**conv_attrs):
    """x (N×1×4×4) → Conv(pads 1) → Relu → Flatten → Gemm → y (N×3): a model that imports completely."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal(s).astype(np.float32), n)
             for n, s in (("W", (2, 1, 3, 3)), ("B", (2,)), ("W2", (3, 32)), ("B2", (3,)))]
    attrs = {"pads": [1, 1, 1, 1]} | conv_attrs
    nodes = [helper.make_node("Conv", ["x", "W", "B"], ["c"], name="conv", **attrs),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Flatten", ["r"], ["f"], name="flat"),
             helper.make_node("Gemm", ["f", "W2", "B2"], ["y"], name="fc", transB=1)]
    return _model(nodes, inits)


def _save(model, path: Path) -> Path:
    path.write_bytes(model.SerializeToString())
    return path


def _cli(path: Path, tmp_path: Path, capsys) -> tuple[int, str]:
    """Run `netbuilder import PATH`; returns (exit status, stderr + stdout); never a traceback, in seconds."""
    start = time.monotonic()
    rc = main(["import", str(path), "-o", str(tmp_path / "out.json")])
    captured = capsys.readouterr()
    text = captured.err + captured.out
    assert time.monotonic() - start < 10
    assert "Traceback" not in text and "please report" not in text, text
    assert len(text) < 20_000  # nothing from the file is echoed whole
    return rc, text


def test_the_well_formed_model_imports_completely(tmp_path, capsys):
    """The baseline every hostile variant below is made from."""
    rc, text = _cli(_save(_good(), tmp_path / "good.onnx"), tmp_path, capsys)
    assert rc == 0 and "outputs match" in text


# ------------------------------------------------------------------ not a regular file, too big
@pytest.mark.parametrize("kind", ["fifo", "dev_zero_link", "folder"])
def test_things_that_are_not_regular_files_are_refused_without_blocking(tmp_path, capsys, kind):
    path = tmp_path / "model.onnx"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would block until a writer comes
    elif kind == "dev_zero_link":
        path.symlink_to("/dev/zero")  # read to the end, it never ends
    else:
        path.mkdir()
    rc, text = _cli(path, tmp_path, capsys)
    assert rc == 2 and f"{path}: not a regular file" in text


def test_a_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path, capsys, monkeypatch):
    model = _good()
    model.graph.initializer.append(numpy_helper.from_array(np.zeros(300_000, np.float32), "unused"))  # 1.2 MB
    path = _save(model, tmp_path / "big.onnx")
    monkeypatch.setenv("NETBUILDER_MAX_ONNX_MB", "1")
    rc, text = _cli(path, tmp_path, capsys)
    assert rc == 2 and f"{path}: the file is 1.1 MB, over the limit of 1 MB (set NETBUILDER_MAX_ONNX_MB" in text


# ------------------------------------------------------------------ not ONNX at all
@pytest.mark.parametrize("content", [b"", "truncated", "random", b'{"format": "netbuilder-graph", "nodes": []}'],
                         ids=["empty", "truncated", "random", "json"])
def test_bytes_that_are_not_an_onnx_model_are_named(tmp_path, capsys, content):
    good = _good().SerializeToString()
    data = {"truncated": good[: len(good) // 2], "random": random.Random(3).randbytes(5000)}.get(content, content)
    path = tmp_path / "bad.onnx"
    path.write_bytes(data)
    rc, text = _cli(path, tmp_path, capsys)
    assert rc == 2 and f"{path}: not a valid ONNX model" in text


# ------------------------------------------------------------------ external data
def _external(tmp_path: Path, location: str, offset: int | None = None, length: int | None = None) -> Path:
    """The good model with W2 stored outside; the bytes at `location` (if made) are valid weights."""
    model = _good()
    w2 = next(t for t in model.graph.initializer if t.name == "W2")
    kv = {"location": location} | ({"offset": str(offset)} if offset is not None else {}) | (
        {"length": str(length)} if length is not None else {})
    w2.ClearField("raw_data")
    w2.data_location = TensorProto.EXTERNAL
    for k, v in kv.items():
        w2.external_data.add(key=k, value=v)
    folder = tmp_path / "models"
    folder.mkdir(exist_ok=True)
    return _save(model, folder / "ext.onnx")


WEIGHTS = np.ones((3, 32), np.float32).tobytes()  # 384 bytes: what W2 needs


def test_external_data_beside_the_model_is_read(tmp_path, capsys):
    path = _external(tmp_path, "weights.bin")
    (path.parent / "weights.bin").write_bytes(WEIGHTS)
    result = import_onnx(path)
    assert result.complete and result.max_abs_diff < 1e-5
    assert np.allclose(result.weights["fc.weight"].numpy(), 1.0)


@pytest.mark.parametrize("where", ["absolute", "dotdot", "link"])
def test_external_data_outside_the_models_folder_is_never_read(tmp_path, capsys, where):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(WEIGHTS)  # valid weights: reading them would make the import succeed
    location = {"absolute": str(secret), "dotdot": "../secret.bin", "link": "inside.bin"}[where]
    path = _external(tmp_path, location)
    if where == "link":
        (path.parent / "inside.bin").symlink_to(secret)
    rc, text = _cli(path, tmp_path, capsys)
    assert rc == 2 and f"{path}: initializer" in text and "outside the model's folder" in text
    assert not (tmp_path / "out.json").exists()


@pytest.mark.parametrize("offset,length,expect", [
    (None, None, "cannot be read"),  # no such file
    (1000, None, "reaches past its end"),
    (0, 10_000, "reaches past its end"),
    (0, 100, "need 384 bytes"),
])
def test_missing_or_short_external_data_is_named(tmp_path, capsys, offset, length, expect):
    path = _external(tmp_path, "weights.bin", offset, length)
    if offset is not None:
        (path.parent / "weights.bin").write_bytes(WEIGHTS)
    rc, text = _cli(path, tmp_path, capsys)
    assert rc == 2 and "weights.bin" in text and expect in text


def test_external_data_that_is_a_device_is_refused(tmp_path, capsys):
    path = _external(tmp_path, "weights.bin")
    (path.parent / "weights.bin").mkdir()
    rc, text = _cli(path, tmp_path, capsys)
    assert rc == 2 and "not a regular file" in text


# ------------------------------------------------------------------ sizes that claim too much
def test_an_initializer_claiming_10_to_the_12_values_is_refused_before_allocating(tmp_path, capsys):
    model = _good()
    w2 = next(t for t in model.graph.initializer if t.name == "W2")
    del w2.dims[:]
    w2.dims.extend([10**6, 10**6])  # the 384 bytes stay: a 4 TB tensor if believed
    rc, text = _cli(_save(model, tmp_path / "huge.onnx"), tmp_path, capsys)
    assert rc == 2 and "initializer 2 ('W2')" in text and "4,000,000,000,000 bytes" in text


def test_typed_data_shorter_than_its_dims_is_refused(tmp_path, capsys):
    model = _good()
    short = TensorProto(name="Z", data_type=FLOAT, dims=[10**9], float_data=[1.0, 2.0])
    model.graph.initializer.append(short)
    rc, text = _cli(_save(model, tmp_path / "short.onnx"), tmp_path, capsys)
    assert rc == 2 and "claim 1,000,000,000 values, the file stores 2" in text


@pytest.mark.parametrize("dims,expect", [(["N", 10**9, 4, 4], "values per sample"), (["N", 1, -4, 4], "negative dim")])
def test_input_dims_that_are_huge_or_negative_are_refused(tmp_path, capsys, dims, expect):
    model = _good()
    model.graph.input[0].CopyFrom(helper.make_tensor_value_info("x", FLOAT, dims))
    rc, text = _cli(_save(model, tmp_path / "dims.onnx"), tmp_path, capsys)
    assert rc == 2 and "input 'x'" in text and expect in text


def test_a_negative_dim_in_an_initializer_is_refused(tmp_path, capsys):
    model = _good()
    model.graph.initializer[1].dims[0] = -2
    rc, text = _cli(_save(model, tmp_path / "neg.onnx"), tmp_path, capsys)
    assert rc == 2 and "initializer 1 ('B'): a negative dim" in text


# ------------------------------------------------------------------ graph structure
def test_a_cycle_and_an_input_nobody_produces_are_named(tmp_path, capsys):
    cycle = _model([helper.make_node("Relu", ["b"], ["a"], name="r1"),
                    helper.make_node("Relu", ["a"], ["b"], name="r2"),
                    helper.make_node("Relu", ["x"], ["y"], name="r3")], out_shape=["N", 1, 4, 4])
    dangling = _model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")], out_shape=["N", 1, 4, 4])
    for name, model in (("cycle", cycle), ("dangling", dangling)):
        rc, text = _cli(_save(model, tmp_path / f"{name}.onnx"), tmp_path, capsys)
        assert rc == 2 and "not a valid ONNX model" in text and "topologically sorted" in text


def test_a_million_nodes_are_refused_by_the_node_cap(tmp_path, capsys):
    """Built as bytes (one node record repeated), so the test stays fast."""
    model = _good()
    node = model.graph.node[1].SerializeToString()
    record = b"\x0a" + _varint(len(node)) + node  # GraphProto field 1 (node), length-delimited
    graph = model.graph.SerializeToString() + record * 10**6
    model.ClearField("graph")
    data = model.SerializeToString() + b"\x3a" + _varint(len(graph)) + graph  # ModelProto field 7 (graph)
    path = tmp_path / "million.onnx"
    path.write_bytes(data)
    rc, text = _cli(path, tmp_path, capsys)
    assert rc == 2 and f"1,000,004 nodes is more than the limit of {MAX_NODES:,}" in text


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        out.append((n & 0x7F) | (0x80 if n > 0x7F else 0))
        n >>= 7
        if not n:
            return bytes(out)


def test_a_ten_megabyte_name_is_refused_and_never_echoed_whole(tmp_path, capsys):
    model = _good()
    model.graph.node[1].name = "n" * 10_000_000
    rc, text = _cli(_save(model, tmp_path / "name.onnx"), tmp_path, capsys)
    assert rc == 2 and "node 1 ('Relu') has a name of 10,000,000 characters" in text and len(text) < 1000


def test_long_names_make_node_ids_the_file_format_accepts(tmp_path):
    model = _good()
    model.graph.node[0].name = "/" + "block/" * 100 + "Conv"  # 600 characters, under the name limit
    result = import_onnx(_save(model, tmp_path / "long.onnx"))
    assert result.complete and max(len(nid) for nid in result.graph.nodes) <= 64


# ------------------------------------------------------------------ attributes, opsets, domains
def test_an_attribute_of_the_wrong_type_is_named(tmp_path, capsys):
    rc, text = _cli(_save(_good(kernel_shape="3x3"), tmp_path / "attr.onnx"), tmp_path, capsys)
    assert rc == 2 and "kernel_shape" in text and "Expected: 'INTS', actual: 'STRING'" in text


@pytest.mark.parametrize("attrs,expect", [
    ({"pads": [1, 1, 1]}, "attribute 'pads' must be 4 integers here, got [1, 1, 1]"),
    ({"strides": [1]}, "attribute 'strides' must be 2 integers here, got [1]"),
    ({"kernel_shape": [5, 5]}, "kernel_shape [5, 5] differs from the weight's [3, 3]"),
    ({"group": 0}, "attribute 'group' must be a positive integer, got 0"),
])
def test_attributes_of_the_wrong_length_leave_the_node_out_by_name(tmp_path, capsys, attrs, expect):
    rc, text = _cli(_save(_good(**attrs), tmp_path / "attr.onnx"), tmp_path, capsys)
    assert rc == 1 and "Conv 'conv'" in text and expect in text


def test_a_pool_with_a_string_kernel_is_left_out_by_name(tmp_path):
    model = _model([helper.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], strides=[2, 2, 2])],
                   out_shape=["N", 1, 2, 2])
    result = import_onnx(_save(model, tmp_path / "pool.onnx"))
    assert [s.reason for s in result.skipped] == ["attribute 'strides' must be 2 integers here, got [2, 2, 2]"]


def test_an_opset_or_ir_version_from_the_future_is_named(tmp_path, capsys):
    model = _good()
    model.opset_import[0].version = 99
    rc, text = _cli(_save(model, tmp_path / "future.onnx"), tmp_path, capsys)
    assert rc == 2 and "opset 99 of the standard ONNX ops is not one this onnx package knows" in text
    model = _good()
    model.ir_version = 99
    rc, text = _cli(_save(model, tmp_path / "future_ir.onnx"), tmp_path, capsys)
    assert rc == 2 and "ONNX IR version 99 is newer than this onnx package reads" in text


def test_an_op_of_a_custom_domain_is_left_out_by_name(tmp_path, capsys):
    model = _model([helper.make_node("Relu", ["x"], ["y"], name="mine", domain="com.example")],
                   out_shape=["N", 1, 4, 4], opsets=(("", 17), ("com.example", 1)))
    rc, text = _cli(_save(model, tmp_path / "custom.onnx"), tmp_path, capsys)
    assert rc == 1 and "Relu 'mine'" in text and "custom op of the domain 'com.example'" in text


# ------------------------------------------------------------------ fuzz
def _mutations(seed: int, count: int):
    """Seeded byte-level mutations of the good model: flips, overwrites, cuts, duplicated runs."""
    good = bytearray(_good().SerializeToString())
    rng = random.Random(seed)
    for _ in range(count):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            i = rng.randrange(len(data))
            kind = rng.randrange(4)
            if kind == 0:
                data[i] ^= 1 << rng.randrange(8)
            elif kind == 1:
                data[i] = rng.choice([0, 0x7F, 0x80, 0xFF, rng.randrange(256)])
            elif kind == 2:
                del data[i:i + rng.randint(1, 16)]
            else:
                data[i:i] = data[i:i + rng.randint(1, 16)]
        yield bytes(data)


def _field_mutations(seed: int, count: int):
    """Seeded edits of the good model's fields: attribute values, dims, op types, wiring."""
    rng = random.Random(seed)
    for _ in range(count):
        model = _good()
        g = model.graph
        for _ in range(rng.randint(1, 3)):
            node, kind = rng.choice(g.node), rng.randrange(5)
            if kind == 0 and node.attribute:
                a = rng.choice(node.attribute)
                if a.ints:
                    a.ints[rng.randrange(len(a.ints))] = rng.choice([-1, 0, 7, 10**9, -(2**62)])
                else:
                    a.i = rng.choice([-1, 0, 2, 10**9])
            elif kind == 1:
                t = rng.choice(g.initializer)
                t.dims[rng.randrange(len(t.dims))] = rng.choice([0, 1, 5, 10**6, 2**40])
            elif kind == 2:
                node.op_type = rng.choice(["Conv", "Gemm", "LSTM", "Reshape", "Split", "Resize", "MaxPool",
                                           "Squeeze", "Transpose", "Softmax", "Concat", "NoSuchOp"])
            elif kind == 3:
                node.input[rng.randrange(len(node.input))] = rng.choice(["W", "B", "W2", "x", ""])
            else:
                dims = g.input[0].type.tensor_type.shape.dim
                dims[rng.randrange(len(dims))].dim_value = rng.choice([0, 1, 3, 10**5, 2**33])
        yield model.SerializeToString()


def test_seeded_mutations_never_end_in_a_traceback(tmp_path, capsys):
    """A small, seeded version of the fuzzing done for issue 17 (a few hundred files, a few seconds):
    every file ends in a result or in a message naming it — none through the importer's last-resort
    'please report' net, which would mean a case no check names."""
    path = tmp_path / "fuzz.onnx"
    outcomes = set()
    cases = [*_mutations(seed=14, count=150), *_field_mutations(seed=17, count=100)]
    for i, data in enumerate(cases):
        path.write_bytes(data)
        if i % 25 == 0:  # the whole command for some, the library call (faster) for the rest
            rc, _ = _cli(path, tmp_path, capsys)
            outcomes.add(rc)
            continue
        try:
            result = import_onnx(path)
            outcomes.add(0 if result.complete else 1)
        except OnnxImportError as exc:
            assert "please report" not in str(exc) and str(exc).startswith(str(path)), exc
            assert len(str(exc)) < 2000
            outcomes.add(2)
    assert outcomes == {0, 1, 2}  # the mutations reach every outcome: complete, partial and refused


def test_a_zero_state_claiming_a_billion_values_is_not_built(tmp_path):
    """torch writes an LSTM's zero initial state as ConstantOfShape(Concat(sizes)); onnxruntime would
    allocate it when the import is verified, so a huge one is left out by name instead."""
    import warnings

    import onnx
    import torch

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rnn = torch.nn.LSTM(4, 6, batch_first=True)

        def forward(self, x):
            return self.rnn(x)[0]

    path = tmp_path / "lstm.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Net().eval(), (torch.randn(2, 3, 4),), str(path), dynamo=False, input_names=["x"],
                          dynamic_axes={"x": {0: "batch"}}, opset_version=17)
    assert import_onnx(path).complete  # as exported
    model = onnx.load(str(path))
    concat = next(n for n in model.graph.node if n.op_type == "Concat")
    hidden = next(n for n in model.graph.node if n.output[0] == concat.input[-1])  # [hidden_size]
    hidden.attribute[0].t.CopyFrom(numpy_helper.from_array(np.array([10**9], np.int64)))
    result = import_onnx(_save(model, path))
    assert not result.complete and result.max_abs_diff is None  # nothing was run
    [refused] = [s for s in result.skipped if s.what.startswith("ConstantOfShape")]
    assert ("shape [1, 'N', 1000000000] from sizes: 1,000,000,000 values per sample, more than the limit of "
            "268,435,456") in refused.reason
