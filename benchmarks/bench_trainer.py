"""Training throughput of rnnkit's Trainer over a minimal hand-written PyTorch loop.

    python benchmarks/bench_trainer.py [--steps 30] [--rounds 3] [--hidden 256]

Same model (rnnkit's char LSTM LM), same data (the embedded Shakespeare as a
contiguous BPTT stream), same optimiser, clipping and thread count, in the same
process; the two loops alternate for several rounds and the median tokens/s of
each is compared. Prints one JSON object; goal: ratio >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F

from rnnkit.config import TrainConfig
from rnnkit.data import embedded
from rnnkit.data.datasets import LMStream
from rnnkit.models import RNNLanguageModel
from rnnkit.training import StepOutput, Trainer


class _Program:
    def __init__(self, stream):
        self.stream = stream

    def batches(self, epoch):
        return self.stream

    def step(self, model, batch, state):
        x, y = batch
        logits, state = model(x, state)
        return StepOutput(F.cross_entropy(logits.flatten(0, 1), y.flatten()), y.numel(), state)

    def evaluate(self, model, max_batches=None):
        return {"loss": 0.0}  # not timed: the comparison is about the training step


def hand_loop(model, stream, steps, lr) -> float:
    """The loop a user would write: forward, loss, backward, clip, step, detach."""
    opt = torch.optim.AdamW(model.parameters(), lr=lr)
    state = None
    start = time.perf_counter()
    for i in range(steps):
        x, y = stream[i % len(stream)]
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state = tuple(s.detach() for s in state)
        loss.item()
    return steps * stream[0][1].numel() / (time.perf_counter() - start)


def rnnkit_loop(model, stream, steps, lr) -> float:
    cfg = TrainConfig(
        lr=lr,
        max_steps=steps,
        eval_every=10**9,
        checkpoint_every=10**9,
        warmup_steps=0,
        clip_grad_norm=1.0,
    )
    trainer = Trainer(model, cfg, _Program(stream), progress=False)
    start = time.perf_counter()
    trainer.fit()
    return steps * stream[0][1].numel() / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--hidden", type=int, default=256)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--bptt", type=int, default=128)
    args = p.parse_args()

    text = embedded.load("shakespeare", "train")[:2_000_000]
    chars = sorted(set(text))
    stoi = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([stoi[c] for c in text], dtype=torch.long)
    stream = LMStream(ids, args.batch_size, args.bptt)
    results = {"hand": [], "rnnkit": []}
    for loop in (hand_loop, rnnkit_loop):  # warm-up, not timed
        model = RNNLanguageModel(len(chars), 64, args.hidden, 2, "lstm", 0.1, backend="torch")
        loop(model, stream, 3, 2e-3)
    for r in range(args.rounds):
        for name, loop in (("hand", hand_loop), ("rnnkit", rnnkit_loop)):
            torch.manual_seed(r)
            model = RNNLanguageModel(len(chars), 64, args.hidden, 2, "lstm", 0.1, backend="torch")
            rate = loop(model, stream, args.steps, 2e-3)
            results[name].append(rate)
            print(f"round {r} {name}: {rate:,.0f} tokens/s", file=sys.stderr)
    hand, ours = statistics.median(results["hand"]), statistics.median(results["rnnkit"])
    print(
        json.dumps(
            {
                "benchmark": "trainer_throughput",
                "command": "python " + " ".join(sys.argv),
                "threads": torch.get_num_threads(),
                "model": f"char LSTM 2x{args.hidden}, batch {args.batch_size}, bptt {args.bptt}",
                "hand_tokens_per_s": round(hand),
                "rnnkit_tokens_per_s": round(ours),
                "ratio": round(ours / hand, 3),
                "goal": ">= 0.95",
                "rounds": {k: [round(v) for v in vs] for k, vs in results.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
