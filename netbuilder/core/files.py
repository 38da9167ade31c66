"""Reading and writing files safely: a size-capped read of a regular file, and atomic writes.

Kept apart from io.py (the graph format) because these rules are about files, not graphs: the
ONNX importer reads with the same refusal of FIFOs, devices and oversized files, and training
checkpoints and autosave records are written the same crash-safe way. io.py re-exports every
public name here, so `from netbuilder.core.io import atomic_write` keeps working.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

# Files over this many bytes are refused before reading (a real 100,000-node file is ~25 MB);
# NETBUILDER_MAX_FILE_MB raises it. Reads stop at the cap even if the file grows meanwhile.
MAX_FILE_MB_DEFAULT = 64


def megabytes_setting(name: str, default: float) -> int:
    """Bytes from the environment variable `name`, in megabytes (`default` when unset or not a number)."""
    text = os.environ.get(name, "")
    try:
        mb = float(text) if text else default
    except ValueError:
        mb = default
    return int(max(mb, 0) * 1024 * 1024)


def max_file_bytes() -> int:
    """The size cap for graph files: NETBUILDER_MAX_FILE_MB (megabytes), default MAX_FILE_MB_DEFAULT."""
    return megabytes_setting("NETBUILDER_MAX_FILE_MB", MAX_FILE_MB_DEFAULT)


def read_regular_file(path: Path, error: type[Exception], limit: int | None = None,
                      setting: str = "NETBUILDER_MAX_FILE_MB") -> bytes:
    """The bytes of `path`, which must be a regular file (after symlinks) of at most
    `limit` bytes (default max_file_bytes()). A FIFO, a device (/dev/zero), a socket or a
    folder is refused without blocking: it is opened O_NONBLOCK and checked with fstat, and
    never more than `limit` + 1 bytes are read."""
    limit = max_file_bytes() if limit is None else limit
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise error(f"{path}: not a regular file ({_file_kind(info.st_mode)}); "
                        "only ordinary files can be opened")
        if info.st_size > limit:
            raise error(f"{path}: the file is {info.st_size / 2**20:,.1f} MB, over the limit of "
                        f"{limit / 2**20:,.0f} MB (set {setting} to raise it)")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise error(f"{path}: the file grew past the limit of {limit / 2**20:,.0f} MB while being read "
                        f"(set {setting} to raise it)")
        return b"".join(chunks)
    except OSError as exc:
        raise error(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not an ordinary file"


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write to a temp file beside `path`, fsync, then rename over it: a crash
    mid-save leaves the old file intact."""
    atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> None:
    """`write(f)` into a temp file beside `path` (opened binary), fsync, then
    rename it over `path`; on any failure the temp file is removed and the old
    file is untouched. Graph files and training checkpoints both save this way."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        os.chmod(tmp, _file_mode(path))  # mkstemp makes 0600; keep the usual (or the old file's) mode
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _file_mode(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask

