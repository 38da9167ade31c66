"""The JSON file format: load, save, validate, migrate; atomic writes.

    {"format": "netbuilder-graph", "version": 1, "name": ..., "description": ...,
     "nodes": [{"id", "type", "params", "pos": [x, y], "shares"?: node id}],
     "edges": [{"src", "dst", "src_port"?, "dst_port"?}],
     "groups"?: [{"id", "name", "nodes": [node ids]}],
     "training": {...}}

`groups` is optional (a version-1 file without it has no groups) and is
written only when the graph has some; likewise a node's `shares` (the id of
the node whose module and weights it uses, see core/sharing.py).

Every problem is a GraphFileError whose message names the node and field.
"""

from __future__ import annotations

import copy
import difflib
import gc
import json
import os
import re
import reprlib
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import networkx as nx

# the file-safety helpers moved to files.py; imported from here by the ONNX reader, checkpoints, autosave, tests
from netbuilder.core.files import (  # noqa: F401  (re-exported)
    MAX_FILE_MB_DEFAULT,
    atomic_write,
    atomic_write_text,
    max_file_bytes,
    megabytes_setting,
    read_regular_file,
)
from netbuilder.core.graph import Graph, GraphError
from netbuilder.core.spec import all_specs, has_spec

FORMAT = "netbuilder-graph"
VERSION = 1
MAX_NODES = 100_000
MAX_EDGES = 400_000  # a 100,000-node graph with 4 inputs per node; 10**7 edges would need GBs to build
MAX_TEXT = {"name": 1_000, "description": 100_000, "id": 200, "group name": 1_000}  # characters
MAX_DEPTH = 64  # real files nest about 6 deep; copying a 500-deep value overflows Python's stack


class GraphFileError(ValueError):
    """A file that cannot be read as a graph; the message says where and why."""


# version -> function upgrading a dict of that version to version + 1
MIGRATIONS: dict[int, Callable[[dict], dict]] = {}


def graph_to_dict(graph: Graph) -> dict[str, Any]:
    out: dict[str, Any] = {"format": FORMAT, "version": VERSION, "name": graph.name,
                           "description": graph.description, "nodes": [], "edges": []}
    for n in graph:
        out["nodes"].append({"id": n.id, "type": n.type, "params": _non_default(n), "pos": [n.pos[0], n.pos[1]]})
        if n.shares is not None:
            out["nodes"][-1]["shares"] = n.shares
    for e in graph.edges:
        edge: dict[str, Any] = {"src": e.src, "dst": e.dst}
        if e.src_port:
            edge["src_port"] = e.src_port
        if e.dst_port:
            edge["dst_port"] = e.dst_port
        out["edges"].append(edge)
    if graph.groups:
        out["groups"] = [{"id": g.id, "name": g.name, "nodes": list(g.nodes)} for g in graph.groups.values()]
    if graph.training:
        out["training"] = copy.deepcopy(graph.training)
    return out


def _non_default(node) -> dict[str, Any]:
    """Params as saved: every value, so files stay readable without the catalog.
    A deep copy: editing the returned dict never edits the graph."""
    return copy.deepcopy(node.params)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No garbage collection inside (restored as it was, also on an error).
    Building a big graph allocates hundreds of thousands of objects that all
    stay alive; each automatic collection walks the whole growing heap, so a
    20,000-node load spent most of its time in the collector (58 ms for 1,000
    nodes, 1.9 s for 20,000). Nothing here makes reference cycles to free."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def graph_from_dict(data: Any, source: str = "graph") -> Graph:
    with gc_paused():
        return _graph_from_dict(data, source)


def _graph_from_dict(data: Any, source: str) -> Graph:
    if not isinstance(data, dict):
        raise GraphFileError(f"{source}: expected a JSON object at the top level, got {type(data).__name__}")
    _check_depth(data, source)
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise GraphFileError(f"{source}: 'format' is {fmt!r}, expected {FORMAT!r} — not a NetBuilder graph")
    data = _migrate(data, source)
    graph = Graph(name=_text(data, "name", source, "untitled"), description=_text(data, "description", source, ""))
    training = data.get("training", {})
    if not isinstance(training, dict):
        raise GraphFileError(f"{source}: 'training' must be an object, got {type(training).__name__}")
    graph.training = training
    nodes, edges = data.get("nodes"), data.get("edges", [])
    if not isinstance(nodes, list):
        raise GraphFileError(f"{source}: 'nodes' must be a list")
    if not isinstance(edges, list):
        raise GraphFileError(f"{source}: 'edges' must be a list")
    if len(nodes) > MAX_NODES:
        raise GraphFileError(f"{source}: {len(nodes)} nodes is more than the limit of {MAX_NODES}")
    if len(edges) > MAX_EDGES:  # refused before any node or edge is built
        raise GraphFileError(f"{source}: {len(edges)} edges is more than the limit of {MAX_EDGES}")
    for i, raw in enumerate(nodes):
        _load_node(graph, raw, f"{source}: nodes[{i}]")
    for i, raw in enumerate(nodes):  # once every node exists: an owner may come after its sharer
        _load_shares(graph, raw, f"{source}: nodes[{i}] (id {raw['id']!r})")
    for i, raw in enumerate(edges):
        _load_edge(graph, raw, f"{source}: edges[{i}]")
    _check_acyclic(graph, source)
    groups = data.get("groups", [])
    if not isinstance(groups, list):
        raise GraphFileError(f"{source}: 'groups' must be a list, got {type(groups).__name__}")
    for i, raw in enumerate(groups):
        _load_group(graph, raw, f"{source}: groups[{i}]")
    return graph


def _check_acyclic(graph: Graph, source: str) -> None:
    """One cycle check for the whole file (edges are loaded without one):
    name the last edge, in file order, of a cycle — the one that closed it.
    The graph's own topological sort decides (linear, and cached for the
    shape check that follows a load); only a cyclic file is searched further."""
    try:
        graph.topological_order()
        return
    except nx.NetworkXUnfeasible:
        pass
    try:
        cycle = nx.find_cycle(graph._dag)
    except nx.NetworkXNoCycle:
        return
    index = {e: i for i, e in enumerate(graph.edges)}
    i = max(index[key] for _, _, key in cycle)
    e = graph.edges[i]
    raise GraphFileError(f"{source}: edges[{i}] ({e.src!r} → {e.dst!r}): connecting {e.src} → {e.dst} "
                         "would make a cycle")


def _check_depth(data: Any, source: str) -> None:
    """Refuse values nested deeper than MAX_DEPTH, naming where (iterative: no recursion).
    A quick pass without paths first: only a file that is too deep is walked again to say where."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()  # only containers are stacked
        if depth >= MAX_DEPTH and value:  # its items are nested deeper than MAX_DEPTH
            _name_too_deep(data, source)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, (dict, list)))
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value if isinstance(v, (dict, list)))


def _name_too_deep(data: Any, source: str) -> None:
    stack: list[tuple[Any, int, tuple]] = [(data, 0, ())]
    while stack:
        value, depth, path = stack.pop()
        if depth > MAX_DEPTH:
            where = "/".join(map(str, path[:4]))
            raise GraphFileError(f"{source}: value at '{where}/...' is nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, dict):
            stack.extend((v, depth + 1, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, depth + 1, (*path, i)) for i, v in enumerate(value))


def _text(data: dict, key: str, source: str, default: str) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise GraphFileError(f"{source}: '{key}' must be text, got {type(value).__name__}")
    _check_length(value, key, source)
    return value


def _check_length(value: str, what: str, where: str) -> None:
    """Refuse text over the format's cap for `what` (MAX_TEXT), without echoing it."""
    limit = MAX_TEXT[what]
    if len(value) > limit:
        raise GraphFileError(f"{where}: {what} {reprlib.repr(value)} is {len(value):,} characters long; "
                             f"the limit is {limit:,}")


def _migrate(data: dict, source: str) -> dict:
    version = data.get("version", VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise GraphFileError(f"{source}: 'version' must be a positive integer, got {version!r}")
    if version > VERSION:
        raise GraphFileError(f"{source}: file version {version} is newer than this NetBuilder "
                             f"(reads up to {VERSION}); please upgrade")
    while version < VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    return data


def _load_node(graph: Graph, raw: Any, where: str) -> None:
    if not isinstance(raw, dict):
        raise GraphFileError(f"{where}: expected an object, got {type(raw).__name__}")
    node_id = raw.get("id")
    where = f"{where} (id {reprlib.repr(node_id)})" if node_id is not None else where
    for key, kind in (("id", str), ("type", str)):
        if not isinstance(raw.get(key), kind):
            raise GraphFileError(f"{where}: field '{key}' is missing or not text")
    _check_length(node_id, "id", where)
    if len(raw["type"]) > MAX_TEXT["id"]:
        raise GraphFileError(f"{where}: field 'type': unknown layer type {reprlib.repr(raw['type'])}")
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise GraphFileError(f"{where}: field 'params' must be an object")
    pos = raw.get("pos", [0, 0])
    if (not isinstance(pos, (list, tuple)) or len(pos) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e9 for v in pos)):
        raise GraphFileError(f"{where}: field 'pos' must be [x, y] numbers, got {pos!r}")
    if not has_spec(raw["type"]):
        close = difflib.get_close_matches(raw["type"], [s.type for s in all_specs()], n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise GraphFileError(f"{where}: field 'type': unknown layer type {raw['type']!r}{hint}")
    try:
        graph.add_node(raw["type"], params, pos=(pos[0], pos[1]), id=node_id)
    except GraphError as exc:
        raise GraphFileError(f"{where}: {exc}") from None


def _load_shares(graph: Graph, raw: dict, where: str) -> None:
    owner = raw.get("shares")
    if owner is None:
        return
    if not isinstance(owner, str):
        raise GraphFileError(f"{where}: field 'shares' must be a node id (text), got {reprlib.repr(owner)}")
    try:
        graph.set_shares(raw["id"], owner)
    except GraphError as exc:
        raise GraphFileError(f"{where}: field 'shares': {exc}") from None


def _load_edge(graph: Graph, raw: Any, where: str) -> None:
    if not isinstance(raw, dict):
        raise GraphFileError(f"{where}: expected an object, got {type(raw).__name__}")
    src, dst = raw.get("src"), raw.get("dst")

    def fail(message: str) -> GraphFileError:  # the place is spelled out only for an error
        return GraphFileError(f"{where} ({reprlib.repr(src)} → {reprlib.repr(dst)}): {message}")

    if not isinstance(src, str) or not isinstance(dst, str):
        raise fail("fields 'src' and 'dst' must be node ids")
    for end in (src, dst):
        if end not in graph.nodes:
            raise fail(f"no node with id {end!r}")
    ports = []
    for key in ("src_port", "dst_port"):
        value = raw.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool):
            raise fail(f"field '{key}' must be an integer, got {value!r}")
        ports.append(value)
    try:
        graph.add_edge(src, dst, ports[0], ports[1], check_cycle=False)
    except GraphError as exc:
        raise fail(str(exc)) from None


def _load_group(graph: Graph, raw: Any, where: str) -> None:
    if not isinstance(raw, dict):
        raise GraphFileError(f"{where}: expected an object, got {type(raw).__name__}")
    group_id = raw.get("id")
    where = f"{where} (id {reprlib.repr(group_id)})" if group_id is not None else where
    if not isinstance(group_id, str):
        raise GraphFileError(f"{where}: field 'id' is missing or not text")
    _check_length(group_id, "id", where)
    name = raw.get("name", group_id)
    if not isinstance(name, str):
        raise GraphFileError(f"{where}: field 'name' must be text, got {type(name).__name__}")
    _check_length(name, "group name", where)
    members = raw.get("nodes")
    if not isinstance(members, list):
        raise GraphFileError(f"{where}: field 'nodes' must be a list of node ids, got {type(members).__name__}")
    for i, member in enumerate(members):
        if not isinstance(member, str):
            raise GraphFileError(f"{where}: nodes[{i}] must be a node id (text), got {reprlib.repr(member)}")
    try:
        graph.add_group(members, name, id=group_id)
    except GraphError as exc:
        raise GraphFileError(f"{where}: {exc}") from None


def load_graph(source: str | os.PathLike | dict) -> Graph:
    """Load a graph from a path, or from an already-parsed dict."""
    if isinstance(source, dict):
        return graph_from_dict(source)
    path = Path(source)
    raw = read_regular_file(path, GraphFileError)
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows editors) is fine
    except UnicodeDecodeError as exc:
        raise GraphFileError(f"{path}: not UTF-8 text (bad byte at position {exc.start})") from None
    try:
        with gc_paused():  # the parsed tree is all live objects: see gc_paused
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise GraphFileError(f"{path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise GraphFileError(f"{path}: JSON nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (Python's int_max_str_digits)
        raise GraphFileError(f"{path}: invalid JSON: {exc}") from None
    return graph_from_dict(data, str(path))


def dumps(graph: Graph) -> str:
    text = json.dumps(graph_to_dict(graph), indent=2, ensure_ascii=False) + "\n"
    # A lone surrogate ("\ud83d", e.g. half an emoji pasted from elsewhere) has no UTF-8 form: write it
    # as a JSON \uXXXX escape, which loads back to the same string. It can only occur inside a string.
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def save_graph(graph: Graph, path: str | os.PathLike) -> None:
    atomic_write_text(path, dumps(graph))
