"""Small files that decode to huge data are refused before decoding, naming the file and the limit."""

from __future__ import annotations

import gzip
import io
import struct
import zipfile
import zlib

import numpy as np
import pytest

from netbuilder.train.data import DataError, load_dataset
from netbuilder.train.file_data import read_idx
from netbuilder.train.image_files import decode_png, read_image


@pytest.fixture(autouse=True)
def small_limits(monkeypatch):
    monkeypatch.setenv("NETBUILDER_MAX_DATA_MB", "1")
    monkeypatch.setenv("NETBUILDER_MAX_IMAGE_PIXELS", "1000000")


def zeros_gz(n: int, header: bytes = b"") -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as f:
        f.write(header)
        chunk = bytes(1 << 20)
        for _ in range(n):
            f.write(chunk)
    return out.getvalue()


def test_gz_idx_bomb(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(zeros_gz(8, struct.pack(">BBBBIII", 0, 0, 8, 3, 8192, 32, 32)))
    assert path.stat().st_size < 100_000
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte.gz: the decompressed data .* NETBUILDER_MAX_DATA_MB"):
        read_idx(path)


def test_gz_csv_bomb(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(zeros_gz(4, b"a,b\n"))
    with pytest.raises(DataError, match="t.csv.gz: the decompressed data"):
        load_dataset(str(path))


def test_a_small_gz_csv_still_reads(tmp_path):
    path = tmp_path / "t.csv.gz"
    path.write_bytes(gzip.compress(b"x,y\n1,0\n2,1\n3,0\n"))
    assert len(load_dataset(str(path))) == 3


def test_npz_zip_bomb_is_refused_from_its_directory(tmp_path):
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        buf = io.BytesIO()
        np.save(buf, np.zeros(400_000, np.float32))
        z.writestr("x.npy", buf.getvalue())
    assert path.stat().st_size < 50_000
    with pytest.raises(DataError, match="bomb.npz: the arrays would be"):
        load_dataset(str(path))


def png(width: int, height: int, data: bytes = b"") -> bytes:
    def chunk(tag: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + tag + body + struct.pack(">I", zlib.crc32(tag + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(data)) + chunk(b"IEND", b""))


def test_png_header_claiming_a_huge_image_is_refused_before_decoding(tmp_path):
    path = tmp_path / "huge.png"
    path.write_bytes(png(100_000, 100_000, bytes(1000)))
    with pytest.raises(DataError, match=r"huge.png: (refused, the image is too large|the image claims)"):
        read_image(path)  # Pillow refuses beyond its own limit; ours is lower
    path.write_bytes(png(2000, 1000, bytes(2001 * 1000)))
    with pytest.raises(DataError, match=r"huge.png: the image claims 2000×1000 pixels, more than the limit"):
        read_image(path)
    with pytest.raises(DataError, match="2000×1000"):
        decode_png(path.read_bytes())


def test_the_own_png_decoder_inflates_only_what_the_header_needs():
    image = decode_png(png(4, 4, bytes(50 << 20)))  # 50 MB of zeros behind a 4×4 header
    assert image.shape == (4, 4, 1)
    with pytest.raises(ValueError, match="header needs"):
        decode_png(png(4, 4, bytes(7)))
