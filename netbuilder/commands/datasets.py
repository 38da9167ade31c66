"""List the datasets (built-in and downloaded once), fetch one, or print its cache folder.

  netbuilder datasets                 every dataset: name, task, input shape, size, classes, cached
  netbuilder datasets fetch NAME      download (verified by SHA-256) into the cache
  netbuilder datasets path NAME       the folder its files live in (put them there by hand when offline)
"""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("action", nargs="?", choices=("list", "fetch", "path"), default="list")
    parser.add_argument("name", nargs="?", help="dataset name (fetch, path)")
    parser.add_argument("--json", action="store_true", help="list as one JSON array")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    from netbuilder.train.datasets import NAMED

    if args.action == "list":
        return _list(args.json)
    if not args.name:
        print(f"error: netbuilder datasets {args.action} needs a dataset name ({', '.join(NAMED)})",
              file=sys.stderr)
        return 2
    name = args.name.strip().lower()
    if name not in NAMED:
        print(f"error: {args.name!r} is not a downloadable dataset; choose one of {', '.join(NAMED)}",
              file=sys.stderr)
        return 2
    if args.action == "path":
        from netbuilder.train.datasets import cache_folder

        print(cache_folder(name))
        return 0
    return _fetch(name, args.quiet)


def fetch_or_report(name: str, quiet: bool):
    """Download a named dataset with a progress bar on stderr → its folder, or print why not → None."""
    from netbuilder.train.datasets import DownloadError, fetch
    from netbuilder.train.datasets.download import progress_printer

    try:
        return fetch(name, progress_printer(quiet=quiet))
    except DownloadError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return None


def _fetch(name: str, quiet: bool) -> int:
    folder = fetch_or_report(name, quiet)
    if folder is None:
        return 1
    print(f"{name}: verified and cached in {folder}")
    return 0


def _rows() -> list[dict]:
    from netbuilder.train.data import BUILTIN_DATASETS
    from netbuilder.train.datasets import NAMED
    from netbuilder.train.datasets.named import describe

    rows = [{"name": name, "task": info.task, "input": "×".join(map(str, info.input_shape)), "size_mb": 0.0,
             "classes": info.num_classes, "samples": "", "cached": True, "title": info.help.split("(")[0].strip()}
            for name, info in BUILTIN_DATASETS.items()]
    return rows + [describe(spec) for spec in NAMED.values()]


def _list(as_json: bool) -> int:
    rows = _rows()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False))
        return 0
    head = ("Name", "Task", "Input", "Size", "Classes", "Cached", "What")
    table = [(r["name"], r["task"], r["input"], f"{r['size_mb']:.1f} MB" if r["size_mb"] else "built in",
              str(r["classes"] or "—"), "yes" if r["cached"] else "no", r["title"]) for r in rows]
    widths = [max(len(row[i]) for row in [head, *table]) for i in range(len(head) - 1)]
    for row in [head, *table]:
        print("  ".join([c.ljust(w) for c, w in zip(row, widths)] + [row[-1]]))
    print("\nnetbuilder datasets fetch NAME downloads one; netbuilder datasets path NAME shows its folder")
    return 0
