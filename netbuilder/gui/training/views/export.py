"""'Export PNG' for every view: a thin bar above the view with the button."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def export_png(widget: QWidget, path: str | Path) -> Path:
    """Render `widget` to a PNG. Raises OSError if it cannot be written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"cannot write {path}")
    return path


class Exportable(QWidget):
    """`content` under a bar holding an optional caption and 'Export PNG'."""

    def __init__(self, content: QWidget, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.content, self.name = content, name
        self.caption = QLabel("")
        self.button = QPushButton("Export PNG")
        self.button.setToolTip(f"save this {name} view as a PNG picture")
        self.button.clicked.connect(self._ask)
        bar = QHBoxLayout()
        bar.setContentsMargins(4, 2, 4, 0)
        bar.addWidget(self.caption, 1)
        bar.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(content, 1)

    def export(self, path: str | Path) -> Path:
        return export_png(self.content, path)

    def _ask(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", f"{self.name.lower()}.png", "PNG images (*.png)")
        if path:
            try:
                self.export(path)
            except OSError as exc:
                from netbuilder.gui import dialogs

                dialogs.show_error(self, "Cannot export", str(exc))
