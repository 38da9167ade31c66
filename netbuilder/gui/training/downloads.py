"""Named datasets in the Training dock: picker labels and the download row.

A named dataset (MNIST, CIFAR-10, ...) that is not in the cache is fetched
before the run starts, on a worker thread so the editor never waits on the
network. The thread only writes its progress into a small locked record; a
QTimer in the GUI thread reads it, so no Qt object is touched off the GUI
thread. Cancel returns the dock to idle at once; the thread stops at its
next chunk and leaves the `.part` file, which the next try resumes.

Imports netbuilder.train.datasets only (no torch).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

POLL_MS = 100


def named_datasets() -> list[str]:
    from netbuilder.train.datasets.registry import NAMED

    return list(NAMED)


def picker_label(name: str) -> str:
    """'mnist', or 'mnist (download 12 MB)' while its files are not cached yet."""
    from netbuilder.train.datasets import NAMED, is_cached

    spec = NAMED[name]
    try:
        cached = is_cached(spec)
    except OSError:  # an unreadable data folder: offer the download
        cached = False
    return name if cached else f"{name} (download {max(1, round(spec.size_bytes / 1e6))} MB)"


def picker_tooltip(name: str) -> str:
    from netbuilder.train.datasets import NAMED, cache_folder

    spec = NAMED[name]
    shape = "×".join(str(d) for d in spec.input_shape)
    return (f"{spec.title}: {spec.train_count:,} training + {spec.test_count:,} test images, {shape}, "
            f"{spec.num_classes} classes; downloaded once into {cache_folder(name)}")


def needs_download(dataset: Any) -> bool:
    """True for a named dataset whose files are not all in the cache."""
    from netbuilder.train.datasets import NAMED, is_cached

    key = str(dataset or "").strip().lower()
    try:
        return key in NAMED and not is_cached(key)
    except OSError:
        return True


@dataclass
class _Job:
    """What the worker thread shares with the GUI (read and written under `lock`)."""

    name: str
    lock: threading.Lock = field(default_factory=threading.Lock)
    cancel: threading.Event = field(default_factory=threading.Event)
    file: str = ""
    done: int = 0
    total: int = 0
    file_start: float = 0.0
    result: str = ""  # "" while running, then "ok" | "error" | "cancelled"
    message: str = ""

    def progress(self, file: str, done: int, total: int) -> None:
        with self.lock:
            if file != self.file:
                self.file, self.file_start = file, time.monotonic()
            self.done, self.total = done, total

    def finish(self, result: str, message: str = "") -> None:
        with self.lock:
            self.result, self.message = result, message


def _work(job: _Job, previous: threading.Thread | None) -> None:
    from netbuilder.train.datasets import DownloadCancelled, DownloadError, fetch

    if previous is not None:
        previous.join()  # a cancelled download may still be closing its .part file
    try:
        fetch(job.name, progress=job.progress, cancelled=job.cancel.is_set)
    except DownloadCancelled as exc:
        job.finish("cancelled", str(exc))
    except DownloadError as exc:
        job.finish("error", str(exc))
    except Exception as exc:  # noqa: BLE001 — a full disk or the like: a message, never a traceback
        job.finish("error", f"could not download dataset {job.name!r}: {exc}")
    else:
        job.finish("ok")


class DownloadRow(QWidget):
    """File name, MB done/total, speed and Cancel; hidden unless a download runs."""

    downloaded = Signal(str)  # dataset name: its files are cached now
    failed = Signal(str)  # the message (names the dataset, the URL and the folder)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("downloadRow")
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.speed = QLabel()
        self.speed.setMinimumWidth(90)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("stop the download; what arrived so far is kept for the next try")
        self.cancel_button.clicked.connect(self.cancel)
        row = QHBoxLayout(self)
        row.setContentsMargins(4, 0, 4, 2)
        row.addWidget(self.label)
        row.addWidget(self.bar, 1)
        row.addWidget(self.speed)
        row.addWidget(self.cancel_button)
        self._job: _Job | None = None
        self._thread: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.setVisible(False)

    @property
    def busy(self) -> bool:
        return self._job is not None

    def begin(self, name: str) -> None:
        """Fetch the named dataset on a worker thread; one of the signals follows."""
        self._job = _Job(name)
        self._thread = threading.Thread(target=_work, args=(self._job, self._thread), daemon=True,
                                        name=f"netbuilder-download-{name}")
        self.label.setText(f"Downloading {name}…")
        self.bar.setValue(0)
        self.bar.setFormat("connecting…")
        self.speed.setText("")
        self.setVisible(True)
        self._thread.start()
        self._timer.start()

    def cancel(self) -> None:
        """Back to idle now; the thread notices at its next chunk and keeps the .part file."""
        job = self._job
        if job is None:
            return
        job.cancel.set()
        self._close()
        self.cancelled.emit()

    def wait(self, timeout: float = 15.0) -> None:
        """Let a cancelled download's thread finish (tests; the editor never waits)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def _close(self) -> None:
        self._timer.stop()
        self._job = None
        self.setVisible(False)

    def _poll(self) -> None:
        job = self._job
        if job is None:
            self._timer.stop()
            return
        with job.lock:
            file, done, total, start = job.file, job.done, job.total, job.file_start
            result, message = job.result, job.message
        if file:
            self.show_progress(file, done, total, time.monotonic() - start)
        if not result:
            return
        self._close()
        if result == "ok":
            self.downloaded.emit(job.name)
        elif result == "error":
            self.failed.emit(message)
        # "cancelled" was reported when Cancel was pressed

    def show_progress(self, file: str, done: int, total: int, elapsed: float) -> None:
        self.label.setText(f"Downloading {self._job.name if self._job else ''}: {file}")
        self.bar.setValue(int(1000 * done / total) if total else 0)
        self.bar.setFormat(f"{done / 1e6:.1f} / {total / 1e6:.1f} MB" if total else f"{done / 1e6:.1f} MB")
        self.speed.setText(f"{done / 1e6 / max(elapsed, 1e-3):.1f} MB/s")
