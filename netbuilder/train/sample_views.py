"""More of the `samples` payload: the views of issue 15 (what the net learned).

`ExtraViews.fill` adds, where they apply:
- denoising (a GaussianNoise node after the Input): "noisy_inputs" (the
  inputs with that noise, fixed seed), "denoised" (the net's output for them);
- latent codes of any network with a code (the `latent_node` setting, any
  task; else train.latent.code_node for autoencoders), as the 2-D projection
  "latent" + "latent_how" (two dims, or top-2 PCA of all dims);
- a VAE's "interpolation" (strips decoded along lines between pairs of
  validation codes) and "latent_grid" (decodings over its two widest dims);
- autoencoders: "recon_errors" of the validation samples and the most
  anomalous ones ("anomaly_inputs", "anomaly_outputs", "anomaly_index");
- regression: "regression_pred"/"regression_true" (flattened), and for
  sequence inputs "series_input" / "series_pred" / "series_true" of a few;
- a conv feature node: "kernels" (its weights as images) and "maximised"
  (inputs that maximise its chosen channels — `maximise_channels`, else the
  first 8 — train.visualize.maximise);
- a classifier of small images: "maximised_classes", the input that
  maximises each class's output (at most MAX_CLASSES classes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import ShapeReport
from netbuilder.train.latent import anomaly_summary, code_node, latent_grid, project_2d, reconstruction_errors
from netbuilder.train.settings import SettingsError
from netbuilder.train.subgraph import SubModel, downstream_graph
from netbuilder.train.visualize import kernel_images, maximise

SHOWN = 16
ANOMALIES = 8
SERIES = 4
PAIRS = 4
STRIP = 8
GRID = 8
MAXIMISE_CHANNELS = 8
MAXIMISE_STEPS = 24
MAXIMISE_MAX_INPUT = 3 * 32 * 32  # larger inputs: too slow to redo every epoch
MAX_CLASSES = 16


def _chosen_code(graph: Graph, node: str) -> str:
    """The `latent_node` setting as a ref; a clear error when it names no output."""
    if node not in graph.nodes:
        raise SettingsError(f"training setting 'latent_node' names {node!r}, which is not a node of this graph")
    if graph.nodes[node].type == "Output":
        raise SettingsError(f"training setting 'latent_node' names the Output node {node!r}; choose the layer "
                            "whose output is the code")
    return f"{node}:0"


def _checked(chosen: list[int] | None, shape: tuple[int, ...] | None, key: str, what: str,
             where: str) -> list[int] | None:
    """Chosen channel/class numbers, checked before the first epoch against the size of dim 0 of `shape`."""
    if not chosen:
        return None
    count = shape[0] if shape else None
    outside = [c for c in chosen if count is not None and c >= count]
    if outside:
        raise SettingsError(f"training setting '{key}' asks for {what} {outside[0]} of {where}, "
                            f"which has {count} (0..{count - 1})")
    return list(chosen)


def _array(t: torch.Tensor | np.ndarray) -> np.ndarray:
    a = t.detach().float().cpu().numpy() if isinstance(t, torch.Tensor) else np.asarray(t, dtype=np.float32)
    return np.round(a, 4)


class ExtraViews:
    def __init__(self, graph: Graph, report: ShapeReport, primary: str, task: str, x: torch.Tensor,
                 y: torch.Tensor | None, feature_ref: str | None, seed: int, latent_node: str | None = None,
                 chosen: dict[str, Any] | None = None) -> None:
        self.graph, self.report, self.primary, self.task = graph, report, primary, task
        self.x, self.y, self.seed = x, y, seed
        self.refs: list[str] = []
        self.code_ref = _chosen_code(graph, latent_node) if latent_node else (
            code_node(graph, report) if task == "reconstruction" else None)
        if self.code_ref:
            self.refs.append(self.code_ref)
        self.denoiser, self.noise_std = self._denoiser()
        self.feature = feature_ref if feature_ref and graph.nodes[feature_ref].type == "Conv2d" else None
        chosen = chosen or {}
        self.channels = _checked(chosen.get("maximise_channels"), report.output_shape(self.feature)
                                 if self.feature else None, "maximise_channels", "channel", f"{self.feature!r}")
        self.classes = _checked(chosen.get("maximise_classes"), report.output_shape(primary.split(":")[0]),
                                "maximise_classes", "class", "the network's output")
        self.pairs = chosen.get("interpolation_pairs")
        shown = len(x)
        beyond = [i for pair in self.pairs or [] for i in pair if i >= shown]
        if beyond:
            raise SettingsError(f"training setting 'interpolation_pairs' asks for validation sample {beyond[0]}, "
                                f"but the view holds {shown} samples (0..{shown - 1})")
        self._forward: Any = None
        self._classes: SubModel | None = None

    def _denoiser(self) -> tuple[SubModel | None, float]:
        noise = self.graph.nodes_of_type("GaussianNoise")
        if self.task != "reconstruction" or len(noise) != 1:
            return None, 0.0
        shape = self.report.output_shape(noise[0].id)
        sub = downstream_graph(self.graph, noise[0].id, shape) if shape and None not in shape else None
        if sub is None or self.primary.partition(":")[0] not in sub.nodes:
            return None, 0.0
        return SubModel(sub, [self.primary]), float(noise[0].params.get("std", 0.0))

    def fill(self, model: torch.nn.Module, outs: dict[str, torch.Tensor], extra: dict[str, Any],
             decoder: SubModel | None) -> None:
        out = outs.get(self.primary)
        if self.code_ref and self.code_ref in outs and "latent" not in extra:
            xy, how = project_2d(outs[self.code_ref].flatten(1).cpu().numpy())
            extra["latent"], extra["latent_how"] = _array(xy), how
            extra["latent_node"] = self.code_ref.partition(":")[0]
            if self.y is not None and not self.y.is_floating_point():
                extra["latent_labels"] = self.y.cpu().numpy()
        if self.task == "reconstruction" and out is not None and out[0].numel() == self.x[0].numel():
            self._anomalies(out, extra)
        if self.denoiser is not None:
            gen = torch.Generator().manual_seed(self.seed + 1)
            clean = self.x[:SHOWN]
            noisy = clean + self.noise_std * torch.randn(clean.shape, generator=gen).to(clean.device)
            extra["noisy_inputs"] = _array(noisy)
            extra["denoised"] = _array(self.denoiser(model, noisy)[0].reshape(clean.shape))
        if decoder is not None and self.code_ref in outs:
            self._vae(model, outs[self.code_ref].flatten(1), decoder, extra)
        if self.task == "regression" and out is not None and self.y is not None:
            self._regression(out, extra)
        if self.feature is not None:
            self._filters(model, extra)
        if self.task == "classification" and out is not None:
            self._class_inputs(model, out, extra)

    def _anomalies(self, out: torch.Tensor, extra: dict[str, Any]) -> None:
        errors = reconstruction_errors(self.x.cpu().numpy(), out.cpu().numpy())
        worst = anomaly_summary(errors, top=ANOMALIES).worst
        extra["recon_errors"] = np.round(errors.astype(np.float32), 6)
        extra["anomaly_index"] = worst
        extra["anomaly_inputs"] = _array(self.x[worst])
        extra["anomaly_outputs"] = _array(out[worst].reshape(self.x[worst].shape))

    def _vae(self, model: torch.nn.Module, mu: torch.Tensor, decoder: SubModel, extra: dict[str, Any]) -> None:
        pairs = self.pairs or [[2 * k, 2 * k + 1] for k in range(min(PAIRS, len(mu) // 2))]
        if pairs:
            n = len(pairs)
            t = torch.linspace(0, 1, STRIP, device=mu.device)[None, :, None]
            a, b = mu[[p[0] for p in pairs], None], mu[[p[1] for p in pairs], None]
            line = ((1 - t) * a + t * b).reshape(n * STRIP, -1)
            extra["interpolation"] = _array(decoder(model, line)[0].reshape(n, STRIP, *self.x.shape[1:]))
            extra["interpolation_pairs"] = pairs
        if mu.shape[1] >= 2:
            dims = tuple(int(d) for d in torch.argsort(mu.var(dim=0), descending=True)[:2])
            codes = torch.tensor(latent_grid(mu.shape[1], dims, GRID), dtype=mu.dtype, device=mu.device)
            extra["latent_grid"] = _array(decoder(model, codes)[0].reshape(GRID, GRID, *self.x.shape[1:]))
            extra["latent_grid_dims"] = list(dims)

    def _regression(self, out: torch.Tensor, extra: dict[str, Any]) -> None:
        y = self.y.to(out.dtype)
        if y.numel() != out.numel():
            return
        extra["regression_pred"] = _array(out.reshape(-1)[:2000])
        extra["regression_true"] = _array(y.reshape(-1)[:2000])
        if self.x.dim() == 3:  # (N, T, F) sequences: a few series with what the net made of them
            k = min(SERIES, len(self.x))
            extra["series_input"] = _array(self.x[:k, :, 0])
            extra["series_pred"] = _array(out[:k].reshape(k, -1))
            extra["series_true"] = _array(y[:k].reshape(k, -1))

    def _class_inputs(self, model: torch.nn.Module, out: torch.Tensor, extra: dict[str, Any]) -> None:
        """DeepDream for classes: the picture each class's output likes most."""
        if self.x.dim() != 4 or self.x[0].numel() > MAXIMISE_MAX_INPUT or out.dim() != 2 or \
                not (self.classes or 2 <= out.shape[1] <= MAX_CLASSES):
            return
        classes = self.classes or list(range(out.shape[1]))
        if self._classes is None:
            self._classes = SubModel(self.graph, [self.primary])
        sub = self._classes
        with torch.enable_grad():
            images, _ = maximise(lambda x: sub(model, x)[0], tuple(self.x.shape[1:]), classes,
                                 steps=MAXIMISE_STEPS, seed=self.seed, device=self.x.device)
        extra["maximised_classes"] = _array(images)
        extra["maximised_class_ids"] = classes

    def _filters(self, model: torch.nn.Module, extra: dict[str, Any]) -> None:
        module = getattr(model, model.meta["netbuilder_modules"].get(self.feature, ""), None)
        weight = getattr(module, "weight", None)
        if weight is None:
            return
        extra["kernels"] = _array(kernel_images(weight)[:64])
        extra["kernels_node"] = self.feature
        if self.x[0].numel() > MAXIMISE_MAX_INPUT:
            return
        channels = self.channels or list(range(min(MAXIMISE_CHANNELS, weight.shape[0])))
        if self._forward is None:
            sub = SubModel(self.graph, [f"{self.feature}:0"])  # compiled once, follows the model's weights
            self._forward = lambda m, x: sub(m, x)[0]
        forward = self._forward
        with torch.enable_grad():
            images, _ = maximise(lambda x: forward(model, x), tuple(self.x.shape[1:]), channels,
                                 steps=MAXIMISE_STEPS, seed=self.seed, device=self.x.device)
        extra["maximised"] = _array(images)
        extra["maximised_channels"] = channels
