"""Everything a run needs, built from a graph dict and resolved settings:
the compiled model, the data batches, the loss plan, optimizer, schedule,
and (when resuming) the state from a checkpoint. Problems are TrainingError
with a message a user can act on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from netbuilder.core.budget import Budget
from netbuilder.core.compile import CompileError, compile_graph, input_nodes
from netbuilder.core.graph import Graph
from netbuilder.core.io import GraphFileError, graph_from_dict, graph_to_dict
from netbuilder.core.shapes import ShapeReport, check
from netbuilder.train import batches as batching
from netbuilder.train.augment import make_augment
from netbuilder.train.checkpoint import CheckpointError, load_checkpoint
from netbuilder.train.data import DataError, Dataset, dataset_for_shape, load_dataset
from netbuilder.train.losses import Batch, LossError, LossPlan, build_plan, default_loss_terms
from netbuilder.train.metrics import outputs_dict
from netbuilder.train.optim import make_optimizer, make_scheduler, pick_device, seed_everything
from netbuilder.train.rbm import RBMPlan, build_rbm_plan
from netbuilder.train.samples import SampleMaker
from netbuilder.train.settings import VIEW_CHOICES, SettingsError


class TrainingError(ValueError):
    """Training cannot start; the message says why in the user's terms."""


USER_ERRORS = (TrainingError, SettingsError, DataError, LossError, CompileError, GraphFileError, CheckpointError)


@dataclass
class Setup:
    graph: Graph
    graph_dict: dict[str, Any]
    report: ShapeReport
    settings: dict[str, Any]
    device: torch.device
    data: Dataset
    task: str
    plan: LossPlan | RBMPlan
    refs: list[str]
    model: torch.fx.GraphModule  # the compiled graph (never the DDP wrapper)
    train: Any
    val: Any
    prep: batching.Prepared
    optimizer: torch.optim.Optimizer
    scheduler: Any
    samples: SampleMaker | None
    input_shape: list[int | None]
    resume: dict[str, Any] = field(default_factory=dict)
    threads: int | None = None  # CPU threads used (None: unchanged)
    augment: Any = None  # batch transform for training batches (dataset option augment), or None


def build(graph_dict: dict[str, Any], settings: dict[str, Any], resume: str | dict | None = None,
          shard: batching.Shard | None = None) -> Setup:
    shard = shard or batching.Shard()
    graph = graph_from_dict(graph_dict)
    state = _resume_state(resume, graph_dict)
    report = check(graph)
    if not report.ok:
        lines = "; ".join(f"{n or 'graph'}: {m}" for n, m in report.errors[:5])
        raise TrainingError(f"the graph has shape errors — {lines}")
    inputs = input_nodes(graph)
    if len(inputs) != 1:
        raise TrainingError(f"training needs exactly one Input node; the graph has {len(inputs)}")
    in_node = graph.nodes[inputs[0]]
    input_shape = list(in_node.params["shape"])
    seed_everything(settings["seed"])
    device = pick_device(settings["device"])
    data = _load_data(settings, input_shape, in_node.params.get("dtype", "float32"))
    task = settings["task"] or data.task
    if task == "classification" and data.task != "classification":
        raise TrainingError(f"task classification needs class labels, but dataset {data.name!r} has "
                            f"{'none' if data.y is None else 'real-valued targets'}")
    plan = _plan(graph, settings, task, data)
    _check_class_count(plan, report, data)
    prep = batching.split(data, _validation(settings, data), settings["seed"], settings["standardize"])
    samples = None
    if settings["samples"] and shard.rank == 0 and prep.x is not None:
        which = "val" if prep.count("val") else "train"  # the first 512, as the network sees them
        x_show, y_show = prep.inputs(which, 512), prep.targets(which, 512)
        samples = SampleMaker(graph, report, plan, task, x_show.to(device),
                              None if y_show is None else y_show.to(device), data.image_shape,
                              settings["feature_node"], settings["seed"], settings["latent_node"],
                              {key: settings[key] for key in VIEW_CHOICES})
    refs = list(plan.refs) + [r for r in (samples.extra_refs if samples else []) if r not in plan.refs]
    threads = _threads(graph, settings, device)
    model = _compile(graph, report, refs, settings, device)
    if state:
        _load_weights(model, state)
    train, val = batching.make_batches(data, prep, settings, device, shard)
    params = plan.rbm(model).parameters() if isinstance(plan, RBMPlan) else model.parameters()
    optimizer = make_optimizer(params, settings)
    scheduler = make_scheduler(optimizer, settings["schedule"], settings["epochs"])
    if state:
        _load_optimizer(optimizer, scheduler, state)
    setup = Setup(graph, graph_to_dict(graph), report, settings, device, data, task, plan, refs, model, train,
                  val, prep, optimizer, scheduler, samples, input_shape, state or {}, threads)
    setup.augment = make_augment(settings["dataset_options"].get("augment"), data.sample_shape)
    _dry_run(setup)
    return setup


SMALL_NET_MACS = 50_000_000  # per batch; below this, one CPU thread is fastest


def _threads(graph: Graph, settings: dict[str, Any], device: torch.device) -> int | None:
    """CPU threads for this run: tiny nets lose time to thread hand-offs (10× under load)."""
    if device.type != "cpu":
        return None
    threads = settings["threads"]
    if threads is None:
        from netbuilder.core.summary import summary

        small = summary(graph).total_macs * settings["batch_size"] < SMALL_NET_MACS
        threads = 1 if small else torch.get_num_threads()
    return threads


def _load_data(settings: dict[str, Any], input_shape: list, dtype: str) -> Dataset:
    name = settings["dataset"] or dataset_for_shape(input_shape)
    options = {"seed": settings["seed"], **settings["dataset_options"]}
    if settings["task"] and "task" not in options:
        options["task"] = settings["task"]
    data = load_dataset(name, options, input_shape, dtype)
    if len(data) < 2:
        raise TrainingError(f"dataset {name!r} has {len(data)} sample(s); training needs at least 2")
    return data


def _validation(settings: dict[str, Any], data: Dataset) -> float | str:
    """The official test split where the dataset has one, unless a fraction is asked for."""
    chosen = settings.get("validation")
    if chosen is None:
        return "test" if data.test_count else settings["val_split"]
    return chosen


def _plan(graph: Graph, settings: dict[str, Any], task: str, data: Dataset) -> LossPlan | RBMPlan:
    if settings["mode"] == "rbm_cd":
        return build_rbm_plan(graph, settings["rbm_node"], settings["cd_k"])
    specs = settings["loss"] if settings["loss"] else default_loss_terms(graph, task)
    input_numel = math.prod(data.sample_shape) if data.lazy is None else math.prod(data.lazy.shape)
    return build_plan(graph, specs, task, data.num_classes, input_numel)


def _check_class_count(plan: LossPlan | RBMPlan, report: ShapeReport, data: Dataset) -> None:
    """A classifier with fewer class scores than the dataset has classes: said before the first
    epoch (torch would stop mid-epoch with "IndexError: Target 4 is out of bounds")."""
    if not isinstance(plan, LossPlan) or not data.num_classes:
        return
    for term in plan.terms:
        if term.type not in ("cross_entropy", "nll") or term.spec.get("target") == "input":
            continue
        node, _, port = term.reads[0].partition(":")
        shape = report.output_shape(node, int(port or 0))
        scores = shape[0] if shape else None
        if scores is not None and scores < data.num_classes:
            raise TrainingError(f"{node} gives {scores} class scores, but dataset {data.name!r} has "
                                f"{data.num_classes} classes (labels 0..{data.num_classes - 1}): give the last "
                                f"layer {data.num_classes} outputs (e.g. Linear out_features {data.num_classes})")


def _compile(graph: Graph, report: ShapeReport, refs: list[str], settings: dict[str, Any],
             device: torch.device) -> torch.fx.GraphModule:
    budget = Budget.from_env(batch_size=settings["batch_size"])
    model = compile_graph(graph, outputs=refs, report=report, budget=budget)
    if next(model.parameters(), None) is None:
        raise TrainingError("the network has no trainable weights (add a Linear, Conv2d, ... layer)")
    return model.to(device)


def _resume_state(resume: str | dict | None, graph_dict: dict[str, Any]) -> dict[str, Any] | None:
    if resume is None:
        return None
    return load_checkpoint(resume) if not isinstance(resume, dict) else resume


def _load_weights(model: torch.nn.Module, state: dict[str, Any]) -> None:
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as exc:
        first = str(exc).splitlines()[1:3]
        raise TrainingError("the checkpoint's weights do not fit this graph (it was saved from a different "
                            f"network): {' '.join(s.strip() for s in first)}") from None


def _load_optimizer(optimizer: Any, scheduler: Any, state: dict[str, Any]) -> None:
    try:
        if state.get("optimizer"):
            optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state.get("scheduler"):
            scheduler.load_state_dict(state["scheduler"])
    except (ValueError, KeyError, RuntimeError):
        pass  # another optimizer or schedule than last time: start it afresh, keep the weights


def _dry_run(s: Setup) -> None:
    """Forward and loss on two samples, so a mismatch is reported before training starts."""
    if s.prep.x is None:
        return
    x = s.prep.inputs("train", 2).to(s.device)
    y = s.prep.targets("train", 2)
    y = None if y is None else y.to(s.device)
    was = s.model.training
    s.model.eval()
    try:
        with torch.no_grad():
            outs = outputs_dict(s.refs, s.model(x))
            if isinstance(s.plan, RBMPlan):
                s.plan.compute(s.model, outs[s.plan.visible_ref])
            else:
                s.plan.compute(Batch(outs, x, y, s.model))
    except (LossError, TrainingError):
        raise
    except RuntimeError as exc:
        raise TrainingError(f"the network cannot run on this dataset's samples: {str(exc).splitlines()[0]}") from None
    finally:
        s.model.train(was)
