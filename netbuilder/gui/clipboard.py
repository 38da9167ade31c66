"""Copy and paste of a selection: nodes plus the edges between them.

A fragment is plain JSON (so it survives the system clipboard and can be
pasted into another NetBuilder window); pasting gives every node a fresh id
and keeps only edges whose both ends were copied. A group whose layers are
all copied is copied too and pastes as a new group named "<name> copy";
a group copied in part is left behind (its layers paste ungrouped).
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from netbuilder.core.graph import Edge, Graph, GraphError
from netbuilder.core.groups import MAX_NAME
from netbuilder.core.spec import get_spec, has_spec

MIME = "application/x-netbuilder-fragment"
FORMAT = "netbuilder-fragment"


def fragment(graph: Graph, node_ids: list[str]) -> dict[str, Any]:
    chosen = set(node_ids)
    nodes = [{"id": n.id, "type": n.type, "params": copy.deepcopy(n.params), "pos": list(n.pos)}
             for n in graph if n.id in chosen]
    edges = [{"src": e.src, "dst": e.dst, "src_port": e.src_port, "dst_port": e.dst_port}
             for e in graph.edges if e.src in chosen and e.dst in chosen]
    groups = [{"name": g.name, "nodes": list(g.nodes)} for g in graph.groups.values() if chosen.issuperset(g.nodes)]
    return {"format": FORMAT, "nodes": nodes, "edges": edges, "groups": groups}


def _fresh_id(old: str, taken: set[str]) -> str:
    """conv1 → conv1_2 (or the next free number); keeps ids readable."""
    if old not in taken:
        return old
    base = re.sub(r"_\d+$", "", old) or "node"
    i = 2
    while f"{base}_{i}" in taken:
        i += 1
    return f"{base}_{i}"


def instantiate(graph: Graph, frag: dict[str, Any], offset: tuple[float, float],
                at: tuple[float, float] | None) -> tuple[list[dict[str, Any]], list[Edge]]:
    """New node records and edges for `frag`, checked against `graph`.
    With `at`, the fragment's top-left lands there; otherwise it is shifted by `offset`."""
    if not isinstance(frag, dict) or frag.get("format") != FORMAT:
        raise ValueError("the clipboard does not hold NetBuilder layers")
    raw_nodes = frag.get("nodes") or []
    if not raw_nodes:
        return [], []
    if at is not None:
        left = min(float(n["pos"][0]) for n in raw_nodes)
        top = min(float(n["pos"][1]) for n in raw_nodes)
        dx, dy = at[0] - left, at[1] - top
    else:
        dx, dy = offset
    taken = set(graph.nodes)
    mapping: dict[str, str] = {}
    nodes = []
    for raw in raw_nodes:
        type_name = raw["type"]
        if not has_spec(type_name):
            raise GraphError(f"unknown layer type {type_name!r}")
        params = get_spec(type_name).validate_params(raw.get("params") or {})
        new_id = _fresh_id(str(raw["id"]), taken)
        taken.add(new_id)
        mapping[raw["id"]] = new_id
        nodes.append({"id": new_id, "type": type_name, "params": params,
                      "pos": (float(raw["pos"][0]) + dx, float(raw["pos"][1]) + dy)})
    edges = [Edge(mapping[e["src"]], mapping[e["dst"]], int(e.get("src_port", 0)), int(e.get("dst_port", 0)))
             for e in frag.get("edges") or [] if e["src"] in mapping and e["dst"] in mapping]
    return nodes, edges


def instantiate_groups(graph: Graph, frag: dict[str, Any],
                       nodes: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(name, new member ids) of the fragment's groups, for the `nodes` that
    `instantiate` made from it (same order). Names get " copy" while taken."""
    mapping = {str(raw["id"]): new["id"] for raw, new in zip(frag.get("nodes") or [], nodes)}
    names = {g.name for g in graph.groups.values()}
    out: list[tuple[str, list[str]]] = []
    used: set[str] = set()
    for raw in frag.get("groups") or []:
        if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), list):
            continue  # a fragment from elsewhere: its layers still paste, ungrouped
        members = [mapping[str(n)] for n in raw["nodes"] if str(n) in mapping and mapping[str(n)] not in used]
        if not members:
            continue
        used.update(members)
        name = (str(raw.get("name") or "").strip() or "Group")[:MAX_NAME - len(" copy 99")]
        if name in names:
            name = _fresh_name(f"{name} copy", names)
        names.add(name)
        out.append((name, members))
    return out


def _fresh_name(name: str, taken: set[str]) -> str:
    """'block copy', then 'block copy 2', ..."""
    candidate, i = name, 2
    while candidate in taken:
        candidate, i = f"{name} {i}", i + 1
    return candidate


def to_clipboard(frag: dict[str, Any]) -> None:
    data = QMimeData()
    text = json.dumps(frag, indent=1)
    data.setData(MIME, text.encode("utf-8"))
    data.setText(text)
    QGuiApplication.clipboard().setMimeData(data)


def from_clipboard() -> dict[str, Any] | None:
    data = QGuiApplication.clipboard().mimeData()
    if data is None:
        return None
    if data.hasFormat(MIME):
        raw = bytes(data.data(MIME).data()).decode("utf-8", "replace")
    elif data.hasText():
        raw = data.text()
    else:
        return None
    try:
        frag = json.loads(raw)
    except ValueError:
        return None
    return frag if isinstance(frag, dict) and frag.get("format") == FORMAT else None
