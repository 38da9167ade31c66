"""Latent codes, interpolation and anomaly scores: the numbers behind the views.

Qt-free so the GUI views, the samples payload and the tests share one
definition: `project_2d` (the two dims, or the top two PCA components),
`code_node` (the node holding a network's code: a Sampling node's mean, or
the narrowest node of an autoencoder), `interpolate` / `latent_grid` (codes
to decode), and `anomaly_summary` (reconstruction errors with a percentile
threshold and the most anomalous samples).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import ShapeReport

DEFAULT_PERCENTILE = 95.0
CODE_NAMES = ("code", "latent", "bottleneck", "z")
SKIP_CODE = ("Input", "Output", "Flatten", "Unflatten", "Reshape", "GaussianNoise", "Dropout", "Sampling")


def project_2d(points: np.ndarray) -> tuple[np.ndarray, str]:
    """First two dims when there are two; else PCA onto the top two components.
    Returns (n, 2) and a label ('z₁', 'z₁, z₂' or 'PCA of z')."""
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[0] == 0:
        return np.zeros((0, 2)), ""
    if points.shape[1] == 1:
        return np.column_stack([points[:, 0], np.zeros(len(points))]), "z₁"
    if points.shape[1] == 2:
        return points, "z₁, z₂"
    centred = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    proj = centred @ vt[:2].T
    if proj.shape[1] < 2:  # a single sample: one component only
        proj = np.column_stack([proj, np.zeros(len(proj))])
    return proj, "PCA of z"


def code_node(graph: Graph, report: ShapeReport) -> str | None:
    """The ref ('node:port') of a network's code. A single Sampling node: its
    mean input. Else a node named code / latent / bottleneck / z. Else the
    node with the fewest output values strictly inside the net (an
    autoencoder's bottleneck; the last of equals, i.e. after its activation)."""
    samplers = graph.nodes_of_type("Sampling")
    if len(samplers) == 1:
        mu = next((e for e in graph.in_edges(samplers[0].id) if e.dst_port == 0), None)
        if mu is not None:
            return f"{mu.src}:{mu.src_port}"
    named = [nid for nid in graph.topological_order() if nid.lower() in CODE_NAMES]
    if named:
        return f"{named[0]}:0"
    best: tuple[int, str] | None = None
    for nid in graph.topological_order():
        node = graph.nodes[nid]
        size = _size(report.output_shape(nid))
        if node.type in SKIP_CODE or size is None or not graph.out_edges(nid):
            continue
        if best is None or size <= best[0]:
            best = (size, nid)
    return None if best is None else f"{best[1]}:0"


def _size(shape) -> int | None:
    if shape is None or any(d is None for d in shape):
        return None
    return int(math.prod(shape))


def interpolate(z_a: np.ndarray, z_b: np.ndarray, steps: int = 8) -> np.ndarray:
    """`steps` codes on the straight line from z_a to z_b, both ends included."""
    if steps < 2:
        raise ValueError("an interpolation needs at least 2 steps")
    t = np.linspace(0.0, 1.0, steps).reshape(-1, *([1] * np.ndim(z_a)))
    return (1 - t) * np.asarray(z_a)[None] + t * np.asarray(z_b)[None]


def latent_grid(size: int, dims: tuple[int, int] = (0, 1), n: int = 8, span: float = 2.5,
                base: np.ndarray | None = None) -> np.ndarray:
    """n×n codes varying latent dims `dims` over [-span, span] (rows vary the
    second dim, top = +span), the other dims at `base` (default 0)."""
    if not (0 <= dims[0] < size and 0 <= dims[1] < size and dims[0] != dims[1]):
        raise ValueError(f"latent dims {dims} must be two different dims below {size}")
    values = np.linspace(-span, span, n)
    codes = np.tile(np.zeros(size) if base is None else np.asarray(base, dtype=np.float64), (n * n, 1))
    for r, y in enumerate(values[::-1]):
        for c, x in enumerate(values):
            codes[r * n + c, dims[0]] = x
            codes[r * n + c, dims[1]] = y
    return codes


def reconstruction_errors(inputs: np.ndarray, outputs: np.ndarray) -> np.ndarray:
    """Mean squared error per sample."""
    inputs, outputs = np.asarray(inputs, np.float64), np.asarray(outputs, np.float64)
    n = len(inputs)
    return ((inputs.reshape(n, -1) - outputs.reshape(n, -1)) ** 2).mean(axis=1)


@dataclass
class Anomalies:
    errors: np.ndarray
    threshold: float
    percentile: float
    worst: np.ndarray  # indices, most anomalous first

    @property
    def flagged(self) -> np.ndarray:
        return np.flatnonzero(self.errors > self.threshold)


def anomaly_summary(errors: np.ndarray, percentile: float = DEFAULT_PERCENTILE, top: int = 8) -> Anomalies:
    """Threshold = the `percentile`-th percentile of the errors (numpy's linear
    interpolation); `worst` = the `top` largest errors, largest first."""
    errors = np.asarray(errors, dtype=np.float64).reshape(-1)
    if not 0 <= percentile <= 100:
        raise ValueError(f"the percentile must lie in 0..100, got {percentile}")
    threshold = float(np.percentile(errors, percentile)) if len(errors) else float("nan")
    worst = np.argsort(-errors, kind="stable")[:top]
    return Anomalies(errors, threshold, float(percentile), worst)
