"""The long run of the editor's property test (not a test; prints a summary).

    QT_QPA_PLATFORM=offscreen python benchmarks/long_random_edits.py --edits 1000000 --seed 7 [--length 100]

Drives the real editor window with random sequences of every editing verb
(tests/gui/editor_fuzz.py: the same driver and checks as
tests/gui/test_property_editor.py) until `--edits` verbs have been applied, in
sequences of `--length`. Each sequence is checked (undo-all, redo-all, every
undo/redo step, save → load, canvas, no exception reaching Qt). The first
broken property stops the run and prints the seed, the sequence and the last
verbs, so `--seed S --edits N` reproduces it. `--quick` is 500 edits.
Exit status 1 on a failure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
for extra in (ROOT, ROOT / "tests" / "gui"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edits", type=int, default=100_000, help="verbs to apply in all (default 100000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the first sequence (default 1)")
    parser.add_argument("--length", type=int, default=100, help="verbs per checked sequence (default 100)")
    parser.add_argument("--quick", action="store_true", help="500 edits")
    args = parser.parse_args(argv)
    if args.quick:
        args.edits = 500
    if args.edits < 1 or args.length < 1:
        parser.error("--edits and --length must be positive")
    import tempfile

    os.environ.setdefault("NETBUILDER_DATA_DIR", tempfile.mkdtemp(prefix="netbuilder-fuzz-"))
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["netbuilder-fuzz"])  # before widget modules are imported
    from netbuilder.gui.app import ensure_app

    assert ensure_app() is app
    from editor_fuzz import Failure, Fuzzer
    from test_property_editor import bases

    from netbuilder.gui import dialogs
    from netbuilder.gui.main_window import MainWindow

    for name in ("show_error", "show_text"):  # a message box would wait for a click
        setattr(dialogs, name, lambda *a, **k: None)
    dialogs.ask_save_changes = lambda *a: "discard"
    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    done, seed, start = 0, args.seed, time.perf_counter()
    try:
        while done < args.edits:
            length = min(args.length, args.edits - done)
            fuzzer = Fuzzer(window, seed, bases())
            try:
                done += fuzzer.run(1, length)
            except Failure as exc:
                print(f"FAILED at seed {seed} after {done} edits:\n{exc}")
                return 1
            seed += 1
            if seed % 50 == 0:
                rate = done / (time.perf_counter() - start)
                print(f"{done} edits, seed {seed}, {rate:.0f} edits/s", flush=True)
    finally:
        window.undo_stack.setClean()
        window.document._force_dirty = False
        window.training_dock.shutdown()
        window.close()
        window.document.close()
        window.deleteLater()  # freed by Qt now, not by Python's teardown
        app.processEvents()
    elapsed = time.perf_counter() - start
    print(f"OK: {done} edits in {elapsed:.1f} s ({done / elapsed:.0f} edits/s), seeds {args.seed}..{seed - 1}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
