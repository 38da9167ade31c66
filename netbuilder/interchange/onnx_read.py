"""Read an ONNX file from a stranger safely (the first step of onnx_import.py).

`onnx.load` trusts the file: it blocks on a FIFO, reads /dev/zero until memory
runs out, follows an external-data "location" anywhere on disk
(../../etc/passwd), and a tensor may claim 10^12 elements that numpy then
tries to allocate. Here the file is read as a regular file under a byte cap
(core/io.read_regular_file), parsed without external data, and every part
that could make the rest of the import hang, allocate or read elsewhere is
checked first; each problem is an OnnxImportError naming the file and where.

Limits: NETBUILDER_MAX_ONNX_MB (default MAX_ONNX_MB_DEFAULT) caps the file
plus its external data; graphs over MAX_NODES nodes, names over MAX_NAME
characters and inputs over MAX_SAMPLE_ELEMENTS values per sample are refused.
"""

from __future__ import annotations

import math
import os
import reprlib
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any, Iterator

from netbuilder.core.io import MAX_NODES, megabytes_setting, read_regular_file

MAX_ONNX_MB_DEFAULT = 1024  # real classifiers are 5-500 MB; a model over 2 GB needs external data anyway
MAX_NAME = 1_000  # characters in a node, tensor or graph name (exporters write < 200)
MAX_SAMPLE_ELEMENTS = 2**28  # values in one sample of a model input (1 GiB of float32)
MAX_INITIALIZERS = 4 * MAX_NODES
_EXTERNAL = 1  # onnx.TensorProto.EXTERNAL
_STANDARD_DOMAINS = ("", "ai.onnx")
_FOUR_BIT = {21, 22, 23}  # UINT4, INT4, FLOAT4E2M1: two values a byte
_COMPLEX = {14, 15}  # COMPLEX64/128 keep two numbers per value


class OnnxImportError(ValueError):
    """The file cannot be imported at all; the message says why."""


def brief(value: Any) -> str:
    """repr for a message, shortened: a 10 MB name is never echoed whole."""
    return reprlib.repr(value)


def max_onnx_bytes() -> int:
    """The size cap for ONNX files (with their external data): NETBUILDER_MAX_ONNX_MB megabytes."""
    return megabytes_setting("NETBUILDER_MAX_ONNX_MB", MAX_ONNX_MB_DEFAULT)


def read_model(path: Path) -> Any:
    """The checked ModelProto of `path`, external data read in (from the model's folder only)."""
    import onnx
    from google.protobuf.message import DecodeError

    if not path.exists() and not path.is_symlink():
        raise OnnxImportError(f"{path}: no such file")
    limit = max_onnx_bytes()
    raw = read_regular_file(path, OnnxImportError, limit, setting="NETBUILDER_MAX_ONNX_MB")
    if not raw:
        raise OnnxImportError(f"{path}: not a valid ONNX model (the file is empty)")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(raw)
    except (DecodeError, RuntimeWarning, ValueError) as exc:
        raise OnnxImportError(f"{path}: not a valid ONNX model (the bytes are not an ONNX protobuf: "
                              f"{str(exc)[:200]})") from None
    if not model.HasField("graph"):
        raise OnnxImportError(f"{path}: not a valid ONNX model (it has no graph)")
    check_structure(model, path)
    ExternalData(path, limit - len(raw)).read_into(model)
    return model


def check_structure(model: Any, path: Path) -> None:
    """Versions, counts, names, tensor sizes and input dims: all before anything is built."""
    import onnx

    if model.ir_version > onnx.IR_VERSION:
        raise OnnxImportError(f"{path}: ONNX IR version {model.ir_version} is newer than this onnx package reads "
                              f"(up to {onnx.IR_VERSION}); upgrade onnx or export with an older version")
    newest = onnx.defs.onnx_opset_version()
    for opset in model.opset_import:
        if not isinstance(opset.domain, str):
            raise OnnxImportError(f"{path}: an opset domain is not UTF-8 text ({brief(opset.domain)})")
        if opset.domain in _STANDARD_DOMAINS and not 1 <= opset.version <= newest:
            raise OnnxImportError(f"{path}: opset {opset.version} of the standard ONNX ops is not one this onnx "
                                  f"package knows (1 to {newest}); export with opset_version={newest} or lower")
    graphs = list(_graphs(model.graph))
    nodes = sum(len(g.node) for g in graphs)
    if nodes > MAX_NODES:
        raise OnnxImportError(f"{path}: {nodes:,} nodes is more than the limit of {MAX_NODES:,}")
    tensors = sum(len(g.initializer) + len(g.sparse_initializer) for g in graphs)
    if tensors > MAX_INITIALIZERS:
        raise OnnxImportError(f"{path}: {tensors:,} initializers is more than the limit of {MAX_INITIALIZERS:,}")
    weights = {t.name for t in model.graph.initializer}  # old exporters list them as inputs too
    for g in graphs:
        _check_names(g, path)
        for where, tensor in _tensors(g):
            check_tensor(tensor, f"{path}: {where}")
        for kind, infos in (("input", g.input), ("output", g.output), ("value_info", g.value_info)):
            for info in infos:
                sample = kind == "input" and g is model.graph and info.name not in weights
                _check_dims(info, f"{path}: {kind} {brief(info.name)}", sample)


def _graphs(root: Any) -> Iterator[Any]:
    """The graph and every subgraph (If/Loop/Scan bodies), without recursion."""
    stack = [root]
    while stack:
        g = stack.pop()
        yield g
        for node in g.node:
            for a in node.attribute:
                if a.HasField("g"):
                    stack.append(a.g)
                stack.extend(a.graphs)


def _tensors(g: Any) -> Iterator[tuple[str, Any]]:
    for i, t in enumerate(g.initializer):
        yield f"initializer {i} ({brief(t.name)})", t
    for i, s in enumerate(g.sparse_initializer):
        yield f"sparse initializer {i} values", s.values
        yield f"sparse initializer {i} indices", s.indices
    for i, node in enumerate(g.node):
        for a in node.attribute:
            where = f"node {i} ({node.op_type} {brief(node.name)}) attribute {brief(a.name)}"
            if a.HasField("t"):
                yield where, a.t
            for t in a.tensors:
                yield where, t
            if a.HasField("sparse_tensor"):
                yield where, a.sparse_tensor.values
                yield where, a.sparse_tensor.indices


def _check_names(g: Any, path: Path) -> None:
    def check(name: str | bytes, where: str) -> None:
        if not isinstance(name, str):  # protobuf hands back bytes for a string field that is not UTF-8
            raise OnnxImportError(f"{path}: {where} has a name that is not UTF-8 text ({brief(name)})")
        if len(name) > MAX_NAME:
            raise OnnxImportError(f"{path}: {where} has a name of {len(name):,} characters ({brief(name)}); "
                                  f"the limit is {MAX_NAME:,}")

    check(g.name, "the graph")
    for i, node in enumerate(g.node):
        check(node.op_type, f"node {i}'s op type")
        check(node.domain, f"node {i}'s domain")
        for name in (node.name, *node.input, *node.output, *(a.name for a in node.attribute)):
            check(name, f"node {i} ({brief(node.op_type)})")
    for kind, items in (("initializer", g.initializer), ("input", g.input), ("output", g.output),
                        ("value_info", g.value_info)):
        for i, item in enumerate(items):
            check(item.name, f"{kind} {i}")
            for entry in getattr(item, "external_data", ()):
                check(entry.key, f"{kind} {i}'s external data")
                check(entry.value, f"{kind} {i}'s external data")


def check_tensor(t: Any, where: str) -> None:
    """Dims non-negative, and as many values stored as the dims claim (so numpy never allocates more)."""
    import onnx

    if any(d < 0 for d in t.dims):
        raise OnnxImportError(f"{where}: a negative dim in {brief(list(t.dims))}")
    count = math.prod(t.dims)
    if t.HasField("segment"):
        raise OnnxImportError(f"{where}: segmented tensors are not supported")
    if t.data_type == onnx.TensorProto.UNDEFINED:
        raise OnnxImportError(f"{where}: the tensor has no element type")
    if t.data_location == _EXTERNAL:
        return  # sized by ExternalData when its bytes are read
    if t.HasField("raw_data"):
        bits = 4 if t.data_type in _FOUR_BIT else _itemsize(t.data_type, where) * 8
        stored, need = len(t.raw_data), math.ceil(count * bits / 8)
        if stored != need:
            raise OnnxImportError(f"{where}: dims {brief(list(t.dims))} need {need:,} bytes of data, the file "
                                  f"has {stored:,}")
        return
    try:
        field = onnx.helper.tensor_dtype_to_field(t.data_type)
    except (KeyError, ValueError, TypeError):
        raise OnnxImportError(f"{where}: unknown element type {t.data_type}") from None
    stored = len(getattr(t, field))
    # complex values are two numbers; 4-bit values are packed two to an int32
    need = 2 * count if t.data_type in _COMPLEX else math.ceil(count / 2) if t.data_type in _FOUR_BIT else count
    if stored != need:
        raise OnnxImportError(f"{where}: dims {brief(list(t.dims))} claim {count:,} values, the file stores "
                              f"{stored if t.data_type not in _COMPLEX else stored // 2:,}")


def _itemsize(data_type: int, where: str) -> int:
    import onnx

    try:
        return onnx.helper.tensor_dtype_to_np_dtype(data_type).itemsize
    except (KeyError, ValueError, TypeError):
        raise OnnxImportError(f"{where}: unknown element type {data_type}") from None


def _check_dims(info: Any, where: str, sample: bool) -> None:
    tensor = info.type.tensor_type if info.type.HasField("tensor_type") else None
    if tensor is None or not tensor.HasField("shape"):
        return
    dims = [d.dim_value for d in tensor.shape.dim if d.HasField("dim_value")]
    if any(d < 0 for d in dims):
        raise OnnxImportError(f"{where}: a negative dim in its shape {brief(dims)}")
    per_sample = math.prod(d.dim_value for d in list(tensor.shape.dim)[1:] if d.HasField("dim_value"))
    if sample and per_sample > MAX_SAMPLE_ELEMENTS:
        raise OnnxImportError(f"{where}: {per_sample:,} values per sample is more than the limit of "
                              f"{MAX_SAMPLE_ELEMENTS:,}")


class ExternalData:
    """Tensors stored in files beside the model: read from the model's own folder only, within bounds."""

    def __init__(self, model_path: Path, budget: int):
        self.folder = model_path.resolve().parent
        self.model_path = model_path
        self.budget = budget  # bytes left under the cap

    def read_into(self, model: Any) -> None:
        for g in _graphs(model.graph):
            for where, t in _tensors(g):
                if t.data_location == _EXTERNAL:
                    self._read(t, f"{self.model_path}: {where}")

    def _read(self, t: Any, where: str) -> None:
        info = {e.key: e.value for e in t.external_data}
        target = self._resolve(info.get("location", ""), where)
        offset, length = (self._int(info, key, where) for key in ("offset", "length"))
        need = math.ceil(math.prod(t.dims) * (4 if t.data_type in _FOUR_BIT else _itemsize(t.data_type, where) * 8) / 8)
        fd = self._open(target, where)
        try:
            size = os.fstat(fd).st_size
            offset = offset or 0
            length = size - offset if length is None else length
            if offset > size or offset + length > size:
                raise OnnxImportError(f"{where}: external data {brief(target.name)} is {size:,} bytes; offset "
                                      f"{offset:,} + length {length:,} reaches past its end")
            if length != need:
                raise OnnxImportError(f"{where}: dims {brief(list(t.dims))} need {need:,} bytes; the external "
                                      f"data {brief(target.name)} gives {length:,}")
            if length > self.budget:
                raise OnnxImportError(f"{where}: the model and its external data are over the limit of "
                                      f"{max_onnx_bytes() / 2**20:,.0f} MB (set NETBUILDER_MAX_ONNX_MB to raise it)")
            data = _read_at(fd, offset, length)
        except OSError as exc:
            raise OnnxImportError(f"{where}: cannot read external data {brief(target.name)} "
                                  f"({exc.strerror or exc})") from None
        finally:
            os.close(fd)
        if len(data) != length:
            raise OnnxImportError(f"{where}: external data {brief(target.name)} ended early")
        self.budget -= length
        t.raw_data = data
        t.data_location = 0  # DEFAULT: the bytes are now in the tensor
        del t.external_data[:]

    def _resolve(self, location: str, where: str) -> Path:
        """A path inside the model's folder, or an error naming the location."""
        if not location or "\x00" in location:
            raise OnnxImportError(f"{where}: external data without a usable 'location'")
        posix, windows = PurePosixPath(location), PureWindowsPath(location)
        if posix.is_absolute() or windows.is_absolute() or windows.drive or ".." in posix.parts + windows.parts:
            raise OnnxImportError(f"{where}: external data location {brief(location)} is outside the model's "
                                  "folder; only files beside the model (or below it) are read")
        try:
            target = (self.folder / location).resolve()
        except (OSError, RuntimeError):  # a symlink loop
            raise OnnxImportError(f"{where}: external data location {brief(location)} cannot be resolved") from None
        if not target.is_relative_to(self.folder):
            raise OnnxImportError(f"{where}: external data location {brief(location)} leads outside the model's "
                                  "folder (a link); only files beside the model (or below it) are read")
        return target

    @staticmethod
    def _int(info: dict, key: str, where: str) -> int | None:
        if key not in info:
            return None
        text = info[key]
        if not (text.isdigit() and len(text) < 20):
            raise OnnxImportError(f"{where}: external data {key} {brief(text)} is not a non-negative integer")
        return int(text)

    @staticmethod
    def _open(target: Path, where: str) -> int:
        try:
            fd = os.open(target, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise OnnxImportError(f"{where}: external data file {brief(target.name)} cannot be read "
                                  f"({exc.strerror or exc})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise OnnxImportError(f"{where}: external data {brief(target.name)} is not a regular file")
        return fd


def _read_at(fd: int, offset: int, length: int) -> bytes:
    """`length` bytes from `offset` (fewer only if the file shrank meanwhile); no os.pread on Windows."""
    os.lseek(fd, offset, os.SEEK_SET)
    chunks, left = [], length
    while left:
        chunk = os.read(fd, min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
