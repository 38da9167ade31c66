"""Image folders: one sub-folder per class, every image resized to one size.

Pillow (a dependency) decodes every format, PNG included; its header is
checked against data_limits' pixel cap before anything is decoded. The
decoders below for PNG and Netpbm (PGM, PPM, PBM) only serve an install
whose Pillow is broken. Images already at the Input's size whose channels
need no mixing (grey, colour, alpha dropped, grey repeated) are held as
uint8 with a ByteScale (x / 255 per batch, on the device: the same values
as a float copy, a quarter of the memory); any that must be resized or made
grey make the folder float32 as before. Folders with more images than
`preload_limit` are read on demand while training (lazy_batches.py: a
DataLoader built once, each image decoded once into a cache when the folder
fits NETBUILDER_MAX_DATA_MB or the option cache_mb; option workers sets the
number of decoding processes).
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from netbuilder.train.data import ByteScale, DataError, Dataset
from netbuilder.train.data_limits import check_pixels, max_data_bytes

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NETPBM = (".pgm", ".ppm", ".pbm", ".pnm")
OWN_FORMATS = (".png",) + NETPBM
PIL_FORMATS = (".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
MAX_FOLDER_ENTRIES = 2_000_000  # files and folders scanned in an image folder's class folders


def _pillow() -> Any:
    try:
        from PIL import Image  # a dependency; missing only from a broken install
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
                wanted = "RGBA" if im.mode in ("RGBA", "LA", "P") else "RGB" if im.mode != "L" else "L"
                a = np.asarray(im if im.mode == wanted else im.convert(wanted))  # no copy when it already is
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
    budget = [MAX_FOLDER_ENTRIES]
    for k, name in enumerate(classes):
        for p in _class_files(root, name, budget):
            if not p.is_file():  # a link to a device or a FIFO is no image
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


def _class_files(root: Path, name: str, budget: list[int]) -> list[Path]:
    """Every file under class folder `name`, sorted. Linked folders are not followed (a class
    folder linked to / scanned the whole filesystem), a class folder that is itself a link must
    stay inside the image folder, and at most MAX_FOLDER_ENTRIES entries are looked at."""
    folder = root / name
    real_root, real = root.resolve(), folder.resolve()
    if real != real_root and real_root not in real.parents:
        raise DataError(f"{root}: class folder {name!r} is a link to {real}, outside the image folder; "
                        "copy the images in, or link the image files one by one")
    found = []
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        budget[0] -= len(dirnames) + len(filenames)
        if budget[0] < 0:
            raise DataError(f"{root}: more than {MAX_FOLDER_ENTRIES:,} files and folders in its class folders "
                            f"(stopped in {dirpath}); point the dataset at the folder of class folders itself")
        found += [Path(dirpath) / f for f in filenames if not f.startswith(".")]
    return sorted(found)


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


def to_bytes(img: np.ndarray, size: tuple[int, int], channels: int) -> np.ndarray | None:
    """(H, W, C) uint8 → (channels, h, w) uint8 when only dropping alpha or repeating grey is needed,
    so that x / 255 gives exactly to_sample's values; None when it must be resized or made grey."""
    if tuple(img.shape[:2]) != tuple(size):
        return None
    a = img[:, :, :-1] if img.shape[2] in (2, 4) else img
    if channels == 1 and a.shape[2] == 3:
        return None
    if channels == 3 and a.shape[2] == 1:
        a = np.repeat(a, 3, axis=2)
    return np.array(a.transpose(2, 0, 1), order="C")  # its own, writable (torch shares the memory)


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
        as_bytes = to_bytes(first, shape[1:], shape[0]) is not None  # the first image decides, for all
        lazy = LazyImages(files, labels, shape, np.uint8 if as_bytes else np.float32,
                          _cache_bytes(root, options), _workers(root, options))
        return Dataset(root.name, np.empty((0, *shape), lazy.dtype), labels, "classification", len(classes),
                       classes, shape, lazy=lazy, scale=ByteScale.pixels(shape) if as_bytes else None)
    x = _decode_all(files, shape)
    scale = ByteScale.pixels(shape) if x.dtype == np.uint8 else None
    return Dataset(root.name, x, labels, "classification", len(classes), classes, shape, scale=scale)


def _decode_all(files: list[Path], shape: tuple[int, int, int]) -> np.ndarray:
    """Every image as uint8 (C, h, w) when all of them can be; else float32 as to_sample gives."""
    out: list[np.ndarray] = []
    exact = True
    for f in files:
        img = read_image(f)
        sample = to_bytes(img, shape[1:], shape[0]) if exact else None
        if sample is None and exact:  # this one needs resampling: the whole folder becomes float32
            exact = False
            out = [o.astype(np.float32) / 255.0 for o in out]
        out.append(sample if exact else to_sample(img, shape[1:], shape[0]))
    return np.stack(out)


def _cache_bytes(root: Path, options: dict[str, Any]) -> int:
    value = options.get("cache_mb")
    if value is None:
        return max_data_bytes()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise DataError(f"{root}: dataset option cache_mb must be a number of megabytes (0: no cache), "
                        f"got {value!r}")
    return int(value * 2**20)


def _workers(root: Path, options: dict[str, Any]) -> int | None:
    value = options.get("workers")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise DataError(f"{root}: dataset option workers must be a whole number of processes (0: none), "
                        f"got {value!r}")
    return value


class LazyImages:
    """Images read and resized when a batch asks for them (a map-style dataset: lazy_batches.py wraps
    it for torch's DataLoader). In uint8 mode an image of another size than the first is resized and
    rounded back to 8 bits (a folder of equal-sized images, the usual case, is exact)."""

    def __init__(self, files: list[Path], labels: np.ndarray, shape: tuple[int, int, int],
                 dtype: Any = np.float32, cache_bytes: int = 0, workers: int | None = None) -> None:
        self.files, self.labels, self.shape = files, labels, shape
        self.dtype, self.cache_bytes, self.workers = np.dtype(dtype), cache_bytes, workers

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, i: int) -> tuple[np.ndarray, int]:
        img = read_image(self.files[i])
        if self.dtype == np.uint8:
            sample = to_bytes(img, self.shape[1:], self.shape[0])
            if sample is None:
                sample = np.round(to_sample(img, self.shape[1:], self.shape[0]) * 255.0).astype(np.uint8)
            return sample, int(self.labels[i])
        return to_sample(img, self.shape[1:], self.shape[0]), int(self.labels[i])
