"""Data-parallel training under torchrun:

    torchrun --nproc-per-node=2 -m netbuilder train FILE --distributed

Each process trains a replica (DistributedDataParallel: gloo on CPU, nccl on
CUDA, one GPU per process by LOCAL_RANK) on its own share of every epoch's
permutation, like torch's DistributedSampler; gradients are averaged across
processes. `batch_size` is per process. Every process evaluates the whole
validation split (so all make the same early-stopping decision without
talking); rank 0 alone prints, writes metrics and checkpoints. The RBM's
contrastive divergence does not run through the model's forward, so in that
mode the gradients are averaged by hand instead of by DDP.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from netbuilder.train.batches import Shard


class DistributedError(RuntimeError):
    """Not started by torchrun, or the process group cannot be set up."""


@dataclass
class Context:
    rank: int
    world: int
    local_rank: int
    device: str  # what this process trains on: "cpu" or "cuda:N"
    backend: str

    @property
    def shard(self) -> Shard:
        return Shard(self.rank, self.world)

    def wrap(self, model: torch.nn.Module, find_unused: bool = False) -> torch.nn.Module:
        """DDP around the compiled graph; `find_unused` when some weights do not
        reach the loss (a branch only the samples view reads), which costs an
        extra walk of the autograd graph per step."""
        from torch.nn.parallel import DistributedDataParallel

        ids = [self.local_rank] if self.device.startswith("cuda") else None
        return DistributedDataParallel(model, device_ids=ids, find_unused_parameters=find_unused)

    def average(self, sums: list[float], count: int) -> tuple[list[float], int]:
        """Sum the per-process epoch sums and step counts."""
        t = torch.tensor([*sums, float(count)], dtype=torch.float64,
                         device=self.device if self.backend == "nccl" else "cpu")
        dist.all_reduce(t)
        values = t.tolist()
        return values[:-1], int(values[-1])

    def average_gradients(self, params: list[torch.nn.Parameter]) -> None:
        grads = [p.grad for p in params if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        dist.all_reduce(flat)
        flat /= self.world
        offset = 0
        for g in grads:
            g.copy_(flat[offset:offset + g.numel()].view_as(g))
            offset += g.numel()

    def barrier(self) -> None:
        dist.barrier()


def weights_off_the_loss_path(graph: Any, model: torch.nn.Module, refs: list[str]) -> bool:
    """True when some node with trainable weights feeds none of the outputs the loss reads."""
    reached: set[str] = set()
    stack = [r.partition(":")[0] for r in refs]
    while stack:
        nid = stack.pop()
        if nid not in reached:
            reached.add(nid)
            stack += [e.src for e in graph.in_edges(nid)]
    for nid, attr in model.meta["netbuilder_modules"].items():
        module = getattr(model, attr, None)
        if nid not in reached and module is not None and any(p.requires_grad for p in module.parameters()):
            return True
    return False


def init_from_env(device: str = "auto") -> Context:
    """Join the process group torchrun set up (RANK, WORLD_SIZE, MASTER_ADDR...)."""
    missing = [k for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT") if k not in os.environ]
    if missing:
        raise DistributedError("--distributed needs to be started by torchrun, e.g. "
                               "torchrun --nproc-per-node=2 -m netbuilder train FILE --distributed "
                               f"(missing {', '.join(missing)})")
    rank, world, local = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ["LOCAL_RANK"])
    use_cuda = device.startswith("cuda") or (device == "auto" and torch.cuda.is_available())
    if use_cuda and not torch.cuda.is_available():
        raise DistributedError(f"device {device!r} asked for, but no CUDA GPU is visible")
    backend = "nccl" if use_cuda else "gloo"
    where = f"cuda:{local}" if use_cuda else "cpu"
    if use_cuda:
        torch.cuda.set_device(local)
    if not dist.is_initialized():
        try:
            dist.init_process_group(backend=backend, rank=rank, world_size=world)
        except (RuntimeError, ValueError) as exc:
            raise DistributedError(f"cannot join the process group ({backend}): {exc}") from None
    return Context(rank, world, local, where, backend)


def shutdown(ctx: Any) -> None:
    """Leave the group together: a rank that tears gloo down while rank 0 is still writing the
    checkpoint makes the peer's pending socket abort the process (SIGABRT, "terminate called")."""
    if ctx is not None and dist.is_initialized():
        try:
            dist.barrier()
            dist.destroy_process_group()
        except (RuntimeError, ValueError):
            pass
