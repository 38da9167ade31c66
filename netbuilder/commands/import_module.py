"""Import a PyTorch nn.Module as a graph file, by tracing it with torch.fx.

MODULE_OR_FILE:Name names a class (or a function returning a module) in an
importable module (pkg.nets:MLP) or a Python file (models.py:LeNet). Importing
runs that code, as `python` would. FILE.onnx imports an ONNX model instead
(no code runs; --input-shape is read from the file), see onnx_import.py. Supported layers and functions become nodes;
anything else is listed by name and left unconnected. Exit status: 0 complete,
1 written with parts missing (see the report), 2 could not import.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from netbuilder.commands import save_or_report


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="MODULE_OR_FILE:Name",
                        help="e.g. mymodels.py:LeNet or mypackage.nets:MLP, or an ONNX file model.onnx")
    parser.add_argument("--input-shape", action="append", metavar="SHAPE",
                        help="input shape without the batch, e.g. 1,28,28 ('?' = variable length); "
                        "repeat once per forward argument")
    parser.add_argument("--input-dtype", action="append", choices=("float32", "int64"), metavar="DTYPE",
                        help="float32 (default) or int64 (token ids for an Embedding); repeat per input")
    parser.add_argument("--kwargs", default="{}", metavar="JSON",
                        help="constructor arguments as a JSON object, e.g. '{\"num_classes\": 10}'")
    parser.add_argument("--name", help="graph name (default: the class name)")
    parser.add_argument("-o", "--output", required=True, metavar="GRAPH.json", help="graph file to write")
    parser.add_argument("--checkpoint", metavar="CKPT",
                        help="ONNX only: also write the weights as a NetBuilder checkpoint")


def parse_shape(text: str) -> list[int | None]:
    """'1,28,28' -> [1, 28, 28]; '?' or 'None' is a variable size."""
    sizes: list[int | None] = []
    for part in text.replace("x", ",").replace("×", ",").split(","):
        part = part.strip()
        if part in ("?", "None", "null"):
            sizes.append(None)
        elif part.isdigit() and int(part) > 0:
            sizes.append(int(part))
        else:
            raise ValueError(f"input shape {text!r}: {part!r} is not a positive size or '?'")
    return sizes


def run(args: argparse.Namespace) -> int:
    if args.target.lower().endswith(".onnx"):
        from netbuilder.commands.import_onnx import run_onnx_import

        return run_onnx_import(args)
    if not args.input_shape:
        print("error: --input-shape is required when importing Python code (once per forward argument)",
              file=sys.stderr)
        return 2
    from netbuilder.interchange.fx_import import ModuleImportError, import_module, load_module_object

    try:
        shapes = [parse_shape(s) for s in args.input_shape]
        kwargs = json.loads(args.kwargs)
        if not isinstance(kwargs, dict):
            raise ValueError("--kwargs must be a JSON object")
    except (ValueError, json.JSONDecodeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    where = args.target.rpartition(":")[0]
    if where.endswith(".py") or "/" in where:
        print(f"note: running the code in {where} to build {args.target.rpartition(':')[2]} "
              "(importing a Python file executes it)", file=sys.stderr)
    try:
        module = load_module_object(args.target, kwargs)
        result = import_module(module, shapes, input_dtypes=args.input_dtype, name=args.name)
    except ModuleImportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = Path(args.output)
    if not save_or_report(result.graph, out):
        return 2
    status = "imported" if result.complete else "imported with parts missing"
    print(f"{status}: {args.target} → {out}")
    print(result.report())
    return 0 if result.complete else 1
