"""Named groups of nodes: a pure annotation (a residual block, an inception
module) that the canvas draws as a labelled frame. Shapes, compile, summary
and code export ignore groups.

Rules: a group has a unique id, a non-empty name and at least one node; a
node belongs to at most one group. Removing a node takes it out of its group,
and a group left without nodes is removed with it (an empty group would have
no frame to show or click). The Graph mixes these methods in, so they emit
change events like every other edit: group_added, group_removed,
group_renamed (data = old name), group_changed (data = old node list).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, NoReturn

from netbuilder.core.errors import GraphError

_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")  # the same rule as node ids
MAX_NAME = 200


@dataclass
class Group:
    id: str
    name: str
    nodes: list[str] = field(default_factory=list)


class GroupsMixin:
    """The group half of Graph (graph.py stays about nodes and edges)."""

    nodes: dict[str, Any]  # Graph's nodes (graph.py imports this module, never the reverse)
    groups: dict[str, Group]
    _group_of: dict[str, str]

    if TYPE_CHECKING:  # pragma: no cover - Graph's own
        def _emit(self, kind: str, **kw: Any) -> None: ...

    def _index_groups(self) -> None:
        self._group_of = {nid: g.id for g in self.groups.values() for nid in g.nodes}

    # --------------------------------------------------------------- queries
    def group_of(self, node_id: str) -> Group | None:
        """The group `node_id` belongs to, or None."""
        gid = self._group_of.get(node_id)
        return self.groups[gid] if gid is not None else None

    def new_group_id(self) -> str:
        i = 1
        while f"group_{i}" in self.groups:
            i += 1
        return f"group_{i}"

    def new_group_name(self) -> str:
        """'Group N' with the first N no group is named."""
        names = {g.name for g in self.groups.values()}
        i = 1
        while f"Group {i}" in names:
            i += 1
        return f"Group {i}"

    # ----------------------------------------------------------------- edits
    def add_group(self, node_ids: Iterable[str], name: str | None = None, id: str | None = None,
                  index: int | None = None) -> Group:
        """Group nodes that are in no group yet (at position `index` of the
        group order, default last: undo puts a group back where it was)."""
        group_id = id if id is not None else self.new_group_id()
        if not isinstance(group_id, str) or not _ID_RE.match(group_id):
            _fail(f"group id {group_id!r} must be letters, digits and _ (not starting with a digit)")
        if group_id in self.groups:
            _fail(f"group id {group_id!r} is already used")
        name = _checked_name(self.new_group_name() if name is None else name, group_id)
        members = self._checked_members(node_ids, group_id)
        group = Group(group_id, name, members)
        self.groups[group_id] = group
        if index is not None and index < len(self.groups) - 1:
            items = list(self.groups.items())
            items.insert(max(0, index), items.pop())
            self.groups.clear()
            self.groups.update(items)
        self._group_of.update((nid, group_id) for nid in members)
        self._emit("group_added", group_id=group_id)
        return group

    def remove_group(self, group_id: str) -> Group:
        """Ungroup: the nodes stay, the group goes; returns it for an undo."""
        group = self._group(group_id)
        del self.groups[group_id]
        for nid in group.nodes:
            self._group_of.pop(nid, None)
        self._emit("group_removed", group_id=group_id, data=group)
        return group

    def rename_group(self, group_id: str, name: str) -> str:
        """Returns the old name."""
        group = self._group(group_id)
        old, group.name = group.name, _checked_name(name, group_id)
        self._emit("group_renamed", group_id=group_id, data=old)
        return old

    def set_group_nodes(self, group_id: str, node_ids: Iterable[str]) -> list[str]:
        """Replace a group's members (in the order given); returns the old list."""
        group = self._group(group_id)
        members = self._checked_members(node_ids, group_id)
        old, group.nodes = group.nodes, members
        for nid in old:
            self._group_of.pop(nid, None)
        self._group_of.update((nid, group_id) for nid in members)
        self._emit("group_changed", group_id=group_id, data=list(old))
        return list(old)

    def _leave_group(self, node_id: str) -> None:
        """A node is being removed: take it out of its group (or drop the group
        if it was the last member)."""
        group = self.group_of(node_id)
        if group is None:
            return
        if group.nodes == [node_id]:
            self.remove_group(group.id)
        else:
            self.set_group_nodes(group.id, [n for n in group.nodes if n != node_id])

    # --------------------------------------------------------------- helpers
    def _group(self, group_id: str) -> Group:
        if group_id not in self.groups:
            _fail(f"no group {group_id!r}")
        return self.groups[group_id]

    def _checked_members(self, node_ids: Iterable[str], group_id: str) -> list[str]:
        if isinstance(node_ids, str):
            _fail(f"group {group_id!r}: nodes must be a list of node ids, got the text {node_ids!r}")
        members = list(node_ids)
        if not members:
            _fail(f"group {group_id!r} needs at least one node")
        seen: set[str] = set()
        for nid in members:
            if not isinstance(nid, str) or nid not in self.nodes:
                _fail(f"group {group_id!r}: no node {nid!r}")
            if nid in seen:
                _fail(f"group {group_id!r}: node {nid!r} is listed twice")
            seen.add(nid)
            other = self._group_of.get(nid)
            if other is not None and other != group_id:
                _fail(f"group {group_id!r}: node {nid!r} is already in group {other!r} "
                                 f"({self.groups[other].name!r}); a node belongs to at most one group")
        return members


def _fail(message: str) -> NoReturn:
    raise GraphError(message)


def _checked_name(name: Any, group_id: str) -> str:
    if not isinstance(name, str) or not name.strip():
        _fail(f"group {group_id!r}: the name must be non-empty text, got {name!r}")
    if len(name) > MAX_NAME:
        _fail(f"group {group_id!r}: the name is longer than {MAX_NAME} characters")
    return name.strip()
