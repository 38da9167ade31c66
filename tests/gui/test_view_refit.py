"""A view the program chose (the first view, or Fit) is chosen again when
the canvas is resized a lot — e.g. the Training dock takes most of the
height — until the user zooms or pans by hand."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication


def _shows_every_layer(window) -> bool:
    view = window.view
    seen = view.mapToScene(view.viewport().rect()).boundingRect()
    return all(seen.contains(item.sceneBoundingRect()) for item in window.scene.node_items.values())


def _shrink_canvas(window) -> None:
    """Raise the Training dock over most of the height, as `--train` does."""
    dock = window.training_dock
    dock.show()
    window.resizeDocks([dock], [int(window.height() * 0.6)], Qt.Orientation.Vertical)
    QApplication.processEvents()


def test_raising_the_training_dock_refits_the_network(make_window):
    window = make_window()  # LeNet on digits, wrapped into bands that fill the canvas
    view = window.view
    window.actions_["fit"].trigger()
    before = view.viewport().height()
    assert view.auto_fitted and _shows_every_layer(window)
    _shrink_canvas(window)
    assert view.viewport().height() < 0.8 * before
    assert _shows_every_layer(window)


def test_after_the_user_zooms_a_resize_leaves_the_view_alone(make_window):
    window = make_window()
    view = window.view
    window.actions_["fit"].trigger()
    centre = view.viewport().rect().center()
    wheel = QWheelEvent(QPointF(centre), QPointF(view.viewport().mapToGlobal(centre)), QPoint(0, 0),
                        QPoint(0, 240), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), wheel)
    zoom = view.zoom()
    assert not view.auto_fitted
    _shrink_canvas(window)
    assert view.zoom() == zoom
    window.actions_["fit"].trigger()  # F: fitted again, and kept fitted
    assert view.auto_fitted and _shows_every_layer(window)


def test_panning_by_hand_also_stops_the_refit(make_window):
    window = make_window()
    view = window.view
    view.show_network()
    assert view.auto_fitted
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().value() + 40)  # a pan or minimap click
    assert not view.auto_fitted
