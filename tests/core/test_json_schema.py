"""The committed JSON Schema equals the generated one, is well-formed, accepts
every valid file and agrees with the loader's own param validation.

No jsonschema package is available, so a small validator for the keywords the
schema uses (type, enum, const, anyOf, allOf/if/then, properties, required,
additionalProperties, items, min/maxItems, minimum/maximum, pattern, $ref)
lives here.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from core_cases import ALL_CASES, build_case_graph
from hypothesis import given, settings
from hypothesis import strategies as st

from netbuilder.core.io import graph_to_dict
from netbuilder.core.params import ParamError
from netbuilder.core.schema import DRAFT, build_schema, param_schema, schema_text
from netbuilder.core.spec import all_specs

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / "resources" / "netbuilder-graph.schema.json"
REGENERATE = "python -m netbuilder.core.schema > resources/netbuilder-graph.schema.json"

_ANNOTATIONS = {"$schema", "$id", "$defs", "title", "description", "default"}
_ASSERTIONS = {"type", "enum", "const", "anyOf", "allOf", "if", "then", "properties", "required",
               "additionalProperties", "items", "minItems", "maxItems", "minimum", "maximum", "pattern", "$ref"}
_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}


# ------------------------------------------------------------ mini validator
def _is_type(value: Any, name: str) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return {
        "object": isinstance(value, dict), "array": isinstance(value, list), "string": isinstance(value, str),
        "boolean": isinstance(value, bool), "null": value is None, "number": number,
        "integer": number and float(value).is_integer(),
    }[name]


def _same(a: Any, b: Any) -> bool:
    """JSON equality: true is not 1."""
    return type(a) is type(b) and a == b if isinstance(a, bool) or isinstance(b, bool) else a == b


def valid(value: Any, schema: dict, root: dict) -> bool:
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        if not valid(value, target, root):
            return False
    checks = [
        ("type", lambda t: _is_type(value, t)),
        ("enum", lambda e: any(_same(value, x) for x in e)),
        ("const", lambda c: _same(value, c)),
        ("anyOf", lambda subs: any(valid(value, s, root) for s in subs)),
        ("allOf", lambda subs: all(valid(value, s, root) for s in subs)),
    ]
    for key, ok in checks:
        if key in schema and not ok(schema[key]):
            return False
    if "if" in schema and valid(value, schema["if"], root) and not valid(value, schema.get("then", {}), root):
        return False
    if isinstance(value, dict):
        props = schema.get("properties", {})
        if any(k not in value for k in schema.get("required", ())):
            return False
        if schema.get("additionalProperties") is False and set(value) - set(props):
            return False
        if not all(valid(v, props[k], root) for k, v in value.items() if k in props):
            return False
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value)):
            return False
        if "items" in schema and not all(valid(v, schema["items"], root) for v in value):
            return False
    if _is_type(value, "number"):
        if value < schema.get("minimum", value) or value > schema.get("maximum", value):
            return False
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        return False
    return True


SCHEMA = build_schema()


def _valid_file(data: Any) -> bool:
    return valid(data, SCHEMA, SCHEMA)


# ------------------------------------------------------------------- tests
def test_committed_schema_is_up_to_date():
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), f"the schema is stale: run `{REGENERATE}`"


def test_module_prints_the_schema():
    out = subprocess.run([sys.executable, "-m", "netbuilder.core.schema"], capture_output=True, text=True,
                         encoding="utf-8", check=True, cwd=ROOT)
    assert out.stdout == schema_text()


def _walk(node: Any, path: str = "#"):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for name, sub in value.items():
                    yield from _walk(sub, f"{path}/{key}/{name}")
            elif key in ("anyOf", "allOf"):
                for i, sub in enumerate(value):
                    yield from _walk(sub, f"{path}/{key}/{i}")
            elif key in ("items", "if", "then"):
                yield from _walk(value, f"{path}/{key}")


def test_schema_is_well_formed():
    assert SCHEMA["$schema"] == DRAFT and SCHEMA["type"] == "object"
    for path, sub in _walk(SCHEMA):
        unknown = set(sub) - _ANNOTATIONS - _ASSERTIONS
        assert not unknown, f"{path}: unknown keywords {unknown}"
        if "type" in sub:
            assert sub["type"] in _TYPES, path
        if "enum" in sub:
            assert sub["enum"] and len({json.dumps(v) for v in sub["enum"]}) == len(sub["enum"]), path
        if "required" in sub and "properties" in sub and path != "#/$defs/node/allOf":
            assert set(sub["required"]) <= set(sub["properties"]), path
        if "$ref" in sub:
            assert sub["$ref"].startswith("#/$defs/") and sub["$ref"][8:] in SCHEMA["$defs"], path
        for key in ("minimum", "maximum", "minItems", "maxItems"):
            if key in sub:
                assert _is_type(sub[key], "number"), path
        if "pattern" in sub:
            re.compile(sub["pattern"])
        if "default" in sub:
            assert valid(sub["default"], {k: v for k, v in sub.items() if k != "default"}, SCHEMA), path


def test_every_type_and_param_is_described():
    node_types = SCHEMA["$defs"]["node"]["properties"]["type"]["enum"]
    assert node_types == [s.type for s in all_specs()]
    for spec in all_specs():
        params = SCHEMA["$defs"][f"params_{spec.type}"]
        assert params["additionalProperties"] is False
        assert list(params["properties"]) == [p.name for p in spec.params]
        for p in spec.params:
            assert params["properties"][p.name]["description"] == p.help


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id) for c in ALL_CASES])
def test_every_valid_case_file_passes_the_schema(case):
    assert _valid_file(json.loads(json.dumps(graph_to_dict(build_case_graph(case)))))


_GOOD = {"format": "netbuilder-graph", "version": 1, "nodes": [
    {"id": "x", "type": "Input", "params": {"shape": [3, None]}, "pos": [0, 0]},
    {"id": "c", "type": "Conv1d", "params": {"padding": "same", "groups": "depthwise"}}],
    "edges": [{"src": "x", "dst": "c"}], "training": {"lr": 0.1}}


@pytest.mark.parametrize("path,value", [
    (("nodes", 1, "type"), "Conv3d"),
    (("nodes", 1, "params", "kernal_size"), 3),
    (("nodes", 1, "params", "padding"), "full"),
    (("nodes", 1, "params", "stride"), [1, 2]),
    (("nodes", 1, "params", "groups"), 0),
    (("nodes", 1, "params", "out_channels"), "8"),
    (("nodes", 1, "params", "bias"), 1),
    (("nodes", 0, "params", "shape"), []),
    (("nodes", 0, "params", "dtype"), "float16"),
    (("nodes", 0, "id"), "1x"),
    (("nodes", 0, "pos"), [1, 2, 3]),
    (("edges", 0, "src_port"), -1),
    (("version",), 2),
    (("format",), "other"),
    (("training",), []),
])
def test_schema_rejects_invalid_files(path, value):
    assert _valid_file(_GOOD)
    bad = json.loads(json.dumps(_GOOD))
    target = bad
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert not _valid_file(bad)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 70) | st.floats(-2, 70, allow_nan=False, allow_infinity=False)
    | st.sampled_from(["same", "valid", "depthwise", "relu", "tanh", "zeros", "nearest", "float32", ""]),
    lambda inner: st.lists(inner, max_size=4), max_leaves=6)
_PARAMS = [(spec.type, p) for spec in all_specs() for p in spec.params]


@settings(max_examples=300, deadline=None, database=None)
@given(index=st.integers(0, len(_PARAMS) - 1), value=_JSON)
def test_schema_agrees_with_param_validation(index, value):
    """Whatever JSON value a file holds, the schema accepts it exactly when the loader does."""
    type_name, param = _PARAMS[index]
    try:
        param.validate(value)
        accepted = True
    except ParamError:
        accepted = False
    assert valid(value, param_schema(param), SCHEMA) == accepted, (type_name, param.name, value)
