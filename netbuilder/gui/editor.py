"""The editing verbs of the canvas, each turned into one undo command.

Canvas items, the palette, the inspector and the menus call these; they check
the edit first (so a refused edit never reaches the undo stack), push a
command, and report refusals through `message` for the status bar.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from netbuilder.core.graph import Edge, Graph, GraphError
from netbuilder.core.groups import MAX_NAME
from netbuilder.core.params import ParamError
from netbuilder.core.spec import get_spec
from netbuilder.gui import clipboard
from netbuilder.gui.commands import (
    AddEdgeCommand, AddGroupCommand, AddNodeCommand, Command, MacroCommand, MoveNodesCommand, RemoveEdgeCommand,
    RemoveGroupCommand, RemoveNodeCommand, RenameGroupCommand, SetGroupNodesCommand, SetParamsCommand, apply,
)

_log = logging.getLogger(__name__)
MESSAGE_CHARS = 300  # a refusal quotes at most this much of the reason (a 10 MB name is not echoed)

Pos = tuple[float, float]


class Editor(QObject):
    message = Signal(str)  # a refusal or notice for the status bar
    nodes_created = Signal(list)  # ids of nodes a gesture just made (the canvas selects them)

    def __init__(self, graph: Graph, undo_stack: QUndoStack, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.graph, self.undo_stack = graph, undo_stack

    def _refuse(self, text: str) -> None:
        self.message.emit(text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS] + "…")

    def push(self, command: Command) -> bool:
        """Do `command` and put it on the undo stack, all or nothing: an edit
        the graph refuses leaves graph and stack as they were, and the user gets
        one message saying why. Every edit of the editor goes through here."""
        problem = self._try_push(command)
        if problem:
            self._refuse(f"{command.text()}: not done — {problem}")
        return not problem

    def _try_push(self, command: Command) -> str:
        """push without the message: "" when done, else the reason."""
        try:
            apply(command)
        except (GraphError, ParamError) as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - a bug must cost one edit, never the session
            _log.exception("edit %r failed", command.text())
            return f"{type(exc).__name__}: {exc}"
        self.undo_stack.push(command)
        return ""

    # ------------------------------------------------------------------ nodes
    def add_node(self, type_name: str, pos: Pos, params: dict[str, Any] | None = None,
                 after: str | None = None, link: tuple[str, int, bool] | None = None) -> str | None:
        """Add a layer at `pos`, as one undo step. With `after`, also connect
        that node's first free output to the new layer (quick-add on a
        selection); with `link` = (node, port, is_output), connect that port
        (a connection dragged onto empty canvas) to the new layer."""
        try:
            spec = get_spec(type_name)
            defaults = spec.validate_params(params or {})
        except (KeyError, ParamError) as exc:
            self._refuse(str(exc).strip("'\""))
            return None
        macro = MacroCommand(f"Add {type_name}")
        add = AddNodeCommand(self.graph, type_name, params, pos, parent=macro)
        if after is not None and after in self.graph.nodes and self.graph.nodes[after].output_ports():
            link = (after, self._free_output(after), True)
        if link is not None and link[0] in self.graph.nodes:
            other, port, from_output = link
            if from_output and spec.input_ports(defaults):
                edge = Edge(other, add.node_id, port, 0)
            elif not from_output and spec.output_ports(defaults) and not any(
                    e.dst_port == port for e in self.graph.in_edges(other)):
                edge = Edge(add.node_id, other, 0, port)
            else:
                edge = None
            if edge is not None:
                AddEdgeCommand(self.graph, edge, parent=macro)
                macro.setText(f"Add {type_name} {'after' if from_output else 'before'} '{other}'")
        if not self.push(macro):
            return None
        self.nodes_created.emit([add.node_id])
        return add.node_id

    def _free_output(self, node_id: str) -> int:
        used = {e.src_port for e in self.graph.out_edges(node_id)}
        n = len(self.graph.nodes[node_id].output_ports())
        return next((p for p in range(n) if p not in used), 0)

    def delete(self, node_ids: Iterable[str] = (), edges: Iterable[Edge] = ()) -> None:
        """Remove nodes (with their edges) and edges as one undo step."""
        node_ids = [n for n in dict.fromkeys(node_ids) if n in self.graph.nodes]
        doomed: list[Edge] = [e for e in edges if e in self.graph.edges]
        for nid in node_ids:
            doomed += self.graph.in_edges(nid) + self.graph.out_edges(nid)
        doomed = list(dict.fromkeys(doomed))
        if not node_ids and not doomed:
            return
        what = (f"{len(node_ids)} layer{'s' * (len(node_ids) != 1)}" if node_ids
                else f"{len(doomed)} connection{'s' * (len(doomed) != 1)}")
        macro = MacroCommand(f"Delete {what}")
        for e in doomed:
            RemoveEdgeCommand(self.graph, e, parent=macro)
        for nid in node_ids:
            RemoveNodeCommand(self.graph, nid, parent=macro)
        self.push(macro)

    def move_nodes(self, moves: dict[str, tuple[Pos, Pos]], text: str = "") -> None:
        moves = {k: v for k, v in moves.items() if k in self.graph.nodes and v[0] != v[1]}
        if moves:
            self.push(MoveNodesCommand(self.graph, moves, text))

    def place_nodes(self, positions: dict[str, Pos], text: str) -> None:
        """Move nodes to new positions as one step (auto-layout)."""
        self.move_nodes({nid: (self.graph.nodes[nid].pos, tuple(pos)) for nid, pos in positions.items()
                         if nid in self.graph.nodes}, text)

    def set_params(self, node_id: str, changes: dict[str, Any]) -> str:
        """Apply a param edit; returns "" or the reason it was refused."""
        node = self.graph.nodes.get(node_id)
        if node is None:
            return f"no node {node_id!r}"
        try:
            checked = node.spec.validate_params({**node.params, **changes})
        except ParamError as exc:
            return str(exc)[:MESSAGE_CHARS]
        except (TypeError, ValueError, OverflowError) as exc:  # a value no Param expected: refuse, never raise
            return f"{', '.join(changes)}: {type(exc).__name__}: {str(exc)[:MESSAGE_CHARS]}"
        changes = {k: checked[k] for k in changes}
        if all(node.params.get(k) == v for k, v in changes.items()):
            return ""
        return self._try_push(SetParamsCommand(self.graph, node_id, changes))

    # ------------------------------------------------------------------ edges
    def connect(self, src: str, src_port: int, dst: str, dst_port: int) -> bool:
        edge = Edge(src, dst, src_port, dst_port)
        try:
            self.graph.validate_edge(edge)
        except GraphError as exc:
            self._refuse(f"Cannot connect: {exc}")
            return False
        return self.push(AddEdgeCommand(self.graph, edge))

    def insert_on_edge(self, type_name: str, edge: Edge, pos: Pos) -> str | None:
        """Drop a layer onto an edge: src → new → dst, one undo step."""
        spec = get_spec(type_name)
        defaults = spec.defaults()
        if not spec.input_ports(defaults) or not spec.output_ports(defaults):
            return self.add_node(type_name, pos)
        if edge not in self.graph.edges:
            return self.add_node(type_name, pos)
        macro = MacroCommand(f"Insert {type_name} into {edge.src} → {edge.dst}")
        RemoveEdgeCommand(self.graph, edge, parent=macro)
        add = AddNodeCommand(self.graph, type_name, None, pos, parent=macro)
        AddEdgeCommand(self.graph, Edge(edge.src, add.node_id, edge.src_port, 0), parent=macro)
        AddEdgeCommand(self.graph, Edge(add.node_id, edge.dst, 0, edge.dst_port), parent=macro)
        if not self.push(macro):
            return None
        self.nodes_created.emit([add.node_id])
        return add.node_id

    # -------------------------------------------------------------- clipboard
    def copy(self, node_ids: Iterable[str]) -> dict[str, Any] | None:
        ids = [n for n in node_ids if n in self.graph.nodes]
        return clipboard.fragment(self.graph, ids) if ids else None

    def paste(self, fragment: dict[str, Any], offset: Pos = (40.0, 40.0), at: Pos | None = None) -> list[str]:
        """Add a copied fragment with fresh ids and its inner edges, one step.
        A group copied whole comes along as a new group ('block copy')."""
        try:
            nodes, edges = clipboard.instantiate(self.graph, fragment, offset, at)
            groups = clipboard.instantiate_groups(self.graph, fragment, nodes)
        except (GraphError, ParamError, KeyError, ValueError, TypeError) as exc:
            self._refuse(f"Cannot paste: {exc}")
            return []
        if not nodes:
            return []
        macro = MacroCommand(f"Paste {len(nodes)} layer{'s' * (len(nodes) != 1)}")
        for n in nodes:
            AddNodeCommand(self.graph, n["type"], n["params"], n["pos"], n["id"], parent=macro)
        for e in edges:
            AddEdgeCommand(self.graph, e, parent=macro)
        taken: set[str] = set()
        for name, members in groups:
            add = AddGroupCommand(self.graph, members, name, _fresh_group_id(self.graph, taken), parent=macro)
            taken.add(add.group_id)
        if not self.push(macro):
            return []
        ids = [n["id"] for n in nodes]
        self.nodes_created.emit(ids)
        return ids

    # ----------------------------------------------------------------- groups
    def group(self, node_ids: Iterable[str], name: str | None = None) -> str | None:
        """Put layers into a new group, one step; layers already in a group
        leave it (a group left empty goes). Returns the new group's id."""
        chosen = set(node_ids)
        ids = [n for n in self.graph.nodes if n in chosen]  # file order
        if not ids:
            self._refuse("Select the layers to group first.")
            return None
        current = self.graph.group_of(ids[0])
        if current is not None and set(current.nodes) == set(ids):
            self._refuse(f"These layers already are the group “{current.name}”.")
            return None
        name = name or self.graph.new_group_name()
        macro = MacroCommand(f"Group {len(ids)} layer{'s' * (len(ids) != 1)} as “{name}”")
        for gid, group in self.graph.groups.items():  # the layers leave their groups
            left = [n for n in group.nodes if n not in chosen]
            if len(left) == len(group.nodes):
                continue
            if left:
                SetGroupNodesCommand(self.graph, gid, left, parent=macro)
            else:
                RemoveGroupCommand(self.graph, gid, parent=macro)
        add = AddGroupCommand(self.graph, ids, name, parent=macro)
        return add.group_id if self.push(macro) else None

    def ungroup(self, group_ids: Iterable[str]) -> None:
        """Remove groups (their layers stay), one step."""
        gids = [g for g in dict.fromkeys(group_ids) if g in self.graph.groups]
        if not gids:
            self._refuse("Select a layer of a group to ungroup it.")
            return
        macro = MacroCommand(f"Ungroup {', '.join(repr(self.graph.groups[g].name) for g in gids)}")
        for gid in gids:
            RemoveGroupCommand(self.graph, gid, parent=macro)
        self.push(macro)

    def rename_group(self, group_id: str, name: str) -> bool:
        group = self.graph.groups.get(group_id)
        name = name.strip()
        if group is None:
            self._refuse(f"no group {group_id!r}")
            return False
        if not name or len(name) > MAX_NAME:
            self._refuse(f"A group's name must be 1 to {MAX_NAME} characters.")
            return False
        if name != group.name:
            return self.push(RenameGroupCommand(self.graph, group_id, name))
        return True


def _fresh_group_id(graph: Graph, taken: set[str]) -> str:
    """A group id free in `graph` and not yet given out in this paste."""
    i = 1
    while f"group_{i}" in graph.groups or f"group_{i}" in taken:
        i += 1
    return f"group_{i}"
