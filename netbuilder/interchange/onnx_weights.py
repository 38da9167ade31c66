"""Second half of an ONNX import: the ONNX initializers into the compiled
graph's state_dict, then the same random batch through both (onnx_import.py)."""

from __future__ import annotations

import os
import tempfile
from typing import Any

from netbuilder.core.budget import Budget
from netbuilder.core.compile import CompileError, compile_graph, module_names
from netbuilder.core.shapes import check
from netbuilder.interchange.fx_result import Skipped
from netbuilder.interchange.onnx_check import OnnxCheckError, first_line, run_onnx

MAX_ACTIVATIONS = 4 * 1024**3  # bytes of layer outputs for the verification batch


def load_weights(result: Any, mapped: dict) -> None:
    """Copy each node's ONNX weights into the compiled graph; a shape that
    does not fit is listed as a problem of that node."""
    import torch

    report = check(result.graph)
    if not report.ok:
        result.skipped += [Skipped(n or "graph", "shape check", m) for n, m in report.errors]
        return
    try:
        gm = compile_graph(result.graph, report=report, budget=import_budget(result.original_params))
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


def import_budget(file_values: int) -> Budget:
    """What building the imported graph may allocate, checked before it is built: every weight
    comes from the file, so far more parameters than it stores means dims that claim too much;
    activations are for the verification batch of 2 (NETBUILDER_MAX_ACTIVATION_BYTES raises it)."""
    env = Budget.from_env()
    params = env.max_params if os.environ.get("NETBUILDER_MAX_PARAMS") else file_values + 1_000_000
    acts = env.max_activation_bytes if os.environ.get("NETBUILDER_MAX_ACTIVATION_BYTES") else MAX_ACTIVATIONS
    return Budget(max_params=params, max_activation_bytes=acts, batch_size=2)


def verify_outputs(result: Any, model: Any, input_names: list[str]) -> None:
    """Run the ONNX model (as read and checked, written to a private temporary file) and the
    imported graph on one random batch."""
    import torch

    from netbuilder.interchange.export import as_list, random_inputs

    gm = getattr(result, "module", None)
    if gm is None or not result.complete:
        return
    inputs = random_inputs(result.graph, check(result.graph), batch=2, seed=0)
    _quiet_onnxruntime()
    try:
        with tempfile.TemporaryDirectory(prefix="netbuilder-onnx-") as folder:
            path = os.path.join(folder, "model.onnx")
            with open(path, "wb") as f:
                f.write(model.SerializeToString())
            expected, checker = run_onnx(path, dict(zip(input_names, inputs)))
    except OnnxCheckError as exc:
        result.notes.append(f"not verified: {exc}")
        return
    except Exception as exc:  # onnxruntime's own errors (Fail, InvalidArgument…) on a file it cannot run
        result.notes.append(f"not verified: onnxruntime cannot run the file ({first_line(exc)[:300]})")
        return
    try:
        with torch.no_grad():
            got = as_list(gm.eval()(*inputs))
    except RuntimeError as exc:  # sizes the shape check accepted but the weights from the file do not fit
        result.skipped.append(Skipped("graph", "verification", f"the imported graph fails on a random batch "
                                      f"({first_line(exc)[:300]})"))
        return
    diffs = []
    for i, (e, g) in enumerate(zip(expected, got)):
        if tuple(e.shape) != tuple(g.shape):
            result.skipped.append(Skipped(f"output {i}", "verification", f"ONNX gives shape {tuple(e.shape)}, "
                                          f"the graph {tuple(g.shape)}"))
            return
        diffs.append(float((e.double() - g.double()).abs().max()) if e.numel() else 0.0)
    result.max_abs_diff = max(diffs, default=0.0)
    result.checked_with = checker


def _quiet_onnxruntime() -> None:
    """Errors only: onnxruntime's warnings about a stranger's file (unused initializers…) are printed
    straight to the terminal, around the import's own report."""
    import importlib.util

    if importlib.util.find_spec("onnxruntime") is not None:
        import onnxruntime

        onnxruntime.set_default_logger_severity(3)
