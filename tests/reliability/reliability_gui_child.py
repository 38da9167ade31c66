"""A real editor session for the crash-recovery test, run as a child process.

    python reliability_gui_child.py edit      # start the editor, add a layer, wait (to be killed)
    python reliability_gui_child.py recover   # start the editor, accept the recovery offer, print the graph

Both run the editor's own entry point (netbuilder.gui.app.run_gui) offscreen,
with NETBUILDER_DATA_DIR pointing at the test's folder and the interval
from NETBUILDER_AUTOSAVE_MS (the editor's own setting). One JSON line on
stdout says what happened.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from netbuilder.core.io import graph_to_dict  # noqa: E402
from netbuilder.gui import dialogs  # noqa: E402
from netbuilder.gui.app import ensure_app, run_gui  # noqa: E402
from netbuilder.gui.main_window import MainWindow  # noqa: E402

ARGS = argparse.Namespace(file=None, screenshot=None, train=False, theme=None, size=None)


def _window() -> MainWindow:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))


def _say(**data) -> None:
    print(json.dumps(data), flush=True)


def edit() -> None:
    window = _window()
    node = window.editor.add_node("Linear", (900.0, 300.0), {"out_features": 77})
    _say(edited=node, modified=window.document.modified, pid=os.getpid())


def recover(offers: list) -> None:
    window = _window()
    _say(offers=offers, modified=window.document.modified, graph=graph_to_dict(window.document.graph))
    dialogs.ask_save_changes = lambda parent, name: "discard"  # closing asks about the restored work
    window.close()  # the user closes the editor: a clean end, nothing left to recover next time


def main(mode: str) -> int:
    ensure_app()
    if mode == "edit":
        QTimer.singleShot(300, edit)
    else:
        offers: list = []

        def ask_restore(parent, name, when) -> bool:  # the dialog, answered "Yes"
            offers.append([name, when])
            return True
        dialogs.ask_restore = ask_restore
        QTimer.singleShot(500, lambda: recover(offers))
    return run_gui(ARGS)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
