"""The Training dock's tabs for issue 15's payload keys (train/sample_views.py).

`show_learned(samples, payload)` fills, where the payload has them:
Denoising (rows noisy input / output / clean target), Interpolation (a
VAE's strips between two validation codes and its grid over two latent
dims), Anomaly (learned_views.AnomalyView), Learned (regression:
learned_views.RegressionView) and Kernels (a conv layer's kernels and the
inputs that maximise its chosen channels), Classes (the input that
maximises each class of a small-image classifier, or each chosen class).
Kernels, Classes and Interpolation sit under the row that chooses what
they show (views/choice_rows.py). SamplesView makes each tab on demand,
under an Export PNG bar.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from netbuilder.gui.training.image_grid import ImageGrid, Tile, as_image_array, to_qimage
from netbuilder.gui.training.views.choice_rows import pair_of_grids
from netbuilder.gui.training.views.learned_views import AnomalyView, RegressionView, image_rows


def _strips(strips: np.ndarray, shape: tuple[int, ...] | None) -> list[Tile]:
    """(rows, cols, ...) images as tiles, each row on its own value range."""
    tiles = []
    for row in strips:
        images = [as_image_array(a, shape) for a in row]
        lo, hi = min(float(np.nanmin(a)) for a in images), max(float(np.nanmax(a)) for a in images)
        tiles += [Tile(to_qimage(a, vrange=(lo, hi))) for a in images]
    return tiles


def show_learned(samples: Any, payload: dict[str, Any]) -> None:
    shape = samples.image_shape
    _denoising(samples, payload, shape)
    if payload.get("interpolation") is not None or payload.get("latent_grid") is not None:
        _interpolation(samples, payload, shape)
    if payload.get("recon_errors") is not None and payload.get("anomaly_inputs") is not None:
        view = samples.view("Anomaly", lambda: AnomalyView(samples))
        view.set_data(payload["recon_errors"], payload["anomaly_inputs"], payload["anomaly_outputs"],
                      payload.get("anomaly_index", []), shape)
    if payload.get("regression_pred") is not None and payload.get("regression_true") is not None:
        view = samples.view("Learned", lambda: RegressionView(samples))
        view.set_data(payload["regression_pred"], payload["regression_true"], payload.get("series_input"),
                      payload.get("series_pred"), payload.get("series_true"))
    if payload.get("kernels") is not None:
        _kernels(samples, payload, shape)
    if payload.get("maximised_classes") is not None:
        images = np.asarray(payload["maximised_classes"])
        classes = payload.get("maximised_class_ids") or range(len(images))
        tiles = [Tile(to_qimage(as_image_array(a, shape)), samples.class_label(k)) for k, a in zip(classes, images)]
        view = samples.view("Classes", lambda: samples.with_choice("maximise_classes", ImageGrid()))
        view.body.set_tiles(tiles, title="the input each class's output responds to most (gradient ascent from noise)")


def _denoising(samples: Any, payload: dict[str, Any], shape: tuple[int, ...] | None) -> None:
    noisy, out, clean = (payload.get(k) for k in ("noisy_inputs", "denoised", "inputs"))
    if noisy is None or out is None or clean is None:
        return
    # the clean row sets each column's range: a denoised image that matches it looks the same
    rows = [("clean", np.asarray(clean)), ("noisy input", np.asarray(noisy)), ("output", np.asarray(out))]
    tiles, titles, n = image_rows(rows, shape)
    order = [1, 2, 0]  # shown noisy -> output -> clean (the course's reading order)
    tiles = [t for r in order for t in tiles[r * n:(r + 1) * n]]
    samples.view("Denoising", lambda: ImageGrid(samples)).set_tiles(
        tiles, columns=n, row_titles=[titles[r] for r in order],
        title="noisy input, what the network made of it, the clean target")


def _interpolation(samples: Any, payload: dict[str, Any], shape: tuple[int, ...] | None) -> None:
    view = samples.view("Interpolation", lambda: samples.with_choice("interpolation_pairs", pair_of_grids()))
    strips = payload.get("interpolation")
    if strips is not None:
        pairs = payload.get("interpolation_pairs") or []
        strips = np.asarray(strips)
        view.body.first.set_tiles(_strips(strips, shape), columns=strips.shape[1],
                             row_titles=[f"#{a}→#{b}" for a, b in pairs], title="decoded from code #a to code #b")
    grid = payload.get("latent_grid")
    if grid is not None:
        grid = np.asarray(grid)
        dims = payload.get("latent_grid_dims") or [0, 1]
        view.body.second.set_tiles(_strips(grid, shape), columns=grid.shape[1],
                              title=f"z{dims[0] + 1} →, z{dims[1] + 1} ↑ (-2.5…2.5)")


def _kernels(samples: Any, payload: dict[str, Any], shape: tuple[int, ...] | None) -> None:
    view = samples.view("Kernels", lambda: samples.with_choice("maximise_channels", pair_of_grids()))
    node = payload.get("kernels_node") or "conv"
    kernels = np.asarray(payload["kernels"])
    # (kh, kw, 3) is already an RGB kernel; (kh, kw) one averaged over its inputs: blue < 0 < red
    images = [k if k.ndim == 3 and k.shape[-1] == 3 else as_image_array(k) for k in kernels]
    view.body.first.set_tiles([Tile(to_qimage(k, cmap="diverging", symmetric=True), str(i))
                               for i, k in enumerate(images)], title=f"{node}: its {len(kernels)} kernels")
    maxed = payload.get("maximised")
    if maxed is not None:
        maxed = np.asarray(maxed)
        channels = payload.get("maximised_channels") or range(len(maxed))
        view.body.second.set_tiles([Tile(to_qimage(as_image_array(a, shape)), f"ch {c}")
                                    for c, a in zip(channels, maxed)], title=f"inputs maximising {node}'s channels")
    view.body.second.setVisible(maxed is not None)
