"""The open document: which file, whether it has unsaved changes, and the
File actions (new, open, save, save as, recent, autosave, recovery).

Opening never replaces the Graph object: it calls `graph.replace_with`, so
every listener (canvas, inspector, docks, training) stays subscribed.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QWidget

from netbuilder.core.graph import Graph
from netbuilder.core.io import GraphFileError, gc_paused, graph_from_dict, load_graph, save_graph
from netbuilder.gui import dialogs, storage
from netbuilder.gui.autosave import Autosaver, find_orphans, interval_ms
from netbuilder.gui.canvas.layout import reading_layout

_log = logging.getLogger(__name__)
FREEZE_NODES = 2000  # networks bigger than this keep their objects out of the collector's walks


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
        self.windows: list[QWidget] = []  # windows opened for further recovered sessions
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

    def _adopt(self, graph: Graph, path: Path | None, title: str | None = None, dirty: bool = False) -> bool:
        """Switch to `graph`, all or nothing: graph, path, title and undo history
        change together. Once the live graph holds the new content, the rest
        switches whatever a listener did (else Ctrl+S would write the new network
        over the old file); if the graph could not take it, nothing changes.

        The garbage collector waits meanwhile (layout, check and canvas allocate
        hundreds of thousands of objects that all stay: a collection walking them
        was 0.9 s of a 20,000-node open), and a big network's objects are then
        frozen out of later collections (each would walk them again, a pause in
        the middle of editing); the next network thaws them first."""
        gc.unfreeze()  # the old network's objects: collectable again once it is gone
        with gc_paused():
            adopted = self._switch(graph, path, title, dirty)
        if adopted and len(graph.nodes) > FREEZE_NODES:
            gc.freeze()  # no collect first: at 20,000 nodes it is itself the pause this avoids
        return adopted

    def _switch(self, graph: Graph, path: Path | None, title: str | None, dirty: bool) -> bool:
        try:
            # files without positions (imported, hand-written) are laid out; a generated
            # left→right strip too long to read (presets) is wrapped into rows
            for nid, pos in (reading_layout(graph) or {}).items():
                graph.nodes[nid].pos = pos
        except Exception:  # noqa: BLE001 - the arrangement is a nicety: the file's positions stay
            _log.exception("layout of %s", path)
        try:
            self.graph.replace_with(graph)
        except Exception as exc:  # noqa: BLE001 - a Qt slot (File ▸ Open): say it, never crash
            if self.graph.nodes is not graph.nodes:  # the old network is still there: keep its state too
                dialogs.show_error(self.window, "Cannot open", f"Cannot show “{title or graph.name}”: {exc}")
                return False
            _log.exception("a view failed to follow the new network")
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.path = path
        self.title = title or graph.name
        self._force_dirty = dirty
        self.autosaver.clear()
        self.state_changed.emit()
        return True

    # ----------------------------------------------------------------- files
    def new(self) -> bool:
        if not self.maybe_save():
            return False
        return self._adopt(Graph(name="untitled"), None, "untitled")

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
        if not self._adopt(graph, path.resolve()):
            return False
        storage.add_recent_file(path)
        self.recent_changed.emit()
        return True

    def open_graph(self, graph: Graph, title: str) -> bool:
        """Open a network that has no file yet (a preset): Save asks where."""
        if not self.maybe_save():
            return False
        return self._adopt(graph, None, title)

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
        """After a crash: offer the work of every session that died, newest
        first. The first one restored comes into this window, each further one
        into a window of its own. An autosave is removed only once its work is
        restored or the user declined it; sessions still running are never
        touched (find_orphans skips them). True if anything was restored."""
        restored = False
        for orphan in find_orphans(exclude=self.autosaver.file):
            if not dialogs.ask_restore(self.window, Path(orphan.path).name if orphan.path else orphan.name,
                                       orphan.when()):
                orphan.discard()
                continue
            try:
                graph = graph_from_dict(orphan.graph, source="autosave")
            except GraphFileError as exc:
                dialogs.show_error(self.window, "Cannot restore", str(exc))
                orphan.discard()  # it can never be restored: do not ask again
                continue
            target = self if not restored else self._new_window()
            path = Path(orphan.path) if isinstance(orphan.path, str) and orphan.path else None
            if target._adopt(graph, path, orphan.name, dirty=True):
                target.autosave()  # the work is this session's now: safe before its old file goes
                orphan.discard()
                restored = True
        return restored

    def _new_window(self) -> "Document":
        """A second editor window (a second recovered session). `windows` keeps it
        alive; closing only hides it (deleting it would leave its panels' queued
        timers pointing at freed widgets)."""
        from netbuilder.gui.main_window import MainWindow  # here: main_window imports this module

        window = MainWindow()
        self.windows.append(window)
        window.show()
        return window.document

    def close(self) -> None:
        self.timer.stop()
        self.autosaver.close()
        gc.unfreeze()  # a big network frozen at open (see _adopt) is collectable once its window goes


def _slug(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "_" for c in name.strip().lower())
    return keep.strip("_") or "network"
