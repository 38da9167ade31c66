"""Growable point buffers and TensorBoard-style smoothing for live curves.

A live curve receives a few points per timer tick for minutes; appending to a
Python list and converting it on every redraw would cost O(n) per tick. A
`Series` keeps preallocated NumPy arrays that double when full, so appending
is amortised O(1) and `view()` hands pyqtgraph a slice without copying. The
smoothed copy is updated incrementally too; only changing the smoothing
weight recomputes it from scratch (a one-off user action).

Step points are throttled by time, so their density on the x-axis depends on
how fast the run is: a run of a few seconds has about one per epoch, a long
one hundreds. TensorBoard's per-point weight would lag ~w/(1-w) points behind,
i.e. whole epochs on a sparse series (0.38 drawn where the epoch mean is 0.1).
Given a `spacing`, the weight applies per `spacing` of x instead: a point
`dx` after the previous one decays the average by w**(dx/spacing), so the lag
is the same share of the axis whatever the event rate, and points that sparse
are shown nearly as they are (each is already a mean over many steps).
"""

from __future__ import annotations

import math

import numpy as np


class Series:
    """x/y points in preallocated float64 buffers, plus their EMA-smoothed y."""

    def __init__(self, capacity: int = 256, smoothing: float = 0.0, spacing: float | None = None) -> None:
        """`spacing`: the x-distance one smoothing step stands for; None: per point (TensorBoard)."""
        self._x = np.empty(max(1, capacity))
        self._y = np.empty(max(1, capacity))
        self._s = np.empty(max(1, capacity))
        self.n = 0
        self.dirty = False  # set on append; the plot clears it after setData
        self._weight = float(smoothing)
        self._spacing = spacing if spacing is None or spacing > 0 else None
        self._reset_ema()

    # ----------------------------------------------------------------- data
    def append(self, x: float, y: float | None) -> None:
        if self.n == len(self._x):
            self._grow()
        y = math.nan if y is None else float(y)
        self._x[self.n] = float(x)
        self._y[self.n] = y
        self._s[self.n] = self._ema_step(float(x), y)
        self.n += 1
        self.dirty = True

    def extend(self, xs: np.ndarray, ys: np.ndarray) -> None:
        for x, y in zip(xs, ys):
            self.append(x, y)

    def _grow(self) -> None:
        size = 2 * len(self._x)
        for name in ("_x", "_y", "_s"):
            old = getattr(self, name)
            new = np.empty(size)
            new[: self.n] = old[: self.n]
            setattr(self, name, new)

    @property
    def capacity(self) -> int:
        return len(self._x)

    def view(self, smoothed: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The points so far (views into the buffers, not copies)."""
        return self._x[: self.n], (self._s if smoothed else self._y)[: self.n]

    def last(self) -> tuple[float, float] | None:
        return (float(self._x[self.n - 1]), float(self._y[self.n - 1])) if self.n else None

    def nearest(self, x: float, smoothed: bool = False) -> tuple[float, float] | None:
        """The point whose x is closest to `x` (x is increasing, so bisect)."""
        if not self.n:
            return None
        xs, ys = self.view(smoothed)
        i = int(np.clip(np.searchsorted(xs, x), 1, self.n - 1)) if self.n > 1 else 0
        if self.n > 1 and abs(xs[i - 1] - x) <= abs(xs[i] - x):
            i -= 1
        return float(xs[i]), float(ys[i])

    # ------------------------------------------------------------ smoothing
    @property
    def smoothing(self) -> float:
        return self._weight

    def set_smoothing(self, weight: float) -> None:
        """Change the EMA weight (0 = raw, 0.99 = very smooth); recompute."""
        weight = float(min(max(weight, 0.0), 0.999))
        if weight == self._weight:
            return
        self._weight = weight
        self._reset_ema()
        for i in range(self.n):
            self._s[i] = self._ema_step(float(self._x[i]), self._y[i])
        self.dirty = True

    def _reset_ema(self) -> None:
        self._ema_last = 0.0
        self._ema_norm = 0.0  # the weights' sum so far: TensorBoard's 1 - w**count, for any weights
        self._ema_x: float | None = None  # x of the last finite point

    def _ema_step(self, x: float, y: float) -> float:
        """TensorBoard's debiased EMA: non-finite points pass through and
        do not poison the average, so a curve recovers after a NaN."""
        if not math.isfinite(y):
            return y
        w = self._weight
        if w > 0 and self._spacing is not None and self._ema_x is not None:
            w = w ** max(0.0, (x - self._ema_x) / self._spacing)
        self._ema_x = x
        self._ema_last = self._ema_last * w + (1.0 - w) * y
        self._ema_norm = self._ema_norm * w + (1.0 - w)
        return self._ema_last / self._ema_norm if self._ema_norm > 0 else y


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Smooth a whole array the way Series does (for exports and tests)."""
    s = Series(capacity=len(values), smoothing=weight)
    for i, v in enumerate(values):
        s.append(i, v)
    return s.view(smoothed=True)[1].copy()
