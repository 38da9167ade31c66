"""Sliced jobs share each turn of the event loop (gui/turns.py): Qt fires every due zero timer
in one pass, and two 8 ms slices in one pass made a 16-40 ms block of the editor at 20,000 layers."""

from __future__ import annotations

import time

import pytest
from PySide6.QtCore import QObject, QTimer

from netbuilder.gui import turns


class Job(QObject):
    """A sliced job on a zero timer: `slices` slices of `work_s` seconds each."""

    def __init__(self, name: str, log: list, slices: int, work_s: float, background: bool = False) -> None:
        super().__init__()
        self.name, self.log, self.left, self.work_s, self.background = name, log, slices, work_s, background
        self.pass_number = lambda: 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(0)
        self.timer.timeout.connect(self._turn)

    def _turn(self) -> None:
        turns.run_shared(0.008, self._slice, self.timer, background=self.background)

    def _slice(self, seconds: float) -> None:
        end = time.perf_counter() + min(seconds, self.work_s)
        while time.perf_counter() < end:
            pass
        self.log.append((self.pass_number(), self.name))
        self.left -= 1
        if self.left:
            self.timer.start()

    def busy(self) -> bool:
        return self.left > 0


def _passes(qapp, jobs: list[Job], limit: int = 200) -> None:
    """Run the event loop a pass at a time until every job is done, numbering the passes."""
    count = [0]
    for job in jobs:
        job.pass_number = lambda: count[0]
        job.timer.start()
    while any(job.busy() for job in jobs) and count[0] < limit:
        count[0] += 1
        qapp.processEvents()
    assert not any(job.busy() for job in jobs)


def _by_pass(log: list) -> dict[int, list[str]]:
    passes: dict[int, list[str]] = {}
    for number, name in log:
        passes.setdefault(number, []).append(name)
    return passes


def test_two_full_slices_never_share_a_pass(qapp):
    log: list = []
    jobs = [Job("a", log, 4, 0.008), Job("b", log, 4, 0.008)]
    _passes(qapp, jobs)
    passes = _by_pass(log)
    assert all(len(names) == 1 for names in passes.values()), passes
    assert [name for _, name in log].count("a") == 4 and [name for _, name in log].count("b") == 4


def test_a_short_slice_leaves_room_for_another_in_the_same_pass(qapp):
    log: list = []
    jobs = [Job("short", log, 1, 0.001), Job("long", log, 1, 0.008)]
    _passes(qapp, jobs)
    assert list(_by_pass(log).values()) == [["short", "long"]]


def test_background_jobs_wait_while_an_urgent_one_is_busy(qapp):
    log: list = []
    urgent, background = Job("urgent", log, 5, 0.001), Job("background", log, 2, 0.001, background=True)
    unregister = turns.urgent(urgent.busy)
    try:
        _passes(qapp, [background, urgent])
    finally:
        unregister()
    names = [name for _, name in log]
    assert names == ["urgent"] * 5 + ["background"] * 2  # short slices, room to spare: still after it


def test_an_urgent_job_is_held_weakly(qapp):
    job = Job("gone", [], 3, 0.001)
    turns.urgent(job.busy)
    assert turns.urgent_busy()
    del job
    assert not turns.urgent_busy()  # a deleted job never holds the others back


def test_a_turn_no_dispatcher_ended_is_over_after_stale_s(qapp, monkeypatch):
    monkeypatch.setattr(turns, "STALE_S", 0.01)
    turns.spend(1.0)  # this turn is used up ...
    assert turns.share(0.008) is None
    time.sleep(0.02)  # ... and no `awake` came: after STALE_S the next job runs anyway
    assert turns.share(0.008) == pytest.approx(0.008)
