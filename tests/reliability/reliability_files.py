"""Seeded generator of malformed graph files, for the loader fuzz.

Each case is (label, bytes, hints): `label` says what was broken, `hints`
the words a clear error message about it would contain (any one of them), or
() when any clear message will do (a mutation may happen to stay valid,
then loading simply succeeds).
"""

from __future__ import annotations

import copy
import json
import random
import re
from typing import Any, Callable, Iterator

from netbuilder.core.io import graph_to_dict

from reliability_graphs import random_graph

Case = tuple[str, bytes, tuple[str, ...]]

BAD_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, -1e9, 10**9, 10**18, 10**400, -(10**400), float("nan"), float("inf"),
    float("-inf"), "", "x", "same", "é\u0000", [], [1], [None], [[1]], {}, {"a": 1}, [1] * 70, "9" * 200,
]
BAD_TYPES = ["", "conv2d", "Conv3d", "Linear ", "linear", "Foo", "__class__", "Input\n", "😀", "torch.nn.Linear"]


def dump(data: Any) -> bytes:
    """json.dumps as a file writer would; NaN/Infinity and giant ints included."""
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def json_paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path (keys and indices) into a JSON value."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from json_paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from json_paths(v, (*prefix, i))


def set_at(data: Any, path: tuple, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def hints_for(path: tuple) -> tuple[str, ...]:
    """Where a message about a change at `path` must point: the node/edge index or the top-level field."""
    if not path:
        return ()
    if path[0] in ("nodes", "edges") and len(path) > 1:
        return (f"{path[0]}[{path[1]}]", "edges[")  # a broken node id may first show as a dangling edge
    return (f"'{path[0]}'", str(path[0]), "nodes[", "edges[")


def wrong_type(rng: random.Random, doc: dict) -> Case:
    path = rng.choice(list(json_paths(doc))[1:])
    value = copy.deepcopy(rng.choice(BAD_VALUES))
    set_at(doc, path, value)
    return f"wrong value at {'/'.join(map(str, path))}", dump(doc), hints_for(path)


def _node(rng: random.Random, doc: dict) -> tuple[int, dict] | None:
    if not doc["nodes"]:
        return None
    i = rng.randrange(len(doc["nodes"]))
    return i, doc["nodes"][i]


def unknown_type(rng, doc):
    i, node = _node(rng, doc)
    node["type"] = rng.choice(BAD_TYPES)
    return "unknown layer type", dump(doc), (f"nodes[{i}]",)


def unknown_param(rng, doc):
    i, node = _node(rng, doc)
    node.setdefault("params", {})[rng.choice(["in_channels", "in_features", "kernal_size", "", "x" * 300])] = 1
    return "unknown param", dump(doc), (f"nodes[{i}]",)


def ill_typed_param(rng, doc):
    i, node = _node(rng, doc)
    params = node.get("params") or {}
    if not params:
        return unknown_param(rng, doc)
    name = rng.choice(sorted(params))
    params[name] = copy.deepcopy(rng.choice(BAD_VALUES))
    return f"ill-typed param ({name})", dump(doc), (f"nodes[{i}]", "edges[")  # a port count param may orphan an edge


def missing_id(rng, doc):
    i, node = _node(rng, doc)
    node.pop(rng.choice(["id", "type", "params", "pos"]), None)
    return "missing field", dump(doc), (f"nodes[{i}]", "edges[")


def duplicate_id(rng, doc):
    if len(doc["nodes"]) < 2:
        return missing_id(rng, doc)
    i, j = sorted(rng.sample(range(len(doc["nodes"])), 2))
    doc["nodes"][j]["id"] = doc["nodes"][i]["id"]
    return "duplicate id", dump(doc), (f"nodes[{j}]",)


def dangling_edge(rng, doc):
    doc["edges"].append({"src": rng.choice(["ghost", "", "1x", doc["nodes"][0]["id"]]), "dst": "ghost"})
    return "dangling edge", dump(doc), (f"edges[{len(doc['edges']) - 1}]",)


def cycle(rng, doc):
    if not doc["edges"]:
        return dangling_edge(rng, doc)
    e = rng.choice(doc["edges"])
    doc["edges"].append({"src": e["dst"], "dst": e["src"], "dst_port": e.get("src_port", 0)})
    return "cycle", dump(doc), (f"edges[{len(doc['edges']) - 1}]",)


def self_loop(rng, doc):
    nid = rng.choice(doc["nodes"])["id"]
    doc["edges"].append({"src": nid, "dst": nid})
    return "self loop", dump(doc), (f"edges[{len(doc['edges']) - 1}]",)


def bad_port(rng, doc):
    if not doc["edges"]:
        return dangling_edge(rng, doc)
    k = rng.randrange(len(doc["edges"]))
    doc["edges"][k][rng.choice(["src_port", "dst_port"])] = rng.choice([-1, 1, 7, 10**12, 10**400, 1.0, "0", None,
                                                                        True, [0]])
    return "bad port", dump(doc), ("edges[",)  # a moved port may collide with a later edge


def duplicate_edge(rng, doc):
    if not doc["edges"]:
        return dangling_edge(rng, doc)
    doc["edges"].append(dict(rng.choice(doc["edges"])))
    return "duplicate edge", dump(doc), (f"edges[{len(doc['edges']) - 1}]",)


def huge_size(rng, doc):
    inputs = [(i, n) for i, n in enumerate(doc["nodes"]) if n["type"] == "Input"]
    i, node = rng.choice(inputs)
    shape = node["params"].get("shape", [1])
    shape[rng.randrange(len(shape))] = rng.choice([0, -1, -(10**9), 10**9 + 1, 10**400, 1e308, 2.5, "8", True])
    return "bad Input size", dump(doc), (f"nodes[{i}]",)


def huge_param(rng, doc):
    i, node = _node(rng, doc)
    params = node.setdefault("params", {})
    ints = [k for k, v in params.items() if isinstance(v, int) and not isinstance(v, bool)]
    key = rng.choice(ints) if ints else "out_features"
    params[key] = rng.choice([10**9, 10**12, 2**63, 10**400, -(10**400), -(10**9)])
    return f"huge param ({key})", dump(doc), (f"nodes[{i}]", "edges[")


def _text_case(label: str, text: str, hints=("JSON",)) -> Case:
    return label, text.encode("utf-8"), hints


def truncated(rng, doc):
    raw = dump(doc)
    return "truncated", raw[:rng.randrange(len(raw))], ()


def byte_flip(rng, doc):
    raw = bytearray(dump(doc))
    for _ in range(rng.randint(1, 4)):
        raw[rng.randrange(len(raw))] = rng.randrange(256)
    return "flipped bytes", bytes(raw), ()


def non_utf8(rng, doc):
    raw = dump(doc)
    at = rng.randrange(len(raw))
    bad = rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80"])
    return "non-UTF-8", raw[:at] + bad + raw[at:], ("UTF-8",)


def other_encoding(rng, doc):
    text = json.dumps(doc, ensure_ascii=False)
    return "UTF-16 file", text.encode(rng.choice(["utf-16", "utf-32"])), ("UTF-8", "JSON")


def _replace_a_number(rng: random.Random, text: str, new: Callable[[str], str]) -> str:
    """Replace one number token of the JSON text, chosen at random."""
    numbers = list(re.finditer(r"(?<![\w.\"])-?\d+(\.\d+)?(?![\w\"])", text))
    if not numbers:
        return text
    m = rng.choice(numbers)
    return text[:m.start()] + new(m.group()) + text[m.end():]


def giant_number_text(rng, doc):
    digits = rng.choice([30, 400, 5000])
    text = _replace_a_number(rng, json.dumps(doc), lambda old: rng.choice(["", "-"]) + "1" + "0" * digits)
    return f"giant number ({digits} digits)", text.encode(), ()


def nan_token(rng, doc):
    token = rng.choice(["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
    return f"NaN/Infinity token ({token})", _replace_a_number(rng, json.dumps(doc), lambda old: token).encode(), ()


def deep_nesting(rng, doc):
    depth = rng.choice([50, 500, 5000, 100_000])
    where = rng.choice(["top", "params", "training"])
    nested = "[" * depth + "]" * depth
    if where == "top":
        return f"deep nesting ({depth})", nested.encode(), ()
    text = json.dumps(doc)
    key = '"params": {' if where == "params" and '"params": {' in text else '"training": {'
    if key not in text:
        return f"deep nesting ({depth})", nested.encode(), ()
    return f"deep nesting ({depth} in {where})", text.replace(key, key + f'"deep": {nested}, ', 1).encode(), ()


def not_an_object(rng, doc):
    return _text_case("top level not an object", rng.choice(["[]", "1", '"graph"', "null", "true", "[{}]"]),
                      ("object",))


def empty(rng, doc):
    return _text_case("empty file", rng.choice(["", " ", "\n", "\ufeff", "\x00"]), ("JSON",))


def wrong_header(rng, doc):
    key = rng.choice(["format", "version"])
    doc[key] = rng.choice(["keras", 2, 0, -1, 99, "1", 1.5, None, True, 10**400])
    return f"bad header ({key})", dump(doc), (f"'{key}'", "version")


def duplicate_keys(rng, doc):
    text = json.dumps(doc)
    return "duplicate JSON keys", text.replace('"nodes":', '"nodes": 5, "nodes":', 1).encode(), ()


def huge_file(rng, doc):
    doc["nodes"] = doc["nodes"] * rng.choice([2, 50])
    return "repeated nodes", dump(doc), ("nodes[",)


TRAINING_KEYS = ["dataset", "dataset_options", "task", "loss", "optimizer", "lr", "batch_size", "epochs", "seed",
                 "momentum", "weight_decay", "device", "grad_clip", "early_stopping", "schedule", "val_split",
                 "standardize", "mode", "cd_k", "checkpoint", "samples"]


def bad_training(rng, doc):
    """The loader keeps the training block as it is; the trainer's settings check must judge it."""
    key = rng.choice(TRAINING_KEYS)
    training = doc.setdefault("training", {})
    training[key] = copy.deepcopy(rng.choice(BAD_VALUES + [[{"type": "mse", "weight": 10**400}],
                                                           {"type": "norm", "max": float("nan")},
                                                           {"patience": -1}, [{"type": None}]]))
    return f"bad training setting ({key})", dump(doc), ("'training'",)


MUTATIONS: list[Callable[[random.Random, dict], Case]] = [
    bad_training, bad_training,
    wrong_type, wrong_type, wrong_type, unknown_type, unknown_param, ill_typed_param, ill_typed_param, missing_id,
    duplicate_id, dangling_edge, cycle, self_loop, bad_port, duplicate_edge, huge_size, huge_param, truncated,
    truncated, byte_flip, non_utf8, other_encoding, giant_number_text, nan_token, deep_nesting, not_an_object,
    empty, wrong_header, duplicate_keys, huge_file,
]


def malformed_cases(seed: int, count: int, bases: list[dict] | None = None) -> Iterator[Case]:
    """`count` malformed files; every mutation kind comes up in turn, then at random."""
    rng = random.Random(seed)
    for i in range(count):
        if bases and rng.random() < 0.3:
            doc = copy.deepcopy(rng.choice(bases))
        else:
            doc = graph_to_dict(random_graph(rng, max_layers=6))
        mutate = MUTATIONS[i] if i < len(MUTATIONS) else rng.choice(MUTATIONS)
        yield mutate(rng, doc)
