"""'What it learned': the views fed by the trainer's `samples` events.

Classifier: confusion matrix and a grid of validation samples with their
predicted class (green right, red wrong). Autoencoder: inputs over their
reconstructions. VAE: samples decoded from the prior and the 2-D latent
scatter coloured by class. Conv nets: feature maps of one conv node for one
sample. RBM: learned filters. Issue 15's tabs (denoising, interpolation,
anomalies, regression, kernels) come from views/learned_tabs.py. A tab
appears once its payload arrives, under a bar with Export PNG.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from netbuilder.gui.training.image_grid import ImageGrid, Tile, as_image_array, to_qimage
from netbuilder.gui.training.learned_widgets import ConfusionMatrix, LatentScatter
from netbuilder.gui.training.views.export import Exportable
from netbuilder.gui.training.views.learned_tabs import show_learned
from netbuilder.gui.training.views.choice_rows import WithChoice

RIGHT, WRONG = QColor("#3fae5a"), QColor("#e0506f")
MAX_TILES = 32


def _get(payload: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if payload.get(key) is not None:
            return payload[key]
    return None


class FeatureMapsView(QWidget):
    """One sample's feature maps (a tile per channel) and a chooser of the
    node to show; the choice is a training setting, used from the next run."""

    node_chosen = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.combo = QComboBox()
        self.combo.setToolTip("layer whose output channels are shown (applies from the next run)")
        self.combo.activated.connect(lambda _: self.node_chosen.emit(self.combo.currentText()))
        self.grid = ImageGrid(self)
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 0)
        row.addWidget(QLabel("Layer"))
        row.addWidget(self.combo, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.grid, 1)

    def set_choices(self, nodes: list[str], current: str | None) -> None:
        self.combo.clear()
        self.combo.addItems(nodes)
        if current in nodes:
            self.combo.setCurrentText(current)

    def show_maps(self, maps: np.ndarray, node: str) -> None:
        if maps.ndim == 4:
            maps = maps[0]  # (1, C, H, W): one sample's channels
        if node and self.combo.findText(node) < 0:
            self.combo.addItem(node)
        if node:
            self.combo.setCurrentText(node)
        tiles = [Tile(to_qimage(as_image_array(m))) for m in maps[:MAX_TILES * 2]]
        self.grid.set_tiles(tiles, title=f"{node}: {len(maps)} channels of one validation sample")


class LatentView(QSplitter):
    """A network's latent space (codes of validation samples, by class; all
    dims through a 2-D projection) beside what a VAE's decoder makes of
    random codes from the prior. The chooser picks the code's node: the
    `latent_node` training setting, used from the next run."""

    node_chosen = Signal(object)  # a node id, or None = automatic
    AUTO = "automatic"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.combo = QComboBox()
        self.combo.setToolTip("layer whose output is the code shown (applies from the next run); automatic = "
                              "a Sampling node's mean, else an autoencoder's bottleneck")
        self.combo.activated.connect(self._chosen)
        self.scatter = LatentScatter(self)
        left = QWidget()
        row = QHBoxLayout()
        row.setContentsMargins(4, 2, 4, 0)
        row.addWidget(QLabel("Code"))
        row.addWidget(self.combo, 1)
        column = QVBoxLayout(left)
        column.setContentsMargins(0, 0, 0, 0)
        column.addLayout(row)
        column.addWidget(self.scatter, 1)
        self.prior = ImageGrid(self)
        self.addWidget(left)
        self.addWidget(self.prior)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self.setSizes([600, 400])  # kept as a ratio when the tab is laid out

    def set_choices(self, nodes: list[str], current: str | None) -> None:
        self.combo.clear()
        self.combo.addItems([self.AUTO, *nodes])
        self.combo.setCurrentText(current if current in nodes else self.AUTO)

    def _chosen(self, _index: int) -> None:
        text = self.combo.currentText()
        self.node_chosen.emit(None if text == self.AUTO else text)

    def show_parts(self, latent: bool, prior: bool) -> None:
        self.scatter.parentWidget().setVisible(latent)
        self.prior.setVisible(prior)


class SamplesView(QTabWidget):
    """Tabs created on demand, in a fixed order, from samples payloads."""

    feature_node_chosen = Signal(str)
    latent_node_chosen = Signal(object)  # node id or None (automatic)
    view_setting_chosen = Signal(str, object)  # a VIEW_CHOICES key chosen in its tab's row, its value

    ORDER = ("Confusion", "Predictions", "Learned", "Reconstruction", "Denoising", "Latent",
             "Interpolation", "Anomaly", "Features", "Kernels", "Classes", "Filters")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.views: dict[str, QWidget] = {}
        self.tabs: dict[str, Exportable] = {}  # each view under its Export PNG bar
        self.image_shape: tuple[int, ...] | None = None
        self.class_names: list[str] | None = None
        self.updates = 0  # payloads shown; tests wait on it
        self.feature_choices: list[str] = []  # nodes whose output has channels (set by the dock)
        self.feature_node: str | None = None
        self.latent_choices: list[str] = []  # nodes that can hold a code (set by the dock)
        self.view_settings: dict[str, Any] = {}  # the VIEW_CHOICES of the run shown (set by the dock)
        self.latent_node: str | None = None
        self._placeholder = ImageGrid(self, "Pictures of what the network learned appear here after each epoch.")
        self.addTab(self._placeholder, "Learned")

    def reset(self, image_shape: tuple[int, ...] | None = None, class_names: list[str] | None = None) -> None:
        """A new run: drop the old views (the payload kinds may differ)."""
        self.image_shape = tuple(image_shape) if image_shape else None
        self.class_names = class_names
        self.clear()
        for tab in self.tabs.values():
            tab.deleteLater()
        self.views, self.tabs = {}, {}
        self._placeholder = ImageGrid(self, "Pictures of what the network learned appear here after each epoch.")
        self.addTab(self._placeholder, "Learned")

    def show_tab(self, name: str) -> bool:
        """Bring tab `name` to the front; False when this run has no such tab."""
        tab = self.tabs.get(name)
        if tab is not None:
            self.setCurrentWidget(tab)
        return tab is not None

    def view(self, name: str, factory) -> Any:
        """The view of tab `name`, made by `factory` (and its tab added) the first time."""
        return self._view(name, factory)

    def _view(self, name: str, factory) -> Any:
        view = self.views.get(name)
        if view is None:
            if self._placeholder is not None:
                self.removeTab(self.indexOf(self._placeholder))
                self._placeholder.deleteLater()
                self._placeholder = None
            view = self.views[name] = factory()
            tab = self.tabs[name] = Exportable(view, name, self)
            index = sum(1 for other in self.ORDER[: self.ORDER.index(name)] if other in self.views)
            self.insertTab(index, tab, name)
        return view

    # ------------------------------------------------------------ payloads
    def show_payload(self, payload: dict[str, Any]) -> None:
        names = _get(payload, "class_names")
        if names:
            self.class_names = [str(n) for n in names]
        shape = _get(payload, "image_shape", "input_shape")
        if shape:
            self.image_shape = tuple(shape)
        confusion = _get(payload, "confusion", "confusion_matrix")
        if confusion is not None:
            self._view("Confusion", ConfusionMatrix).set_matrix(confusion, self.class_names)
        inputs = _get(payload, "inputs", "images", "x")
        if inputs is not None and _get(payload, "predictions", "predicted") is not None:
            self._show_predictions(np.asarray(inputs), payload)
        recon = _get(payload, "reconstructions", "reconstruction", "outputs")
        if inputs is not None and recon is not None:
            self._show_reconstructions(np.asarray(inputs), np.asarray(recon))
        prior = _get(payload, "prior_samples", "generated")
        latent = _get(payload, "latent", "latent_points", "z")
        if prior is not None or latent is not None:
            view = self._view("Latent", self._make_latent)
            if latent is not None:
                labels = _get(payload, "latent_labels")  # ("labels" belong to the predictions grid)
                view.scatter.set_points(latent, labels, self.class_names, _get(payload, "latent_how"))
                node = _get(payload, "latent_node")
                view.scatter.plot_item.setTitle(f"<span style='font-size:10pt'>Latent space{f' of {node}' if node else ''}"
                                                "</span>")
            if prior is not None:
                view.prior.set_tiles([Tile(to_qimage(self._array(a))) for a in np.asarray(prior)[:MAX_TILES]],
                                     title="decoded from z ~ N(0, I)")
            view.show_parts(latent is not None, prior is not None)
        fmaps = _get(payload, "feature_maps")
        if fmaps is not None:
            view = self._view("Features", self._make_features)
            view.show_maps(np.asarray(fmaps), str(_get(payload, "feature_node") or ""))
        filters = _get(payload, "filters", "rbm_filters")
        if filters is not None:
            self._grid("Filters", np.asarray(filters), title="weights of each hidden unit", symmetric=True)
        show_learned(self, payload)
        self.updates += 1

    def _show_predictions(self, inputs: np.ndarray, payload: dict[str, Any]) -> None:
        preds = np.asarray(_get(payload, "predictions", "predicted")).reshape(-1)
        truth = _get(payload, "labels", "targets", "y")
        truth = None if truth is None else np.asarray(truth).reshape(-1)
        tiles = []
        for i in range(min(len(inputs), len(preds), MAX_TILES)):
            p = self._name(preds[i])
            if truth is None:
                tiles.append(Tile(self._image(inputs[i]), p))
            elif int(truth[i]) == int(preds[i]):
                tiles.append(Tile(self._image(inputs[i]), f"{p} ✓", RIGHT))
            else:
                tiles.append(Tile(self._image(inputs[i]), f"{p} (is {self._name(truth[i])})", WRONG))
        self._view("Predictions", lambda: ImageGrid(self)).set_tiles(tiles, title="predicted class of validation samples")

    def _show_reconstructions(self, inputs: np.ndarray, recon: np.ndarray) -> None:
        n = min(len(inputs), len(recon), MAX_TILES // 2)
        cols = min(n, 8)
        tiles, titles = [], []
        for start in range(0, n, cols):
            block = range(start, min(start + cols, n))
            # shared scale per pair so a faded reconstruction looks faded
            ranges = [(float(np.nanmin(inputs[i])), float(np.nanmax(inputs[i]))) for i in block]
            tiles += [Tile(to_qimage(self._array(inputs[i]), vrange=r)) for i, r in zip(block, ranges)]
            tiles += [Tile(None)] * (cols - len(block))
            tiles += [Tile(to_qimage(self._array(recon[i]), vrange=r)) for i, r in zip(block, ranges)]
            tiles += [Tile(None)] * (cols - len(block))
            titles += ["input", "output"]
        self._view("Reconstruction", lambda: ImageGrid(self)).set_tiles(
            tiles, columns=cols, row_titles=titles, title="validation inputs and outputs")

    def _grid(self, name: str, arrays: np.ndarray, title: str = "", symmetric: bool = False) -> None:
        tiles = []
        for a in arrays[:MAX_TILES * 2]:
            img = self._array(a)
            tiles.append(Tile(to_qimage(img, cmap="diverging" if symmetric else "gray", symmetric=symmetric)))
        self._view(name, lambda: ImageGrid(self)).set_tiles(tiles, title=title)

    def _make_latent(self) -> LatentView:
        view = LatentView(self)
        view.set_choices(self.latent_choices, self.latent_node)
        view.node_chosen.connect(self.latent_node_chosen)
        return view

    def with_choice(self, key: str, body: QWidget) -> WithChoice:
        """`body` under the row that chooses the training setting `key` (what the view shows)."""
        view = WithChoice(key, body, self)
        view.row.set_current(self.view_settings.get(key))
        view.row.chosen.connect(lambda value: self.view_setting_chosen.emit(key, value))
        return view

    def _make_features(self) -> FeatureMapsView:
        view = FeatureMapsView(self)
        view.set_choices(self.feature_choices, self.feature_node)
        view.node_chosen.connect(self.feature_node_chosen)
        return view

    # -------------------------------------------------------------- helpers
    def _array(self, a: np.ndarray) -> np.ndarray:
        return as_image_array(a, self.image_shape)

    def _image(self, a: np.ndarray):
        return to_qimage(self._array(a))

    def class_label(self, k) -> str:
        return self._name(k)

    def _name(self, k) -> str:
        k = int(k)
        names = self.class_names
        return names[k] if names and 0 <= k < len(names) else str(k)
