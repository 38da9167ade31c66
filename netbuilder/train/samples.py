"""The small `samples` payload sent after each epoch: what the net has learned.

Classifier: the confusion matrix and a few validation inputs with their
predicted and true classes. Autoencoder: inputs and their reconstructions.
VAE: decodings of z ~ N(0, I) and the 2-D latent means of validation samples
with their labels. RBM: the weights into each hidden unit (filters) and
reconstructions. Any net with a conv layer (or `feature_node`): the feature
maps of that node for one validation sample. Arrays are rounded float32
lists, a few kilobytes in all.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from netbuilder.core.graph import Graph
from netbuilder.core.shapes import ShapeReport
from netbuilder.train.events import Samples
from netbuilder.train.losses import LossPlan
from netbuilder.train.metrics import outputs_dict, predictions
from netbuilder.train.latent import project_2d
from netbuilder.train.rbm import RBMPlan
from netbuilder.train.sample_views import ExtraViews
from netbuilder.train.subgraph import SubModel, downstream_graph

SHOWN = 16  # validation samples drawn
LATENT_POINTS = 500
PRIOR_SAMPLES = 16
CHANNELS = 16
FEATURE_TYPES = ("Conv2d", "Conv1d", "ConvEncoder", "ConvTranspose2d")


def _array(t: torch.Tensor) -> np.ndarray:
    return np.round(t.detach().float().cpu().numpy(), 4)


class SampleMaker:
    def __init__(self, graph: Graph, report: ShapeReport, plan: LossPlan | RBMPlan, task: str,
                 x_val: torch.Tensor, y_val: torch.Tensor | None, image_shape: tuple[int, ...] | None,
                 feature_node: str | None, seed: int, latent_node: str | None = None,
                 chosen: dict[str, Any] | None = None) -> None:
        self.plan, self.task, self.image_shape = plan, task, image_shape
        self.x, self.y = x_val[:LATENT_POINTS], None if y_val is None else y_val[:LATENT_POINTS]
        self.extra_refs: list[str] = []
        self.mu_ref: str | None = None
        self.decoder: SubModel | None = None
        self.z: torch.Tensor | None = None
        self.feature_ref = self._feature_node(graph, report, feature_node)
        if self.feature_ref:
            self.extra_refs.append(self.feature_ref)
        samplers = graph.nodes_of_type("Sampling")
        if isinstance(plan, LossPlan) and task == "reconstruction" and len(samplers) == 1:
            self._setup_vae(graph, report, samplers[0].id, seed)
        self.views = None  # issue 15's views (sample_views.py)
        if isinstance(plan, LossPlan):
            self.views = ExtraViews(graph, report, plan.primary, task, self.x, self.y, self.feature_ref, seed,
                                    latent_node, chosen)
            self.extra_refs += [r for r in self.views.refs if r not in self.extra_refs]

    def _feature_node(self, graph: Graph, report: ShapeReport, node: str | None) -> str | None:
        if node is not None:
            return node if node in graph.nodes else None
        for nid in graph.topological_order():
            shape = report.output_shape(nid)
            if graph.nodes[nid].type in FEATURE_TYPES and shape is not None and len(shape) == 3:
                return nid
        return None

    def _setup_vae(self, graph: Graph, report: ShapeReport, sampling: str, seed: int) -> None:
        mu_edge = next((e for e in graph.in_edges(sampling) if e.dst_port == 0), None)
        shape = report.output_shape(sampling)
        if mu_edge is None or shape is None or None in shape:
            return
        self.mu_ref = f"{mu_edge.src}:{mu_edge.src_port}"
        self.extra_refs.append(self.mu_ref)
        decoder = downstream_graph(graph, sampling, shape)
        primary = self.plan.primary.partition(":")[0]
        if decoder is not None and primary in decoder.nodes:
            self.decoder = SubModel(decoder, [self.plan.primary])
            gen = torch.Generator().manual_seed(seed)
            self.z = torch.randn(PRIOR_SAMPLES, *shape, generator=gen)  # the same z every epoch

    def make(self, model: torch.nn.Module, refs: list[str], epoch: int,
             confusion: list[list[int]] | None) -> Samples:
        extra: dict[str, Any] = {}
        was = model.training
        model.eval()
        try:
            with torch.no_grad():
                outs = outputs_dict(refs, model(self.x))
                self._fill(model, outs, extra, confusion)
        finally:
            model.train(was)
        shape = list(self.image_shape) if self.image_shape else None
        return Samples(epoch=epoch, image_shape=shape, extra=extra)

    def _fill(self, model: torch.nn.Module, outs: dict[str, torch.Tensor], extra: dict[str, Any],
              confusion: list[list[int]] | None) -> None:
        shown = self.x[:SHOWN]
        pictures = self.image_shape is not None
        if isinstance(self.plan, RBMPlan):
            extra["filters"] = _array(self.plan.filters(model))
            extra["inputs"] = _array(shown.flatten(1))
            extra["reconstructions"] = _array(self.plan.reconstruct(model, outs[self.plan.visible_ref][:SHOWN]))
            return
        out = outs[self.plan.primary]
        if self.task == "classification":
            if confusion is not None:
                extra["confusion"] = confusion
            pred = predictions(out[:SHOWN], self.plan.primary_type)
            if pictures and pred is not None:
                extra["inputs"] = _array(shown)
                extra["predictions"] = pred.cpu().numpy()
                if self.y is not None:
                    extra["labels"] = self.y[:SHOWN].cpu().numpy()
        elif self.task == "reconstruction":
            extra["inputs"] = _array(shown)
            extra["reconstructions"] = _array(out[:SHOWN].reshape(shown.shape) if out[0].numel() == shown[0].numel()
                                              else out[:SHOWN])
        if self.mu_ref is not None and self.mu_ref in outs:
            mu = outs[self.mu_ref].flatten(1)
            if mu.shape[1] >= 2:  # all dims seen: the top two PCA components when there are more than 2
                xy, extra["latent_how"] = project_2d(mu.cpu().numpy())
                extra["latent"] = np.round(xy.astype(np.float32), 4)
                if self.y is not None and not self.y.is_floating_point():
                    extra["latent_labels"] = self.y.cpu().numpy()
        if self.decoder is not None and self.z is not None:
            z = self.z.to(self.x.device)
            extra["prior_samples"] = _array(self.decoder(model, z)[0])
        if self.feature_ref and self.feature_ref in outs:
            extra["feature_maps"] = _array(outs[self.feature_ref][:1, :CHANNELS])
            extra["feature_node"] = self.feature_ref
        if self.views is not None:
            self.views.fill(model, outs, extra, self.decoder)
