"""Generated files in the real formats of the named datasets, and a loopback
HTTP server (127.0.0.1) that serves them with Range support and can cut a
download short — so tests never reach a real host."""

from __future__ import annotations

import gzip
import hashlib
import io
import struct
import tarfile
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

from netbuilder.train.datasets.registry import NAMED, NamedDataset, Remote


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file (the MNIST format) of unsigned bytes."""
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_like(train: int = 120, test: int = 40, side: int = 28, seed: int = 0) -> dict[str, bytes]:
    """The four gz IDX files; each class draws a bright bar in its own row, so a net can learn it."""
    rng = np.random.default_rng(seed)
    files = {}
    for prefix, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 40, (n, side, side)).astype(np.uint8)
        for i, label in enumerate(labels):
            images[i, 2 + 2 * label: 4 + 2 * label, 4:24] = 250
        files[f"{prefix}-images-idx3-ubyte.gz"] = gzip.compress(idx_bytes(images))
        files[f"{prefix}-labels-idx1-ubyte.gz"] = gzip.compress(idx_bytes(labels))
    return files


def cifar_records(n: int, kind: str, rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    pixels = rng.integers(0, 256, (n, 3 * 32 * 32)).astype(np.uint8)
    if kind == "cifar10":
        labels = rng.integers(0, 10, (n, 1)).astype(np.uint8)
    else:
        fine = rng.integers(0, 100, n)
        labels = np.stack([fine // 5, fine], axis=1).astype(np.uint8)  # coarse, fine
    return np.concatenate([labels, pixels], axis=1).tobytes(), labels


def cifar_members(kind: str, per_batch: int = 20, seed: int = 0) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"] if kind == "cifar10" \
        else ["train.bin", "test.bin"]
    members = {name: cifar_records(per_batch, kind, rng)[0] for name in names}
    if kind == "cifar10":
        members["batches.meta.txt"] = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n"
    else:
        members["coarse_label_names.txt"] = "\n".join(f"super{i}" for i in range(20)).encode()
        members["fine_label_names.txt"] = "\n".join(f"kind{i}" for i in range(100)).encode()
    return members


def cifar_tar_gz(kind: str, per_batch: int = 20, seed: int = 0) -> bytes:
    top = "cifar-10-batches-bin" if kind == "cifar10" else "cifar-100-binary"
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in cifar_members(kind, per_batch, seed).items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def spec_for(name: str, files: dict[str, bytes], base_url: str) -> NamedDataset:
    """The registry entry with the pinned hashes replaced by those of the generated files."""
    real = NAMED[name]
    remotes = tuple(Remote(r.name, hashlib.sha256(files[r.name]).hexdigest(), len(files[r.name])) for r in real.files)
    return replace(real, files=remotes, base_url=base_url)


class FileServer:
    """Serves `files` at http://127.0.0.1:PORT/<name>; `cut_after` bytes ends a response early, once."""

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = dict(files)
        self.cut_after: int | None = None
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append((name, self.headers.get("Range")))
                data = server.files.get(name)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if self.headers.get("Range"):
                    start = int(self.headers["Range"].split("=")[1].split("-")[0])
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if server.cut_after is not None:
                    body, server.cut_after = body[:server.cut_after], None
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> "FileServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def write_files(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder
