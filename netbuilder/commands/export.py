"""Export a graph file as Python code, ONNX, TorchScript or a state_dict, verified against the graph.

Every export is loaded back and run on a random batch; if its output differs
from the compiled graph by more than 1e-5 the command fails and writes nothing.
Exit status: 0 exported, 1 export failed or did not verify, 2 unreadable input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from netbuilder.commands import load_or_report

FORMATS = ("py", "onnx", "torchscript", "state-dict")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="graph file (.json)")
    parser.add_argument("--format", "-f", choices=FORMATS, default="py",
                        help="py: readable PyTorch source; onnx; torchscript; state-dict (default: py)")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="file to write (default: the graph file's name with .py/.onnx/.pt)")
    parser.add_argument("--checkpoint", metavar="CKPT",
                        help="trained weights to export (a NetBuilder checkpoint or a state_dict file); "
                        "for py they are written beside OUT as OUT.pt and loaded by load_model()")
    parser.add_argument("--opset", type=int, default=18, help="ONNX opset version (≥ 17, default 18)")
    parser.add_argument("--torchscript-mode", choices=("trace", "script"), default="trace",
                        help="how TorchScript captures the model (default: trace)")


def read_weights(path: str) -> tuple[dict, list[str]]:
    """The model weights of a NetBuilder checkpoint or of a plain state_dict
    file, plus notes for the user (e.g. the inputs were standardized).
    Raises ExportError with a clear message."""
    from netbuilder.interchange.export import load_state_dict_file
    from netbuilder.train.checkpoint import CheckpointError, load_checkpoint

    weights = load_state_dict_file(path)  # weights_only; says clearly when the file is no such thing
    try:
        checkpoint = load_checkpoint(path)
    except CheckpointError:
        return weights, []  # a bare state_dict, or another tool's checkpoint
    notes = []
    if checkpoint.get("standardize"):
        notes.append("the network was trained on standardized inputs: give it (x - mean) / std, with the mean "
                     "and std stored in the checkpoint's 'standardize' entry")
    return weights, notes


def check_not_overwriting(out: Path, fmt: str, checkpoint: str | None) -> None:
    """A py export writes OUT.pt beside OUT: refuse when that is the checkpoint itself."""
    from netbuilder.interchange.export import ExportError

    if checkpoint and fmt == "py" and out.with_suffix(".pt").resolve() == Path(checkpoint).resolve():
        raise ExportError(f"the weights would be written to {out.with_suffix('.pt')}, which is the checkpoint "
                          "being read; choose another name for the .py file")
    if checkpoint and out.resolve() == Path(checkpoint).resolve():
        raise ExportError(f"{out} is the checkpoint being read; choose another output file")


def run(args: argparse.Namespace) -> int:
    from netbuilder.interchange.export import ExportError, default_suffix, export_graph

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    out = Path(args.output) if args.output else Path(args.file).with_suffix(default_suffix(args.format))
    if args.format == "py" and out.suffix != ".py":
        print(f"error: {out}: a Python export must end in .py", file=sys.stderr)
        return 2
    try:
        check_not_overwriting(out, args.format, args.checkpoint)
        state, notes = read_weights(args.checkpoint) if args.checkpoint else (None, [])
        result = export_graph(graph, out, args.format, state_dict=state, opset=args.opset,
                              torchscript_mode=args.torchscript_mode)
    except ExportError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 1
    print(result.message())
    for note in notes:
        print(f"note: {note}")
    return 0
