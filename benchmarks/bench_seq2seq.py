"""Seq2seq on the lecture's restoration task beside two baselines; prints one JSON object.

The embedded task: give back a Shakespeare line from the line lowercased with its
spaces removed (``thatyouareso.`` -> ``That you are so.``). The default seq2seq
model (the task's defaults: a bidirectional GRU encoder, a GRU decoder with
"general" attention) trains for ``--time-budget`` seconds on the ``train`` pairs
(best weights chosen by char accuracy on slices of ``valid``) and is scored on
the held-back ``test`` lines, greedy and with beam search, beside

- ``copy``: the input given back unchanged;
- ``dictionary``: dynamic-programming word segmentation over unigram word
  frequencies of the training targets, each word spelt as it was most often seen
  (:class:`rnnkit.baselines.seq2seq.DictionarySegmenter`),

all computed in this run: char accuracy (1 - CER), exact match, BLEU, chrF; the
model's scores also by source length (``by_length``, as ``rnnkit evaluate`` gives them).

    python benchmarks/bench_seq2seq.py [--time-budget 600] [--beam 5] [--threads 1]
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
from rnnkit.baselines.seq2seq import CopyBaseline, DictionarySegmenter
from rnnkit.tasks import Seq2SeqConfig
from rnnkit.tasks.seq2seq import restoration_pairs

LECTURE = "thisissungkim.iloveyou."
MODEL_FIELDS = ("cell", "num_layers", "hidden_size", "embedding_dim", "bidirectional", "attention")


def _timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, round(time.perf_counter() - start, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=600.0, help="training seconds")
    parser.add_argument("--beam", type=int, default=5, help="beam width scored beside greedy")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--limit", type=int, help="score only the first N test lines")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    train = restoration_pairs("train")
    test = restoration_pairs("test")[: args.limit]
    sources, targets = [s for s, _ in test], [t for _, t in test]
    train_sources, train_targets = [s for s, _ in train], [t for _, t in train]

    copy = CopyBaseline().fit(train_sources, train_targets)
    dictionary, dictionary_fit = _timed(
        lambda: DictionarySegmenter().fit(train_sources, train_targets)
    )
    baselines = {
        "copy": copy.score(sources, targets, corpus_scores=True),
        "dictionary": {
            **dictionary.score(sources, targets, corpus_scores=True),
            "fit_seconds": dictionary_fit,
        },
    }
    with tempfile.TemporaryDirectory() as tmp:
        s2s, wall_seconds = _timed(
            lambda: rnnkit.train(
                "seq2seq",
                out=Path(tmp) / "run",
                time_budget=args.time_budget,
                seed=args.seed,
                progress=False,
            )
        )
        final = s2s.run.read_metrics()[-1]
        greedy, greedy_seconds = _timed(lambda: s2s.evaluate(test, beam=1))
        model = {
            "train_seconds": final["elapsed"],  # the training loop
            "wall_seconds": wall_seconds,  # with data preparation and the final validation
            "steps": final["step"],
            "epochs": round(final["step"] / -(-len(train) // s2s.config.data.batch_size), 2),
            "parameters": sum(p.numel() for p in s2s.model.parameters()),
            "greedy": {**greedy, "seconds": greedy_seconds},
        }
        if args.beam > 1:
            beam, beam_seconds = _timed(lambda: s2s.evaluate(test, beam=args.beam))
            model[f"beam_{args.beam}"] = {**beam, "seconds": beam_seconds}
        examples = s2s.predict([LECTURE, *sources[:3]], beam=max(args.beam, 1))
    best = {k: v for k, v in model.items() if k == "greedy" or k.startswith("beam_")}
    beats = {
        name: all(
            scores[key] > baseline[key]
            for scores in best.values()
            for key in ("char_accuracy", "exact_match")
        )
        for name, baseline in baselines.items()
    }
    defaults = Seq2SeqConfig()
    print(
        json.dumps(
            {
                "benchmark": "seq2seq",
                "command": "python " + " ".join(sys.argv),
                "task": "restore the spaces and capitals of Shakespeare lines",
                "torch": torch.__version__,
                "threads": args.threads,
                "time_budget": args.time_budget,
                "defaults": {k: getattr(defaults.model, k) for k in MODEL_FIELDS}
                | {"batch_size": defaults.data.batch_size, "lr": defaults.train.lr},
                "n_train": len(train),
                "n_test": len(test),
                "model": model,
                "baselines": baselines,
                "beats_baselines": beats,
                "examples": examples,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
