"""The inspector: a form generated from the selected layer's Params.

Edits apply live through the Editor (one undoable command, merged while the
same field is edited) and the shape check runs at once. It also shows the
layer's help, its input and output shapes, parameter count, MACs and the
shapes of its weights. With nothing selected it shows the network itself.
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout, QGroupBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QScrollArea, QStackedWidget, QVBoxLayout,
    QWidget,
)

from netbuilder.core.graph import Graph, GraphEvent
from netbuilder.core.io import MAX_TEXT
from netbuilder.core.shapes import ERROR, OK, WAITING, ShapeReport, format_shape
from netbuilder.gui import warmup
from netbuilder.gui.commands import SetMetaCommand
from netbuilder.gui.editor import Editor
from netbuilder.gui.inspector_buttons import layer_buttons
from netbuilder.gui.inspector_pages import NETWORK, NetworkPage, NodePage, PageCache, page_key
from netbuilder.gui.live import LiveShapes
from netbuilder.gui.node_facts import node_facts
from netbuilder.gui.param_editors import ParamEditor, make_editor

_log = logging.getLogger(__name__)


def _label(text: str = "", name: str = "", wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(wrap)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if name:
        label.setObjectName(name)
    return label


class _TextEdit(QPlainTextEdit):
    """Multi-line text that applies when the user leaves it (one undo step)."""

    committed = Signal()

    def focusOutEvent(self, event: Any) -> None:  # noqa: N802
        super().focusOutEvent(event)
        self.committed.emit()


class Inspector(QScrollArea):
    def __init__(self, graph: Graph, editor: Editor, live: LiveShapes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.graph, self.editor, self.live = graph, editor, live
        self.node_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.field_errors: dict[str, QLabel] = {}
        self._shown_info: Any = None
        self.network_status: QLabel | None = None
        self._showing_multi = False
        self._stack = QStackedWidget()
        self._pages = PageCache(self._stack)
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(250)
        self.setWidget(self._stack)  # pages come and go inside it: switching reparents nothing
        self._unsubscribe = graph.subscribe(self._on_graph_event)
        live.checked.connect(self._on_report)
        self.show_node(None)

    # ------------------------------------------------------------ building
    def _new_page(self) -> QVBoxLayout:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        self._page = page
        return layout

    def _finish(self) -> None:
        """Install the page built since _new_page."""
        self._install(self._page)

    def page(self) -> QWidget | None:
        """The page shown now (kept pages are hidden beside it)."""
        return self._stack.currentWidget()

    def _install(self, page: QWidget) -> None:
        """Show `page`, built detached (children added to a visible widget are
        only shown on the next event-loop turn). The page it replaces is kept if
        the cache holds it, otherwise deleted."""
        current = self._stack.currentWidget()
        if current is page:
            return
        self._pages.show(page)
        if current is not None and not self._pages.holds(current):
            self._pages.discard(current)
        self.verticalScrollBar().setValue(0)

    def show_selection(self, node_ids: list[str]) -> None:
        """Follow the canvas selection (rebuilding the form only when it changed)."""
        if len(node_ids) <= 1:
            wanted = node_ids[0] if node_ids else None
            if wanted != self.node_id or self._showing_multi:
                self.show_node(wanted)
            return
        self.node_id, self.editors, self.field_errors = None, {}, {}
        self.network_status = None
        title = f"{len(node_ids)} layers selected"
        if self._showing_multi:  # a rubber band growing: one label changes, not the whole page
            self._multi_title.setText(title)
            return
        self._showing_multi = True
        layout = self._new_page()
        self._multi_title = _label(title, "InspectorTitle")
        layout.addWidget(self._multi_title)
        layout.addWidget(_label("Select a single layer to edit its parameters. Ctrl+C copies the "
                                "selection with the connections between its layers.", "Muted"))
        layout.addStretch(1)
        self._finish()

    def show_node(self, node_id: str | None) -> None:
        """Show a layer's form (the network's with None). The form is built
        aside and swapped in only when complete; if building it fails, the
        inspector says so in one line and holds no half-built form (a later
        shape report or graph event then finds nothing stale to update)."""
        try:
            self._build(node_id)
        except Exception as exc:  # noqa: BLE001 - a Qt slot: an escaping exception could kill the app
            self._show_failure(node_id, exc)

    def _build(self, node_id: str | None) -> None:
        node = self.graph.nodes.get(node_id) if node_id else None
        if node is None:
            page = self._pages.get(NETWORK)
            self._show_network(page if isinstance(page, NetworkPage) else self._network_page())
            return
        key = page_key(self.graph, node)
        page = self._pages.get(key)
        self._show_layer(node, page if isinstance(page, NodePage) else self._layer_page(node, key))

    def _show_layer(self, node: Any, page: NodePage) -> None:
        """Switch to a layer's page (built or kept), its fields showing the graph's values."""
        page.target[0] = node.id
        page.title.setText(node.id)
        for name, ed in page.editors.items():
            ed.set_value(node.params.get(name))
        for err in page.field_errors.values():
            err.hide()
        self._showing_multi = False
        self.network_status = None
        self.node_id, self.editors, self.field_errors = node.id, page.editors, page.field_errors
        self.status, self.facts_box, self.facts = page.status, page.facts_box, page.facts
        for attr, button in page.buttons.items():
            setattr(self, attr, button)
        self._shown_info = None
        self._pages.put(page.key, page)
        self._install(page.widget)
        self._refresh_facts(self.live.latest)  # `checked` refreshes it when a check in flight is done

    def _layer_page(self, node: Any, key: Any) -> NodePage:
        """Build a layer's page (not yet shown)."""
        layout = self._new_page()
        spec = node.spec
        title = _label(node.id, "InspectorTitle")
        layout.addWidget(title)
        target = [node.id]
        layout.addWidget(_label(f"{spec.type}  ·  {spec.category}", "InspectorType"))
        layout.addWidget(_label(spec.help, "InspectorHelp"))
        status = _label("", "InspectorError")
        layout.addWidget(status)
        self._sharing_box(layout, node.id)
        buttons = layer_buttons(self, layout, node)
        editors: dict[str, ParamEditor] = {}
        field_errors: dict[str, QLabel] = {}
        if spec.params:
            box = QGroupBox("Parameters")
            form = QFormLayout(box)
            form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            for p in spec.params:
                ed = make_editor(p)
                ed.set_value(node.params.get(p.name))
                # the layer the page shows: a field left as another layer is shown applies where it was typed
                ed.edited.connect(lambda value, name=p.name: self._apply(name, value, target[0]))
                name_label = QLabel(p.name)
                name_label.setToolTip(p.help)
                form.addRow(name_label, ed)
                err = _label("", "StatusError")
                err.hide()
                form.addRow("", err)
                editors[p.name], field_errors[p.name] = ed, err
            layout.addWidget(box)
        facts_box = QGroupBox("Shapes and size")
        facts = QFormLayout(facts_box)
        facts.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        layout.addWidget(facts_box)
        layout.addStretch(1)
        return NodePage(self._page, key, title, target, editors, field_errors, status, facts_box, facts, buttons)

    def _show_failure(self, node_id: str | None, exc: BaseException) -> None:
        """One line instead of the form; nothing left that slots could trip over."""
        _log.exception("inspector: cannot show %r", node_id)
        self.node_id, self.network_status, self._showing_multi = None, None, False
        self.editors, self.field_errors, self._shown_info = {}, {}, None
        layout = self._new_page()
        what = f"layer “{str(node_id)[:80]}”" if node_id else "the network"
        layout.addWidget(_label(f"Cannot show {what} here: {type(exc).__name__}: {str(exc)[:200]}",
                                "InspectorError"))
        layout.addStretch(1)
        self._finish()

    def _sharing_box(self, layout: QVBoxLayout, node_id: str) -> None:
        """Shared weights: which node owns them (with a way there), or which
        nodes share this one's. The params below are the shared ones: editing
        them edits the owner and every sharer (Graph.set_params), one undo step."""
        owner, sharers = self.graph.owner_of(node_id), self.graph.sharers(node_id)
        if owner == node_id and not sharers:
            return
        box = QGroupBox("Shared weights")
        inner = QVBoxLayout(box)
        if owner != node_id:
            inner.addWidget(_label(f"⇄ Runs the module of <b>{owner}</b>: one set of weights. Editing a parameter "
                                   f"here changes {owner} and every layer sharing it.", "ShareNote"))
            go = QPushButton(f"Go to owner ({owner})")
            go.setObjectName("GoToOwner")
            # nodes_created is the editor's "select these on the canvas" signal
            go.clicked.connect(lambda: self.editor.nodes_created.emit([owner]))
            inner.addWidget(go)
        else:
            inner.addWidget(_label(f"⇄ Its weights are shared by {', '.join(sharers)}: editing a parameter here "
                                   "changes them too.", "ShareNote"))
        layout.addWidget(box)

    def _network_page(self) -> NetworkPage:
        layout = self._new_page()
        layout.addWidget(_label("Network", "InspectorTitle"))
        layout.addWidget(_label("Select a layer to edit it. Drag layers in from the palette; drag from an "
                                "output port (right) to an input port (left) to connect.", "Muted"))
        form = QFormLayout()
        name_edit = QLineEdit(self.graph.name)
        name_edit.setMaxLength(MAX_TEXT["name"])  # longer would save, then fail to open again
        name_edit.editingFinished.connect(self._apply_name)
        desc_edit = _TextEdit(self.graph.description)
        desc_edit.setFixedHeight(90)
        desc_edit.committed.connect(self._apply_description)
        form.addRow("Name", name_edit)
        form.addRow("Description", desc_edit)
        layout.addLayout(form)
        network_status = _label("")
        layout.addWidget(network_status)
        layout.addStretch(1)
        return NetworkPage(self._page, name_edit, desc_edit, network_status)

    def _show_network(self, page: NetworkPage) -> None:
        if page.name_edit.text() != self.graph.name:
            page.name_edit.setText(self.graph.name)
        if page.desc_edit.toPlainText() != self.graph.description:
            page.desc_edit.setPlainText(self.graph.description)
        self._showing_multi = False
        self.node_id, self.editors, self.field_errors, self._shown_info = None, {}, {}, None
        self.name_edit, self.desc_edit, self.network_status = page.name_edit, page.desc_edit, page.status
        self._pages.put(NETWORK, page)
        self._install(page.widget)
        self._update_network_status(self.live.latest)

    def _update_network_status(self, report: ShapeReport) -> None:
        n_err = len(report.errors)
        text = (f"{len(self.graph)} layers, {len(self.graph.edges)} connections — "
                + ("all shapes check out." if report.ok else f"{n_err} problem{'s' * (n_err != 1)}."))
        self.network_status.setText(text)
        self.network_status.setObjectName("StatusOk" if report.ok else "StatusError")
        self.network_status.style().unpolish(self.network_status)  # apply the new object name's style
        self.network_status.style().polish(self.network_status)

    def _apply_name(self) -> None:
        name = self.name_edit.text().strip()
        if name and name != self.graph.name:
            self.editor.push(SetMetaCommand(self.graph, name=name))

    def _apply_description(self) -> None:
        text = self.desc_edit.toPlainText()
        if len(text) > MAX_TEXT["description"]:  # the file format's limit: the file would not open again
            self.editor.message.emit(f"The description is {len(text):,} characters long; the limit is "
                                     f"{MAX_TEXT['description']:,}. It was not changed.")
            self.desc_edit.setPlainText(self.graph.description)
            return
        if text != self.graph.description:
            self.editor.push(SetMetaCommand(self.graph, description=text))

    # ------------------------------------------------------------- editing
    def _apply(self, name: str, value: Any, node_id: str | None = None) -> None:
        """A field's edit, for the layer of the page it is on (the shown one by default)."""
        node_id = node_id or self.node_id
        if node_id is None or node_id not in self.graph.nodes:
            return
        problem = self.editor.set_params(node_id, {name: value})
        err = self.field_errors.get(name) if node_id == self.node_id else None
        if err is not None:
            err.setText(problem)
            err.setVisible(bool(problem))
        if problem:
            self.editor.message.emit(f"{node_id}: {problem}")

    # ------------------------------------------------------- model changes
    def _on_graph_event(self, event: GraphEvent) -> None:
        try:
            self._follow(event)
        except Exception:  # noqa: BLE001 - the form may be stale: rebuild it (show_node never raises)
            _log.exception("inspector: %s", event.kind)
            self.show_node(self.node_id if self.node_id in self.graph.nodes else None)

    def _follow(self, event: GraphEvent) -> None:
        if event.kind == "reset":
            self._pages.clear()
            self.show_node(None)
            return
        if event.kind == "node_removed":
            self._pages.drop(event.node_id)
        if event.kind == "shares_changed" and self.node_id is not None:
            self.show_node(self.node_id)  # who owns which weights changed: rebuild the note
        elif event.node_id is not None and event.node_id == self.node_id:
            if event.kind == "node_removed":
                self.show_node(None)
            elif event.kind == "params_changed":
                node = self.graph.nodes[self.node_id]
                for name, ed in self.editors.items():
                    if ed.value() != node.params.get(name):
                        ed.set_value(node.params.get(name))
        elif event.kind == "meta_changed" and self.network_status is not None:
            if self.name_edit.text() != self.graph.name:
                self.name_edit.setText(self.graph.name)
            if self.desc_edit.toPlainText() != self.graph.description:
                self.desc_edit.setPlainText(self.graph.description)

    def _on_report(self, report: ShapeReport) -> None:
        try:
            if self.node_id is not None:
                self._refresh_facts(report)
            elif self.network_status is not None:
                self._update_network_status(report)
        except Exception as exc:  # noqa: BLE001 - a Qt slot
            self._show_failure(self.node_id, exc)

    def _refresh_facts(self, report: ShapeReport) -> None:
        info = report.nodes.get(self.node_id) if self.node_id else None
        if info is None or info is self._shown_info:
            return
        self._shown_info = info
        if info.status == ERROR:
            self.status.setText(f"<b>Shape error.</b> {info.message}")
            self.status.show()
        elif info.status == WAITING:
            self.status.setText("Waiting for input: connect this layer, or fix the layer before it.")
            self.status.show()
        else:
            self.status.hide()
        while self.facts.rowCount():
            self.facts.removeRow(0)
        ins = [format_shape(s) if s is not None else "not connected" for s in info.inputs]
        outs = [format_shape(s) for s in info.outputs] if info.status == OK else ["—"]
        node = self.graph.nodes[self.node_id]
        in_names, out_names = node.input_ports(), node.output_ports()
        for names, shapes, word in ((in_names, ins, "Input"), (out_names, outs, "Output")):
            if not names:
                continue
            for i, shape in enumerate(shapes):
                label = f"{word} '{names[i]}'" if len(names) > 1 and i < len(names) else word
                value = _label(shape)
                value.setObjectName("Muted" if shape in ("—", "not connected") else "")
                self.facts.addRow(label, value)
        if not warmup.ready():  # torch is still being imported: fill in a moment later
            self.facts.addRow("Parameters", _label("counting…", "Muted"))
            self._shown_info = None
            QTimer.singleShot(200, lambda: self._refresh_facts(self.live.latest) if self.node_id else None)
            return
        for label, value in node_facts(self.graph, report, self.node_id):
            self.facts.addRow(label, _label(value))

    def close(self) -> bool:
        self._unsubscribe()
        return super().close()
