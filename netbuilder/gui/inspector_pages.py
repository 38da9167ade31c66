"""The inspector's built pages, kept for the next time they are shown.

Building a layer's form costs a few milliseconds (a widget per parameter, each
styled), and going back to the network page rebuilt a text editor and its
form every time the selection was cleared. Clicking back and forth between a
few layers is what people do, so the last few pages are kept, hidden in the
inspector's stack, and shown again with their values refreshed from the graph.
A page is per layer type: clicking from one Conv2d to the next fills the same
form with the other layer's values (a new page cost 28 ms, a kept one 4 ms).
Switching pages in a QStackedWidget reparents nothing (taking a page out of a
scroll area and putting it back restyled all of its widgets: slower than a rebuild).

A layer that shares weights has a page of its own (it shows who owns them),
reused only while the sharing is as it was (`page_key`); removing that layer
drops it, and a new graph drops them all.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Hashable, Union

from PySide6.QtWidgets import (
    QFormLayout, QGroupBox, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSizePolicy, QStackedWidget, QWidget,
)

from netbuilder.core.graph import Graph, Node
from netbuilder.gui.param_editors import ParamEditor

NETWORK = None  # the network page's key in the cache
LIMIT = 8  # pages kept (besides the one shown); each is a few dozen widgets


@dataclass
class NodePage:
    widget: QWidget
    key: Hashable
    title: QLabel
    target: list[str]  # [the layer the page shows now]: its fields apply there
    editors: dict[str, ParamEditor]
    field_errors: dict[str, QLabel]
    status: QLabel
    facts_box: QGroupBox
    facts: QFormLayout
    buttons: dict[str, QPushButton] = field(default_factory=dict)  # attribute name on the inspector → button


@dataclass
class NetworkPage:
    widget: QWidget
    name_edit: QLineEdit
    desc_edit: QPlainTextEdit
    status: QLabel


Page = Union[NodePage, NetworkPage]


def page_key(graph: Graph, node: Node) -> Hashable:
    """The kept page that can show `node`: its type's, or with shared weights its own."""
    owner, sharers = graph.owner_of(node.id), tuple(graph.sharers(node.id))
    if owner == node.id and not sharers:
        return "type", node.type
    return "node", node.id, owner, sharers


HIDDEN = QSizePolicy.Policy.Ignored  # a hidden page must not size the stack (it sizes to its largest page)
SHOWN = QSizePolicy.Policy.Preferred


class PageCache:
    """The most recently shown pages, all in one stack, one of them current."""

    def __init__(self, stack: QStackedWidget, limit: int = LIMIT) -> None:
        self.stack, self.limit = stack, limit
        self._pages: OrderedDict[Hashable, Page] = OrderedDict()

    def show(self, widget: QWidget) -> None:
        """Make `widget` the stack's current page (adding it the first time)."""
        current = self.stack.currentWidget()
        if current is not None:
            current.setSizePolicy(HIDDEN, HIDDEN)
        if self.stack.indexOf(widget) < 0:
            self.stack.addWidget(widget)
        widget.setSizePolicy(SHOWN, SHOWN)
        self.stack.setCurrentWidget(widget)
        widget.show()

    def discard(self, widget: QWidget) -> None:
        """Remove a page from the stack and delete it (once Qt is done with its events)."""
        self.stack.removeWidget(widget)
        widget.deleteLater()

    def get(self, key: Hashable) -> Page | None:
        page = self._pages.get(key)
        if page is not None:
            self._pages.move_to_end(key)
        return page

    def put(self, key: Hashable, page: Page) -> None:
        old = self._pages.pop(key, None)
        if old is not None and old.widget is not page.widget:
            self.discard(old.widget)
        self._pages[key] = page
        while len(self._pages) > self.limit + 1:  # + the one being shown (the newest)
            _, evicted = self._pages.popitem(last=False)
            self.discard(evicted.widget)

    def holds(self, widget: QWidget | None) -> bool:
        return widget is not None and any(p.widget is widget for p in self._pages.values())

    def drop(self, node_id: str) -> None:
        """A layer is gone: forget the page of its own, if it had one (a type's page stays).
        The shown one stays until another replaces it."""
        for key in [k for k in self._pages if isinstance(k, tuple) and k[:2] == ("node", node_id)]:
            self._forget(key)

    def clear(self) -> None:
        for key in list(self._pages):
            self._forget(key)

    def _forget(self, key: Hashable) -> None:
        page = self._pages.pop(key)
        if page.widget is not self.stack.currentWidget():
            self.discard(page.widget)

    def __len__(self) -> int:
        return len(self._pages)
