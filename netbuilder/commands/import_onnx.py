"""`netbuilder import FILE.onnx`: the ONNX half of the import command (import_module.py)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netbuilder.commands import save_or_report


def run_onnx_import(args: argparse.Namespace) -> int:
    """Exit status as for Python imports: 0 complete, 1 parts missing, 2 nothing written."""
    from netbuilder.core.io import graph_to_dict
    from netbuilder.interchange.onnx_import import OnnxImportError, import_onnx

    try:
        result = import_onnx(args.target, name=args.name)
    except OnnxImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    if not save_or_report(result.graph, out):
        return 2
    if args.checkpoint:
        if result.module is None:
            print("error: no checkpoint written: the graph is incomplete (see below)", file=sys.stderr)
        elif not _write_checkpoint(Path(args.checkpoint), graph_to_dict(result.graph), result.module):
            return 2
    status = "imported" if result.complete else "imported with parts missing"
    print(f"{status}: {args.target} → {out}" + (f" (weights: {args.checkpoint})" if result.module is not None
                                                 and args.checkpoint else ""))
    print(result.report())
    return 0 if result.complete else 1


def _write_checkpoint(path: Path, graph: dict, module) -> bool:
    from netbuilder.train.checkpoint import CheckpointError, save_checkpoint

    try:
        save_checkpoint(path, graph=graph, settings={}, model=module)
    except CheckpointError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return False
    return True
