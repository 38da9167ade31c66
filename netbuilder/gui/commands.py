"""QUndoCommands: every edit of the Graph goes through one of these.

Each command calls one Graph method in `redo` and its inverse in `undo`; the
Graph then tells the canvas, inspector and docks what changed. Compound edits
(delete a selection, paste, insert a layer into an edge, auto-layout) are a
parent `MacroCommand` with child commands, as in orange-canvas-core, so the
undo history shows one step per user gesture.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from PySide6.QtGui import QUndoCommand

from netbuilder.core.graph import Edge, Graph
from netbuilder.core.groups import Group

Pos = tuple[float, float]
_SET_PARAMS_ID = 0x6E62  # "nb": consecutive edits of one field merge into one step


class Command(QUndoCommand):
    """Base of our commands. A child joins its parent MacroCommand's Python
    list instead of Qt's parent/child tree: PySide does not hand a child
    command's ownership to its parent, so a Qt child would be freed twice (or
    while still in use).

    Subclasses write `_redo` and `_undo`. `apply` runs a command before it is
    pushed, so a refused edit raises in Python (where the Editor turns it into a
    message) instead of inside QUndoStack.push, where Qt would keep a
    half-done command on the stack; the stack's own first redo is then skipped."""

    def __init__(self, text: str, parent: "MacroCommand | None" = None) -> None:
        super().__init__(text)
        self._applied = False
        if parent is not None:
            parent.children_.append(self)

    def redo(self) -> None:
        if self._applied:  # done already by apply(): this is QUndoStack.push's call
            self._applied = False
            return
        self._redo()

    def undo(self) -> None:
        self._undo()

    def _redo(self) -> None:  # pragma: no cover - each command overrides
        raise NotImplementedError

    def _undo(self) -> None:  # pragma: no cover
        raise NotImplementedError


def apply(command: Command) -> None:
    """Do `command` now, all or nothing: on an exception, whatever its parts
    did is undone and the exception propagates. Push it afterwards."""
    command._redo()
    command._applied = True


class MacroCommand(Command):
    """A compound edit: redo runs its children in order, undo in reverse.
    A child that fails rolls back the ones before it (all or nothing)."""

    def __init__(self, text: str, parent: "MacroCommand | None" = None) -> None:
        self.children_: list[Command] = []
        super().__init__(text, parent)

    def _redo(self) -> None:
        done: list[Command] = []
        try:
            for child in self.children_:
                child._redo()
                done.append(child)
        except Exception:
            for child in reversed(done):
                child._undo()
            raise

    def _undo(self) -> None:
        for child in reversed(self.children_):
            child._undo()


class AddNodeCommand(Command):
    def __init__(self, graph: Graph, type_name: str, params: dict[str, Any] | None, pos: Pos,
                 node_id: str | None = None, parent: MacroCommand | None = None) -> None:
        self.graph, self.type_name = graph, type_name
        self.params = copy.deepcopy(params or {})
        self.pos = (float(pos[0]), float(pos[1]))
        self.node_id = node_id or graph.new_id(type_name)
        super().__init__(f"Add {type_name} '{self.node_id}'", parent)

    def _redo(self) -> None:
        self.graph.add_node(self.type_name, copy.deepcopy(self.params), self.pos, id=self.node_id)

    def _undo(self) -> None:
        self.graph.remove_node(self.node_id)


class RemoveNodeCommand(Command):
    """Removes one node. Its edges should be removed by sibling commands first;
    any left are restored on undo all the same. Undo puts the node (and those
    edges) back at their old places in the file order, and back in its group
    (the group itself too, if the node was its last member)."""

    def __init__(self, graph: Graph, node_id: str, parent: MacroCommand | None = None) -> None:
        self.graph, self.node_id = graph, node_id
        self.node: Any = None
        self.index = 0
        self.edges: list[tuple[int, Edge]] = []
        self.group: tuple[int, Group] | None = None  # (place in the group order, the group as it was)
        self.sharers: list[str] = []  # nodes that shared this one's module (they are handed on to another)
        super().__init__(f"Remove '{node_id}'", parent)

    def _redo(self) -> None:
        g = self.graph
        self.index = list(g.nodes).index(self.node_id)
        self.edges = _indexed(g.edges, g.in_edges(self.node_id) + g.out_edges(self.node_id))
        group = g.group_of(self.node_id)
        self.group = (list(g.groups).index(group.id), copy.deepcopy(group)) if group is not None else None
        self.sharers = g.sharers(self.node_id)
        self.node, _ = g.remove_node(self.node_id)

    def _undo(self) -> None:
        n = self.node
        self.graph.add_node(n.type, copy.deepcopy(n.params), n.pos, id=n.id, index=self.index, shares=n.shares)
        for sid in self.sharers:  # the module comes back to this node
            self.graph.set_shares(sid, n.id)
        _restore(self.graph, self.edges)
        if self.group is not None:
            index, group = self.group
            if group.id in self.graph.groups:
                self.graph.set_group_nodes(group.id, list(group.nodes))
            else:
                self.graph.add_group(list(group.nodes), group.name, id=group.id, index=index)


def _indexed(edge_list: list[Edge], edges: Iterable[Edge]) -> list[tuple[int, Edge]]:
    """Edges with their positions in `edge_list` (a graph's edges), first position first.
    One pass that matches the graph's own edge objects by identity: `list.index` per edge
    ran the dataclass __eq__ on every edge before it (7 ms an edit at 20,000 nodes)."""
    wanted = set(edges)
    if not wanted:
        return []  # no walk over the list (a param edit that drops no edge)
    ids = {id(e) for e in wanted}
    found = [(i, e) for i, e in enumerate(edge_list) if id(e) in ids]
    rest = wanted.difference(e for _, e in found)  # equal edges that are other objects
    return sorted(found + [(edge_list.index(e), e) for e in rest])


def _restore(graph: Graph, indexed: list[tuple[int, Edge]]) -> None:
    for i, e in indexed:  # ascending: each lands where it was
        graph.add_edge(e.src, e.dst, e.src_port, e.dst_port, index=i)


class AddEdgeCommand(Command):
    def __init__(self, graph: Graph, edge: Edge, parent: MacroCommand | None = None) -> None:
        self.graph, self.edge = graph, edge
        super().__init__(f"Connect {edge.src} → {edge.dst}", parent)

    def _redo(self) -> None:
        e = self.edge
        self.graph.add_edge(e.src, e.dst, e.src_port, e.dst_port)

    def _undo(self) -> None:
        self.graph.remove_edge(self.edge)


class RemoveEdgeCommand(Command):
    def __init__(self, graph: Graph, edge: Edge, parent: MacroCommand | None = None) -> None:
        self.graph, self.edge = graph, edge
        self.index = 0
        super().__init__(f"Disconnect {edge.src} → {edge.dst}", parent)

    def _redo(self) -> None:
        self.index = self.graph.edges.index(self.edge)
        self.graph.remove_edge(self.edge)

    def _undo(self) -> None:
        _restore(self.graph, [(self.index, self.edge)])


class MoveNodesCommand(Command):
    """Moves several nodes at once (one drag of a selection = one step)."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[Pos, Pos]], text: str = "",
                 parent: MacroCommand | None = None) -> None:
        self.graph, self.moves = graph, dict(moves)
        names = ", ".join(list(self.moves)[:3]) + ("…" if len(self.moves) > 3 else "")
        super().__init__(text or f"Move {names}", parent)

    def _redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.graph.move_node(node_id, new)

    def _undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.graph.move_node(node_id, old)


class SetParamsCommand(Command):
    """Changes some params of one node. Consecutive edits of the same fields of
    the same node merge, so typing 1-2-8 in a spin box is one undo step."""

    def __init__(self, graph: Graph, node_id: str, changes: dict[str, Any],
                 parent: MacroCommand | None = None) -> None:
        self.graph, self.node_id = graph, node_id
        node = graph.nodes[node_id]
        self.new = copy.deepcopy(changes)
        self.old = {k: copy.deepcopy(node.params.get(k)) for k in changes}
        self.dropped: list[tuple[int, Edge]] = []  # edges to ports that vanish (Concat num_inputs 3 → 2)
        super().__init__(f"Set {', '.join(changes)} of '{node_id}'", parent)

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _SET_PARAMS_ID

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        # an edit that dropped edges (Concat num_inputs 3 → 2) never merges either way: redo of
        # the merged step would replay only the last value (2 → 3) and keep the dropped edge
        if (not isinstance(other, SetParamsCommand) or other.graph is not self.graph
                or other.node_id != self.node_id or set(other.new) != set(self.new)
                or other.dropped or self.dropped):
            return False
        self.new = copy.deepcopy(other.new)
        if self.new == self.old:
            self.setObsolete(True)  # edited back to where it started: no step at all
        return True

    def _members(self) -> list[str]:
        """The nodes whose params change together (shared weights): an edit can drop edges of each."""
        owner = self.graph.owner_of(self.node_id)
        return [owner, *self.graph.sharers(owner)]

    def _redo(self) -> None:
        g = self.graph
        members = self._members()
        before = [e for m in members for e in g.in_edges(m) + g.out_edges(m)]
        edge_list = list(g.edges)  # as it was, to place the edges the new params drop
        g.set_params(self.node_id, copy.deepcopy(self.new))
        after = {e for m in members for e in g.in_edges(m) + g.out_edges(m)}
        self.dropped = _indexed(edge_list, [e for e in before if e not in after])

    def _undo(self) -> None:
        self.graph.set_params(self.node_id, copy.deepcopy(self.old))
        _restore(self.graph, self.dropped)


class SetMetaCommand(Command):
    """Renames the network or edits its description."""

    def __init__(self, graph: Graph, parent: MacroCommand | None = None, **meta: Any) -> None:
        self.graph = graph
        self.new = copy.deepcopy(meta)
        self.old = {k: copy.deepcopy(getattr(graph, k)) for k in meta}
        super().__init__(f"Change {', '.join(meta)}", parent)

    def _redo(self) -> None:
        self.graph.set_meta(**copy.deepcopy(self.new))

    def _undo(self) -> None:
        self.graph.set_meta(**copy.deepcopy(self.old))


# ------------------------------------------------------------------- groups
class AddGroupCommand(Command):
    def __init__(self, graph: Graph, node_ids: list[str], name: str, group_id: str | None = None,
                 parent: MacroCommand | None = None) -> None:
        self.graph, self.node_ids, self.name = graph, list(node_ids), name
        self.group_id = group_id or graph.new_group_id()
        super().__init__(f"Group {_count(self.node_ids)} as '{name}'", parent)

    def _redo(self) -> None:
        self.graph.add_group(list(self.node_ids), self.name, id=self.group_id)

    def _undo(self) -> None:
        self.graph.remove_group(self.group_id)


class RemoveGroupCommand(Command):
    """Ungroup: the layers stay; undo puts the group back in its place."""

    def __init__(self, graph: Graph, group_id: str, parent: MacroCommand | None = None) -> None:
        self.graph, self.group_id = graph, group_id
        self.index = 0
        self.group: Group | None = None
        super().__init__(f"Ungroup '{graph.groups[group_id].name}'", parent)

    def _redo(self) -> None:
        self.index = list(self.graph.groups).index(self.group_id)
        self.group = copy.deepcopy(self.graph.remove_group(self.group_id))

    def _undo(self) -> None:
        g = self.group
        self.graph.add_group(list(g.nodes), g.name, id=g.id, index=self.index)


class RenameGroupCommand(Command):
    def __init__(self, graph: Graph, group_id: str, name: str, parent: MacroCommand | None = None) -> None:
        self.graph, self.group_id, self.new = graph, group_id, name
        self.old = graph.groups[group_id].name
        super().__init__(f"Rename group '{self.old}' to '{name}'", parent)

    def _redo(self) -> None:
        self.graph.rename_group(self.group_id, self.new)

    def _undo(self) -> None:
        self.graph.rename_group(self.group_id, self.old)


class SetGroupNodesCommand(Command):
    """Changes which layers a group holds (layers leaving it for a new group)."""

    def __init__(self, graph: Graph, group_id: str, node_ids: list[str], parent: MacroCommand | None = None) -> None:
        self.graph, self.group_id, self.new = graph, group_id, list(node_ids)
        self.old = list(graph.groups[group_id].nodes)
        super().__init__(f"Change the layers of group '{graph.groups[group_id].name}'", parent)

    def _redo(self) -> None:
        self.graph.set_group_nodes(self.group_id, list(self.new))

    def _undo(self) -> None:
        self.graph.set_group_nodes(self.group_id, list(self.old))


def _count(node_ids: list[str]) -> str:
    return f"{len(node_ids)} layer{'s' * (len(node_ids) != 1)}"
