"""What the contextual character-LM features cost: a tagger with ``--char-lm`` over one
without, on the same data, in the same process; prints one JSON object.

Both taggers train ``--steps`` steps with the task's defaults (no evaluation on the way),
then predict the first 150 sentences of VALID; the figures are training steps per second
and predicted sentences per second, and their ratios (char-LM over plain).

    python benchmarks/bench_char_lm.py TRAIN.conll VALID.conll FWD_RUN,BWD_RUN [--steps 150]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import torch

import rnnkit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("train")
    parser.add_argument("valid")
    parser.add_argument("char_lm", help="FWD_RUN,BWD_RUN (rnnkit train lm [--reverse])")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    sentences = [b for b in Path(args.valid).read_text(encoding="utf-8").split("\n\n") if b.strip()]
    texts = [[line.split()[0] for line in b.splitlines()] for b in sentences[:150]]
    result = {"command": "python " + " ".join(sys.argv), "threads": args.threads}
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in (("plain", {}), ("char_lm", {"char_lm": args.char_lm})):
            tagger = rnnkit.train("tag", data=args.train, valid=args.valid, out=Path(tmp) / name,
                                  max_steps=args.steps, eval_every=10**6, progress=False,
                                  **extra)  # fmt: skip
            elapsed = tagger.run.read_metrics()[-1]["elapsed"]  # training time only
            tagger.predict(texts[:8])  # warm up
            start = time.perf_counter()
            tagger.predict(texts)
            result[name] = {
                "train_steps_per_s": args.steps / elapsed,
                "predict_sentences_per_s": len(texts) / (time.perf_counter() - start),
            }
    result["char_lm_over_plain"] = {k: result["char_lm"][k] / result["plain"][k]
                                    for k in result["plain"]}  # fmt: skip
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
