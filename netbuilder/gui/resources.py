"""Where the editor's icons and stylesheets live, and how to load them.

They sit in the repository's top-level `resources/` folder in a checkout or
editable install, and in netbuilder/_resources in an installed wheel
(netbuilder/paths.py finds either). If that folder is missing, the
editor still runs: icons fall back to plain coloured squares and the
stylesheet to Qt's default look.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap

from netbuilder.paths import resources_dir

RESOURCES = resources_dir()

# icon file (resources/icons/<name>.svg) per layer category
CATEGORY_ICONS = {
    "Input / Output": "io", "Dense": "dense", "Convolution": "convolution", "Pooling": "pooling",
    "Activation": "activation", "Normalization": "normalization", "Regularization": "regularization",
    "Reshape": "reshape", "Merge": "merge", "Recurrent": "recurrent", "Blocks": "blocks",
    "Generative": "generative",
}


def resource_path(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)


def read_text(*parts: str) -> str:
    """A resource file's text, or "" when it is not there."""
    try:
        return resource_path(*parts).read_text(encoding="utf-8")
    except OSError:
        return ""


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """resources/icons/<name>.svg as a QIcon (empty icon when missing)."""
    path = resource_path("icons", f"{name}.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


@lru_cache(maxsize=None)
def category_pixmap(category: str, size: int = 16) -> QPixmap:
    """The category icon rendered once at `size` px, for painting on the canvas."""
    ic = icon(CATEGORY_ICONS.get(category, "layer"))
    if not ic.isNull():
        pm = ic.pixmap(size, size)
        if not pm.isNull():
            return pm
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pm)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#607d8b"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(0, 0, size, size, 3, 3)
    painter.end()
    return pm


def category_icon(category: str) -> QIcon:
    return icon(CATEGORY_ICONS.get(category, "layer"))
