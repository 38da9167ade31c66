"""User data files: CSV, NumPy .npz (x, y) and MNIST-style IDX files.

Every problem is a DataError naming the file and, where it helps, the row
and column, never a traceback.
"""

from __future__ import annotations

import csv
import gzip
import io
import math
import os
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from netbuilder.train.data import ByteScale, DataError, Dataset, class_index, guess_task
from netbuilder.train.data import finish_targets as _finish_targets
from netbuilder.train.data_limits import check_class_labels, gunzip_capped, max_data_bytes, too_big


def finish_targets(name: str, x: np.ndarray, y: np.ndarray | None, options: dict[str, Any],
                   class_names: list[str] | None = None, image_shape: tuple[int, ...] | None = None,
                   scale: ByteScale | None = None) -> Dataset:
    """data.finish_targets, after refusing labels whose class list could not be built."""
    if y is not None:
        check_class_labels(name, y, guess_task(y, options.get("task")))
    return _finish_targets(name, x, y, options, class_names, image_shape, scale)


def loader_for(path: str) -> Callable[[str, dict[str, Any], Any], Dataset]:
    name = os.path.basename(path).lower()
    if name.endswith((".csv", ".tsv", ".txt", ".csv.gz")):
        return load_csv
    if name.endswith(".npz"):
        return load_npz
    if "idx" in name or "ubyte" in name:
        return load_idx
    raise DataError(f"{path}: unknown kind of data file; use .csv, .npz, an IDX (MNIST) file, "
                    f"or a folder with one sub-folder of images per class")


# --------------------------------------------------------------------- CSV
def load_csv(path: str, options: dict[str, Any], hint: Any = None) -> Dataset:
    """Rows of values; the target column (option 'target': name or index,
    default the last; null for none) may be text, giving class indices."""
    rows, header = _read_rows(path, options)
    ncols = len(rows[0])
    target = _target_column(path, options.get("target", -1), header, ncols)
    columns = list(zip(*rows))
    features, notes = [], []
    for j, col in enumerate(columns):
        if j == target:
            continue
        values = _numeric(col)
        if values is None:
            codes, names = class_index(col)
            notes.append(f"column {_col_name(header, j)}: text values coded as 0..{len(names) - 1}")
            values = codes.astype(np.float32)
        features.append(values)
    if not features:
        raise DataError(f"{path}: no feature columns left besides the target")
    x = np.stack(features, axis=1).astype(np.float32)
    y, class_names = None, None
    if target is not None:
        y = _numeric(columns[target])
        if y is None or options.get("task") == "classification" and not np.all(y == np.round(y)):
            y, class_names = class_index(columns[target])
    data = finish_targets(Path(path).name, x, y, options, class_names)
    data.notes.extend(notes)
    return data


def _read_rows(path: str, options: dict[str, Any]) -> tuple[list[list[str]], list[str] | None]:
    try:
        if path.endswith(".gz"):
            with open(path, "rb") as f:
                text = gunzip_capped(f.read(), path).decode("utf-8-sig")
        else:
            with open(path, encoding="utf-8-sig", newline="") as f:
                text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from None
    delimiter = options.get("delimiter") or _sniff(text)
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in r)]
    if not rows:
        raise DataError(f"{path}: the file has no rows")
    header = None
    has_header = options.get("header")
    if has_header is None:  # a first row with text where the second has numbers
        has_header = len(rows) > 1 and any(_is_number(b) and not _is_number(a) for a, b in zip(rows[0], rows[1]))
    if has_header:
        header, rows = [c.strip() for c in rows[0]], rows[1:]
    if not rows:
        raise DataError(f"{path}: the file has a header but no data rows")
    width = len(rows[0])
    for i, row in enumerate(rows):
        if len(row) != width:
            raise DataError(f"{path}: row {i + 1 + bool(header)} has {len(row)} values, the first row has {width}")
        for j, cell in enumerate(row):
            if not cell.strip():
                raise DataError(f"{path}: row {i + 1 + bool(header)}, column {_col_name(header, j)} is empty")
    return rows, header


def _sniff(text: str) -> str:
    first = text.splitlines()[0] if text else ""
    return max((",", ";", "\t"), key=first.count) if any(d in first for d in ",;\t") else ","


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _numeric(column: tuple[str, ...]) -> np.ndarray | None:
    try:
        return np.array([float(c) for c in column], dtype=np.float64)
    except ValueError:
        return None


def _col_name(header: list[str] | None, j: int) -> str:
    return repr(header[j]) if header else str(j + 1)


def _target_column(path: str, target: Any, header: list[str] | None, ncols: int) -> int | None:
    if target is None or target is False or target == "none":
        return None
    if isinstance(target, str) and not target.lstrip("-").isdigit():
        if not header or target not in header:
            columns = ", ".join(header) if header else "(no header row)"
            raise DataError(f"{path}: no column named {target!r}; columns: {columns}")
        return header.index(target)
    index = int(target)
    if not -ncols <= index < ncols:
        raise DataError(f"{path}: target column {index} is out of range (the file has {ncols} columns)")
    return index % ncols


# --------------------------------------------------------------------- NPZ
def load_npz(path: str, options: dict[str, Any], hint: Any = None) -> Dataset:
    """Arrays 'x' (samples first) and optionally 'y' (labels or targets)."""
    _check_npz_size(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except ValueError as exc:
        raise DataError(f"{path}: cannot read it as a NumPy .npz without running code ({exc})") from None
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: not a readable .npz file ({exc})") from None
    x_key = options.get("x") or next((k for k in ("x", "X", "inputs", "data", "images") if k in arrays), None)
    if x_key is None or x_key not in arrays:
        raise DataError(f"{path}: no array named 'x' (found {', '.join(arrays) or 'none'})")
    y_key = options.get("y") or next((k for k in ("y", "Y", "labels", "targets", "target") if k in arrays), None)
    x = arrays[x_key]
    y = arrays.get(y_key) if y_key else None
    if not np.issubdtype(x.dtype, np.number):
        raise DataError(f"{path}: array {x_key!r} must be numbers, got {x.dtype}")
    if y is not None and len(y) != len(x):
        raise DataError(f"{path}: {x_key!r} has {len(x)} samples but {y_key!r} has {len(y)}")
    class_names = None
    if y is not None and not np.issubdtype(y.dtype, np.number):
        y, class_names = class_index(y.tolist())
    image_shape = tuple(x.shape[1:]) if x.ndim == 4 or (x.ndim == 3 and min(x.shape[1:]) > 4) else None
    if x.dtype == np.uint8:  # held as bytes; each batch becomes float32 on the device, the same values
        scale = ByteScale.pixels(x.shape[1:], divide=False)
        return finish_targets(Path(path).name, x, y, options, class_names, image_shape, scale)
    return finish_targets(Path(path).name, x.astype(np.float32), y, options, class_names, image_shape)


def _check_npz_size(path: str) -> None:
    """A zip bomb declares its sizes in the directory: refuse before decompressing anything."""
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return  # np.load reports an unreadable file below
    if total > max_data_bytes():
        raise too_big(path, "the arrays", total, max_data_bytes())


# --------------------------------------------------------------------- IDX
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """One IDX array (the MNIST format), optionally gzip-compressed."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gunzip_capped(raw, path)  # a gzip bomb stops at the limit, before filling memory
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise DataError(f"{path}: not an IDX file (bad magic number)")
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[raw[2]])
    count = int(np.prod(dims)) if dims else 1
    body = raw[4 + 4 * ndim:]
    if len(body) < count * dtype.itemsize:
        raise DataError(f"{path}: the file is truncated ({len(body)} bytes of data for shape {list(dims)})")
    return np.frombuffer(body, dtype=dtype, count=count).reshape(dims)


READ_CHUNK = 16 << 20  # bytes decoded at a time: a file is never held whole as a bytes object


def read_idx_stacked(paths: list[Path]) -> np.ndarray:
    """IDX files whose items share one shape (MNIST's train and t10k images), stacked into one array
    that each file is decoded straight into, chunk by chunk: no whole-file bytes object and no second
    copy to concatenate. The size the headers declare is checked against the data limit first, and
    no more than that is ever decompressed (a gzip bomb stops there)."""
    streams: list[tuple[Path, Any, np.dtype, tuple[int, ...]]] = []
    where = paths[0]
    try:
        for where in paths:
            f = _open_idx(where)
            streams.append((where, f, *_idx_header(f, where)))
        out = _stack_target(streams)
        flat = out.reshape(-1).view(np.uint8)
        pos = 0
        for where, f, dtype, dims in streams:
            need = math.prod(dims) * dtype.itemsize
            while need:
                chunk = f.read(min(READ_CHUNK, need))
                if not chunk:
                    raise DataError(f"{where}: the file is truncated (its header declares shape {list(dims)})")
                flat[pos:pos + len(chunk)] = np.frombuffer(chunk, np.uint8)
                pos, need = pos + len(chunk), need - len(chunk)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{where}: cannot read the file ({exc})") from None
    finally:
        for _, f, _, _ in streams:
            f.close()
    return out


def read_idx_count(path: Path) -> int:
    """The number of items an IDX file's header declares (nothing else is read)."""
    try:
        with _open_idx(path) as f:
            return _idx_header(f, path)[1][0]
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read the file ({exc})") from None


def _open_idx(path: Path) -> Any:
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _idx_header(f: Any, path: Path) -> tuple[np.dtype, tuple[int, ...]]:
    head = f.read(4)
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES or head[3] == 0:
        raise DataError(f"{path}: not an IDX file of samples (bad magic number)")
    raw_dims = f.read(4 * head[3])
    if len(raw_dims) < 4 * head[3]:
        raise DataError(f"{path}: the file is truncated (in its header)")
    return np.dtype(_IDX_TYPES[head[2]]), struct.unpack(f">{head[3]}I", raw_dims)


def _stack_target(streams: list[tuple[Path, Any, np.dtype, tuple[int, ...]]]) -> np.ndarray:
    first, _, dtype, dims = streams[0]
    for path, _, other_dtype, other in streams[1:]:
        if other_dtype != dtype or other[1:] != dims[1:]:
            raise DataError(f"{path}: items of shape {list(other[1:])} ({other_dtype}) do not match "
                            f"{first.name}'s {list(dims[1:])} ({dtype})")
    shape = (sum(s[3][0] for s in streams), *dims[1:])
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes > max_data_bytes():
        raise too_big(first, "the decompressed data", nbytes, max_data_bytes())
    return np.empty(shape, dtype)


def idx_files_in(folder: str) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and ("idx" in p.name or "ubyte" in p.name))


def load_idx(path: str, options: dict[str, Any], hint: Any = None) -> Dataset:
    """An IDX images file (or a folder of them); labels from option 'labels'
    or the matching '*labels-idx1*' file beside it."""
    images, labels = _idx_pair(Path(path), options)
    x = read_idx_stacked([images])
    if x.ndim == 3:
        x = x[:, None]  # (N, H, W) → (N, 1, H, W)
    elif x.ndim == 4 and x.shape[-1] in (1, 3, 4):
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    scale = None
    if x.dtype == np.uint8:  # bytes stay bytes: x / 255 happens per batch, on the device
        x, scale = np.ascontiguousarray(x), ByteScale.pixels(x.shape[1:])
    else:
        x = x.astype(np.float32)
    y = read_idx(labels).astype(np.int64) if labels else None
    if y is not None and len(y) != len(x):
        raise DataError(f"{labels}: {len(y)} labels for {len(x)} images in {images}")
    image_shape = tuple(x.shape[1:]) if x.ndim == 4 else None
    return finish_targets(images.name, x, y, options, None, image_shape, scale)


def _idx_pair(path: Path, options: dict[str, Any]) -> tuple[Path, Path | None]:
    if path.is_dir():
        files = idx_files_in(str(path))
        pick = [f for f in files if "label" not in f.name]
        if not pick:
            raise DataError(f"{path}: no IDX images file in this folder")
        split = options.get("split", "train")
        path = next((f for f in pick if split in f.name), pick[0])
    if options.get("labels"):
        return path, Path(options["labels"])
    name = path.name
    for a, b in (("images-idx3", "labels-idx1"), ("images", "labels"), ("image", "label")):
        if a in name:
            candidate = path.with_name(name.replace(a, b))
            if candidate.exists():
                return path, candidate
            alt = candidate.with_name(candidate.name.removesuffix(".gz")) if name.endswith(".gz") \
                else candidate.with_name(candidate.name + ".gz")
            if alt.exists():
                return path, alt
    return path, None
