"""Fetch a named dataset's files into the cache, verified.

A file is downloaded to `<name>.part` beside its final place, hashed, and
renamed into the cache only when its SHA-256 matches the pinned one, so the
cache never holds a half-finished or wrong file. An interrupted download
leaves the `.part` file, and the next fetch asks the server for the rest
(HTTP Range); a server that ignores the range sends it all again.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable

from netbuilder.train.data import DataError
from netbuilder.train.datasets.registry import NAMED, NamedDataset, Remote

ENV_DATA_DIR = "NETBUILDER_DATA_DIR"
ENV_MIRROR = "NETBUILDER_DATASET_MIRROR"
CONNECT_TIMEOUT_S = 10.0
CHUNK = 1 << 16

Progress = Callable[[str, int, int], None]  # (file name, bytes so far, total bytes or 0 when unknown)


class DownloadError(DataError):
    """A dataset could not be fetched; the message says which, from where, and where to put it by hand."""


class DownloadCancelled(DownloadError):
    """The user stopped the download; the partial file stays for the next try."""


def data_root() -> Path:
    """The user data folder (what the editor's QStandardPaths AppDataLocation gives, without Qt)."""
    override = os.environ.get(ENV_DATA_DIR)
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "NetBuilder" / "NetBuilder"


def cache_folder(name: str) -> Path:
    return data_root() / "datasets" / name


def base_url(spec: NamedDataset) -> str:
    return (os.environ.get(ENV_MIRROR) or spec.base_url).rstrip("/")


def present(folder: Path, remote: Remote) -> Path | None:
    """The file in the folder under its official name, or unpacked (an IDX file without .gz)."""
    for name in (remote.name, remote.name.removesuffix(".gz")):
        path = folder / name
        if path.is_file():
            return path
    return None


def is_cached(spec: NamedDataset | str) -> bool:
    spec = NAMED[spec] if isinstance(spec, str) else spec
    folder = cache_folder(spec.name)
    return all(present(folder, f) is not None for f in spec.files)


def fetch(spec: NamedDataset | str, progress: Progress | None = None,
          cancelled: Callable[[], bool] | None = None) -> Path:
    """Every file of the dataset in its cache folder (downloading what is missing) → the folder."""
    spec = NAMED[spec] if isinstance(spec, str) else spec
    folder = cache_folder(spec.name)
    for remote in spec.files:
        if present(folder, remote) is None:
            folder.mkdir(parents=True, exist_ok=True)
            _download(spec, remote, folder, progress, cancelled or (lambda: False))
    return folder


def _download(spec: NamedDataset, remote: Remote, folder: Path, progress: Progress | None,
              cancelled: Callable[[], bool]) -> None:
    url = f"{base_url(spec)}/{remote.name}"
    part = folder / (remote.name + ".part")
    have = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    try:
        with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT_S) as response:
            if have and response.status != 206:
                have = 0  # the server sends the whole file: start over
            total = have + int(response.headers.get("Content-Length") or 0)
            with open(part, "ab" if have else "wb") as out:
                done = have
                while chunk := response.read(CHUNK):
                    if cancelled():
                        raise DownloadCancelled(f"download of {spec.name} ({remote.name}) cancelled; "
                                                f"{done} bytes kept in {part} for the next try")
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(remote.name, done, total or remote.size)
            if total > have and done < total:  # the connection ended early: keep the part, resume next time
                raise http.client.IncompleteRead(b"", total - done)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the range starts at the end: the part file is complete
            pass
        else:
            raise _unreachable(spec, url, folder, f"HTTP {exc.code} {exc.reason}") from None
    except DownloadCancelled:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or exc
        raise _unreachable(spec, url, folder, str(reason)) from None
    _verify_and_keep(spec, remote, part)


def _verify_and_keep(spec: NamedDataset, remote: Remote, part: Path) -> None:
    digest = hashlib.sha256()
    with open(part, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    got = digest.hexdigest()
    if got != remote.sha256:
        part.unlink(missing_ok=True)
        raise DownloadError(f"{spec.name}: {remote.name} failed verification: SHA-256 {got}, expected "
                            f"{remote.sha256}; the file was discarded (nothing was cached)")
    os.replace(part, part.with_name(remote.name))


def _unreachable(spec: NamedDataset, url: str, folder: Path, why: str) -> DownloadError:
    names = ", ".join(f.name for f in spec.files)
    return DownloadError(f"cannot download dataset {spec.name!r} from {url} ({why}). Without a network, put "
                         f"the files ({names}) into {folder} by hand and run again; or set {ENV_MIRROR} "
                         f"to a local mirror")


def progress_printer(stream=None, quiet: bool = False) -> Progress | None:
    """A one-line progress bar with size and speed (stderr), redrawn at most 10 times a second."""
    if quiet:
        return None
    out = stream or sys.stderr
    state = {"file": "", "start": 0.0, "last": 0.0}

    def show(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if name != state["file"]:
            state.update(file=name, start=now, last=0.0)
        finished = total and done >= total
        if now - state["last"] < 0.1 and not finished:
            return
        state["last"] = now
        speed = done / max(now - state["start"], 1e-6)
        frac = done / total if total else 0.0
        bar = "#" * int(frac * 24)
        out.write(f"\r{name}: [{bar:<24}] {done / 1e6:6.1f}/{total / 1e6:.1f} MB {speed / 1e6:5.1f} MB/s")
        if finished:
            out.write("\n")
        out.flush()

    return show
