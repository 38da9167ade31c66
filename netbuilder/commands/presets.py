"""List the shipped presets: name, group, input shape, parameters and what each teaches."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap

from netbuilder.core.io import GraphFileError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON list of presets")
    parser.add_argument("--long", action="store_true", help="also print each description")


def run(args: argparse.Namespace) -> int:
    from netbuilder.core.shapes import format_shape
    from netbuilder.presets import PRESETS_DIR, list_presets

    try:
        presets = list_presets()
    except GraphFileError as exc:
        print(f"error: a preset file is broken: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([p.to_json() for p in presets], ensure_ascii=False))
        return 0
    if not presets:
        print(f"no presets found in {PRESETS_DIR}", file=sys.stderr)
        return 1
    rows = [(p.name, p.group, format_shape(tuple(p.input_shape)) if p.input_shape else "—",
             f"{p.params:,}", p.title) for p in presets]
    head = ("Name", "Group", "Input", "Params", "Title")
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head) - 1)]
    for i, row in enumerate([head, *rows]):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1]), row[2].ljust(widths[2]),
                 row[3].rjust(widths[3]), row[4]]
        print("  ".join(cells))
        if args.long and i > 0:
            print(textwrap.indent(textwrap.fill(presets[i - 1].description, 96), "    "))
    print(f"\n{len(presets)} presets in {PRESETS_DIR}; open one with: netbuilder {PRESETS_DIR / 'NAME.json'}")
    return 0
