"""onnxruntime over eager PyTorch on exported graphs; prints one JSON object.

Two runs are trained for a few steps (speed does not depend on the weights) with the
tasks' default model sizes, exported with ``rnnkit.export.export``, then timed in
this process on the CPU:

- ``lm`` one-step generation at batch 1, the state carried: ``model.step`` (the path
  ``generate`` takes, torch's cell kernels) against ``step.onnx``;
- ``classify`` a batch of 64 padded sequences: the packed model against ``model.onnx``.

Each figure is a median over ``--repeats`` timings; ``speedup`` is PyTorch's time over
onnxruntime's (above 1: onnxruntime is faster). A table goes to stderr.

    python benchmarks/bench_export.py [--repeats 7] [--steps 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

import rnnkit
from rnnkit.export import export

FIXTURES = Path(__file__).parent.parent / "tests" / "fixtures"


def _median(fn, repeats: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bench_lm(root: Path, repeats: int, steps: int) -> dict:
    lm = rnnkit.train(
        "lm", out=root / "lm", progress=False, data=str(FIXTURES / "tiny.txt"), max_steps=2
    )
    folder = export(root / "lm", root / "lm-onnx")
    session = ort.InferenceSession(str(folder / "step.onnx"), providers=["CPUExecutionProvider"])
    m = lm.config.model
    names = ["h", "c"] if m.cell == "lstm" else ["h"]

    def eager() -> None:
        token, state = torch.tensor([5]), None
        with torch.no_grad():
            for _ in range(steps):
                logits, state = lm.model.step(token, state)
                token = logits.argmax(-1)

    def onnx() -> None:
        token = np.array([5])
        state = {n: np.zeros((m.num_layers, 1, m.hidden_size), np.float32) for n in names}
        for _ in range(steps):
            logits, *new = session.run(None, {"token": token, **state})
            state = dict(zip(names, new))
            token = logits.argmax(-1)

    t_eager, t_onnx = _median(eager, repeats), _median(onnx, repeats)
    return {
        "model": f"{m.cell} {m.num_layers}x{m.hidden_size}, V={m.vocab_size}",
        "what": f"{steps} steps, batch 1",
        "pytorch_ms_per_step": 1e3 * t_eager / steps,
        "onnxruntime_ms_per_step": 1e3 * t_onnx / steps,
        "speedup": t_eager / t_onnx,
    }


def bench_classify(root: Path, repeats: int, batch: int = 64, length: int = 12) -> dict:
    clf = rnnkit.train(
        "classify",
        out=root / "classify",
        progress=False,
        data=str(FIXTURES / "tasks" / "classify.tsv"),
        max_steps=2,
    )
    folder = export(root / "classify", root / "classify-onnx")
    session = ort.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    m = clf.config.model
    g = torch.Generator().manual_seed(0)
    lengths = torch.randint(3, length + 1, (batch,), generator=g)
    x = torch.randint(4, m.vocab_size, (batch, length), generator=g)
    x = x * (torch.arange(length) < lengths.unsqueeze(1))
    feeds = {"x": x.numpy(), "lengths": lengths.numpy()}

    def eager() -> None:
        with torch.no_grad():
            clf.model(x, lengths)

    t_eager = _median(eager, repeats * 5)
    t_onnx = _median(lambda: session.run(None, feeds), repeats * 5)
    D = 2 if m.bidirectional else 1
    return {
        "model": f"{m.cell} {m.num_layers}x{m.hidden_size} x{D} directions, {m.pooling} pooling",
        "what": f"batch {batch}, lengths 3..{length}",
        "pytorch_ms": 1e3 * t_eager,
        "onnxruntime_ms": 1e3 * t_onnx,
        "speedup": t_eager / t_onnx,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        result = {
            "command": " ".join(["python benchmarks/bench_export.py", *sys.argv[1:]]),
            "torch": torch.__version__,
            "onnxruntime": ort.__version__,
            "threads": torch.get_num_threads(),
            "lm_step": bench_lm(root, args.repeats, args.steps),
            "classify_batch": bench_classify(root, args.repeats),
        }
    print("| graph | PyTorch | onnxruntime | speedup |", file=sys.stderr)
    print("|---|---|---|---|", file=sys.stderr)
    lm, clf = result["lm_step"], result["classify_batch"]
    print(
        f"| lm step ({lm['what']}) | {lm['pytorch_ms_per_step']:.3f} ms | "
        f"{lm['onnxruntime_ms_per_step']:.3f} ms | {lm['speedup']:.2f} |",
        file=sys.stderr,
    )
    print(
        f"| classify ({clf['what']}) | {clf['pytorch_ms']:.2f} ms | "
        f"{clf['onnxruntime_ms']:.2f} ms | {clf['speedup']:.2f} |",
        file=sys.stderr,
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
