"""Free space on the canvas for new layers (quick add, drop on an edge, Duplicate).

A new layer put exactly where the user pointed can land on top of another one
(a drop onto a short edge between two neighbours, a duplicate 40 px off its
original): it then hides what it covers and looks like one layer. `free_spot`
keeps the wanted place when it is free and otherwise takes the nearest free
place on a coarse grid around it. Only the layers near the wanted place are
looked at, so it stays cheap in a 100,000-layer network.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Iterable

from PySide6.QtCore import QRectF

GAP = 24.0  # clear space kept around a new layer
STEP = 40.0  # the search grid
RINGS = 30  # how far the search goes (rings of STEP around the wanted place)


def node_rects(scene) -> list[QRectF]:
    """Where the layers of a GraphScene are drawn."""
    return [item.sceneBoundingRect() for item in scene.node_items.values()]


def free_spot(rects: Iterable[QRectF], pos: tuple[float, float], size: tuple[float, float]) -> tuple[float, float]:
    """The top-left nearest to `pos` where a `size` box (plus GAP) overlaps none of `rects`."""
    w, h = size
    reach = RINGS * STEP + max(w, h) + GAP
    area = QRectF(pos[0] - reach, pos[1] - reach, w + 2 * reach, h + 2 * reach)
    near = [r for r in rects if r.intersects(area)]
    for dx, dy in _offsets():
        x, y = pos[0] + dx, pos[1] + dy
        box = QRectF(x - GAP, y - GAP, w + 2 * GAP, h + 2 * GAP)
        if not any(box.intersects(r) for r in near):
            return x, y
    return pos  # crowded everywhere nearby: where it was asked for


@lru_cache(maxsize=1)
def _offsets() -> tuple[tuple[float, float], ...]:
    """Grid offsets nearest first; below before right before above (reading order)."""
    cells = [(i * STEP, j * STEP) for i in range(-RINGS, RINGS + 1) for j in range(-RINGS, RINGS + 1)]
    return tuple(sorted(cells, key=lambda c: (math.hypot(*c), c[1] < 0, c[0] < 0)))


def bounding(rects: list[QRectF]) -> QRectF:
    out = QRectF(rects[0])
    for r in rects[1:]:
        out = out.united(r)
    return out
