"""Keep one training child warm for the Training dock (issue 18: Start → first step).

A fresh training process spends seconds importing torch and the trainer before
its first step. The editor (`netbuilder`, `netbuilder FILE`) asks the dock to
keep one child spawned ahead (`netbuilder.train.warm_child.WarmChild`): the
first soon after the window shows, the next whenever a run ends (finished,
failed or stopped), so Start hands its job to a process that is already
waiting. Tests, `--screenshot` and `--train` never enable it and so spawn no
background processes. Closing the editor ends the waiting child.
"""

from __future__ import annotations

from typing import Any


class WarmKeeper:
    def __init__(self) -> None:
        self.enabled = False
        self.closed = False
        self.child: Any = None  # the WarmChild waiting for the next Start

    @property
    def ready(self) -> bool:
        """A child is waiting with its imports done: Start reaches its first step at once."""
        return self.child is not None and self.child.ready

    @property
    def pid(self) -> int | None:
        return self.child.pid if self.child is not None else None

    def prepare(self) -> None:
        """Spawn a child to wait for the next Start, unless one is waiting already."""
        if not self.enabled or self.closed:
            return
        if self.child is not None:
            if self.child.alive and not self.child.taken:
                return
            self.child.close()  # died (killed from outside?): replace it
        from netbuilder.train.warm_child import WarmChild  # no torch: the child imports it

        child = WarmChild()
        self.child = child if child.start() else None

    def take(self) -> Any:
        """The waiting child for a run (still importing is fine: it is ahead of a fresh one),
        or None when there is none and the run spawns its own."""
        child, self.child = self.child, None
        if child is not None and not child.alive:
            child.close()
            return None
        return child

    def shutdown(self) -> None:
        """The editor is closing: end the waiting child and spawn no more."""
        self.closed = True
        child, self.child = self.child, None
        if child is not None:
            child.close()
