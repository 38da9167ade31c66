"""Start / Pause / Resume / Stop, the progress bar (epoch, step, ETA),
samples per second, and the message banner (errors, warnings, results)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

BANNER_STYLES = {
    "error": "background:#5c1f27; color:#ffd9de; border:1px solid #e0506f;",
    "warning": "background:#5a4a12; color:#fff1c2; border:1px solid #d4b21e;",
    "info": "background:#1d3a57; color:#dcecff; border:1px solid #3d8fe0;",
    "ok": "background:#1f4a2b; color:#d9f5e0; border:1px solid #3fae5a;",
}


def format_eta(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "–"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class RunPanel(QWidget):
    start_clicked = Signal()
    pause_clicked = Signal()
    resume_clicked = Signal()
    stop_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = "idle"  # idle | starting | running | paused | stopping
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("train the graph as it is now, in a separate process")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(self.start_clicked)
        self.pause_button.clicked.connect(self._on_pause)
        self.stop_button.clicked.connect(self.stop_clicked)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.progress.setFormat("not started")
        self.speed = QLabel(" ")
        self.speed.setMinimumWidth(220)
        self.speed.setObjectName("trainingSpeed")
        self.banner = QLabel()
        self.banner.setObjectName("trainingBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setVisible(False)
        self.banner_kind = ""
        self._samples_per_sec: float | None = None

        # one row (buttons, progress, speed) over the banner: height is what a bottom dock lacks
        self.progress.setMinimumWidth(160)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        for b in (self.start_button, self.pause_button, self.stop_button):
            row.addWidget(b)
        row.addWidget(self.progress, 1)
        row.addWidget(self.speed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 2)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.banner)
        self.set_state("idle")

    def _on_pause(self) -> None:
        (self.resume_clicked if self.state == "paused" else self.pause_clicked).emit()

    def set_state(self, state: str) -> None:
        self.state = state
        active = state in ("starting", "running", "paused")
        self.start_button.setEnabled(state == "idle")
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(active)

    # ------------------------------------------------------------- progress
    def show_started(self, event: dict[str, Any]) -> None:
        self._samples_per_sec = None
        self.progress.setValue(0)
        self.progress.setFormat(f"epoch 0/{event.get('epochs', '?')} · starting")
        self.speed.setText(f"device {event.get('device', '?')} · task {event.get('task', '?')}")

    def show_step(self, event: dict[str, Any], epochs: int, steps_per_epoch: int | None) -> None:
        progress = float(event.get("progress") or 0.0)
        self.progress.setValue(int(round(1000 * min(max(progress, 0.0), 1.0))))
        step = event.get("step")
        epoch = event.get("epoch", "?")
        if steps_per_epoch and isinstance(step, int):
            within = (step - 1) % steps_per_epoch + 1 if step > 0 else 0
            step_text = f"step {within}/{steps_per_epoch}"
        else:
            step_text = f"step {step}"
        self.progress.setFormat(f"epoch {epoch}/{epochs} · {step_text} · ETA {format_eta(event.get('eta_s'))}")
        sps = event.get("samples_per_sec")
        if sps is not None:
            self._samples_per_sec = float(sps)
            self.speed.setText(f"{sps:,.0f} samples/s · loss {event.get('train_loss', float('nan')):.4g}")

    def show_epoch(self, event: dict[str, Any]) -> None:
        """The epoch's mean loss: step events are throttled by time, so in a short
        run the last one may be from the first steps and its loss long out of date."""
        loss = event.get("train_loss")
        if loss is None:
            return
        speed = f"{self._samples_per_sec:,.0f} samples/s · " if self._samples_per_sec is not None else ""
        self.speed.setText(f"{speed}epoch {event.get('epoch', '?')} loss {loss:.4g}")

    def show_done(self, text: str, fraction: float | None = None) -> None:
        if fraction is not None:
            self.progress.setValue(int(round(1000 * fraction)))
        self.progress.setFormat(text)

    # --------------------------------------------------------------- banner
    def show_message(self, kind: str, text: str) -> None:
        self.banner_kind = kind
        self.banner.setText(text)
        self.banner.setStyleSheet(f"QLabel {{ {BANNER_STYLES.get(kind, '')} border-radius:3px; padding:4px; }}")
        self.banner.setVisible(bool(text))

    def reset_results(self) -> None:
        """Another network was opened: nothing of the last run's progress stays."""
        self.clear_message()
        self.progress.setValue(0)
        self.progress.setFormat("not started")
        self.speed.setText(" ")
        self._samples_per_sec = None

    def clear_message(self) -> None:
        self.banner_kind = ""
        self.banner.clear()
        self.banner.setVisible(False)
