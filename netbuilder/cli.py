"""Command line: `netbuilder [FILE]` opens the editor; subcommands work headless.

Each subcommand lives in netbuilder/commands/<name>.py with `add_arguments`
and `run`; this file only dispatches, so `netbuilder --version` stays fast
(nothing here imports torch or Qt).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Sequence

from netbuilder import __version__

# command name -> module in netbuilder.commands
COMMANDS: dict[str, str] = {
    "check": "check",
    "summary": "summary",
    "train": "train",
    "presets": "presets",
    "export": "export",
    "import": "import_module",
    "diff": "diff",
    "visualize": "visualize",
    "datasets": "datasets",
}


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netbuilder",
        description="Build, check and train neural networks visually. "
        f"Subcommands: {', '.join(COMMANDS)} (netbuilder COMMAND --help).",
    )
    parser.add_argument("--version", action="version", version=f"netbuilder {__version__}")
    parser.add_argument("file", nargs="?", help="graph file to open (default: the LeNet-on-digits preset)")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the window to a PNG and exit")
    parser.add_argument("--size", default="1600x1000", help="window size for --screenshot, WxH")
    parser.add_argument("--train", action="store_true", help="train before the screenshot (with --screenshot)")
    parser.add_argument("--dataset", help="dataset for --train (default: the file's training block)")
    parser.add_argument("--epochs", type=int, help="epochs for --train")
    parser.add_argument("--view", help="Training-dock tab in the --train screenshot: latent, anomaly, filters, ...")
    parser.add_argument("--theme", choices=("dark", "light"), help="colour theme")
    return parser


def _command_parser(name: str) -> tuple[argparse.ArgumentParser, object]:
    module = importlib.import_module(f"netbuilder.commands.{COMMANDS[name]}")
    parser = argparse.ArgumentParser(prog=f"netbuilder {name}", description=module.__doc__)
    module.add_arguments(parser)
    return parser, module


def _tolerant_output() -> None:
    """Shapes print as 6×28×28: on a console that cannot encode ×, print a
    replacement character rather than die with UnicodeEncodeError."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="replace")  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            pass


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _tolerant_output()
    if argv and argv[0] in COMMANDS:
        parser, module = _command_parser(argv[0])
        args = parser.parse_args(argv[1:])
        return int(module.run(args) or 0)
    args = _gui_parser().parse_args(argv)
    from netbuilder.gui.app import run_gui

    return run_gui(args)
