"""Fault injection inside the training child process.

TrainingRun starts `runner._child_main` in a spawned process. A test swaps
that attribute for `child_main_with_fault`, which the child imports from
here (spawn gives the child the parent's sys.path), installs the fault named
by the "_fault" setting, then runs the real child main: the whole runner →
trainer → event path is the product's own, only the failure is staged.
"""

from __future__ import annotations

from typing import Any

from netbuilder.train import runner

REAL_CHILD_MAIN = runner._child_main
FAULTS = ("cuda_oom", "torch_oom", "cpu_oom", "dataset_error")


def _raise_at_step(exc: BaseException, at_step: int = 3) -> None:
    from netbuilder.train.trainer import Trainer

    original = Trainer._one_step

    def one_step(self, xb, yb, params):
        if self.step + 1 == at_step:
            raise exc
        return original(self, xb, yb, params)
    Trainer._one_step = one_step


def _dataset_raises(at_batch: int = 3) -> None:
    """The training batches raise mid-epoch, as user data read on demand may."""
    from netbuilder.train.trainer import Trainer

    original_epoch = Trainer._train_epoch

    def train_epoch(self, epoch):
        train = self.setup.train
        real_epoch = train.epoch

        def broken(e):
            for i, batch in enumerate(real_epoch(e), start=1):
                if i == at_batch:
                    raise ValueError("sample 17: cannot decode 'img_0017.png' (truncated file)")
                yield batch
        train.epoch = broken
        return (yield from original_epoch(self, epoch))
    Trainer._train_epoch = train_epoch


def install(fault: str) -> None:
    import torch

    if fault == "cuda_oom":
        _raise_at_step(torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (GPU 0; 7.79 GiB "
                                              "total capacity; 6.10 GiB already allocated)"))
    elif fault == "torch_oom":
        _raise_at_step(RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    elif fault == "cpu_oom":
        _raise_at_step(MemoryError())
    elif fault == "dataset_error":
        _dataset_raises()
    else:
        raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")


def child_main_with_fault(graph_dict: dict[str, Any], settings: dict[str, Any], resume: Any, events: Any,
                          control: Any) -> None:
    settings = dict(settings)
    fault = settings.pop("_fault", None)
    if fault:
        install(fault)
    REAL_CHILD_MAIN(graph_dict, settings, resume, events, control)
