"""The sliced jobs on the GUI thread share each turn of the event loop (issue 18).

The budget bar's count, the canvas's item and shape batches and the minimap's
redraw each work a slice at a time on a zero timer, so that none holds the
editor longer than a slice. But Qt runs every due timer in one pass of the
event loop: at 20,000 layers two or three 8 ms slices landed in the same turn
and made blocks of 25-40 ms, twice a frame.

So a job asks `share()` before its slice: the time the turn has left for
sliced work (TURN_S in all). When less than MIN_S is left, another job has had
the turn and this one waits for the next (its zero timer again; Qt fires it
first then, as it came due first). A short slice, such as a re-check of a few
layers, leaves room for the next job in the same turn.

Some jobs are `urgent` (the shape check and the budget bar's count: an edit
waits on them). While one of them is busy, the others (items, shapes, the
minimap) leave it every turn: sharing turns with them, a reshape of 20,000
layers took 2 s instead of 0.3 s to show its costs.

A turn starts when the event dispatcher wakes (`awake`, once per pass). Should
a dispatcher not say so, a turn older than STALE_S counts as over: a job waits
at most that long.
"""

from __future__ import annotations

import time
import weakref
from typing import Callable

from PySide6.QtCore import QAbstractEventDispatcher, QTimer

TURN_S = 0.010  # sliced work per turn, all jobs together: with the repaint, under a 60 Hz frame
MIN_S = 0.002  # less left than this: the job waits for the next turn
STALE_S = 0.050


class _Turn:
    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.used = 0.0
        self.hooked: object = None  # the dispatcher whose `awake` starts our turns

    def begin(self) -> None:
        self.start, self.used = time.perf_counter(), 0.0

    def current(self) -> "_Turn":
        dispatcher = QAbstractEventDispatcher.instance()
        if dispatcher is not None and self.hooked is not dispatcher:
            dispatcher.awake.connect(self.begin)
            self.hooked = dispatcher
        if time.perf_counter() - self.start > STALE_S:
            self.begin()
        return self


_TURN = _Turn()


def share(want: float) -> float | None:
    """Seconds this job may work now: `want`, less if the turn is partly used; None if it is used up."""
    turn = _TURN.current()
    left = TURN_S - turn.used
    return min(want, left) if left >= MIN_S else None


def spend(seconds: float) -> None:
    """A job worked `seconds` in this turn."""
    _TURN.current().used += seconds


_URGENT: list[weakref.WeakMethod] = []


def urgent(busy: Callable[[], bool]) -> Callable[[], None]:
    """Register an urgent job by its `busy` method (held weakly); returns an unregister."""
    ref = weakref.WeakMethod(busy)  # type: ignore[arg-type]
    _URGENT[:] = [r for r in _URGENT if r() is not None]  # jobs deleted without unregistering
    _URGENT.append(ref)
    return lambda: _URGENT.remove(ref) if ref in _URGENT else None


def urgent_busy() -> bool:
    """Asked by every background slot on every turn: no list is rebuilt here."""
    return any(busy() for busy in (ref() for ref in _URGENT) if busy is not None)


def run_shared(want: float, work: Callable[[float], object], timer: QTimer, background: bool = False) -> None:
    """A timer's slot: `work(seconds)` for this turn's share, or `timer` again for the next turn
    (a `background` job also while an urgent one is busy)."""
    seconds = None if background and urgent_busy() else share(want)
    if seconds is None:
        timer.start()
        return
    start = time.perf_counter()
    try:
        work(seconds)
    finally:
        spend(time.perf_counter() - start)
