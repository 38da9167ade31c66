"""Export a graph as Python code, ONNX, TorchScript or a state_dict — verified.

Every export is checked before it is kept: the written artifact is loaded
back, run on a random batch (of a different size than any example used while
exporting, so a frozen batch dimension is caught) and compared with the
compiled graph in float32. A difference above the tolerance is an
ExportError and no file is left behind.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import logging
import os
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping

from netbuilder.interchange.codegen import CodegenError, class_name, example_shape, generate_code, token_limit
from netbuilder.core.compile import CompileError, compile_graph, input_nodes, module_names, output_nodes
from netbuilder.core.graph import Graph
from netbuilder.core.shapes import ShapeReport, check
from netbuilder.interchange.export_errors import ExportError
from netbuilder.interchange.weights_file import load_state_dict_file  # noqa: F401  (part of this module's API)

if TYPE_CHECKING:  # pragma: no cover
    import torch

FORMATS: dict[str, str] = {"py": ".py", "onnx": ".onnx", "torchscript": ".pt", "state-dict": ".pt"}
TOLERANCE = 1e-5
OPSET = 18
EXPORT_BATCH = 2  # example batch while tracing/exporting
VERIFY_BATCH = 3  # a different size: proves the batch dimension stayed dynamic


@dataclass
class ExportResult:
    format: str
    path: Path
    max_abs_diff: float
    batch_size: int
    tolerance: float
    extra_files: list[Path] = field(default_factory=list)
    checker: str = ""  # what ran the artifact back (e.g. "onnx.reference")
    notes: list[str] = field(default_factory=list)  # for the user (e.g. about the checkpoint's inputs)

    def message(self) -> str:
        files = ", ".join(str(p) for p in [self.path, *self.extra_files])
        via = f" via {self.checker}" if self.checker else ""
        return (f"exported {self.format} to {files}; verified{via}: max |difference| {self.max_abs_diff:.2e} "
                f"on a random batch of {self.batch_size} (limit {self.tolerance:g})")


def default_suffix(fmt: str) -> str:
    return FORMATS[fmt]


# ------------------------------------------------------------------- inputs
def random_inputs(graph: Graph, report: ShapeReport, batch: int, seed: int = 0) -> list["torch.Tensor"]:
    """One random tensor per Input node (file order); token ids for int64."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    out = []
    for nid in input_nodes(graph):
        shape = example_shape(graph, report, nid, batch)
        if graph.nodes[nid].params.get("dtype") == "int64":
            out.append(torch.randint(0, token_limit(graph, nid), shape, generator=gen))
        else:
            out.append(torch.randn(shape, generator=gen))
    return out


VERIFY_SEED = 1234


def _seeded(model: Any, inputs: list) -> Any:
    """Run with the global RNG reseeded, so nodes that sample in eval mode
    (Sampling with sample_in_eval) draw the same numbers in both runs."""
    import torch

    torch.manual_seed(VERIFY_SEED)
    return model(*inputs)


def as_list(outputs: Any) -> list:
    return list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]


def output_diffs(expected: list, got: list, what: str) -> list[float]:
    """|difference| of each output (max over elements); ExportError on count/shape mismatch."""
    import torch

    if len(expected) != len(got):
        raise ExportError(f"{what} returned {len(got)} outputs, the graph {len(expected)}")
    diffs = []
    for i, (a, b) in enumerate(zip(expected, got)):
        b = torch.as_tensor(b)
        if tuple(a.shape) != tuple(b.shape):
            raise ExportError(f"{what}: output {i + 1} has shape {tuple(b.shape)}, the graph gives {tuple(a.shape)}")
        diff = (a.detach().double() - b.detach().double()).abs()
        diffs.append(float(diff.max()) if diff.numel() else 0.0)
    return diffs


# --------------------------------------------------------------- checkpoints
def _compiled(graph: Graph, report: ShapeReport, state_dict: Mapping | None) -> "torch.nn.Module":
    try:
        gm = compile_graph(graph, report=report)
    except CompileError as exc:
        raise ExportError(str(exc)) from None
    gm = gm.float().eval()
    if state_dict is not None:
        _load_into(gm, state_dict, "the checkpoint")
    return gm


def _load_into(model: "torch.nn.Module", state_dict: Mapping, what: str) -> None:
    own = model.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    wrong = sorted(k for k in set(own) & set(state_dict) if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if missing or unexpected or wrong:
        parts = [f"missing {', '.join(missing[:5])}" if missing else "",
                 f"unexpected {', '.join(unexpected[:5])}" if unexpected else "",
                 "different shapes for " + ", ".join(f"{k} ({tuple(state_dict[k].shape)} there, {tuple(own[k].shape)} "
                                                     "in the graph)" for k in wrong[:5]) if wrong else ""]
        raise ExportError(f"{what} does not fit this graph: " + "; ".join(p for p in parts if p))
    model.load_state_dict(state_dict)


# ------------------------------------------------------------------- export
def export_graph(
    graph: Graph,
    path: str | os.PathLike,
    fmt: str,
    *,
    state_dict: Mapping[str, "torch.Tensor"] | None = None,
    tolerance: float = TOLERANCE,
    opset: int = OPSET,
    torchscript_mode: str = "trace",
) -> ExportResult:
    """Write `graph` to `path` in `fmt` and verify it; see the module docstring.

    `state_dict` (e.g. from `load_state_dict_file`) exports trained weights:
    embedded for onnx/torchscript/state-dict, a `<name>.pt` beside a .py.
    """
    import torch

    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if opset < 17:
        raise ExportError(f"ONNX opset {opset} is too old; use 17 or newer")
    report = check(graph)
    if not report.ok:
        raise ExportError("the graph has shape errors — " + "; ".join(f"{n or 'graph'}: {m}" for n, m in report.errors))
    path = Path(path)
    if not path.parent.is_dir():
        raise ExportError(f"folder {path.parent} does not exist")
    torch.manual_seed(0)
    gm = _compiled(graph, report, state_dict)
    example = random_inputs(graph, report, EXPORT_BATCH, seed=1)
    inputs = random_inputs(graph, report, VERIFY_BATCH, seed=2)
    with torch.no_grad():
        expected = [t.detach() for t in as_list(_seeded(gm, inputs))]
    writer: Callable = {"py": _export_py, "onnx": _export_onnx, "torchscript": _export_torchscript,
                        "state-dict": _export_state_dict}[fmt]
    weights = path.with_suffix(".pt") if fmt == "py" and state_dict is not None else None
    if weights is not None and path.suffix != ".py":
        raise ExportError(f"{path}: a Python export needs a .py name (the weights go beside it as {path.stem}.pt)")
    with _temp_beside(path) as tmp, _temp_beside(weights or path) as tmp_weights:
        checker, got = writer(graph=graph, report=report, gm=gm, tmp=tmp, example=example, inputs=inputs,
                              opset=opset, mode=torchscript_mode, weights=weights and (weights.name, tmp_weights))
        diffs = output_diffs(expected, got, f"the exported {fmt} file")
        bad = [(name, d) for name, d in zip(output_nodes(graph), diffs) if not d <= tolerance]  # NaN is bad too
        if bad:
            which = ", ".join(f"{name} by {d:.3g}" for name, d in bad)
            raise ExportError(f"the exported {fmt} file does not reproduce the graph: output {which} on a random "
                              f"batch of {VERIFY_BATCH} (limit {tolerance:g}); no file was written"
                              + _random_hint(graph))
        diff = max(diffs, default=0.0)
        if weights is not None:
            os.replace(tmp_weights, weights)
        os.replace(tmp, path)
    return ExportResult(fmt, path, diff, VERIFY_BATCH, tolerance, [weights] if weights else [], checker)


def _random_hint(graph: Graph) -> str:
    sampling = [n.id for n in graph if n.type == "Sampling" and n.params.get("sample_in_eval")]
    if not sampling:
        return ""
    return (f". {', '.join(sampling)} samples random noise in eval mode (sample_in_eval), which this format "
            "draws differently; turn sample_in_eval off to export it")


@contextlib.contextmanager
def _temp_beside(path: Path) -> Iterator[Path]:
    """A temporary name in the target folder (same suffix), removed on failure."""
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex[:8]}.tmp{path.suffix or '.out'}")
    try:
        yield tmp
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence torch's own deprecation chatter and progress prints while exporting."""
    loggers = [logging.getLogger(n) for n in ("torch", "onnxscript", "onnx_ir")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            # torch's deprecation notes, TracerWarnings and the like: the verification
            # that follows is what tells whether the file is right
            warnings.simplefilter("ignore")
            yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


# ----------------------------------------------------------------- formats
def _export_py(*, graph, report, gm, tmp: Path, inputs, weights: tuple[str, Path] | None, **_) -> tuple:
    """The .py (and, for trained weights, the state_dict its load_model() reads)."""
    import torch

    try:
        source = generate_code(graph, weights_file=weights[0] if weights else None, report=report)
    except CodegenError as exc:
        raise ExportError(str(exc)) from None
    tmp.write_text(source, encoding="utf-8")
    module = _import_file(tmp)
    if weights is not None:
        torch.save(gm.state_dict(), weights[1])
        model = module.load_model(weights[1])
    else:
        model = getattr(module, class_name(graph))()
        _load_into(model, gm.state_dict(), "the generated code's parameters")
    model = model.float().eval()
    with torch.no_grad():
        return "importing the generated file", as_list(_seeded(model, inputs))


def _import_file(path: Path) -> Any:
    name = f"_netbuilder_export_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise ExportError(f"the generated code does not run: {type(exc).__name__}: {exc}") from None
    return module


def _export_state_dict(*, graph, report, gm, tmp: Path, inputs, **_) -> tuple:
    import torch

    torch.save(gm.state_dict(), tmp)
    torch.manual_seed(12345)  # a fresh model with other weights: loading must make it equal
    fresh = compile_graph(graph, report=report).float().eval()
    _load_into(fresh, torch.load(tmp, map_location="cpu", weights_only=True), "the saved state_dict")
    with torch.no_grad():
        return "loading it into a freshly compiled graph", as_list(_seeded(fresh, inputs))


def _export_torchscript(*, gm, tmp: Path, example, inputs, mode: str, **_) -> tuple:
    import torch

    if mode not in ("trace", "script"):
        raise ExportError(f"unknown TorchScript mode {mode!r}; use 'trace' or 'script'")
    try:
        with _quiet():
            # check_trace off: it re-runs the model and trips on random nodes; the
            # verification below compares the saved file instead
            scripted = (torch.jit.trace(gm, tuple(example), check_trace=False) if mode == "trace"
                        else torch.jit.script(gm))
            torch.jit.save(scripted, str(tmp))
            loaded = torch.jit.load(str(tmp), map_location="cpu")
    except Exception as exc:  # torch.jit raises many types, all mean "cannot export"
        raise ExportError(f"TorchScript ({mode}) cannot export this graph: {_first_line(exc)}") from None
    with torch.no_grad():
        return f"torch.jit.load ({mode})", as_list(_seeded(loaded, inputs))


def _export_onnx(*, graph, report, gm, tmp: Path, example, inputs, opset: int, **_) -> tuple:
    import torch

    attrs = module_names(graph)
    names = [attrs[nid] for nid in input_nodes(graph)]
    batch = torch.export.Dim("batch", min=1)
    dynamic = []
    for nid in input_nodes(graph):
        dims = {0: batch}
        for i, size in enumerate(report.nodes[nid].outputs[0], start=1):
            if size is None:  # dynamic where the network allows it, else fixed (verification will tell)
                dims[i] = torch.export.Dim.AUTO
        dynamic.append(dims)
    gm = _onnx_friendly(graph, report, gm)
    try:
        with _quiet():
            torch.onnx.export(gm, tuple(example), str(tmp), input_names=names, output_names=output_nodes(graph),
                              opset_version=opset, dynamo=True, external_data=False, verbose=False,
                              dynamic_shapes=tuple(dynamic))
    except Exception as exc:  # the exporter raises many types, all mean "cannot export"
        raise ExportError(f"ONNX cannot export this graph: {_first_line(exc)}") from None
    from netbuilder.interchange.onnx_check import OnnxCheckError, run_onnx

    try:
        got, checker = run_onnx(tmp, dict(zip(names, inputs)))
    except OnnxCheckError as exc:
        raise ExportError(str(exc)) from None
    return checker, got


def _onnx_friendly(graph: Graph, report: ShapeReport, gm: "torch.nn.Module") -> "torch.nn.Module":
    """A copy of `gm` with modules the ONNX exporter gets wrong replaced by
    equivalents it gets right. (torch.onnx drops AvgPool2d's divisor_override,
    so SumPool2d would silently export as an average.)"""
    import copy

    sums = [nid for nid in graph.nodes if graph.nodes[nid].type == "SumPool2d"]
    if not sums:
        return gm
    gm = copy.deepcopy(gm)
    for nid in sums:
        attr = module_names(graph)[nid]
        info = report.nodes[nid]
        setattr(gm, attr, _padded_sum_pool(getattr(gm, attr), info.inputs[0], info.outputs[0]))
    return gm


def _padded_sum_pool(pool: Any, in_shape: tuple, out_shape: tuple) -> Any:
    """Zero-pad explicitly (plus what ceil_mode adds), then average × window
    size: every window is full, so this is exactly the window sum."""
    import torch
    import torch.nn.functional as F

    def pair(v: Any) -> tuple[int, int]:
        return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))

    (kh, kw), (sh, sw), (ph, pw) = pair(pool.kernel_size), pair(pool.stride), pair(pool.padding)
    extra = []
    for n, out, k, s, p in ((in_shape[1], out_shape[1], kh, sh, ph), (in_shape[2], out_shape[2], kw, sw, pw)):
        extra.append(0 if n is None or out is None else max(0, (out - 1) * s + k - (n + 2 * p)))
    if (in_shape[1] is None or in_shape[2] is None) and pool.ceil_mode:
        return pool  # cannot precompute; verification will tell

    class SumPool(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = F.pad(x, (pw, pw + extra[1], ph, ph + extra[0]))
            return F.avg_pool2d(x, (kh, kw), (sh, sw)) * float(kh * kw)

    return SumPool()


def _first_line(exc: BaseException) -> str:
    from netbuilder.interchange.onnx_check import first_line

    return first_line(exc)
