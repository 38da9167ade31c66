"""Start the editor: `netbuilder [FILE] [--screenshot OUT.png] [--size WxH]
[--theme dark|light] [--train ...]`.

`run_gui(args)` is what the CLI calls. With --screenshot it renders the
window to a PNG and exits (works with QT_QPA_PLATFORM=offscreen); with
--train the training dock trains first (netbuilder.gui.training.headless).
An uncaught exception shows a dialog and the editor keeps running.
"""

from __future__ import annotations

import sys
import threading
import traceback
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QTimer
from PySide6.QtWidgets import QApplication

from netbuilder.core.graph import Graph
from netbuilder.core.io import GraphFileError, load_graph
from netbuilder.gui import dialogs, storage, theme, warmup, window_dispose, window_layout
from netbuilder.gui.main_window import MainWindow
from netbuilder.gui.resources import icon

DEFAULT_SIZE = (1600, 1000)


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        QCoreApplication.setApplicationName("NetBuilder")
        QCoreApplication.setOrganizationName("NetBuilder")
        app = QApplication(sys.argv[:1])
        app.setDesktopFileName("netbuilder")
        app.setWindowIcon(icon("netbuilder"))
    return app  # type: ignore[return-value]


def parse_size(text: str | None) -> tuple[int, int]:
    if not text:
        return DEFAULT_SIZE
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise ValueError(f"--size must look like 1600x1000, got {text!r}") from None
    if not (200 <= w <= 10000 and 200 <= h <= 10000):
        raise ValueError(f"--size {w}x{h} is out of range (200 to 10000 pixels per side)")
    return w, h


def settle(rounds: int = 4) -> None:
    """Let pending layouts, timers at 0 ms and paints run."""
    app = QApplication.instance()
    for _ in range(rounds):
        app.processEvents()


def save_window_screenshot(window: Any, path: str | Path) -> Path:
    """Render `window` (with its docks) to a PNG. Raises OSError if it cannot be written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    settle()
    if not window.grab().save(str(path), "PNG"):
        raise OSError(f"cannot write the screenshot to {path}")
    return path


def install_excepthook(interactive: bool = True) -> None:
    """An uncaught error in a slot prints its traceback to the terminal and
    shows a short dialog; the editor keeps running."""
    showing = [False]

    def hook(exc_type: type[BaseException], exc: BaseException, tb: Any) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        sys.stderr.write(details)
        if not interactive or showing[0] or QApplication.instance() is None:
            return
        showing[0] = True
        try:
            dialogs.show_error(None, "Something went wrong",
                               f"NetBuilder hit an internal error and stopped that action:\n\n{exc_type.__name__}: "
                               f"{exc}\n\nThe editor is still running and your network is unchanged by the "
                               "failed action. Saving your work now is a good idea.", details)
        finally:
            showing[0] = False

    sys.excepthook = hook


def _load(path: str) -> tuple[Graph | None, str]:
    try:
        return load_graph(path), ""
    except GraphFileError as exc:
        return None, f"“{path}” is not a usable network.\n\n{exc}"
    except OSError as exc:
        return None, f"Cannot read “{path}”: {exc.strerror or exc}"


def run_gui(args: Any) -> int:
    screenshot, train = getattr(args, "screenshot", None), getattr(args, "train", False)
    headless = bool(screenshot or train)
    try:
        size = parse_size(getattr(args, "size", None)) if headless else None
    except ValueError as exc:
        print(f"netbuilder: {exc}", file=sys.stderr)
        return 2
    warmup.start()  # torch loads in the background while the window is built
    app = ensure_app()
    install_excepthook(interactive=not headless)
    theme.apply(app, getattr(args, "theme", None) or storage.get_str("theme", "dark"))
    graph, problem, path = None, "", getattr(args, "file", None)
    if path:
        graph, problem = _load(path)
        if problem and headless:
            print(f"netbuilder: {problem}", file=sys.stderr)
            return 2
    window = MainWindow(graph)
    if graph is not None:
        window.document.path = Path(path).resolve()
        storage.add_recent_file(path)
        window.document.state_changed.emit()
    if headless:
        return _run_headless(window, args, size or DEFAULT_SIZE)
    show_first(window)
    warmup.window_shown()  # torch's import now, no longer slowing the first show
    window.training_dock.keep_child_warm()  # Start then finds torch and the trainer imported (issue 18)
    if problem:
        QTimer.singleShot(0, lambda: dialogs.show_error(window, "Cannot open file", problem))
    else:
        QTimer.singleShot(0, window.document.offer_recovery)
    QTimer.singleShot(1500, _warm_presets)
    code = app.exec()
    _finish_background()
    return int(code)


_background: list[threading.Thread] = []  # threads that may be inside torch's C++ code


def _finish_background(timeout: float = 30.0) -> None:
    """Let the background imports end before the interpreter does: closing the editor while
    torch was still being imported in a daemon thread aborted the process on exit
    ("terminate called without an active exception", SIGABRT)."""
    warmup.wait(timeout)
    for thread in _background:
        thread.join(timeout)


def show_first(window: MainWindow) -> None:
    """The interactive first show: the saved layout, kept on the screen, and the
    whole network fitted in the canvas (as View ▸ Fit does) once the docks have their sizes."""
    restored = window.restore_layout()
    screen = window.screen() or QApplication.primaryScreen()
    if not restored and screen is not None:
        window.size_for_screen(screen.availableGeometry())
    window.fit_to_screen()
    window.show()
    settle()
    window.fit_to_screen()  # again with the title bar and borders, known once shown
    if not restored and screen is not None:  # the docks' heights are only kept once shown
        window_layout.size_bottom(window)
        settle()
    window.view.fit_to_view()
    QTimer.singleShot(0, window.view.fit_to_view)  # again after the last dock resize of the first show


def _warm_presets() -> None:
    """Read the presets (and count their parameters) in the background, so
    the Presets menu opens at once the first time."""

    def work() -> None:
        try:
            from netbuilder.presets import list_presets

            list_presets()
        except Exception:  # noqa: BLE001 - the menu reads them again and reports problems itself
            pass

    thread = threading.Thread(target=work, name="netbuilder-presets", daemon=True)
    _background.append(thread)
    thread.start()


def _run_headless(window: MainWindow, args: Any, size: tuple[int, int]) -> int:
    window.resize(*size)
    window.show()
    settle()
    window.view.show_network()
    window.flush()
    settle()
    try:
        if getattr(args, "train", False):
            from netbuilder.gui.training.headless import train_and_screenshot

            return int(train_and_screenshot(window, args))
        try:
            out = save_window_screenshot(window, args.screenshot)
        except OSError as exc:
            print(f"netbuilder: {exc}", file=sys.stderr)
            return 1
        print(f"netbuilder: wrote {out}")
        return 0
    finally:
        window_dispose.dispose(window)  # the child process, timers, graph listeners: deleting it is safe
        window.hide()
        window.deleteLater()


__all__ = ["run_gui", "save_window_screenshot", "ensure_app", "install_excepthook"]
