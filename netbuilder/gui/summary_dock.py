"""Summary: one row per layer (output shape, parameters, MACs) and totals,
like `netbuilder summary`. Clicking a row selects the layer on the canvas.

Counting parameters builds modules (on the meta device), so the table is
refreshed a moment after edits stop, and only while it is visible."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import OK, ShapeReport, format_shape
from netbuilder.core.summary import node_macs
from netbuilder.gui.live import LiveShapes
from netbuilder.gui import warmup
from netbuilder.gui.node_facts import weights

COLUMNS = ("Layer", "Type", "Output shape", "Params", "MACs")
DELAY_MS = 250


def _numel(shape: tuple) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _human(n: float) -> str:
    for unit in ("", "K", "M", "G"):
        if abs(n) < 1000 or unit == "G":
            return f"{n:.3g}{unit}" if unit else f"{int(n)}"
        n /= 1000
    return str(n)


class SummaryPanel(QWidget):
    node_activated = Signal(str)

    def __init__(self, graph: Graph, live: LiveShapes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph, self.live = graph, live
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setShowGrid(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for i, w in enumerate((150, 120, 120, 110, 110)):
            self.table.setColumnWidth(i, w)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.totals = QLabel()
        self.totals.setContentsMargins(8, 4, 8, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.table)
        layout.addWidget(self.totals)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DELAY_MS)
        self.timer.timeout.connect(self.refresh)
        self._stale = True
        live.checked.connect(self._on_report)
        self.table.cellClicked.connect(self._on_click)

    def _on_report(self, report: ShapeReport) -> None:
        self._stale = True
        if self.isVisible():
            self.timer.start()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.timer.start()

    def refresh(self) -> None:
        if not warmup.ready():  # torch is still being imported: count a moment later
            self.totals.setText("Counting parameters…")
            self.timer.start()
            return
        self._stale = False
        report = self.live.report
        rows = []
        total = trainable = macs = 0
        for nid in self.graph.topological_order():
            info = report.nodes.get(nid)
            node = self.graph.nodes[nid]
            n_params = n_train = 0
            if info is not None and info.status == OK:
                try:
                    tensors = weights(self.graph, report, nid)
                except Exception:  # noqa: BLE001 - shown as 0; the inspector says why
                    tensors = []
                n_params = sum(_numel(s) for _, s, _ in tensors)
                n_train = sum(_numel(s) for _, s, t in tensors if t)
            n_macs = node_macs(self.graph, report, nid)
            total, trainable, macs = total + n_params, trainable + n_train, macs + n_macs
            shape = format_shape(info.output) if info is not None and info.status == OK and info.outputs else (
                "error" if info is not None and info.status == "error" else "—")
            rows.append((nid, node.type, shape, f"{n_params:,}", f"{n_macs:,}" if n_macs else ""))
        self.table.setUpdatesEnabled(False)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        self.table.setUpdatesEnabled(True)
        frozen = f" ({total - trainable:,} frozen)" if trainable != total else ""
        self.totals.setText(f"<b>{len(rows)} layers</b>  ·  <b>{total:,}</b> parameters{frozen} "
                            f"({_human(total * 4)}B as float32)  ·  <b>{_human(macs)}</b> MACs per sample")

    def _on_click(self, row: int, column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.node_activated.emit(item.text())
