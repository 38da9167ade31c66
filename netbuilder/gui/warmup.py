"""Import torch in the background while the window comes up.

Counting parameters (summary, inspector) builds real modules, so it needs
torch, whose import takes seconds. Started at launch, the import runs in a
thread while Qt builds and shows the window; the panels that need torch ask
`ready()` and, until then, show "counting…" and retry, so the editor never
freezes on it. Without `start()` (tests, scripts) `ready()` is simply True:
the first caller imports torch itself.
"""

from __future__ import annotations

import threading

_thread: threading.Thread | None = None


def _work() -> None:
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


def wait(timeout: float | None = None) -> None:
    if _thread is not None:
        _thread.join(timeout)
