"""PCA projection, latent grids and anomaly thresholds on known data."""

import numpy as np

from netbuilder.core.io import load_graph
from netbuilder.core.shapes import check
from netbuilder.train.latent import anomaly_summary, code_node, interpolate, latent_grid, project_2d, reconstruction_errors


def test_pca_finds_the_spread_directions():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    coeffs = np.column_stack([10 * rng.normal(size=200), 3 * rng.normal(size=200), 0.01 * rng.normal(size=(200, 3))])
    points = coeffs @ basis.T + 7.0
    xy, how = project_2d(points)
    assert how == "PCA of z"
    centred = coeffs - coeffs.mean(axis=0)
    for k in range(2):  # same components up to sign
        corr = np.corrcoef(xy[:, k], centred[:, k])[0, 1]
        assert abs(corr) > 0.99
    assert xy[:, 0].var() > xy[:, 1].var()


def test_two_dims_are_kept():
    pts = np.array([[1.0, 2.0], [3.0, 4.0]])
    xy, how = project_2d(pts)
    np.testing.assert_array_equal(xy, pts)
    assert how == "z₁, z₂"


def test_anomaly_threshold_is_95th_percentile():
    errors = np.random.default_rng(2).exponential(size=301)
    summary = anomaly_summary(errors, top=5)
    assert summary.threshold == np.percentile(errors, 95)
    assert list(summary.worst) == list(np.argsort(errors)[::-1][:5])
    assert len(summary.flagged) == int((errors > summary.threshold).sum()) == 15


def test_reconstruction_errors_are_per_sample_mse():
    x = np.zeros((2, 1, 2, 2))
    y = np.ones((2, 4)) * np.array([[1.0], [2.0]])
    np.testing.assert_allclose(reconstruction_errors(x, y), [1.0, 4.0])


def test_interpolation_and_grid():
    line = interpolate(np.zeros(3), np.ones(3) * 2, steps=5)
    np.testing.assert_allclose(line[:, 0], [0, 0.5, 1, 1.5, 2])
    grid = latent_grid(4, dims=(1, 3), n=3, span=1.0)
    assert grid.shape == (9, 4)
    np.testing.assert_array_equal(grid[:, 0], 0)
    np.testing.assert_array_equal(grid[0, [1, 3]], [-1, 1])  # top-left: x=-span, y=+span
    np.testing.assert_array_equal(grid[8, [1, 3]], [1, -1])


def test_code_node_of_every_autoencoder_preset():
    expected = {"ae_undercomplete": "encoder:0", "ae_denoising": "encoder:0", "vae": "mu:0", "ae_conv": "code:0"}
    for name, code in expected.items():
        graph = load_graph(f"presets/{name}.json")
        assert code_node(graph, check(graph)) == code, name
    graph = load_graph("presets/lenet_digits.json")
    assert code_node(graph, check(graph)) == "fc3:0"  # narrower than the input: a classifier's logits
