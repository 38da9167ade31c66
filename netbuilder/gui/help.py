"""Help ▸ Keyboard shortcuts and Help ▸ About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from netbuilder import __version__
from netbuilder.gui import dialogs

# (keys, what they do), in the order a newcomer needs them
SHORTCUTS: list[tuple[str, str]] = [
    ("Tab", "Quick-add a layer at the cursor (after the selected layer, connected)"),
    ("Drag from the palette", "Add a layer; drop it on a connection to insert it there"),
    ("Drag port → port", "Connect an output (right side) to an input (left side)"),
    ("Drag port → empty canvas", "Pick a layer to add there, already connected"),
    ("Double-click a layer", "Edit its parameters in the inspector"),
    ("Right click", "Context menu: copy, duplicate, delete, group, add a layer here, auto-layout"),
    ("Delete / Backspace", "Delete the selected layers and connections"),
    ("Ctrl+Z / Ctrl+Shift+Z", "Undo / redo (Ctrl+Y also redoes)"),
    ("Ctrl+C / Ctrl+X / Ctrl+V", "Copy / cut / paste layers with the connections between them"),
    ("Ctrl+D", "Duplicate the selection (a whole group is duplicated as a new group)"),
    ("Ctrl+G / Ctrl+Shift+G", "Group the selected layers in a named frame / ungroup"),
    ("Double-click a group's title", "Rename the group (drag the title to move the whole group)"),
    ("Ctrl+A / Esc", "Select all layers / clear the selection"),
    ("Drag on empty canvas", "Rubber-band selection (Ctrl adds to the selection)"),
    ("Mouse wheel", "Zoom around the cursor"),
    ("Middle drag, or Space + drag", "Pan the canvas"),
    ("F", "Fit the whole network in view"),
    ("Ctrl+0", "Zoom to 100 %"),
    ("Ctrl++ / Ctrl+-", "Zoom in / out"),
    ("Ctrl+L", "Auto-layout (layered, left to right)"),
    ("Ctrl+'", "Snap to grid on/off"),
    ("Ctrl+F", "Search the layer palette"),
    ("Ctrl+N / Ctrl+O", "New network / open a file"),
    ("Ctrl+S / Ctrl+Shift+S", "Save / save as"),
    ("F1", "This list"),
]


class ShortcutsDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        table = QTableWidget(len(SHORTCUTS), 2)
        table.setHorizontalHeaderLabels(["Keys", "Action"])
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        table.setAlternatingRowColors(True)
        table.setShowGrid(False)
        table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for r, (keys, action) in enumerate(SHORTCUTS):
            table.setItem(r, 0, QTableWidgetItem(keys))
            table.setItem(r, 1, QTableWidgetItem(action))
        table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(table)
        layout.addWidget(buttons)
        self.table = table
        self.resize(640, 600)


def shortcuts_markdown() -> str:
    """The same list as a Markdown table (for the README)."""
    lines = ["| Keys | Action |", "|---|---|"]
    lines += [f"| {k} | {a} |" for k, a in SHORTCUTS]
    return "\n".join(lines)


def show_about(parent: QWidget | None) -> None:
    dialogs.show_text(parent, "About NetBuilder",
                      f"<h3>NetBuilder {__version__}</h3>"
                      "<p>Build neural networks on a canvas, see every tensor shape as you draw, "
                      "compile to a real PyTorch module and train it with live curves.</p>"
                      "<p>Files are plain JSON; the same file trains from the command line "
                      "(<code>netbuilder train FILE</code>).</p>")
