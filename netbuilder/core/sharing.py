"""Shared weights: a node may use another node's module (`"shares": "owner"`
in the file), a siamese network's tower called on two inputs.

Rules, kept by every edit:
- the owner exists, is another node of the same type, with weights (a
  layer with a module: functional and I/O types have nothing to share), and
  identical params — set_params of an owner or of a sharer changes them all;
- no chains: an owner shares nothing. Sharing a sharer means sharing its
  owner, and when a node that has sharers starts sharing another node, its
  sharers follow it to that owner;
- removing an owner hands the module on: its first sharer (file order)
  becomes the owner and the others share that one (the weights stay in one
  place, nothing is silently duplicated).
Shape check adds one rule: a sharer's inputs must build the same module as
its owner's (e.g. the same in_features; a sequence length may differ).

Compile, summary and code export read `owner_of`: one submodule, counted
once, one attribute called at each sharing node. Event: shares_changed
(node_id, data = the old owner or None).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from netbuilder.core.errors import GraphError


class SharingMixin:
    """The shared-weights half of Graph."""

    nodes: dict[str, Any]  # Graph's nodes: Node has `shares: str | None`
    # ids that may share a module (every node that does is in it; removed ones linger until
    # asked): most networks share nothing, and a scan of 20,000 nodes on every parameter
    # edit and every shape check cost 5 ms each
    _maybe_sharing: set[str]

    def _index_sharing(self) -> None:
        self._maybe_sharing = {nid for nid, n in self.nodes.items() if n.shares is not None}

    def has_sharing(self) -> bool:
        """Whether any node shares another's module (without a scan of every node)."""
        self._maybe_sharing = {nid for nid in self._maybe_sharing
                               if nid in self.nodes and self.nodes[nid].shares is not None}
        return bool(self._maybe_sharing)

    if TYPE_CHECKING:  # pragma: no cover - Graph's own
        def _emit(self, kind: str, **kw: Any) -> None: ...

    # --------------------------------------------------------------- queries
    def owner_of(self, node_id: str) -> str:
        """The node whose module `node_id` runs: its owner, or itself."""
        return self.nodes[node_id].shares or node_id

    def sharers(self, owner_id: str) -> list[str]:
        """Nodes that share `owner_id`'s module, in file order."""
        if not self.has_sharing():
            return []
        return [n.id for n in self.nodes.values() if n.shares == owner_id]

    # ----------------------------------------------------------------- edits
    def set_shares(self, node_id: str, owner_id: str | None) -> str | None:
        """Make `node_id` share `owner_id`'s module (None: its own again);
        returns the old owner (None if it had its own) for an undo."""
        node = self._shared_node(node_id)
        old = node.shares
        if owner_id is not None:
            owner_id = self._checked_owner(node_id, owner_id)
        if owner_id == old:
            return old
        node.shares = owner_id
        if owner_id is not None:
            self._maybe_sharing.add(node_id)
        self._emit("shares_changed", node_id=node_id, data=old)
        if owner_id is not None:
            for sid in self.sharers(node_id):  # no chains: they follow to the new owner
                self.set_shares(sid, owner_id)
        return old

    def _checked_owner(self, node_id: str, owner_id: Any) -> str:
        if not isinstance(owner_id, str) or owner_id not in self.nodes:
            raise GraphError(f"node {node_id!r}: shares {owner_id!r}, but there is no such node")
        root = self.nodes[owner_id].shares or owner_id
        if root == node_id:
            what = "itself" if owner_id == node_id else f"{owner_id!r}, which already shares {node_id!r}'s module"
            raise GraphError(f"node {node_id!r} cannot share {what}")
        node, owner = self.nodes[node_id], self.nodes[root]
        if node.type != owner.type:
            raise GraphError(f"node {node_id!r} ({node.type}) cannot share {root!r}: it is a {owner.type}; "
                             "only layers of the same type share weights")
        if node.spec.module is None:
            raise GraphError(f"node {node_id!r}: {node.type} has no weights to share")
        if node.params != owner.params:
            diff = ", ".join(f"{k} {node.params.get(k)!r} vs {owner.params.get(k)!r}"
                             for k in owner.params if node.params.get(k) != owner.params.get(k))
            raise GraphError(f"node {node_id!r} cannot share {root!r}: their params differ ({diff}); "
                             "make them equal first")
        return root

    def _shared_node(self, node_id: str) -> Any:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"no node {node_id!r}") from None

    def _params_group(self, node_id: str) -> list[str]:
        """The owner and all its sharers: the nodes whose params are one."""
        owner = self.owner_of(node_id)
        sharers = self.sharers(owner)
        return [owner, *sharers] if sharers else [node_id]

    def _hand_on_module(self, owner_id: str) -> list[str]:
        """`owner_id` is being removed: its first sharer becomes the owner,
        the others share that one. Returns the former sharers."""
        sharers = self.sharers(owner_id)
        if sharers:
            heir = sharers[0]
            self.set_shares(heir, None)
            for sid in sharers[1:]:
                self.set_shares(sid, heir)
        return sharers
