"""The open document: which file, whether it has unsaved changes, and the
File actions (new, open, save, save as, recent, autosave, recovery).

Opening never replaces the Graph object: it calls `graph.replace_with`, so
every listener (canvas, inspector, docks, training) stays subscribed.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

from netbuilder.core.graph import Graph
from netbuilder.core.io import GraphFileError, graph_from_dict, load_graph, save_graph
from netbuilder.gui import dialogs, storage
from netbuilder.gui.autosave import Autosaver, find_orphans, interval_ms
from netbuilder.gui.canvas.layout import reading_layout


class Document(QObject):
    state_changed = Signal()  # name, path or modified flag changed: retitle
    recent_changed = Signal()

    def __init__(self, window: QWidget, graph: Graph, undo_stack: QUndoStack) -> None:
        super().__init__(window)
        self.window, self.graph, self.undo_stack = window, graph, undo_stack
        self.path: Path | None = None
        self.title = graph.name
        self._force_dirty = False  # restored work is unsaved although the undo stack is clean
        self.autosaver = Autosaver()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms())
        self.timer.timeout.connect(self.autosave)
        self.timer.start()
        undo_stack.cleanChanged.connect(lambda _: self.state_changed.emit())
        # the first network (the default preset, or a file from the command line) gets the same
        # arrangement as one opened later; its items exist already, so move them through the Graph
        for nid, pos in (reading_layout(graph) or {}).items():
            graph.move_node(nid, pos)

    # ----------------------------------------------------------------- state
    @property
    def modified(self) -> bool:
        return self._force_dirty or not self.undo_stack.isClean()

    @property
    def display_name(self) -> str:
        return self.path.name if self.path is not None else (self.title or "untitled")

    def _adopt(self, graph: Graph, path: Path | None, title: str | None = None, dirty: bool = False) -> None:
        # files without positions (imported, hand-written) are laid out; a generated
        # left→right strip too long to read (presets) is wrapped into rows
        for nid, pos in (reading_layout(graph) or {}).items():
            graph.nodes[nid].pos = pos
        self.graph.replace_with(graph)
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.path = path
        self.title = title or graph.name
        self._force_dirty = dirty
        self.autosaver.clear()
        self.state_changed.emit()

    # ----------------------------------------------------------------- files
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self._adopt(Graph(name="untitled"), None, "untitled")
        return True

    def open_file(self, path: str | Path, ask: bool = True) -> bool:
        """Open a graph file; a bad file gives a message naming the problem."""
        if ask and not self.maybe_save():
            return False
        path = Path(path)
        try:
            graph = load_graph(path)
        except GraphFileError as exc:
            dialogs.show_error(self.window, "Cannot open file", f"“{path.name}” is not a usable network.\n\n{exc}")
            return False
        except OSError as exc:
            dialogs.show_error(self.window, "Cannot open file", f"Cannot read “{path}”: {exc.strerror or exc}")
            return False
        self._adopt(graph, path.resolve())
        storage.add_recent_file(path)
        self.recent_changed.emit()
        return True

    def open_graph(self, graph: Graph, title: str) -> bool:
        """Open a network that has no file yet (a preset): Save asks where."""
        if not self.maybe_save():
            return False
        self._adopt(graph, None, title)
        return True

    def save_file(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            save_graph(self.graph, path)
        except OSError as exc:
            dialogs.show_error(self.window, "Cannot save", f"Cannot write “{path}”: {exc.strerror or exc}")
            return False
        self.path = path.resolve()
        self._force_dirty = False
        self.undo_stack.setClean()
        self.autosaver.clear()
        storage.add_recent_file(path)
        self.recent_changed.emit()
        self.state_changed.emit()
        return True

    def save(self) -> bool:
        return self.save_file(self.path) if self.path is not None else self.save_as()

    def save_as(self) -> bool:
        suggested = str(self.path) if self.path else _slug(self.title or self.graph.name) + ".json"
        target = dialogs.save_file_name(self.window, suggested)
        if not target:
            return False
        if not Path(target).suffix:  # "mynet" means mynet.json
            target += ".json"
        return self.save_file(target)

    def maybe_save(self) -> bool:
        """Before the work is replaced or closed: True when it may go."""
        if not self.modified:
            return True
        answer = dialogs.ask_save_changes(self.window, self.display_name)
        if answer == "save":
            return self.save()
        return answer == "discard"

    # -------------------------------------------------------------- autosave
    def autosave(self) -> None:
        if self.modified and len(self.graph):
            try:
                self.autosaver.save(self.graph, str(self.path) if self.path else None)
            except OSError:
                pass  # a full disk must not interrupt editing; the next minute retries
        else:
            self.autosaver.clear()

    def offer_recovery(self) -> bool:
        """After a crash: offer the newest orphaned autosave. True if restored."""
        orphans = find_orphans(exclude=self.autosaver.file)
        if not orphans:
            return False
        newest = orphans[0]
        restored = False
        if dialogs.ask_restore(self.window, Path(newest.path).name if newest.path else newest.name, newest.when()):
            try:
                graph = graph_from_dict(newest.graph, source="autosave")
            except GraphFileError as exc:
                dialogs.show_error(self.window, "Cannot restore", str(exc))
            else:
                self._adopt(graph, Path(newest.path) if newest.path else None, newest.name, dirty=True)
                restored = True
        for orphan in orphans:
            orphan.discard()
        return restored

    def close(self) -> None:
        self.timer.stop()
        self.autosaver.close()


def _slug(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in name.strip().lower())
    return keep.strip("_") or "network"
