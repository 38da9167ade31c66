"""Dark and light themes: the widget stylesheet (resources/*.qss) and the
canvas colours, which QSS cannot reach because the canvas paints itself."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from netbuilder.gui.resources import RESOURCES, read_text

THEMES = ("dark", "light")

# accent colour per layer category (the same hues as the icons)
CATEGORY_COLORS = {
    "Input / Output": "#43a047", "Dense": "#4f8ff0", "Convolution": "#a349c9", "Pooling": "#1f9e8f",
    "Activation": "#f0a020", "Normalization": "#5c6bc0", "Regularization": "#8f9a2a", "Reshape": "#78909c",
    "Merge": "#e0457b", "Recurrent": "#1fb3c9", "Blocks": "#8d6e63", "Generative": "#f4673a",
}


@dataclass(frozen=True)
class Theme:
    name: str
    background: str
    grid_minor: str
    grid_major: str
    node_body: str
    node_border: str
    node_text: str
    node_muted: str
    shape_text: str
    edge: str
    edge_label_bg: str
    edge_label_text: str
    selection: str
    error: str
    port: str
    hint: str
    window: str
    text: str

    def color(self, field: str) -> QColor:
        return QColor(getattr(self, field))


DARK = Theme(
    name="dark", background="#1b1d21", grid_minor="#23262b", grid_major="#2b2f35",
    node_body="#2a2d33", node_border="#3b3f47", node_text="#eef0f3", node_muted="#a3a9b3",
    shape_text="#8fd4a0", edge="#7d8490", edge_label_bg="#25282e", edge_label_text="#d4d8de",
    selection="#5b9bff", error="#ef5350", port="#c7ccd4", hint="#5d636d", window="#1f2125", text="#dfe2e7",
)
LIGHT = Theme(
    name="light", background="#f3f4f6", grid_minor="#e8eaee", grid_major="#dcdfe4",
    node_body="#ffffff", node_border="#c9cdd4", node_text="#1d2025", node_muted="#5f6670",
    shape_text="#1e7b3a", edge="#8c939e", edge_label_bg="#ffffff", edge_label_text="#2f343b",
    selection="#2f6fdf", error="#d93b35", port="#5f6670", hint="#a3a9b3", window="#f4f5f7", text="#23262b",
)

_current: Theme = DARK


def current() -> Theme:
    return _current


def by_name(name: str) -> Theme:
    return LIGHT if name == "light" else DARK


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category, "#78909c"))


def apply(app: QApplication, name: str) -> Theme:
    """Style the whole application; the canvas reads `current()` when it repaints."""
    global _current
    _current = by_name(name)
    if app.property("netbuilder_theme") == _current.name:
        return _current  # already styled: setStyle/setStyleSheet re-polish every widget (seconds with many)
    app.setProperty("netbuilder_theme", _current.name)
    app.setStyle("Fusion")  # the same look on every platform, and QSS applies fully
    palette = QPalette()
    for role, colour in ((QPalette.ColorRole.Window, _current.window), (QPalette.ColorRole.Base, _current.window),
                         (QPalette.ColorRole.WindowText, _current.text), (QPalette.ColorRole.Text, _current.text),
                         (QPalette.ColorRole.ButtonText, _current.text), (QPalette.ColorRole.Button, _current.window),
                         (QPalette.ColorRole.Highlight, _current.selection),
                         (QPalette.ColorRole.ToolTipBase, _current.node_body),
                         (QPalette.ColorRole.ToolTipText, _current.node_text)):
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    app.setStyleSheet(read_text(f"{_current.name}.qss").replace("@RES@", RESOURCES.as_posix()))
    return _current
