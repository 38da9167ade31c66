"""Layer health on the canvas (View ▸ Health): each measured node coloured by the chosen
statistic, with a legend, a sparkline under it and the numbers on hover; and the
training diagnostics as badges on their nodes (shown whenever there are any).

Reads a gui.training.layers_tab.HealthSeries; the colours are a halo behind the node
(node_overlays.py, tag "health"), so the node items' own painting is untouched.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsScene, QGraphicsView, QLabel, QStyleOptionGraphicsItem

from netbuilder.gui.canvas.style import font
from netbuilder.gui.node_overlays import clear_halos, set_halos
from netbuilder.gui.training.layers_tab import STATISTICS, HealthSeries

TAG = "health"
LOW, HIGH = QColor(60, 110, 220, 150), QColor(225, 60, 40, 150)  # small → large


def colour(fraction: float) -> QColor:
    """Blue (0) → red (1), through the straight line between them."""
    f = min(1.0, max(0.0, fraction))
    return QColor(*(round(a + (b - a) * f) for a, b in zip(LOW.getRgb(), HIGH.getRgb())))


def fractions(values: dict[str, float], log: bool) -> dict[str, float]:
    """Each node's value placed in [0, 1] between the smallest and largest (log10 when `log`)."""
    def scale(v: float) -> float:
        return math.log10(v) if log else v
    usable = {n: scale(v) for n, v in values.items() if math.isfinite(v) and (v > 0 or not log)}
    if not usable:
        return {}
    lo, hi = min(usable.values()), max(usable.values())
    return {n: 0.5 if hi == lo else (v - lo) / (hi - lo) for n, v in usable.items()}


def node_tooltip(store: HealthSeries, node: str) -> str:
    lines = [f"<b>{node}</b>"]
    for stat, (label, _log) in STATISTICS.items():
        value = store.latest(node, stat)
        if value is not None:
            lines.append(f"{label}: {value:.3g}")
    lines += [f"⚠ {d['kind']}: {d['message']}" for (n, _), d in store.diagnostics.items() if n == node]
    return "<br>".join(lines)


class Sparkline(QGraphicsItem):
    """The chosen statistic's history, drawn under the node (log scale where the statistic is)."""

    W, H = 110.0, 22.0

    def __init__(self, node_item: QGraphicsItem, values: list[float], log: bool, tooltip: str) -> None:
        super().__init__(node_item)
        self.values = [math.log10(v) if log and v > 0 else (v if not log else math.nan) for v in values]
        self.values = [v for v in self.values if math.isfinite(v)]
        self.setToolTip(tooltip)
        body = node_item.body_rect() if hasattr(node_item, "body_rect") else node_item.boundingRect()
        self.setPos(body.center().x() - self.W / 2, body.bottom() + 20)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, self.W, self.H)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(128, 128, 128, 40))
        painter.drawRoundedRect(self.boundingRect(), 4, 4)
        if len(self.values) < 2:
            return
        lo, hi = min(self.values), max(self.values)
        span = (hi - lo) or 1.0
        path = QPainterPath()
        for i, v in enumerate(self.values):
            point = QPointF(2 + (self.W - 4) * i / (len(self.values) - 1), self.H - 2 - (self.H - 4) * (v - lo) / span)
            path.moveTo(point) if i == 0 else path.lineTo(point)
        painter.setPen(QPen(HIGH.darker(120), 1.5))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)


class Badge(QGraphicsItem):
    """A diagnostic's kind on its node's top-right corner; the message on hover."""

    def __init__(self, node_item: QGraphicsItem, kinds: list[str], tooltip: str) -> None:
        super().__init__(node_item)
        self.text = "⚠ " + ", ".join(k.replace("_", " ") for k in kinds)
        self.setToolTip(tooltip)
        self.setZValue(5)
        body = node_item.body_rect() if hasattr(node_item, "body_rect") else node_item.boundingRect()
        self.setPos(body.right() - 10, body.top() - 12)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, 9 + 6.2 * len(self.text), 18)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(200, 120, 0))
        painter.drawRoundedRect(self.boundingRect(), 8, 8)
        painter.setPen(QColor("white"))
        painter.setFont(font(8, bold=True))
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, self.text)


class HealthOverlay:
    """Draws `store` on `scene` (and a legend on `view`); `enabled` is View ▸ Health."""

    def __init__(self, scene: QGraphicsScene, view: QGraphicsView, store: HealthSeries) -> None:
        self.scene, self.view, self.store = scene, view, store
        self.enabled = False
        self.stat = "grad_norm"
        # a child of the view, not of its viewport: scrolling moves the viewport's children
        self.legend = QLabel(view)
        self.legend.setObjectName("healthLegend")
        self.legend.setStyleSheet("background: rgba(255,255,255,210); color: black; border-radius: 4px; padding: 4px;")
        self.legend.hide()

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        self.refresh()

    def set_statistic(self, stat: str) -> None:
        self.stat = stat
        self.refresh()

    def items(self, kind: type) -> dict[str, QGraphicsItem]:
        """The overlay's `kind` items (Sparkline or Badge) now on the scene, by node id."""
        out = {}
        for node, item in getattr(self.scene, "node_items", {}).items():
            for child in item.childItems():
                if isinstance(child, kind):
                    out[node] = child
        return out

    def refresh(self) -> None:
        self._clear()
        self._badges()
        if not self.enabled:
            self.legend.hide()
            return
        label, log = STATISTICS[self.stat]
        nodes = getattr(self.scene, "node_items", {})
        latest = {n: self.store.latest(n, self.stat) for n in self.store.nodes_with(self.stat) if n in nodes}
        latest = {n: v for n, v in latest.items() if v is not None}
        places = fractions(latest, log)
        set_halos(self.scene, TAG, {n: (colour(f), f"{latest[n]:.3g}") for n, f in places.items()})
        for node in latest:
            Sparkline(nodes[node], self.store.series[node][self.stat][1], log, node_tooltip(self.store, node))
        self._show_legend(label, log, latest)

    def _badges(self) -> None:
        nodes = getattr(self.scene, "node_items", {})
        kinds: dict[str, list[str]] = {}
        for (node, kind) in self.store.diagnostics:
            kinds.setdefault(node, []).append(kind)
        for node, names in kinds.items():
            if node in nodes:
                Badge(nodes[node], names, node_tooltip(self.store, node))

    def _show_legend(self, label: str, log: bool, latest: dict[str, float]) -> None:
        finite = [v for v in latest.values() if math.isfinite(v) and (v > 0 or not log)]
        if not finite:
            text = f"<b>Health: {label}</b><br>no values yet — train the network"
        else:
            lo, hi = min(finite), max(finite)
            text = (f"<b>Health: {label}</b>{' (log scale)' if log else ''}<br>"
                    f"<span style='color:{colour(0).name()}'>■</span> {lo:.3g} … "
                    f"<span style='color:{colour(1).name()}'>■</span> {hi:.3g}")
        self.legend.setText(text)
        self.legend.adjustSize()
        corner = self.view.viewport().geometry().topLeft()
        self.legend.move(corner.x() + 8, corner.y() + 8)
        self.legend.show()
        self.legend.raise_()

    def _clear(self) -> None:
        clear_halos(self.scene, TAG)
        for kind in (Sparkline, Badge):
            for item in self.items(kind).values():
                item.setParentItem(None)
                if item.scene() is not None:
                    item.scene().removeItem(item)
