"""Undoable edit of the graph's training block (one Graph.set_meta call)."""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

_ID = 0x7472  # "tr": consecutive edits of the same setting merge into one undo step


class SetTrainingCommand(QUndoCommand):
    def __init__(self, graph: Any, new: dict[str, Any]) -> None:
        self.graph = graph
        self.old = copy.deepcopy(graph.training)
        self.new = copy.deepcopy(new)
        self.keys = _changed_keys(self.old, self.new)
        super().__init__(f"Change training: {', '.join(sorted(self.keys)) or 'settings'}")

    def id(self) -> int:  # noqa: A003 (Qt API)
        return _ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802
        if not isinstance(other, SetTrainingCommand) or other.graph is not self.graph or other.keys != self.keys:
            return False
        self.new = copy.deepcopy(other.new)
        return True

    def redo(self) -> None:
        self.graph.set_meta(training=copy.deepcopy(self.new))

    def undo(self) -> None:
        self.graph.set_meta(training=copy.deepcopy(self.old))


def _changed_keys(old: dict[str, Any], new: dict[str, Any]) -> set[str]:
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}
