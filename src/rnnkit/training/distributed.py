"""Data-parallel training through PyTorch's own engine (DDP), launched by torchrun.

``torchrun --nproc_per_node=2 -m rnnkit train lm ...`` sets ``RANK``,
``WORLD_SIZE`` and ``LOCAL_RANK``; :func:`setup` reads them, joins the process
group (gloo on CPU, nccl on CUDA) and tells the rest of rnnkit which shard of the
data is this process's. Only rank 0 writes logs, metrics and checkpoints.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

__all__ = [
    "DistInfo",
    "setup",
    "cleanup",
    "all_agree",
    "barrier",
    "broadcast_path",
    "is_main_process",
]


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands: ``rank`` of ``world_size``; ``owns_group`` when
    rnnkit created the process group (and so destroys it)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    owns_group: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup(device: torch.device) -> DistInfo:
    """Join the process group torchrun describes; a single process gets the default."""
    if dist.is_available() and dist.is_initialized():  # the caller set it up
        return DistInfo(dist.get_rank(), dist.get_world_size(), _local_rank(), owns_group=False)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo()
    backend = "nccl" if device.type == "cuda" else "gloo"
    if device.type == "cuda":
        torch.cuda.set_device(_local_rank())
    dist.init_process_group(backend=backend)
    return DistInfo(dist.get_rank(), dist.get_world_size(), _local_rank(), owns_group=True)


def cleanup(info: DistInfo) -> None:
    if info.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def all_agree(flag: bool, info: DistInfo) -> bool:
    """True on every rank when ``flag`` is true on any rank (stop together, never hang)."""
    if not info.enabled:
        return flag
    device = torch.device("cuda") if dist.get_backend() == "nccl" else torch.device("cpu")
    t = torch.tensor([1 if flag else 0], dtype=torch.int32, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def is_main_process() -> bool:
    """Rank 0 of a torchrun launch, or a single process (before :func:`setup` too)."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank() == 0
    return int(os.environ.get("RANK", "0")) == 0


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def broadcast_path(path, info: DistInfo) -> str:
    """Rank 0's run directory, told to every rank (the others create nothing)."""
    if not info.enabled:
        return str(path)
    box = [str(path) if info.is_main else None]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def _local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))
