"""'What it learned': the views fed by the trainer's `samples` events.

Classifier: confusion matrix and a grid of validation samples with their
predicted class (green right, red wrong). Autoencoder: inputs over their
reconstructions. VAE: samples decoded from the prior and the 2-D latent
scatter coloured by class. Conv nets: feature maps of one conv node for one
sample. RBM: learned filters. A tab appears once its payload arrives.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QTabWidget, QWidget

from netbuilder.gui.training.image_grid import ImageGrid, Tile, as_image_array, to_qimage
from netbuilder.gui.training.learned_widgets import ConfusionMatrix, LatentScatter

RIGHT, WRONG = QColor("#3fae5a"), QColor("#e0506f")
MAX_TILES = 32


def _get(payload: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if payload.get(key) is not None:
            return payload[key]
    return None


class SamplesView(QTabWidget):
    """Tabs created on demand, in a fixed order, from samples payloads."""

    ORDER = ("Confusion", "Predictions", "Reconstruction", "Prior", "Latent",
             "Features", "Filters")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.views: dict[str, QWidget] = {}
        self.image_shape: tuple[int, ...] | None = None
        self.class_names: list[str] | None = None
        self.updates = 0  # payloads shown; tests wait on it
        self._placeholder = ImageGrid(self, "Pictures of what the network learned appear here after each epoch.")
        self.addTab(self._placeholder, "Learned")

    def reset(self, image_shape: tuple[int, ...] | None = None, class_names: list[str] | None = None) -> None:
        """A new run: drop the old views (the payload kinds may differ)."""
        self.image_shape = tuple(image_shape) if image_shape else None
        self.class_names = class_names
        self.clear()
        for view in self.views.values():
            view.deleteLater()
        self.views = {}
        self._placeholder = ImageGrid(self, "Pictures of what the network learned appear here after each epoch.")
        self.addTab(self._placeholder, "Learned")

    def _view(self, name: str, factory) -> Any:
        view = self.views.get(name)
        if view is None:
            if self._placeholder is not None:
                self.removeTab(self.indexOf(self._placeholder))
                self._placeholder.deleteLater()
                self._placeholder = None
            view = self.views[name] = factory()
            index = sum(1 for other in self.ORDER[: self.ORDER.index(name)] if other in self.views)
            self.insertTab(index, view, name)
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
        if prior is not None:
            self._grid("Prior", np.asarray(prior), title="decoded from z ~ N(0, I)")
        latent = _get(payload, "latent", "latent_points", "z")
        if latent is not None:
            labels = _get(payload, "latent_labels", "labels")
            self._view("Latent", LatentScatter).set_points(latent, labels, self.class_names)
        fmaps = _get(payload, "feature_maps")
        if fmaps is not None:
            node = _get(payload, "feature_node", "node") or ""
            self._grid("Features", np.asarray(fmaps), title=f"{node} — one channel per tile", per_channel=True)
        filters = _get(payload, "filters", "rbm_filters")
        if filters is not None:
            self._grid("Filters", np.asarray(filters), title="weights of each hidden unit", symmetric=True)
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
        self._view("Predictions", lambda: ImageGrid(self)).set_tiles(tiles, title="validation samples: predicted class")

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
            tiles, columns=cols, row_titles=titles, title="validation inputs and their reconstructions")

    def _grid(self, name: str, arrays: np.ndarray, title: str = "", symmetric: bool = False,
              per_channel: bool = False) -> None:
        if per_channel and arrays.ndim == 4:
            arrays = arrays[0]  # (1, C, H, W): one sample's channels
        tiles = []
        for a in arrays[:MAX_TILES * 2]:
            img = a if per_channel and a.ndim == 2 else self._array(a)
            tiles.append(Tile(to_qimage(img, cmap="diverging" if symmetric else "gray", symmetric=symmetric)))
        self._view(name, lambda: ImageGrid(self)).set_tiles(tiles, title=title)

    # -------------------------------------------------------------- helpers
    def _array(self, a: np.ndarray) -> np.ndarray:
        return as_image_array(a, self.image_shape)

    def _image(self, a: np.ndarray):
        return to_qimage(self._array(a))

    def _name(self, k) -> str:
        k = int(k)
        names = self.class_names
        return names[k] if names and 0 <= k < len(names) else str(k)
