"""Limits checked before a data file is decoded, so a small hostile file (a gzip or zip bomb, a PNG
header claiming 10⁶ × 10⁶ pixels) is refused with a message instead of filling the memory.

NETBUILDER_MAX_DATA_MB (default 8192) caps the decoded bytes of one data file;
NETBUILDER_MAX_IMAGE_PIXELS (default 64 megapixels) caps one image.
"""

from __future__ import annotations

import os
import zlib

from netbuilder.train.data import DataError

MAX_DATA_MB_DEFAULT = 8192
MAX_IMAGE_PIXELS_DEFAULT = 64_000_000


def _env_number(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def max_data_bytes() -> int:
    return int(_env_number("NETBUILDER_MAX_DATA_MB", MAX_DATA_MB_DEFAULT) * 2**20)


def max_image_pixels() -> int:
    return int(_env_number("NETBUILDER_MAX_IMAGE_PIXELS", MAX_IMAGE_PIXELS_DEFAULT))


def too_big(where: object, what: str, size: int, limit: int, env: str = "NETBUILDER_MAX_DATA_MB") -> DataError:
    return DataError(f"{where}: {what} would be {size / 2**20:,.0f} MB, more than the limit of "
                     f"{limit / 2**20:,.0f} MB (set {env} to raise it)")


def gunzip_capped(raw: bytes, where: object, limit: int | None = None) -> bytes:
    """gzip data decompressed, refusing (before it is all in memory) more than `limit` bytes."""
    limit = max_data_bytes() if limit is None else limit
    inflater = zlib.decompressobj(wbits=31)  # gzip framing
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise DataError(f"{where}: damaged gzip data ({exc})") from None
    if len(out) > limit:
        raise too_big(where, "the decompressed data", len(out), limit)
    return out


def check_pixels(where: object, width: int, height: int) -> None:
    limit = max_image_pixels()
    if width * height > limit:
        raise DataError(f"{where}: the image claims {width}×{height} pixels, more than the limit of "
                        f"{limit:,} (set NETBUILDER_MAX_IMAGE_PIXELS to raise it)")


MAX_CLASSES = 100_000  # one name per class is built: a label of 10⁹ must not build 10⁹ names


def check_class_labels(where: object, y: object, task: str | None) -> None:
    """Refuse whole-number labels so large that their classes (0..label) cannot be listed."""
    import numpy as np  # numpy only here: the limits above stay import-light

    if task != "classification" or not isinstance(y, np.ndarray) or not y.size:
        return
    if not np.issubdtype(y.dtype, np.number) or not np.all(np.isfinite(y)):
        return
    top = float(y.max())
    if top >= MAX_CLASSES:
        raise DataError(f"{where}: class label {top:g} means {top + 1:,.0f} classes, more than the limit of "
                        f"{MAX_CLASSES:,}; labels must be 0, 1, 2, ... (is this a regression target? "
                        "set the dataset option task to 'regression')")
