"""Second half of an ONNX import: the ONNX initializers into the compiled
graph's state_dict, then the same random batch through both (onnx_import.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from netbuilder.core.compile import CompileError, compile_graph, module_names
from netbuilder.core.shapes import check
from netbuilder.interchange.fx_result import Skipped
from netbuilder.interchange.onnx_check import OnnxCheckError, run_onnx


def load_weights(result: Any, mapped: dict) -> None:
    """Copy each node's ONNX weights into the compiled graph; a shape that
    does not fit is listed as a problem of that node."""
    import torch

    report = check(result.graph)
    if not report.ok:
        result.skipped += [Skipped(n or "graph", "shape check", m) for n, m in report.errors]
        return
    try:
        gm = compile_graph(result.graph, report=report)
    except CompileError as exc:
        result.skipped.append(Skipped("graph", "compile", str(exc)))
        return
    state = gm.state_dict()
    names = module_names(result.graph)
    copied = 0
    for nid, m in mapped.items():
        for key, value in m.weights.items():
            full = f"{names[nid]}.{key}"
            tensor = torch.from_numpy(value.copy())
            if full not in state or state[full].shape != tensor.shape:
                got = tuple(state[full].shape) if full in state else "none"
                result.skipped.append(Skipped(nid, f"weight {key}", f"the file has shape {tuple(tensor.shape)}, "
                                              f"the layer expects {got}"))
                continue
            state[full] = tensor.to(state[full].dtype)
            copied += int(tensor.numel()) if tensor.is_floating_point() else 0
    gm.load_state_dict(state)
    result.weights = {k: v.detach().clone() for k, v in gm.state_dict().items()}
    result.imported_params = copied
    result.module = gm


def verify_outputs(result: Any, path: Path, input_names: list[str]) -> None:
    """Run the ONNX file and the imported graph on one random batch."""
    import torch

    from netbuilder.interchange.export import as_list, random_inputs

    gm = getattr(result, "module", None)
    if gm is None or not result.complete:
        return
    inputs = random_inputs(result.graph, check(result.graph), batch=2, seed=0)
    try:
        expected, checker = run_onnx(path, dict(zip(input_names, inputs)))
    except OnnxCheckError as exc:
        result.notes.append(f"not verified: {exc}")
        return
    with torch.no_grad():
        got = as_list(gm.eval()(*inputs))
    diffs = []
    for i, (e, g) in enumerate(zip(expected, got)):
        if tuple(e.shape) != tuple(g.shape):
            result.skipped.append(Skipped(f"output {i}", "verification", f"ONNX gives shape {tuple(e.shape)}, "
                                          f"the graph {tuple(g.shape)}"))
            return
        diffs.append(float((e.double() - g.double()).abs().max()) if e.numel() else 0.0)
    result.max_abs_diff = max(diffs, default=0.0)
    result.checked_with = checker
