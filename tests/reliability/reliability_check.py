"""What every fuzz case must satisfy, shared by the CI tests and fuzz_long.py.

A file either loads or is refused with a GraphFileError whose message starts
with the file and names the node/edge/field; a loaded graph's check() never
raises and names a node in every diagnostic; a graph over the size budget is
refused before anything is allocated; a graph that checks ok compiles, runs a
tiny batch, and every node's real output shape equals the inferred one.
"""

from __future__ import annotations

import contextlib
import io
import json
import signal
import warnings
from pathlib import Path
from typing import Iterator

import torch

from netbuilder.core.budget import Budget, BudgetError, budget_problems
from netbuilder.core.compile import CompileError, compile_graph
from netbuilder.core.graph import Graph
from netbuilder.core.io import GraphFileError, dumps, graph_from_dict, graph_to_dict, load_graph
from netbuilder.core.shapes import check
from netbuilder.core.summary import summary

BATCH = 2
# small enough that a forward on a tiny batch stays in milliseconds
FUZZ_BUDGET = Budget(max_params=500_000, max_activation_bytes=8 * 1024**2, batch_size=BATCH)
MAX_MESSAGE = 1500


class Hang(Exception):
    """A case ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise Hang in the main thread after `seconds` (SIGALRM; POSIX)."""
    def on_alarm(signum, frame):
        raise Hang(f"still running after {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def clear(message: str) -> None:
    assert message.strip(), "empty error message"
    assert "Traceback" not in message, message
    assert len(message) < MAX_MESSAGE, f"message of {len(message)} chars: {message[:300]}..."


def load_case(path: Path, raw: bytes, hints: tuple[str, ...]) -> str:
    """Write `raw` to `path` and load it; the outcome label."""
    path.write_bytes(raw)
    try:
        graph = load_graph(path)
    except GraphFileError as exc:
        message = str(exc)
        clear(message)
        assert message.startswith(str(path)), f"the message does not name the file: {message}"
        assert not hints or any(h in message for h in hints), f"expected one of {hints} in: {message}"
        return "refused"
    check_training_block(graph)
    return "loaded, " + verify_graph(graph)


def check_training_block(graph: Graph) -> None:
    """The loader keeps `training` as it is; the trainer's settings check (which the
    editor and the CLI run before training) accepts it or says which key is wrong."""
    from netbuilder.train.settings import SettingsError, resolve_settings

    try:
        resolve_settings(graph_to_dict(graph), {})
    except SettingsError as exc:
        clear(str(exc))


def verify_graph(graph: Graph, forward: bool = True) -> str:
    """Round trip, check, summary, budget, compile and a forward; the outcome label."""
    with warnings.catch_warnings():
        # torch's own advice while building (e.g. RNN dropout with one layer) is not a failure
        warnings.filterwarnings("ignore", category=UserWarning)
        return _verify(graph, forward)


def _verify(graph: Graph, forward: bool) -> str:
    text = dumps(graph)
    assert dumps(graph_from_dict(json.loads(text))) == text, "save → load changed the graph"
    report = check(graph)
    for node, message in report.errors:
        assert node == "" or node in graph.nodes, node
        clear(message)
    summary(graph, report).table()  # never raises, even for absurd sizes
    if not report.ok:
        try:
            compile_graph(graph, report=report, budget=FUZZ_BUDGET)
        except CompileError as exc:
            clear(str(exc))
            return "shape error"
        raise AssertionError("compile_graph accepted a graph with shape errors")
    if budget_problems(graph, report, FUZZ_BUDGET):
        try:
            compile_graph(graph, report=report, budget=FUZZ_BUDGET)
        except BudgetError as exc:
            clear(str(exc))
            assert any(nid in str(exc) for nid in graph.nodes), str(exc)
            return "over budget"
        raise AssertionError("compile_graph built a graph over the budget")
    if not forward:
        return "ok"
    return run_forward(graph, report)


def _refs(graph: Graph, report) -> list[tuple[str, str, int]]:
    refs = []
    for nid, info in report.nodes.items():
        if graph.nodes[nid].type != "Output":
            refs += [(f"{nid}:{port}", nid, port) for port in range(len(info.outputs))]
    return refs


def inputs_for(graph: Graph, fill: int = 5) -> list[torch.Tensor]:
    tensors = []
    for node in graph.nodes_of_type("Input"):
        shape = (BATCH, *(fill if s is None else s for s in node.params["shape"]))
        if node.params["dtype"] == "int64":
            readers = [graph.nodes[e.dst] for e in graph.out_edges(node.id)]
            high = min((n.params.get("num_embeddings", 5) for n in readers), default=5)
            tensors.append(torch.randint(0, high, shape))
        else:
            tensors.append(torch.randn(shape))
    return tensors


def run_forward(graph: Graph, report) -> str:
    """Every node's real output shape (train and eval mode) equals the inferred one."""
    refs = _refs(graph, report)
    if not refs:
        return "ok (nothing to run)"
    variable = any(s is None for n in graph.nodes_of_type("Input") for s in n.params["shape"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. 'same' padding with an even kernel: a warning, not a failure
        model = compile_graph(graph, outputs=[r for r, _, _ in refs], report=report, budget=FUZZ_BUDGET)
        inputs = inputs_for(graph)
        for train in (True, False):
            model.train(train)
            try:
                # torch.fx prints its own traceback to stderr before re-raising; the
                # expected misfits of variable sizes below would flood the fuzz output
                with torch.no_grad(), contextlib.redirect_stderr(io.StringIO()):
                    outs = model(*inputs)
            except (RuntimeError, IndexError, ValueError):
                if variable:  # a variable size may turn out not to fit; only fixed sizes are promised
                    return "ok (variable size did not fit)"
                raise
            for (ref, nid, port), out in zip(refs, outs):
                inferred, real = report.nodes[nid].outputs[port], tuple(out.shape[1:])
                same = len(inferred) == len(real) and all(i is None or i == r for i, r in zip(inferred, real))
                assert same and (variable or inferred == real), f"{ref}: inferred {inferred}, real {real}"
    return "ok, forward matches"
