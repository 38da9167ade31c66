"""Import torch in the background while the window comes up.

Counting parameters (summary, inspector) builds real modules, so it needs
torch, whose import takes seconds. Started at launch, the import runs in a
thread; the panels that need torch ask
`ready()` and, until then, show "counting…" and retry, so the editor never
freezes on it. Without `start()` (tests, scripts) `ready()` is simply True:
the first caller imports torch itself.

The thread waits for `window_shown()` (at most MAX_DEFER_S) before it
imports: torch's import holds the GIL most of the time, and running it while
Qt built the window made the first show 2–3× slower (1.0–1.2 s against
2.6–3.9 s to a painted window, 2 cores, load 3). `wait()` releases it too.
"""

from __future__ import annotations

import threading

_thread: threading.Thread | None = None
_shown = threading.Event()
MAX_DEFER_S = 3.0  # a caller that never says the window is up still gets torch soon


def _work() -> None:
    _shown.wait(MAX_DEFER_S)
    try:
        import torch  # noqa: F401
    except Exception:  # noqa: BLE001 - the panels import it again and say what is wrong
        pass


def start() -> None:
    global _thread
    if _thread is None:
        _thread = threading.Thread(target=_work, name="netbuilder-import-torch", daemon=True)
        _thread.start()


def ready() -> bool:
    return _thread is None or not _thread.is_alive()


def window_shown() -> None:
    """The window is on screen: import torch now."""
    _shown.set()


def wait(timeout: float | None = None) -> None:
    _shown.set()  # someone needs torch now: no more deferring
    if _thread is not None:
        _thread.join(timeout)
