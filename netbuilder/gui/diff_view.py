"""Compare the open network with another file: a list of differences, and
added or changed layers highlighted on the canvas.

The other file is the "before" (A), the open network the "after" (B), as
`netbuilder diff OTHER.json CURRENT.json` would report them. Layers only in
the other file cannot be drawn on this canvas: they are listed with where
they were. While a comparison is shown it follows edits to the network.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog, QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget,
)

from netbuilder.core.diff import GraphDiff, diff_graphs
from netbuilder.core.graph import Graph
from netbuilder.core.io import GraphFileError, load_graph
from netbuilder.gui.node_overlays import clear_halos, set_halos

DIFF_TAG = "diff"
COLORS = {"added": QColor(102, 187, 106), "changed": QColor(255, 179, 0), "follows": QColor(144, 164, 174)}
DELAY_MS = 300
NODE_ROLE = Qt.ItemDataRole.UserRole


def choose_graph_file(parent: QWidget | None) -> str:
    """Ask for the file to compare with (tests replace this)."""
    path, _ = QFileDialog.getOpenFileName(parent, "Compare with network", "",
                                          "NetBuilder graphs (*.json *.nbg);;All files (*)")
    return path


class DiffPanel(QWidget):
    node_activated = Signal(str)  # a node of the open network to reveal

    def __init__(self, graph: Graph, scene=None, live=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph, self.scene = graph, scene
        self.other: Graph | None = None
        self.other_name = ""
        self.diff: GraphDiff | None = None
        self.title = QLabel("Compare this network with another file to see what changed.")
        self.title.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.itemActivated.connect(self._on_item)
        self.tree.itemClicked.connect(self._on_item)
        self.compare_button = QPushButton("Compare with File…")
        self.compare_button.clicked.connect(self.choose_and_compare)
        self.clear_button = QPushButton("Clear")
        self.clear_button.clicked.connect(self.clear)
        buttons = QHBoxLayout()
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.title)
        layout.addLayout(buttons)
        layout.addWidget(self.tree, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        if live is not None:
            live.checked.connect(lambda report: self._timer.start() if self.other is not None else None)
        self.clear()

    # --------------------------------------------------------------- verbs
    def choose_and_compare(self) -> bool:
        path = choose_graph_file(self)
        return bool(path) and self.compare_with_file(path)

    def compare_with_file(self, path: str | Path) -> bool:
        try:
            other = load_graph(path)
        except GraphFileError as exc:
            self.title.setText(f"Cannot compare: {exc}")
            return False
        self.compare_with(other, Path(path).name)
        return True

    def compare_with(self, other: Graph, name: str) -> GraphDiff:
        self.other, self.other_name = other, name
        return self.refresh()

    def refresh(self) -> GraphDiff | None:
        self._timer.stop()
        if self.other is None:
            return None
        self.diff = diff_graphs(self.other, self.graph, self.other_name, "this network")
        self._show(self.diff)
        return self.diff

    def clear(self) -> None:
        self.other, self.diff = None, None
        self.tree.clear()
        self.clear_button.setEnabled(False)
        self.title.setText("Compare this network with another file to see what changed.")
        if self.scene is not None:
            clear_halos(self.scene, DIFF_TAG)

    # ------------------------------------------------------------- showing
    def _show(self, d: GraphDiff) -> None:
        self.clear_button.setEnabled(True)
        verdict = "same architecture" if d.same_architecture else (
            f"{len(d.changed)} changed, {len(d.added)} added, {len(d.removed)} removed")
        self.title.setText(f"Compared with <b>{_html(self.other_name)}</b>: {verdict}")
        self.tree.clear()
        self._group("Changed", [(c.text().removeprefix("~ "), c.b) for c in d.changed])
        self._group("Added", [(f"{n} ({d.types['b:' + n]}){d.after('b', n)}", n) for n in d.added])
        back = {a: b for a, b in d.matched.items()}
        self._group("Removed", [(f"{n} ({d.types['a:' + n]}){d.after('a', n)}",
                                 next((back[p] for p in d.inputs.get(f"a:{n}", []) if p in back), None))
                                for n in d.removed])
        edges = [(f"+ {s} → {t}", t) for s, t in d.edges_added] + [(f"− {s} → {t}", back.get(t)) for s, t in
                                                                  d.edges_removed]
        self._group("Connections", edges)
        totals = QTreeWidgetItem(self.tree, ["Totals"])
        for key, label in (("params", "Parameters"), ("macs", "MACs per sample"),
                           ("activation_bytes", "Activation bytes per sample")):
            a, b = d.totals[key]
            QTreeWidgetItem(totals, [f"{label}: {a:,} → {b:,} ({b - a:+,})"])
        totals.setExpanded(True)
        if self.scene is not None:
            marks = {c.b: (COLORS["changed"], "changed") if c.params else (COLORS["follows"], "input changed")
                     for c in d.changed}
            marks.update({n: (COLORS["added"], "added") for n in d.added})
            set_halos(self.scene, DIFF_TAG, marks, outline=True)

    def _group(self, title: str, rows: list[tuple[str, str | None]]) -> None:
        if not rows:
            return
        group = QTreeWidgetItem(self.tree, [f"{title} ({len(rows)})"])
        for text, node_id in rows:
            item = QTreeWidgetItem(group, [text])
            item.setToolTip(0, text)
            if node_id is not None:
                item.setData(0, NODE_ROLE, node_id)
        group.setExpanded(True)

    def items(self, group: str) -> list[str]:
        """The texts listed under a group (for tests and accessibility)."""
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            if top.text(0).split(" (")[0] == group:
                return [top.child(j).text(0) for j in range(top.childCount())]
        return []

    def _on_item(self, item: QTreeWidgetItem, column: int = 0) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id and node_id in self.graph.nodes:
            self.node_activated.emit(node_id)


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
