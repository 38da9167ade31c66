"""Train a graph file headless, exactly as the GUI does (settings from its training block)."""

from __future__ import annotations

import argparse
import math
import signal
import sys
import time
from typing import Any, TextIO

from netbuilder.commands import load_or_report, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="graph file (.json); settings default from its \"training\" block")
    parser.add_argument("--dataset", metavar="NAME|PATH",
                        help="built-in (digits, iris, wine, breast_cancer, moons, sine, gaussian_blobs), "
                        "downloaded once (mnist, fashion_mnist, kmnist, cifar10, cifar100), "
                        "or a .csv / .npz / IDX file, an MNIST/CIFAR folder or an image folder")
    parser.add_argument("--epochs", type=positive_int, metavar="N", help="total epochs (a resumed run counts "
                        "the checkpoint's too)")
    parser.add_argument("--batch-size", type=positive_int, metavar="B", help="samples per step (per process "
                        "with --distributed)")
    parser.add_argument("--lr", type=_positive_float, metavar="X", help="learning rate")
    parser.add_argument("--optimizer", choices=("adam", "adamw", "sgd", "rmsprop"))
    parser.add_argument("--device", metavar="auto|cpu|cuda|mps", help="default: the file's, else auto")
    parser.add_argument("--seed", type=int, metavar="S", help="seed for weights, split and shuffling")
    parser.add_argument("--checkpoint", metavar="PATH", help="save graph + weights here after every epoch")
    parser.add_argument("--resume", metavar="PATH", help="continue from a checkpoint (epochs and curves)")
    parser.add_argument("--metrics-jsonl", metavar="PATH",
                        help="write one JSON object per line: started, each epoch, finished/failed")
    parser.add_argument("--quiet", action="store_true", help="print only errors and the final line")
    parser.add_argument("--distributed", action="store_true",
                        help="data-parallel across processes started by torchrun (gloo on CPU, nccl on GPU)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    out = {"dataset": args.dataset, "epochs": args.epochs, "batch_size": args.batch_size, "lr": args.lr,
           "optimizer": args.optimizer, "device": args.device, "seed": args.seed, "checkpoint": args.checkpoint}
    out = {k: v for k, v in out.items() if v is not None}
    out["samples"] = False  # pictures are for the GUI
    return out


def run(args: argparse.Namespace) -> int:
    from netbuilder.core.io import graph_to_dict
    from netbuilder.train.settings import SettingsError, resolve_settings

    graph = load_or_report(args.file)
    if graph is None:
        return 2
    graph_dict = graph_to_dict(graph)
    overrides = overrides_from(args)
    _dataset_beside_file(args.file, graph_dict, overrides)
    try:
        _checkpoint_beside_file(args.file, graph_dict, overrides)
        resolve_settings(graph_dict, overrides)
    except SettingsError as exc:
        print(f"error: {args.file}: {exc}", file=sys.stderr)
        return 2
    if not _fetch_named(overrides.get("dataset") or graph_dict.get("training", {}).get("dataset"), args.quiet):
        return 1
    ctx = None
    if args.distributed:
        from netbuilder.train.distributed import DistributedError, init_from_env

        try:
            ctx = init_from_env(overrides.get("device") or graph_dict.get("training", {}).get("device", "auto"))
        except DistributedError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
    try:
        return _train(args, graph_dict, overrides, ctx)
    finally:
        if ctx is not None:
            from netbuilder.train.distributed import shutdown

            shutdown(ctx)


def _checkpoint_beside_file(file: str, graph_dict: dict, overrides: dict) -> None:
    """--checkpoint is the user's choice (written where it says); a path in the file's training
    block is only a suggestion: resolved beside the file and refused if it leads outside its folder."""
    from netbuilder.train.settings import file_checkpoint_path

    if "checkpoint" in overrides:
        overrides["checkpoint_chosen"] = True
        return
    suggested = graph_dict.get("training", {}).get("checkpoint")
    if suggested:
        overrides["checkpoint"] = file_checkpoint_path(suggested, file)
        overrides["checkpoint_chosen"] = True  # confined to the file's folder just now


def _fetch_named(name: Any, quiet: bool) -> bool:
    """Download a named dataset before training (with a progress bar), or say why it cannot be."""
    from netbuilder.commands.datasets import fetch_or_report
    from netbuilder.train.datasets import NAMED, is_cached

    key = name.strip().lower() if isinstance(name, str) else None
    if key not in NAMED or is_cached(key):
        return True
    return fetch_or_report(key, quiet) is not None


def _dataset_beside_file(file: str, graph_dict: dict, overrides: dict) -> None:
    """A relative dataset path in the file's training block is relative to the
    file (when it is not found from the current folder)."""
    from pathlib import Path

    from netbuilder.train.data import BUILTIN_DATASETS, named_datasets

    name = graph_dict.get("training", {}).get("dataset")
    if "dataset" in overrides or not isinstance(name, str) or name.lower() in [*BUILTIN_DATASETS,
                                                                             *named_datasets()]:
        return
    path = Path(name).expanduser()
    beside = Path(file).parent / path
    if not path.is_absolute() and not path.exists() and beside.exists():
        overrides["dataset"] = str(beside)


def _train(args: argparse.Namespace, graph_dict: dict, overrides: dict, ctx: Any) -> int:
    from netbuilder.train.events import json_line
    from netbuilder.train.trainer import Trainer

    main = ctx is None or ctx.rank == 0
    interrupted: list[bool] = []
    previous: Any = None
    try:
        previous = signal.signal(signal.SIGINT, lambda *_: _interrupt(interrupted, previous))
    except ValueError:  # not the main thread (embedded use): no Ctrl-C handling
        pass
    metrics = None
    try:
        metrics = open(args.metrics_jsonl, "w", encoding="utf-8") if args.metrics_jsonl and main else None
    except OSError as exc:
        print(f"error: cannot write {args.metrics_jsonl}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    progress = Progress(sys.stderr, quiet=args.quiet or not main)
    trainer = Trainer(graph_dict, overrides, resume=args.resume, distributed=ctx,
                      control=lambda: "stop" if interrupted else "run")
    outcome: dict[str, Any] = {"event": "failed", "message": "training produced no result", "kind": "error"}
    try:
        for event in trainer.run():
            e = event.to_dict()
            if metrics is not None and e["event"] in ("started", "epoch", "finished", "failed", "stopped"):
                metrics.write(json_line(e) + "\n")
                metrics.flush()
            progress.show(e)
            if e["event"] in ("finished", "failed", "stopped"):
                outcome = e
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
        if metrics is not None:
            metrics.close()
        progress.close()
    return _report(outcome, progress.last_epoch, main)


def _interrupt(flag: list[bool], previous: Any) -> None:
    if flag:  # a second Ctrl-C: stop now
        signal.signal(signal.SIGINT, previous if callable(previous) else signal.default_int_handler)
        raise KeyboardInterrupt
    flag.append(True)
    print("\nstopping after this step (Ctrl-C again to abort)…", file=sys.stderr)


def _report(outcome: dict[str, Any], last: dict[str, Any], main: bool) -> int:
    kind = outcome["event"]
    if kind == "failed":
        hint = {"nan": " Try a smaller learning rate (--lr), gradient clipping, or standardized inputs.",
                "oom": " Try a smaller --batch-size or a smaller network."}.get(outcome.get("kind"), "")
        print(f"error: training failed: {outcome.get('message')}.{hint}", file=sys.stderr)
        return 1
    if not main:
        return 0
    if kind == "stopped":
        saved = f"; checkpoint {outcome['checkpoint']}" if outcome.get("checkpoint") else ""
        print(f"stopped at epoch {outcome.get('epoch')}, step {outcome.get('step')}{saved}", file=sys.stderr)
        return 130
    parts = [f"finished {outcome.get('epochs_run')} epoch(s)"]
    parts += [f"{label} {fmt}" for label, fmt in _summary(last)]
    if outcome.get("stopped_early"):
        parts.append(f"stopped early (best epoch {outcome.get('best_epoch')})")
    if outcome.get("checkpoint"):
        parts.append(f"checkpoint {outcome['checkpoint']}")
    print(", ".join(parts))
    return 0


def _summary(epoch: dict[str, Any]) -> list[tuple[str, str]]:
    out = []
    for key, label in (("train_loss", "train loss"), ("val_loss", "val loss")):
        if isinstance(epoch.get(key), float):
            out.append((label, f"{epoch[key]:.4g}"))
    if isinstance(epoch.get("val_accuracy"), float):
        out.append(("val accuracy", f"{100 * epoch['val_accuracy']:.1f}%"))
    for key, label, unit in (("val_mae", "val MAE", ""), ("val_mape", "val MAPE", "%")):
        if isinstance(epoch.get(key), float):
            out.append((label, f"{epoch[key]:.4g}{unit}"))
    return out


class Progress:
    """A one-line progress bar with ETA on a terminal; epoch lines otherwise."""

    WIDTH = 24

    def __init__(self, stream: TextIO, quiet: bool) -> None:
        self.stream, self.quiet = stream, quiet
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self.epochs = 0
        self.last_epoch: dict[str, Any] = {}
        self.bar_shown = False
        self.t0 = time.monotonic()

    def show(self, e: dict[str, Any]) -> None:
        kind = e["event"]
        if kind == "started":
            self.epochs = e["epochs"]
            self._line(f"training on {e['device']}: {e['task']}, {e['num_train']} samples "
                       f"({e['num_val']} held out), {e['steps_per_epoch']} steps per epoch, "
                       f"loss {' + '.join(e['loss_terms'])}")
        elif kind == "step" and self.tty and not self.quiet:
            filled = int(self.WIDTH * e["progress"])
            bar = "█" * filled + "·" * (self.WIDTH - filled)
            eta = _eta(e.get("eta_s"))
            self.stream.write(f"\r epoch {e['epoch']}/{self.epochs} {bar} {100 * e['progress']:3.0f}%  "
                              f"loss {e['train_loss']:.4g}  {e['samples_per_sec']:,.0f} samples/s  ETA {eta}  ")
            self.stream.flush()
            self.bar_shown = True
        elif kind == "epoch":
            self.last_epoch = e
            stats = "  ".join(f"{label} {value}" for label, value in _summary(e))
            tag = " (from checkpoint)" if e.get("replayed") else ""
            self._line(f"epoch {e['epoch']}/{e['epochs']}  {stats}  [{e['elapsed_s']:.1f}s]{tag}")

    def _line(self, text: str) -> None:
        if self.quiet:
            return
        if self.bar_shown:
            self.stream.write("\r\033[K" if self.tty else "\n")
            self.bar_shown = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self.bar_shown and not self.quiet:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _eta(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
        return "–"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"
