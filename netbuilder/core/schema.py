"""JSON Schema (draft 2020-12) of the graph file, generated from the catalog.

`python -m netbuilder.core.schema > resources/netbuilder-graph.schema.json`
regenerates the committed copy; a test fails when the two differ, so the
schema can never go stale. Node types are an enum; each type's `params`
object allows exactly that type's params, with kind, range, default and help.
The loader stays the authority (it also checks ports and cycles); the schema
lets editors and other tools validate and autocomplete files.
"""

from __future__ import annotations

import json
from typing import Any

from netbuilder.core.io import FORMAT, MAX_NODES, VERSION
from netbuilder.core.params import Param
from netbuilder.core.spec import all_specs

DRAFT = "https://json-schema.org/draft/2020-12/schema"
ID_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$"  # graph._ID_RE


def _bounded(base: dict[str, Any], p: Param) -> dict[str, Any]:
    if p.min is not None:
        base["minimum"] = p.min
    if p.max is not None:
        base["maximum"] = p.max
    return base


def _int(p: Param) -> dict[str, Any]:
    return _bounded({"type": "integer"}, p)


def _ints(p: Param) -> list[dict[str, Any]]:
    """One int, or a list of `length` ints (any non-empty length if unset)."""
    array: dict[str, Any] = {"type": "array", "items": _int(p), "minItems": p.length or 1}
    if p.length:
        array["maxItems"] = p.length
    return [_int(p), array]


def param_schema(p: Param) -> dict[str, Any]:
    """The schema of one param's value, with its help and default."""
    kind = p.kind
    null = {"type": "null"}
    if kind == "int":
        body: dict[str, Any] = _int(p)
    elif kind == "float":
        body = _bounded({"type": "number"}, p)
    elif kind == "bool":
        body = {"type": "boolean"}
    elif kind == "choice":
        body = {"enum": list(p.choices)}
    elif kind == "str":
        body = {"type": "string"}
    elif kind == "ints":
        body = {"anyOf": _ints(p)}
    elif kind == "optional_ints":
        body = {"anyOf": [*_ints(p), null]}
    elif kind == "optional_int":
        body = {"anyOf": [_int(p), null]}
    elif kind == "padding":
        body = {"anyOf": [{"enum": ["same", "valid"]}, *_ints(p)]}
    elif kind == "groups":
        body = {"anyOf": [{"type": "integer", "minimum": max(1, p.min or 1)}, {"const": "depthwise"}]}
    elif kind == "shape":
        body = {"type": "array", "minItems": 1, "items": {"anyOf": [_bounded({"type": "integer", "minimum": 1}, p),
                                                                   null]}}
    elif kind == "int_list":
        body = {"type": "array", "minItems": 1, "items": _int(p)}
    else:  # pragma: no cover - a new kind must be added here (the schema test catches it)
        raise ValueError(f"no JSON Schema for param kind {kind!r}")
    return {"description": p.help, "default": p.default, **body}


def _node_schema(types: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "type"],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN, "description": "stable node id"},
            "type": {"enum": types, "description": "layer type (PyTorch's name)"},
            "params": {"type": "object", "description": "parameter values by name; missing ones take defaults"},
            "pos": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
                    "description": "canvas position [x, y]"},
            "shares": {"type": "string", "pattern": ID_PATTERN,
                       "description": "id of a node of the same type and params whose module (weights) this "
                                      "node uses: one set of parameters, called at both nodes"},
        },
        "allOf": [
            {"if": {"properties": {"type": {"const": t}}, "required": ["type"]},
             "then": {"properties": {"params": {"$ref": f"#/$defs/params_{t}"}}}}
            for t in types
        ],
    }


def _edge_schema() -> dict[str, Any]:
    port = {"type": "integer", "minimum": 0}
    return {
        "type": "object",
        "required": ["src", "dst"],
        "properties": {
            "src": {"type": "string", "description": "id of the node the tensor comes from"},
            "dst": {"type": "string", "description": "id of the node it goes to"},
            "src_port": {**port, "default": 0, "description": "output port of src (0 = first)"},
            "dst_port": {**port, "default": 0, "description": "input port of dst (0 = first)"},
        },
    }


def _group_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id", "nodes"],
        "properties": {
            "id": {"type": "string", "pattern": ID_PATTERN, "description": "stable group id"},
            "name": {"type": "string", "description": "label shown on the group's frame (default: the id)"},
            "nodes": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": ID_PATTERN},
                      "description": "ids of the member nodes; a node belongs to at most one group"},
        },
    }


def build_schema() -> dict[str, Any]:
    specs = all_specs()
    defs: dict[str, Any] = {"node": _node_schema([s.type for s in specs]), "edge": _edge_schema(),
                            "group": _group_schema()}
    for spec in specs:
        defs[f"params_{spec.type}"] = {
            "description": f"{spec.type} ({spec.category}): {spec.help}",
            "type": "object",
            "additionalProperties": False,
            "properties": {p.name: param_schema(p) for p in spec.params},
        }
    return {
        "$schema": DRAFT,
        "$id": "netbuilder-graph.schema.json",
        "title": "NetBuilder graph",
        "description": "A neural network drawn in NetBuilder: layer nodes, the edges between their ports, "
                       "and optional training settings. Generated from the layer catalog.",
        "type": "object",
        "required": ["nodes"],
        "properties": {
            "format": {"const": FORMAT},
            "version": {"type": "integer", "minimum": 1, "maximum": VERSION},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "nodes": {"type": "array", "maxItems": MAX_NODES, "items": {"$ref": "#/$defs/node"}},
            "edges": {"type": "array", "items": {"$ref": "#/$defs/edge"}},
            "groups": {"type": "array", "items": {"$ref": "#/$defs/group"},
                       "description": "named groups of nodes, drawn as frames; shapes and compile ignore them"},
            "training": {"type": "object", "description": "training settings (see netbuilder/train/settings.py)"},
        },
        "$defs": defs,
    }


def schema_text() -> str:
    """The schema as committed in resources/ (stable key order, UTF-8)."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover - exercised via subprocess in tests
    import sys

    sys.stdout.write(schema_text())
