"""Image folders: one sub-folder per class, every image resized to one size.

Pillow is used when it is installed (any format it reads). Without it, PNG
and the Netpbm formats (PGM, PPM, PBM) are decoded here with the standard
library and NumPy; other formats (JPEG, ...) give a DataError saying that
they need Pillow. Folders with more images than `preload_limit` are read on
demand while training (a torch Dataset streamed by a DataLoader).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from netbuilder.train.data import DataError, Dataset
from netbuilder.train.data_limits import check_pixels

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NETPBM = (".pgm", ".ppm", ".pbm", ".pnm")
OWN_FORMATS = (".png",) + NETPBM
PIL_FORMATS = (".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


def _pillow() -> Any:
    try:
        from PIL import Image  # optional: not a dependency
    except ImportError:
        return None
    return Image


def read_image(path: Path) -> np.ndarray:
    """(H, W, C) uint8 with C in 1, 3, 4."""
    pil = _pillow()
    suffix = path.suffix.lower()
    try:
        if pil is not None:
            with pil.open(path) as im:
                check_pixels(path, *im.size)  # the header only: nothing is decoded yet
                im = im.convert("RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB" if im.mode != "L" else "L")
                a = np.asarray(im)
        elif suffix == ".png":
            a = decode_png(path.read_bytes())
        elif suffix in NETPBM:
            a = decode_netpbm(path.read_bytes())
        else:
            raise DataError(f"{path}: reading {suffix} images needs Pillow (pip install pillow); "
                            f"without it, PNG, PGM and PPM images work")
    except (OSError, ValueError, zlib.error, struct.error) as exc:
        if isinstance(exc, DataError):
            raise
        raise DataError(f"{path}: cannot read the image ({exc})") from None
    except Exception as exc:  # noqa: BLE001 — Pillow's DecompressionBombError and its warning (as error)
        if type(exc).__name__.startswith("DecompressionBomb"):
            raise DataError(f"{path}: refused, the image is too large to decode safely ({exc})") from None
        raise
    return a[:, :, None] if a.ndim == 2 else a


# ------------------------------------------------------------------ decoders
def decode_png(raw: bytes) -> np.ndarray:
    """Non-interlaced PNG (grey, RGB, palette, with or without alpha; 1–16 bit)."""
    if raw[:8] != PNG_SIGNATURE:
        raise ValueError("not a PNG file")
    pos, idat, palette = 8, [], None
    width = height = depth = ctype = 0
    while pos < len(raw):
        length, tag = struct.unpack(">I4s", raw[pos:pos + 8])
        body = raw[pos + 8:pos + 8 + length]
        pos += 12 + length
        if tag == b"IHDR":
            width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            check_pixels("PNG", width, height)
            if interlace:
                raise ValueError("interlaced PNG needs Pillow")
        elif tag == b"PLTE":
            palette = np.frombuffer(body, np.uint8).reshape(-1, 3)
        elif tag == b"IDAT":
            idat.append(body)
        elif tag == b"IEND":
            break
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    bits = depth * channels
    stride = (width * bits + 7) // 8
    bpp = max(1, bits // 8)
    expected = height * (stride + 1)  # never inflate more than the header's image needs
    data = np.frombuffer(zlib.decompressobj().decompress(b"".join(idat), expected), np.uint8)
    if len(data) != expected:
        raise ValueError(f"PNG data holds {len(data)} bytes, its {width}×{height} header needs {expected}")
    rows = _unfilter(data.reshape(height, stride + 1), bpp)
    if depth < 8:
        values = np.unpackbits(rows, axis=1)[:, :width * depth].reshape(height, width, depth)
        img = (values * (1 << np.arange(depth - 1, -1, -1))).sum(-1).astype(np.uint8)[:, :, None]
        if ctype == 0:
            img = (img * (255 // ((1 << depth) - 1))).astype(np.uint8)
    elif depth == 16:
        img = rows.reshape(height, width, channels, 2)[..., 0]
    else:
        img = rows.reshape(height, width, channels)
    if ctype == 3:
        if palette is None:
            raise ValueError("palette PNG without a palette")
        img = palette[img[:, :, 0]]
    return img


def _unfilter(rows: np.ndarray, bpp: int) -> np.ndarray:
    out = np.zeros((rows.shape[0], rows.shape[1] - 1), np.uint8)
    prev = np.zeros(rows.shape[1] - 1, np.int64)
    for r in range(rows.shape[0]):
        kind, line = rows[r, 0], rows[r, 1:].astype(np.int64)
        if kind == 1:  # Sub: a running sum per byte position within a pixel
            pad = (-len(line)) % bpp
            line = np.cumsum(np.pad(line, (0, pad)).reshape(-1, bpp), axis=0).reshape(-1)[:len(line)]
        elif kind == 2:
            line = line + prev
        elif kind in (3, 4):
            cur = line.copy()
            for i in range(len(cur)):
                a = cur[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                if kind == 3:
                    cur[i] = (cur[i] + (a + b) // 2) & 255
                else:
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    cur[i] = (cur[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            line = cur
        line = line & 255
        out[r] = line
        prev = line
    return out


def decode_netpbm(raw: bytes) -> np.ndarray:
    """P1–P6 (PBM, PGM, PPM), ASCII or binary, 8 or 16 bit."""
    tokens: list[bytes] = []
    pos = 0
    magic = raw[:2]
    if magic not in (b"P1", b"P2", b"P3", b"P4", b"P5", b"P6"):
        raise ValueError("not a PBM/PGM/PPM file")
    need = 3 if magic in (b"P1", b"P4") else 4
    while len(tokens) < need:
        while raw[pos:pos + 1].isspace():
            pos += 1
        if raw[pos:pos + 1] == b"#":
            pos = raw.index(b"\n", pos) + 1
            continue
        end = pos
        while end < len(raw) and not raw[end:end + 1].isspace():
            end += 1
        tokens.append(raw[pos:end])
        pos = end
    pos += 1  # one whitespace byte after the header
    width, height = int(tokens[1]), int(tokens[2])
    maxval = int(tokens[3]) if need == 4 else 1
    channels = 3 if magic in (b"P3", b"P6") else 1
    count = width * height * channels
    if magic in (b"P1", b"P2", b"P3"):
        values = np.array(raw[pos:].split()[:count] if magic != b"P1" else
                          list(raw[pos:].replace(b" ", b"").replace(b"\n", b"").decode())[:count], dtype=np.int64)
    elif magic == b"P4":
        bits = np.unpackbits(np.frombuffer(raw[pos:], np.uint8).reshape(height, -1), axis=1)[:, :width]
        values = bits.reshape(-1).astype(np.int64)
    else:
        dtype = ">u2" if maxval > 255 else np.uint8
        values = np.frombuffer(raw[pos:], dtype=dtype, count=count).astype(np.int64)
    if magic in (b"P1", b"P4"):
        values = 1 - values  # PBM: 1 is black
    img = (values * 255 // max(maxval, 1)).astype(np.uint8)
    return img.reshape(height, width, channels)


# ------------------------------------------------------------------ folders
def _image_files(root: Path) -> tuple[list[Path], np.ndarray, list[str]]:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise DataError(f"{root}: an image folder needs one sub-folder per class (e.g. cats/, dogs/)")
    formats = OWN_FORMATS + (PIL_FORMATS if _pillow() else ())
    files, labels, skipped = [], [], set()
    for k, name in enumerate(classes):
        for p in sorted((root / name).rglob("*")):
            if not p.is_file():
                continue
            if p.suffix.lower() in formats:
                files.append(p)
                labels.append(k)
            elif p.suffix.lower() in PIL_FORMATS:
                skipped.add(p.suffix.lower())
    if not files:
        hint = (f"; {', '.join(sorted(skipped))} images need Pillow (pip install pillow)" if skipped else "")
        raise DataError(f"{root}: no readable images in its class folders{hint}")
    return files, np.array(labels, np.int64), classes


def resize(img: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of (H, W, C) float to (h, w, C)."""
    h, w = size
    H, W = img.shape[:2]
    if (H, W) == (h, w):
        return img
    ys = np.clip((np.arange(h) + 0.5) * H / h - 0.5, 0, H - 1)
    xs = np.clip((np.arange(w) + 0.5) * W / w - 0.5, 0, W - 1)
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    y1, x1 = np.minimum(y0 + 1, H - 1), np.minimum(x0 + 1, W - 1)
    fy, fx = (ys - y0)[:, None, None], (xs - x0)[None, :, None]
    top = img[y0][:, x0] * (1 - fx) + img[y0][:, x1] * fx
    bottom = img[y1][:, x0] * (1 - fx) + img[y1][:, x1] * fx
    return top * (1 - fy) + bottom * fy


def to_sample(img: np.ndarray, size: tuple[int, int], channels: int) -> np.ndarray:
    """(H, W, C) uint8 → (channels, h, w) float32 in [0, 1]."""
    a = img.astype(np.float32) / 255.0
    if a.shape[2] in (2, 4):
        a = a[:, :, :-1]  # drop alpha
    if channels == 1 and a.shape[2] == 3:
        a = a @ np.array([0.299, 0.587, 0.114], np.float32)[:, None]
    elif channels == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return resize(a, size).transpose(2, 0, 1).astype(np.float32)


def load_image_folder(path: str, options: dict[str, Any], hint: Any = None) -> Dataset:
    root = Path(path)
    files, labels, classes = _image_files(root)
    first = read_image(files[0])
    size = options.get("size")
    if size is None and hint is not None and len(hint) == 3 and hint[1] and hint[2]:
        size = (hint[1], hint[2])
    size = tuple(size) if size is not None else first.shape[:2]
    channels = options.get("channels") or (hint[0] if hint is not None and len(hint) == 3 and hint[0] in (1, 3)
                                           else (1 if first.shape[2] <= 2 else 3))
    shape = (int(channels), int(size[0]), int(size[1]))
    limit = int(options.get("preload_limit", 20000))
    if len(files) > limit:
        lazy = LazyImages(files, labels, shape)
        return Dataset(root.name, np.empty((0, *shape), np.float32), labels, "classification", len(classes),
                       classes, shape, lazy=lazy)
    x = np.stack([to_sample(read_image(f), shape[1:], shape[0]) for f in files])
    return Dataset(root.name, x, labels, "classification", len(classes), classes, shape)


class LazyImages:
    """Images read and resized when a batch asks for them (a map-style
    dataset: the batches module wraps it for torch's DataLoader)."""

    def __init__(self, files: list[Path], labels: np.ndarray, shape: tuple[int, int, int]) -> None:
        self.files, self.labels, self.shape = files, labels, shape

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        return to_sample(read_image(self.files[i]), self.shape[1:], self.shape[0]), int(self.labels[i])
