"""Summary: one row per layer (output shape, parameters, MACs) and totals,
like `netbuilder summary`. Clicking a row selects the layer on the canvas.

Counting parameters builds modules (on the meta device), so the table is
refreshed a moment after edits stop, and only while it is visible. Costs come
from core.summary.node_costs (cached per type, params and input shapes) and the
rows live in a model the view reads on demand: 20,000 layers were 100,000 table
items rebuilt after every edit (0.7 s of a 20,000-node open). The counts are
the budget bar's (counted in slices; a CostCounter of the panel's own, which
recounts only the layers an edit changed, serves when the bar is not done),
row texts are made when the view shows them, and the order is the one the live
shape check keeps (a refresh at 20,000 layers took 0.76 s, a sort among it)."""

from __future__ import annotations

import logging
from typing import Any, Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import OK, format_shape
from netbuilder.core.summary import CostCounter
from netbuilder.gui import warmup
from netbuilder.gui.live import LiveShapes

COLUMNS = ("Layer", "Type", "Output shape", "Params", "MACs")
DELAY_MS = 250
_log = logging.getLogger(__name__)
_RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_Index = QModelIndex | QPersistentModelIndex


def _human(n: float) -> str:
    for unit in ("", "K", "M", "G"):
        if abs(n) < 1000 or unit == "G":
            return f"{n:.3g}{unit}" if unit else f"{int(n)}"
        n /= 1000
    return str(n)


class SummaryModel(QAbstractTableModel):
    """One row per layer id; a row's texts are made the first time the view (or a
    caller) asks for them, so 20,000 rows cost what the visible ones cost."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.ids: list[str] = []
        self._row: Callable[[str], tuple[str, ...]] = lambda nid: (nid, "", "", "", "")
        self._made: dict[int, tuple[str, ...]] = {}

    def set_rows(self, ids: list[str], row: Callable[[str], tuple[str, ...]]) -> None:
        self.beginResetModel()
        self.ids, self._row, self._made = ids, row, {}
        self.endResetModel()

    def row(self, index: int) -> tuple[str, ...]:
        made = self._made.get(index)
        if made is None:
            made = self._made[index] = self._row(self.ids[index])
        return made

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's signature
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: N802, B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.row(index.row())[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() >= 3:
            return int(_RIGHT.value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def text(self, row: int, column: int) -> str:
        return self.row(row)[column]


class SummaryPanel(QWidget):
    node_activated = Signal(str)

    def __init__(self, graph: Graph, live: LiveShapes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph, self.live = graph, live
        self.counter = CostCounter()  # used only without a budget bar to follow, or when asked before it is done
        self.bar: Any = None
        self.model = SummaryModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
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
        self.timer.timeout.connect(self._on_timer)
        self._stale = True
        live.checked.connect(self._mark_stale)
        self.table.clicked.connect(lambda index: self._on_click(index.row(), index.column()))

    def _mark_stale(self, *_: Any) -> None:
        """A new shape report or new costs: refresh a moment later, if the panel is shown."""
        self._stale = True
        if self.isVisible():
            self.timer.start()

    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        if self._stale:
            self.timer.start()

    def follow(self, bar: Any) -> None:
        """Show the counts of the budget bar (gui/budget.py), which counts in slices of a few
        milliseconds: a first count of 20,000 layers here held the editor 0.3 s."""
        self.bar = bar
        bar.costs_changed.connect(self._mark_stale)

    def _on_timer(self) -> None:
        if self.bar is not None and self.bar.busy():
            return  # the bar's count finishes later and refreshes this then (costs_changed)
        self.refresh()

    def refresh(self) -> None:
        if not warmup.ready():  # torch is still being imported: count a moment later
            self.totals.setText("Counting parameters…")
            self.timer.start()
            return
        self._stale = False
        report = self.live.report
        bar = self.bar
        counter = bar.counter if bar is not None and not bar.busy() else self.counter
        try:
            if counter is self.counter:
                counter.update(self.graph, report)  # recounts only the layers whose check changed
        except Exception as exc:  # noqa: BLE001 - a Qt slot: say so, never take the editor down
            _log.exception("summary: counting failed")
            self.counter = CostCounter()
            self.totals.setText(f"Cannot count the parameters: {type(exc).__name__}: {str(exc)[:200]}")
            return
        rows, graph = counter.rows, self.graph

        def row(nid: str) -> tuple[str, ...]:
            info, node = report.nodes.get(nid), graph.nodes.get(nid)
            ok = info is not None and info.status == OK
            n_params, _, n_macs, _ = rows.get(nid, (0, 0, 0, 0)) if ok else (0, 0, 0, 0)
            shape = format_shape(info.output) if ok and info.outputs else (
                "error" if info is not None and info.status == "error" else "—")
            return nid, node.type if node else "", shape, f"{n_params:,}", f"{n_macs:,}" if n_macs else ""

        self.model.set_rows(self.live.order(), row)
        total, trainable, macs = counter.params, counter.trainable, counter.macs
        frozen = f" ({total - trainable:,} frozen)" if trainable != total else ""
        self.totals.setText(f"<b>{len(graph.nodes)} layers</b>  ·  <b>{total:,}</b> parameters{frozen} "
                            f"({_human(total * 4)}B as float32)  ·  <b>{_human(macs)}</b> MACs per sample")

    def _on_click(self, row: int, column: int) -> None:
        if 0 <= row < self.model.rowCount():
            self.node_activated.emit(self.model.text(row, 0))
