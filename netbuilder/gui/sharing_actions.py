"""Edit ▸ Share Weights With… / Stop Sharing Weights, also on a node's context menu.

Each is one undo step (SetSharesCommand). Sharing may move other nodes too
(a node's own sharers follow it to the new owner, see core/sharing.py), so
the command records every node's `shares` before and after and restores the
whole map: undo and redo are exact.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QUndoCommand
from PySide6.QtWidgets import QInputDialog, QMainWindow, QMenu

from netbuilder.core.graph import Graph


def _shares_map(graph: Graph) -> dict[str, str | None]:
    return {nid: n.shares for nid, n in graph.nodes.items()}


def _apply(graph: Graph, target: dict[str, str | None]) -> None:
    """Make every node's `shares` what `target` says: first unshare what
    changes (always allowed), then share (every owner then owns itself)."""
    changed = [nid for nid, owner in target.items() if nid in graph.nodes and graph.nodes[nid].shares != owner]
    for nid in changed:
        graph.set_shares(nid, None)
    for nid in changed:
        if target[nid] is not None:
            graph.set_shares(nid, target[nid])


class SetSharesCommand(QUndoCommand):
    """node shares owner's module (owner None: its own again)."""

    def __init__(self, graph: Graph, node_id: str, owner: str | None) -> None:
        super().__init__(f"Share weights of {node_id} with {owner}" if owner else f"Stop sharing {node_id}")
        self.graph, self.node_id, self.owner = graph, node_id, owner
        self.before = _shares_map(graph)
        self.after: dict[str, str | None] | None = None

    def redo(self) -> None:
        if self.after is None:  # first time: let the graph apply its rules, then remember the result
            self.graph.set_shares(self.node_id, self.owner)
            self.after = _shares_map(self.graph)
        else:
            _apply(self.graph, self.after)

    def undo(self) -> None:
        _apply(self.graph, self.before)


def candidates(graph: Graph, node_id: str) -> list[str]:
    """Nodes whose weights `node_id` could share: same type and params, not itself or its own sharers."""
    node = graph.nodes[node_id]
    if node.spec.module is None:
        return []
    own = set(graph.sharers(node_id))
    return [nid for nid, other in graph.nodes.items()
            if nid != node_id and nid not in own and other.type == node.type and other.params == node.params
            and graph.owner_of(nid) != node_id]


def share_with(window: QMainWindow, node_id: str, owner: str | None) -> bool:
    """Push the command; a refusal goes to the status bar and nothing changes.
    (Checked before pushing: an exception inside QUndoStack.push would not reach Python.)"""
    graph = window.graph
    if owner is not None and owner not in candidates(graph, node_id):
        window.statusBar().showMessage(f"Cannot share: {node_id} and {owner} need the same layer type and "
                                       "parameters", 8000)
        return False
    if owner is None and graph.nodes[node_id].shares is None:
        return False
    window.undo_stack.push(SetSharesCommand(graph, node_id, owner))
    return True


def choose_owner(window: QMainWindow, node_id: str, options: list[str]) -> str | None:
    """Ask which node's weights to use (tests replace this)."""
    owner, ok = QInputDialog.getItem(window, "Share Weights With", f"{node_id} uses the weights of:", options, 0,
                                     False)
    return owner if ok and owner else None


class SharingActions:
    def __init__(self, window: QMainWindow) -> None:
        self.window = window
        self.share = QAction("Share Weights With…", window)
        self.share.setStatusTip("Use another layer's weights (same type and parameters): one set, trained by both")
        self.share.triggered.connect(lambda checked=False: self.share_selected())
        self.stop = QAction("Stop Sharing Weights", window)
        self.stop.setStatusTip("Give this layer its own weights again")
        self.stop.triggered.connect(lambda checked=False: self.stop_selected())

    def _selected(self) -> str | None:
        ids = self.window.scene.selected_node_ids()
        return ids[0] if len(ids) == 1 else None

    def share_selected(self) -> bool:
        nid = self._selected()
        if nid is None:
            self.window.statusBar().showMessage("Select the one layer that should share weights", 6000)
            return False
        options = candidates(self.window.graph, nid)
        if not options:
            self.window.statusBar().showMessage(
                f"No layer to share with: {nid} needs another {self.window.graph.nodes[nid].type} with the "
                "same parameters", 8000)
            return False
        owner = choose_owner(self.window, nid, options)
        return share_with(self.window, nid, owner) if owner else False

    def stop_selected(self) -> bool:
        nid = self._selected()
        if nid is None or self.window.graph.nodes[nid].shares is None:
            return False
        return share_with(self.window, nid, None)

    def update(self) -> None:
        nid = self._selected()
        node = self.window.graph.nodes.get(nid) if nid else None
        self.share.setEnabled(node is not None and node.spec.module is not None)
        self.stop.setEnabled(node is not None and node.shares is not None)

    def add_to_context_menu(self, menu: QMenu) -> None:
        if self._selected() is None:
            return
        self.update()
        menu.addAction(self.stop if self.window.graph.nodes[self._selected()].shares else self.share)


def install(window: QMainWindow) -> SharingActions:
    actions = SharingActions(window)
    for a in window.menuBar().actions():
        if a.menu() is not None and a.text().replace("&", "") == "Edit":
            a.menu().addSeparator()
            a.menu().addActions([actions.share, actions.stop])
            a.menu().aboutToShow.connect(actions.update)
    window.sharing_actions = actions
    return actions
