"""Problems: every diagnostic of the shape check, in graph order, then the layer-health
diagnostics of the training run (train/health_rules.py), while there are any.
Clicking one selects (and shows) the layer it is about."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QVBoxLayout, QWidget

from netbuilder.core.shapes import ShapeReport
from netbuilder.gui.live import LiveShapes

NODE_ROLE = Qt.ItemDataRole.UserRole


class ProblemsPanel(QWidget):
    node_activated = Signal(str)

    def __init__(self, live: LiveShapes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self.count = 0
        self.training: list[dict] = []  # {"node", "kind", "message"} of the latest run
        self._report = live.report
        live.checked.connect(self.show_report)
        self.list.itemClicked.connect(self._on_click)
        self.list.itemActivated.connect(self._on_click)
        self.show_report(live.report)

    def show_training(self, diagnostics: list[dict]) -> None:
        """The training run's layer-health diagnostics, listed after the shape problems."""
        self.training = list(diagnostics)
        self.show_report(self._report)

    def show_report(self, report: ShapeReport) -> None:
        self._report = report
        self.list.clear()
        style = self.style()
        icons = {"error": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical),
                 "warning": style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)}
        self.count = len(report.diagnostics)
        for d in report.diagnostics:
            where = f"{d.node}: " if d.node else ""
            item = QListWidgetItem(icons.get(d.severity, icons["warning"]), f"{where}{d.message}")
            item.setData(NODE_ROLE, d.node)
            item.setToolTip(d.message)
            self.list.addItem(item)
        for d in self.training:
            item = QListWidgetItem(icons["warning"], f"{d['node']}: training — {d['kind']}: {d['message']}")
            item.setData(NODE_ROLE, d["node"])
            item.setToolTip(d["message"])
            self.list.addItem(item)
        if not report.diagnostics and not self.training:
            item = QListWidgetItem(style.standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
                                   "No problems: every shape checks out.")
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(item)

    def _on_click(self, item: QListWidgetItem) -> None:
        node = item.data(NODE_ROLE)
        if node:
            self.node_activated.emit(node)
