"""A grid of small images with captions, painted with QPainter.

Used for prediction samples, input-vs-reconstruction pairs, VAE prior
samples, feature maps and RBM filters. Arrays become QImages once, when they
arrive; painting then only scales pixmaps, so resizing the dock stays cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


def _lut(name: str) -> np.ndarray:
    """256×3 uint8 colour table: gray, or diverging blue–white–red for weights."""
    t = np.linspace(0.0, 1.0, 256)
    if name == "diverging":
        lo, mid, hi = np.array([33, 102, 172]), np.array([247, 247, 247]), np.array([178, 24, 43])
        a = np.clip(2 * t, 0, 1)[:, None]
        b = np.clip(2 * t - 1, 0, 1)[:, None]
        rgb = np.where(t[:, None] < 0.5, lo + (mid - lo) * a, mid + (hi - mid) * b)
        return rgb.astype(np.uint8)
    return np.repeat((t * 255).astype(np.uint8)[:, None], 3, axis=1)


_LUTS = {name: _lut(name) for name in ("gray", "diverging")}


def as_image_array(a: np.ndarray, image_shape: tuple[int, ...] | None = None) -> np.ndarray:
    """Coerce one sample to (H, W) or (H, W, 3): a flat vector becomes the
    input's image shape, else a square if its length is one, else a strip."""
    a = np.asarray(a, dtype=np.float32)
    if image_shape and a.ndim == 1 and int(np.prod(image_shape)) == a.size:
        a = a.reshape(image_shape)
    if a.ndim == 1:
        side = int(round(math.sqrt(a.size)))
        a = a.reshape(side, side) if side * side == a.size else a.reshape(1, -1)
    if a.ndim == 3:
        if a.shape[0] == 1:
            a = a[0]
        elif a.shape[0] == 3:
            a = np.transpose(a, (1, 2, 0))
        else:
            a = a.mean(axis=0)  # many channels: show their mean
    while a.ndim > 3:
        a = a[0]
    return a


def to_qimage(a: np.ndarray, cmap: str = "gray", symmetric: bool = False,
              vrange: tuple[float, float] | None = None) -> QImage:
    """Normalise an (H, W) or (H, W, 3) array to 0..255 and wrap it in a QImage."""
    a = np.nan_to_num(np.asarray(a, dtype=np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    if vrange is not None:
        lo, hi = vrange
    elif symmetric:
        m = float(np.abs(a).max()) or 1.0
        lo, hi = -m, m
    else:
        lo, hi = float(a.min()), float(a.max())
    scaled = np.clip((a - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
    idx = (scaled * 255).astype(np.uint8)
    rgb = idx if a.ndim == 3 else _LUTS.get(cmap, _LUTS["gray"])[idx]
    rgb = np.ascontiguousarray(rgb)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


@dataclass
class Tile:
    image: QImage | None  # None: an empty cell (keeps a row aligned)
    caption: str = ""
    color: QColor | None = None  # caption colour (green = right, red = wrong)


class ImageGrid(QWidget):
    """Tiles laid out in `columns` (or a square-ish grid), optional row titles."""

    def __init__(self, parent: QWidget | None = None, empty_text: str = "") -> None:
        super().__init__(parent)
        self.tiles: list[Tile] = []
        self.columns: int | None = None
        self.row_titles: list[str] = []
        self.title = ""
        self.empty_text = empty_text
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 100)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(360, 300)

    def set_tiles(self, tiles: list[Tile], columns: int | None = None,
                  row_titles: list[str] | None = None, title: str = "") -> None:
        self.tiles, self.columns, self.row_titles, self.title = tiles, columns, row_titles or [], title
        self.update()

    def clear(self) -> None:
        self.set_tiles([])

    def _grid(self) -> tuple[int, int]:
        n = len(self.tiles)
        cols = self.columns or max(1, math.ceil(math.sqrt(n * max(self.width(), 1) / max(self.height(), 1))))
        cols = min(cols, n) if n else 1
        return cols, math.ceil(n / cols) if n else 0

    def paintEvent(self, event) -> None:  # noqa: N802
        painter = QPainter(self)
        text = self.palette().color(QPalette.ColorRole.Text)
        painter.setPen(text)
        if not self.tiles:
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.empty_text)
            return
        fm = painter.fontMetrics()
        top = fm.height() + 4 if self.title else 0
        if self.title:
            painter.drawText(QRectF(0, 0, self.width(), fm.height() + 2), Qt.AlignmentFlag.AlignCenter, self.title)
        left = max((fm.horizontalAdvance(t) for t in self.row_titles), default=0) + (8 if self.row_titles else 0)
        cols, rows = self._grid()
        cap_h = fm.height() if any(t.caption for t in self.tiles) else 0
        avail_w, avail_h = self.width() - left, self.height() - top
        first = next((t.image for t in self.tiles if t.image is not None), None)
        aspect = first.width() / max(first.height(), 1) if first is not None else 1.0
        gap = 4.0
        # the largest tile that fits both ways; the block is then centred
        tile_h = max(4.0, min((avail_h / max(rows, 1)) - cap_h - gap, (avail_w / cols - gap) / aspect))
        tile_w = tile_h * aspect
        cell_w, cell_h = tile_w + gap, tile_h + cap_h + gap
        x0 = left + max(0.0, (avail_w - cols * cell_w) / 2)
        y0 = top + max(0.0, (avail_h - rows * cell_h) / 2)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        for i, tile in enumerate(self.tiles):
            r, c = divmod(i, cols)
            x, y = x0 + c * cell_w + gap / 2, y0 + r * cell_h + gap / 2
            if tile.image is not None:
                painter.drawImage(QRectF(x, y, tile_w, tile_h), tile.image)
            if tile.caption:
                painter.setPen(tile.color or text)
                painter.drawText(QRectF(x - gap, y + tile_h, tile_w + 2 * gap, cap_h),
                                 Qt.AlignmentFlag.AlignCenter, tile.caption)
        painter.setPen(text)
        for r, title in enumerate(self.row_titles[:rows]):
            painter.drawText(QRectF(0, y0 + r * cell_h, x0 - 4, tile_h + gap),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, title)
