"""nn.DataParallel (note 000) beside DistributedDataParallel (what rnnkit uses), on a CPU.

    python examples/data_parallel.py

Note 000 ends with ``model.cuda()`` and ``nn.DataParallel(model)`` for several
GPUs. DataParallel is one process: at every forward it copies the model to
each GPU, cuts the input batch along dimension 0, runs the pieces in threads
and gathers the outputs on the first GPU. PyTorch recommends
DistributedDataParallel (DDP) instead, even on one machine: one process per
device, the model copied once, gradients averaged by all-reduce during
backward, no Python GIL between the devices. rnnkit trains with DDP when
launched by torchrun (docs/distributed.md)::

    torchrun --standalone --nproc_per_node=2 -m rnnkit train lm --data corpus.txt

This example needs no GPU:

1. DataParallel without GPUs just calls the module; its state_dict keys gain a
   ``module.`` prefix (save ``model.module.state_dict()``).
2. The RNN pitfall: DataParallel cuts dimension 0. A batch-first input
   (N, L, F) is cut between sequences, as it should be; a time-first one
   (L, N, F) would be cut along time, and an initial state (layers, N, H)
   along its layers. The example shows the pieces each device would get.
3. DDP in one CPU process (gloo, world size 1): after backward the gradients
   are the plain model's (averaging over one process changes nothing), which
   is what every rank sees with more processes.
"""

import argparse
import tempfile
import time
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

import rnnkit.nn


class Tagger(nn.Module):
    def __init__(self, F: int, H: int, K: int) -> None:
        super().__init__()
        self.rnn = rnnkit.nn.GRU(F, H, batch_first=True)
        self.fc = nn.Linear(H, K)

    def forward(self, x):
        out, _ = self.rnn(x)  # (N, L, H)
        return self.fc(out)  # (N, L, K)


def part1(model, x) -> dict:
    print("--- part 1: nn.DataParallel on a machine without GPUs ---")
    wrapped = nn.DataParallel(model)
    same = torch.equal(wrapped(x), model(x))
    keys = list(wrapped.state_dict())[:2]
    print(f"devices: {wrapped.device_ids or 'none'}; output == the module's: {same}")
    print(f"state_dict keys: {keys} ... (save wrapped.module.state_dict())")
    return {"same": same, "prefixed": all(k.startswith("module.") for k in wrapped.state_dict())}


def part2(N, L, F, H, devices) -> dict:
    print(f"--- part 2: what {devices} devices would get (dimension 0 is cut) ---")
    pieces = {
        "batch-first x (N, L, F)": torch.zeros(N, L, F),
        "time-first x (L, N, F)": torch.zeros(L, N, F),
        "h_0 (layers, N, H)": torch.zeros(2, N, H),
    }
    shapes = {}
    for name, tensor in pieces.items():
        chunks = [tuple(c.shape) for c in tensor.chunk(devices, dim=0)]
        shapes[name] = chunks
        print(f"{name:24} {tuple(tensor.shape)} -> {chunks}")
    print("only the batch-first input is cut between sequences: time-first models need dim=1,")
    print("and a state passed in is cut along its layers (DDP has no such cut: each rank")
    print("loads its own batches)")
    return shapes


def part3(model, x, y) -> float:
    print("--- part 3: DistributedDataParallel, one CPU process (gloo) ---")
    store = Path(tempfile.mkdtemp()) / "store"
    dist.init_process_group("gloo", init_method=f"file://{store}", rank=0, world_size=1)
    try:
        ddp = DistributedDataParallel(model)
        loss = nn.functional.cross_entropy(ddp(x).flatten(0, 1), y.flatten())
        loss.backward()  # the all-reduce runs here, during backward
        ddp_grads = [p.grad.clone() for p in model.parameters()]
        # gloo's worker thread takes the GIL to let go of the step's work; the group's
        # destructor (when the last DDP reference goes) joins that thread holding the
        # GIL: a deadlock if it has not finished yet. So wait, then drop DDP here.
        time.sleep(0.2)
        del ddp, loss
    finally:
        dist.destroy_process_group()
    model.zero_grad()
    loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
    loss.backward()
    diff = max((g - p.grad).abs().max().item() for g, p in zip(ddp_grads, model.parameters()))
    print(f"world size 1: DDP gradients == the plain model's: max |diff| {diff:.1e}")
    print("rnnkit: torchrun starts the processes, rnnkit.train joins the group and wraps the model")
    return diff


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=2, help="devices to cut a batch for")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    N, L, F, H, K = 6, 5, 4, 8, 3
    model = Tagger(F, H, K)
    x, y = torch.randn(N, L, F), torch.randint(K, (N, L))
    result = part1(model, x)
    result["pieces"] = part2(N, L, F, H, args.devices)
    result["ddp_diff"] = part3(model, x, y)
    return result


if __name__ == "__main__":
    main()
