"""File ▸ Import from ONNX…: open an .onnx model as a network (nothing runs
but onnxruntime's check); what has no catalog layer is reported by node name.

The ONNX weights are kept: a complete import writes them as a NetBuilder
checkpoint beside the .onnx file (MODEL.weights.pt, never over another
file), remembered as window.onnx_weights for File ▸ Export's Weights field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow

from netbuilder.gui import export_actions

ONNX_FILTER = "ONNX models (*.onnx);;All files (*)"


def import_onnx_file(window: QMainWindow, path: str) -> Any:
    """Import `path` into the window (asks to save unsaved changes first);
    returns the OnnxImportResult, or None when nothing was opened."""
    from netbuilder.interchange.onnx_import import OnnxImportError, import_onnx

    try:
        result = import_onnx(path)
    except OnnxImportError as exc:
        export_actions.show_report(window, "Import failed", str(exc), warning=True)
        return None
    if not window.document.open_graph(result.graph, f"{result.graph.name} (imported)"):
        return None
    window.onnx_weights = None
    if result.complete:
        diff = f" (max |difference| {result.max_abs_diff:.1e})" if result.max_abs_diff is not None else ""
        weights, problem = save_weights(result, Path(path))
        window.onnx_weights = weights
        if weights is not None and hasattr(window, "training_dock"):
            window.training_dock.train_from(str(weights))  # Start fine-tunes the imported model
        kept = (f"weights saved as {weights.name} (Start trains from them; give it as Weights in File ▸ Export)" if weights
                else f"the weights could not be saved: {problem}")
        window.statusBar().showMessage(f"Imported {len(result.graph)} layers; outputs match the ONNX model{diff}; "
                                       f"{kept}.", 12000)
    else:
        export_actions.show_report(
            window, "Imported with parts missing",
            f"{len(result.skipped)} ONNX node(s) have no NetBuilder layer and were left out. See the details.",
            result.report(), warning=True)
    return result


def save_weights(result: Any, onnx_path: Path) -> tuple[Path | None, str]:
    """Write the imported weights as a checkpoint beside the ONNX file: (path, "") or (None, why not)."""
    from netbuilder.core.io import graph_to_dict
    from netbuilder.train.checkpoint import CheckpointError, save_checkpoint

    target = _free_name(onnx_path)
    try:
        save_checkpoint(target, graph=graph_to_dict(result.graph), settings={}, model=result.module)
    except (CheckpointError, OSError) as exc:
        return None, str(exc)
    return target, ""


def _free_name(onnx_path: Path) -> Path:
    """MODEL.weights.pt, or MODEL.weights-2.pt … when that name is taken (an earlier import's is kept)."""
    target, n = onnx_path.with_suffix(".weights.pt"), 2
    while target.exists():
        target, n = onnx_path.with_suffix(f".weights-{n}.pt"), n + 1
    return target


def install(window: QMainWindow) -> QAction:
    """Add the action after File ▸ Import from PyTorch… (export_actions must be installed)."""
    action = QAction("Import from &ONNX…", window)
    action.setStatusTip("Build a network from an ONNX model file (its ops mapped onto NetBuilder layers)")

    def choose() -> Any:
        path = export_actions.choose_open_path(window, "Import an ONNX model", ONNX_FILTER)
        return import_onnx_file(window, path) if path else None

    action.triggered.connect(lambda checked=False: choose())
    window.addAction(action)
    actions = getattr(window, "export_actions", None)
    pytorch = getattr(actions, "import_action", None)
    menu = export_actions._file_menu(window)
    if menu is not None:
        after = menu.actions()
        index = after.index(pytorch) + 1 if pytorch in after else 0
        menu.insertAction(after[index] if index < len(after) else None, action)
    window.onnx_import_action = action
    return action
