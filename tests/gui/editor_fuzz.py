"""Random edit sequences against the real editor window (issue 16's property test).

`Fuzzer(window, seed).sequence(n)` applies n random verbs through the same
entry points the canvas, menus and inspector use — add, delete, connect,
disconnect, parameter edits (valid, invalid and extreme), move, group,
ungroup, rename (odd Unicode), copy/paste (also of damaged fragments),
duplicate, insert on an edge, auto-layout, and undo/redo at random points —
and checks as it goes:

- after every undo or redo the graph equals the one recorded at that place of
  the undo history (so undo-all gives the original file and redo-all the
  pre-undo file, and each step in between is exact);
- at the end of a sequence: undo-all == the start, redo-all == the top of the
  history, save → load is identity, and the canvas shows exactly the graph;
- no exception reached Qt, and no graph listener failed (Graph._emit logs those
  instead of raising: a log record at ERROR is a failure here).

Used by tests/gui/test_property_editor.py (CI) and benchmarks/long_random_edits.py (long runs).
"""

from __future__ import annotations

import copy
import logging
import random
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

from PySide6.QtWidgets import QApplication

from netbuilder.core.graph import Edge, Graph
from netbuilder.core.io import graph_to_dict, load_graph
from netbuilder.core.params import Param
from netbuilder.core.spec import all_specs

ODD_TEXT = ["Größe", "שלום עולם", "e\u0301\u0301", "\u200b\u200d", "👩‍👩‍👧‍👦", "a\tb\nc", "  padded  ",
            "\\C:\\Users\\", "lone \ud83d", '"""', "x" * 250, "", "   ", "ǅ ﬁ Ⅻ", "\u202eevil", "名前", "\x00nul"]
PORT_PARAMS = ("num_inputs", "chunks", "split_size_or_sections")  # edits that add or drop ports (and edges)
MAX_NODES = 40  # beyond this, sequences delete more than they add: a small graph keeps checks fast


class Failure(AssertionError):
    """A broken property, with the seed and the verbs that led there."""


class _Errors(logging.Handler):
    """Collects ERROR records (a graph listener or an edit that failed)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def state(graph: Graph) -> dict[str, Any]:
    return graph_to_dict(graph)


class Fuzzer:
    def __init__(self, window: Any, seed: int, bases: list[Callable[[], Graph]]) -> None:
        self.w, self.rng, self.seed, self.bases = window, random.Random(seed), seed, bases
        self.specs = all_specs()
        self.log: list[str] = []
        self.edits = 0
        self.errors = _Errors()
        self.qt_errors: list[str] = []
        self.verbs: list[tuple[int, Callable[[], None]]] = [
            (10, self.add), (5, self.delete), (8, self.connect), (4, self.disconnect), (14, self.params),
            (4, self.move), (3, self.group), (2, self.ungroup), (3, self.rename), (4, self.copy_paste),
            (2, self.bad_paste), (3, self.duplicate), (4, self.insert), (1, self.layout), (10, self.undo),
            (6, self.redo), (2, self.meta),
        ]
        self.total = sum(w for w, _ in self.verbs)

    # --------------------------------------------------------------- driving
    def run(self, sequences: int, length: int) -> int:
        """`sequences` sequences of `length` verbs; returns the number of verbs applied."""
        root = logging.getLogger("netbuilder")
        root.addHandler(self.errors)
        old_hook = sys.excepthook
        sys.excepthook = lambda *exc: self.qt_errors.append(f"{exc[0].__name__}: {exc[1]}")
        try:
            for i in range(sequences):
                self.sequence(length, label=f"sequence {i}")
        finally:
            root.removeHandler(self.errors)
            sys.excepthook = old_hook
        return self.edits

    def sequence(self, length: int, label: str = "") -> None:
        self.log = [f"seed {self.seed}, {label}"]
        base = self.rng.choice(self.bases)()
        self.w.document.open_graph(base, base.name)
        stack = self.w.undo_stack
        self.snaps = [state(self.w.graph)]
        for _ in range(length):
            self._index, self._count = stack.index(), stack.count()
            verb = self._pick()
            verb()
            self.edits += 1
            self._expect(len(self.snaps) == stack.count() + 1,
                         f"{verb.__name__}: a step the test did not see: {stack.text(stack.count() - 1)}")
            if self.edits % 7 == 0:
                self._settle()
            self._check_quiet()
        self._settle()
        while stack.canUndo():
            stack.undo()
        self._expect(state(self.w.graph) == self.snaps[0], "undo-all is not the original file")
        while stack.canRedo():
            stack.redo()
        self._expect(state(self.w.graph) == self.snaps[-1], "redo-all is not the pre-undo file")
        self._settle()
        self._check_canvas()
        self._check_save_load()
        self._check_quiet()

    def _pick(self) -> Callable[[], None]:
        r = self.rng.uniform(0, self.total)
        for weight, verb in self.verbs:
            r -= weight
            if r <= 0:
                return verb
        return self.verbs[-1][1]

    def _settle(self) -> None:
        """Let the queued shape check, inspector and canvas updates run (where slot exceptions would show)."""
        self.w.live.flush()
        QApplication.processEvents()

    def _after_edit(self, what: str) -> None:
        """Record the graph at the history's current place (an edit cuts off the redo part)."""
        self.log.append(what)
        index = self.w.undo_stack.index()
        now = state(self.w.graph)
        if index < self._index:  # a merge made the top step obsolete (edited back): the earlier graph
            self._expect(now == self.snaps[index], f"{what}: an obsolete merged step left a change")
            del self.snaps[index + 1:]  # the push cut off the redo part too
        elif index == self._index and self.w.undo_stack.count() == self._count and index < len(self.snaps) - 1:
            # nothing pushed and a redo part kept: the edit was refused and must have changed nothing
            self._expect(now == self.snaps[index], f"{what}: a refused edit changed the graph")
        else:
            del self.snaps[index + 1:]
            while len(self.snaps) <= index:
                self.snaps.append(now)
            self.snaps[index] = now
        self._index, self._count = index, self.w.undo_stack.count()

    # ----------------------------------------------------------------- checks
    def _expect(self, ok: bool, what: str) -> None:
        if not ok:
            raise Failure(f"{what}\n  after: " + "\n    ".join(self.log[-25:]))

    def _check_quiet(self) -> None:
        if self.qt_errors or self.errors.records:
            texts = self.qt_errors + [r.getMessage() + (f" {r.exc_info[1]!r}" if r.exc_info else "")
                                      for r in self.errors.records]
            self._expect(False, "an exception reached Qt or a listener failed: " + "; ".join(texts[:3]))

    def _check_canvas(self) -> None:
        scene, g = self.w.scene, self.w.graph
        self._expect(set(scene.node_items) == set(g.nodes), "canvas nodes differ from the graph")
        self._expect(set(scene.edge_items) == set(g.edges), "canvas edges differ from the graph")
        self._expect(all(scene.node_items[n.id].pos().toTuple() == n.pos for n in g), "canvas positions differ")

    def _check_save_load(self) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "net.json"
            ok = self.w.document.save_file(path)
            self._expect(ok, "save failed")
            self._expect(state(load_graph(path)) == state(self.w.graph), "save → load is not identity")

    # ------------------------------------------------------------------ verbs
    def _node(self) -> str | None:
        ids = list(self.w.graph.nodes)
        return self.rng.choice(ids) if ids else None

    def _nodes(self, most: int = 4) -> list[str]:
        ids = list(self.w.graph.nodes)
        return self.rng.sample(ids, self.rng.randint(1, min(most, len(ids)))) if ids else []

    def _pos(self) -> tuple[float, float]:
        return (float(self.rng.randrange(-2000, 4000, 10)), float(self.rng.randrange(-2000, 3000, 10)))

    def add(self) -> None:
        if len(self.w.graph) >= MAX_NODES:
            return self.delete()
        spec = self.rng.choice(self.specs)
        params = self._param_values(spec, self.rng.randint(0, 2))
        after = self._node() if self.rng.random() < 0.3 else None
        self.w.editor.add_node(spec.type, self._pos(), params, after=after)
        self._after_edit(f"add {spec.type} {params} after={after}")

    def delete(self) -> None:
        nodes = self._nodes(3) if self.rng.random() < 0.7 else []
        edges = self.rng.sample(self.w.graph.edges, min(2, len(self.w.graph.edges)))
        self.w.editor.delete(nodes, edges if not nodes else [])
        self._after_edit(f"delete {nodes or edges}")

    def connect(self) -> None:
        src, dst = self._node(), self._node()
        if src is None:
            return
        outs = len(self.w.graph.nodes[src].output_ports())
        ins = len(self.w.graph.nodes[dst].input_ports())
        sp, dp = self.rng.randint(0, max(outs, 1)), self.rng.randint(0, max(ins, 1))
        if self.rng.random() < 0.5:  # free the input first, as a user re-wiring would
            taken = [e for e in self.w.graph.in_edges(dst) if e.dst_port == dp]
            if taken:
                self.w.editor.delete(edges=taken)
                self._after_edit(f"disconnect {taken}")
        self.w.editor.connect(src, sp, dst, dp)
        self._after_edit(f"connect {src}:{sp} → {dst}:{dp}")

    def disconnect(self) -> None:
        if self.w.graph.edges:
            edge = self.rng.choice(self.w.graph.edges)
            self.w.editor.delete(edges=[edge])
            self._after_edit(f"disconnect {edge}")

    def params(self) -> None:
        nid = self._node()
        if nid is None:
            return
        varying = [n.id for n in self.w.graph if any(p.name in PORT_PARAMS for p in n.spec.params)]
        if varying and self.rng.random() < 0.3:  # layers whose port count follows a param: edges come and go
            nid = self.rng.choice(varying)
        if self.rng.random() < 0.4:  # the inspector's form for it (built, then edited through)
            self.w.scene.select_nodes([nid])
        node = self.w.graph.nodes[nid]
        if not node.spec.params:
            return
        inspector = self.w.inspector
        edits = list(self._param_values(node.spec, self.rng.randint(1, 3), invalid=0.25).items())
        ports = [p for p in node.spec.params if p.name in PORT_PARAMS]
        if self.rng.random() < 0.5:  # typing into one field: consecutive edits that merge into one step
            p = ports[0] if ports and self.rng.random() < 0.6 else self.rng.choice(node.spec.params)
            edits = [(p.name, self._value(p, 0.1)) for _ in range(self.rng.randint(2, 4))]
            current = node.params.get(p.name)
            if p.kind == "int" and isinstance(current, int) and self.rng.random() < 0.7:
                # the spin box's arrows: a walk of ±1 (Concat 3 → 2 → 3 drops an edge, then restores the port)
                walk = [current]
                steps = self.rng.choice([[-1, 1], [1, -1], [-1, -1, 1, 1], [self.rng.choice((-1, 1))] * 3])
                for step in steps:
                    walk.append(max(int(p.min or 0), walk[-1] + step))
                edits = [(p.name, v) for v in walk[1:]]
        for name, value in edits:
            if inspector.node_id == nid and name in inspector.editors and self.rng.random() < 0.5:
                inspector._apply(name, value)  # what the field's `edited` signal calls
            else:
                self.w.editor.set_params(nid, {name: value})
            self._after_edit(f"params {nid}.{name} = {str(value)[:60]}")

    def move(self) -> None:
        nodes = self._nodes(5)
        moves = {n: (self.w.graph.nodes[n].pos, self._pos()) for n in nodes}
        self.w.editor.move_nodes(moves)
        self._after_edit(f"move {nodes}")

    def group(self) -> None:
        nodes = self._nodes(5)
        name = self.rng.choice([None, None, self.rng.choice(ODD_TEXT)])
        if name is not None and (not name.strip() or len(name) > 200):
            name = None  # the menu names it "Group N"; odd names come through rename
        self.w.editor.group(nodes, name)
        self._after_edit(f"group {nodes} {name!r}")

    def ungroup(self) -> None:
        gids = list(self.w.graph.groups)
        if gids:
            gid = self.rng.choice(gids)
            self.w.editor.ungroup([gid])
            self._after_edit(f"ungroup {gid}")

    def rename(self) -> None:
        gids = list(self.w.graph.groups)
        if gids:
            gid = self.rng.choice(gids)
            name = self.rng.choice(ODD_TEXT) + self.rng.choice(["", " 2", "\u0300"])
            self.w.editor.rename_group(gid, name)
            self._after_edit(f"rename {gid} {name!r}")
        else:
            self.meta()

    def meta(self) -> None:
        inspector = self.w.inspector
        self.w.scene.clearSelection()
        if inspector.network_status is None:
            return
        if self.rng.random() < 0.5:
            inspector.name_edit.setText(self.rng.choice(ODD_TEXT + ["n" * 1500]))  # the field caps it
            inspector._apply_name()
        else:
            inspector.desc_edit.setPlainText(" ".join(self.rng.sample(ODD_TEXT, 3)))
            inspector._apply_description()
        self._after_edit("meta")

    def copy_paste(self) -> None:
        nodes = self._nodes(6)
        if not nodes:
            return
        self.w.scene.select_nodes(nodes)
        self.w.copy_selection()
        if self.rng.random() < 0.3:
            self.w.cut_selection()
            self._after_edit(f"cut {nodes}")
        self.w.paste()
        self._after_edit(f"paste {nodes}")

    def bad_paste(self) -> None:
        nodes = self._nodes(4)
        frag = self.w.editor.copy(nodes)
        if frag is None:
            return
        frag = copy.deepcopy(frag)
        damage = self.rng.choice(["port", "cycle", "id", "type", "pos", "groups", "params"])
        n0 = frag["nodes"][0]
        if damage == "port":
            frag["edges"].append({"src": n0["id"], "dst": frag["nodes"][-1]["id"], "src_port": 0, "dst_port": 9})
        elif damage == "cycle" and len(frag["nodes"]) > 1:
            a, b = frag["nodes"][0]["id"], frag["nodes"][1]["id"]
            frag["edges"] += [{"src": a, "dst": b, "dst_port": 0}, {"src": b, "dst": a, "dst_port": 0}]
        elif damage == "id":
            n0["id"] = self.rng.choice(["9lives", "", None, "a-b", 5])
        elif damage == "type":
            n0["type"] = "NoSuchLayer"
        elif damage == "pos":
            n0["pos"] = self.rng.choice([[float("nan"), 0], "here", [1], None])
        elif damage == "groups":
            frag["groups"] = self.rng.choice([5, "x", [{"name": "x" * 300, "nodes": [n0["id"]]}], [None]])
        else:
            n0["params"] = {"no_such_param": 1}
        self.w.editor.paste(frag, offset=(30.0, 30.0))
        self._after_edit(f"bad paste ({damage})")

    def duplicate(self) -> None:
        nodes = self._nodes(5)
        group = list(self.w.graph.groups.values())
        if group and self.rng.random() < 0.5:
            nodes = list(self.rng.choice(group).nodes)  # a whole group: a block copy
        self.w.scene.select_nodes(nodes)
        self.w.duplicate()
        self._after_edit(f"duplicate {nodes}")

    def insert(self) -> None:
        if not self.w.graph.edges:
            return self.add()
        edge: Edge = self.rng.choice(self.w.graph.edges)
        spec = self.rng.choice(self.specs)
        self.w.editor.insert_on_edge(spec.type, edge, self._pos())
        self._after_edit(f"insert {spec.type} into {edge}")

    def layout(self) -> None:
        self.w.auto_layout()
        self._after_edit("auto-layout")

    def undo(self) -> None:
        stack = self.w.undo_stack
        for _ in range(self.rng.choice([1, 1, 2, 5])):
            if stack.canUndo():
                stack.undo()
                self._check_place("undo")
        self._index, self._count = stack.index(), stack.count()

    def redo(self) -> None:
        stack = self.w.undo_stack
        for _ in range(self.rng.choice([1, 1, 3])):
            if stack.canRedo():
                stack.redo()
                self._check_place("redo")
        self._index, self._count = stack.index(), stack.count()

    def _check_place(self, what: str) -> None:
        self.log.append(what)
        index = self.w.undo_stack.index()
        self._expect(index < len(self.snaps) and state(self.w.graph) == self.snaps[index],
                     f"{what} to step {index} does not give the graph that was there")

    # ----------------------------------------------------------------- values
    def _param_values(self, spec: Any, count: int, invalid: float = 0.0) -> dict[str, Any]:
        params = self.rng.sample(list(spec.params), min(count, len(spec.params)))
        return {p.name: self._value(p, invalid) for p in params}

    def _value(self, p: Param, invalid: float) -> Any:
        rng = self.rng
        if rng.random() < invalid:
            return rng.choice(["x", None, 1.5, True, [], {}, -1, 2**64, float("nan"), "1e3", [1, "a"]])
        low = int(p.min) if p.min is not None else 0
        high = int(p.max) if p.max is not None else 2**63 - 1
        big = rng.choice([low, low + 1, min(high, low + rng.randint(0, 8)), min(high, 2**31), high,
                          min(high, 2**62)])
        small = rng.randint(max(low, 1), max(low, 1) + 6)
        one = big if rng.random() < 0.2 else small
        kind = p.kind
        if kind in ("int", "optional_int"):
            return None if kind == "optional_int" and rng.random() < 0.2 else one
        if kind == "float":
            return rng.choice([p.default, 0.0, 0.5, 1e-16, 1e12, -3.0, p.min if p.min is not None else 0.1])
        if kind == "bool":
            return rng.random() < 0.5
        if kind == "choice":
            return rng.choice(p.choices)
        if kind == "str":
            return rng.choice(ODD_TEXT)
        if kind in ("ints", "optional_ints", "padding", "groups"):
            words = {"padding": ["same", "valid"], "groups": ["depthwise"], "optional_ints": [None]}.get(kind, [])
            options: list[Any] = [one, [one] * (p.length or 2)] + words
            return rng.choice(options)
        if kind in ("shape", "int_list"):
            return [rng.randint(1, 12) for _ in range(rng.randint(1, 4))]
        return p.default
