"""Copy and paste of a selection: nodes plus the edges between them.

A fragment is plain JSON (so it survives the system clipboard and can be
pasted into another NetBuilder window); pasting gives every node a fresh id
and keeps only edges whose both ends were copied. A group whose layers are
all copied is copied too and pastes as a new group named "<name> copy";
a group copied in part is left behind (its layers paste ungrouped).
"""

from __future__ import annotations

import atexit
import copy
import functools
import json
import math
import re
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from netbuilder.core.graph import Edge, Graph, GraphError
from netbuilder.core.groups import MAX_NAME
from netbuilder.core.io import MAX_EDGES, MAX_NODES
from netbuilder.core.params import ParamError
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


MAX_ID = 200  # characters: the file format's limit (io.MAX_TEXT["id"]), so a pasted network still saves
_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _fresh_id(old: str, taken: set[str]) -> str:
    """conv1 → conv1_2 (or the next free number); keeps ids readable and within MAX_ID."""
    if old not in taken and len(old) <= MAX_ID:
        return old
    base = re.sub(r"_\d+$", "", old) or "node"
    i = 2
    while f"{base[:MAX_ID - len(str(i)) - 1]}_{i}" in taken:
        i += 1
    return f"{base[:MAX_ID - len(str(i)) - 1]}_{i}"


def _bad(where: str, what: str) -> ValueError:
    return ValueError(f"{where}: {what}")


def _checked_node(raw: Any, i: int) -> tuple[str, str, dict[str, Any], tuple[float, float]]:
    """(id, type, params, pos) of the fragment's node #i, or ValueError naming what is wrong."""
    where = f"layer #{i + 1} of the clipboard"
    if not isinstance(raw, dict):
        raise _bad(where, "is not a record")
    node_id, type_name, params, pos = raw.get("id"), raw.get("type"), raw.get("params") or {}, raw.get("pos", (0, 0))
    if not isinstance(node_id, str) or not _ID_RE.match(node_id):
        raise _bad(where, f"its id {str(node_id)[:40]!r} must be letters, digits and _ (not starting with a digit)")
    if not isinstance(type_name, str) or not has_spec(type_name):
        raise _bad(where, f"unknown layer type {str(type_name)[:40]!r}")
    if not isinstance(params, dict):
        raise _bad(where, "its params are not a record")
    try:
        params = get_spec(type_name).validate_params(params)
    except ParamError as exc:
        raise _bad(f"{where} ({type_name})", str(exc)) from None
    if (not isinstance(pos, (list, tuple)) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in pos)):
        raise _bad(where, "its position must be two finite numbers")
    return node_id, type_name, params, (float(pos[0]), float(pos[1]))


def _checked_edge(raw: Any, i: int) -> tuple[str, str, int, int]:
    where = f"connection #{i + 1} of the clipboard"
    if not isinstance(raw, dict) or not isinstance(raw.get("src"), str) or not isinstance(raw.get("dst"), str):
        raise _bad(where, "needs the ids of its two layers")
    ports = raw.get("src_port", 0), raw.get("dst_port", 0)
    if not all(isinstance(p, int) and not isinstance(p, bool) and 0 <= p < 1_000_000 for p in ports):
        raise _bad(where, f"its ports must be small whole numbers, not {str(ports[0])[:20]}, {str(ports[1])[:20]}")
    return raw["src"], raw["dst"], ports[0], ports[1]


def instantiate(graph: Graph, frag: dict[str, Any], offset: tuple[float, float],
                at: tuple[float, float] | None) -> tuple[list[dict[str, Any]], list[Edge]]:
    """New node records and edges for `frag`, checked against `graph`.
    With `at`, the fragment's top-left lands there; otherwise it is shifted by `offset`.
    A malformed fragment raises ValueError naming the layer or connection; whether
    the edges fit (ports, cycles) is checked when the paste is applied, all or nothing."""
    if not isinstance(frag, dict) or frag.get("format") != FORMAT:
        raise ValueError("the clipboard does not hold NetBuilder layers")
    raw_nodes, raw_edges = frag.get("nodes") or [], frag.get("edges") or []
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        raise ValueError("the clipboard's layers and connections must be lists")
    if len(raw_nodes) > MAX_NODES or len(raw_edges) > MAX_EDGES:
        raise ValueError(f"the clipboard holds more than {MAX_NODES} layers or {MAX_EDGES} connections")
    checked = [_checked_node(raw, i) for i, raw in enumerate(raw_nodes)]
    if len({c[0] for c in checked}) != len(checked):
        raise ValueError("the clipboard lists a layer id twice")
    if not checked:
        return [], []
    if at is not None:
        dx, dy = at[0] - min(c[3][0] for c in checked), at[1] - min(c[3][1] for c in checked)
    else:
        dx, dy = offset
    taken = set(graph.nodes)
    mapping: dict[str, str] = {}
    nodes = []
    for old_id, type_name, params, (x, y) in checked:
        new_id = _fresh_id(old_id, taken)
        taken.add(new_id)
        mapping[old_id] = new_id
        nodes.append({"id": new_id, "type": type_name, "params": params, "pos": (x + dx, y + dy)})
    edges = []
    for i, raw in enumerate(raw_edges):
        src, dst, src_port, dst_port = _checked_edge(raw, i)
        if src in mapping and dst in mapping:
            edges.append(Edge(mapping[src], mapping[dst], src_port, dst_port))
    return nodes, edges


def instantiate_groups(graph: Graph, frag: dict[str, Any],
                       nodes: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(name, new member ids) of the fragment's groups, for the `nodes` that
    `instantiate` made from it (same order). Names get " copy" while taken."""
    mapping = {str(raw["id"]): new["id"] for raw, new in zip(frag.get("nodes") or [], nodes)}
    names = {g.name for g in graph.groups.values()}
    out: list[tuple[str, list[str]]] = []
    used: set[str] = set()
    groups = frag.get("groups")
    for raw in groups if isinstance(groups, list) else []:
        if not isinstance(raw, dict) or not isinstance(raw.get("nodes"), list):
            continue  # a fragment from elsewhere: its layers still paste, ungrouped
        members = [mapping[str(n)] for n in raw["nodes"] if str(n) in mapping and mapping[str(n)] not in used]
        if not members:
            continue
        used.update(members)
        name = str(raw.get("name") or "").strip()[:MAX_NAME].strip() or "Group"
        if name in names:
            name = _fresh_name(name, names)
        names.add(name)
        out.append((name, members))
    return out


def _fresh_name(name: str, taken: set[str]) -> str:
    """'block copy', then 'block copy 2', ...; the name is shortened so that
    every candidate fits MAX_NAME (a name at the limit duplicates too)."""
    i = 1
    while True:
        suffix = " copy" if i == 1 else f" copy {i}"
        candidate = name[:MAX_NAME - len(suffix)].rstrip() + suffix
        if candidate not in taken:
            return candidate
        i += 1


def to_clipboard(frag: dict[str, Any]) -> None:
    data = QMimeData()
    text = json.dumps(frag, indent=1)
    data.setData(MIME, text.encode("utf-8"))
    data.setText(text)
    QGuiApplication.clipboard().setMimeData(data)
    _clear_at_exit()


@functools.cache
def _clear_at_exit() -> None:
    """Qt's clipboard (a global of QtGui) frees the QMimeData made here in its own exit handler,
    after Python has gone: PySide then touched the dead interpreter and the process ended with
    SIGSEGV after every copy. Free it while Python still runs (the copy lives in this process
    anyway: it is gone from the system clipboard once the editor exits)."""
    def clear() -> None:
        board = QGuiApplication.clipboard() if QGuiApplication.instance() is not None else None
        if board is not None:
            board.clear()

    atexit.register(clear)


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
