"""Sequence classification beside its honest baseline; prints one JSON object.

On the embedded names (trained on ``train``, best epoch chosen on ``valid``,
scored on ``test``): the default classify model (a bidirectional GRU over
characters, the task's defaults), once per seed (``--seeds``, default 0,1,2,3,4: on
785 test names one seed moves accuracy by a point or two), and a TF-IDF char
1-4-gram logistic regression, with accuracy, macro-F1 and training seconds; the
model's figures are the means over seeds, each seed's beside them, and
``seeds_beating_baseline`` counts the seeds above the baseline on both. Each extra path (a TSV/CSV of
``text<TAB>label`` or a ``<label>.txt`` folder) is scored the same way on its
stratified 10% held-out split.

    python benchmarks/bench_classify.py [--time-budget 240] [--seeds 0,1,2,3,4] [PATH ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import rnnkit
from rnnkit.baselines.classify import TfidfLogisticRegression
from rnnkit.data import embedded
from rnnkit.tasks import ClassifyConfig
from rnnkit.tasks.classify import read_splits

KEYS = ("accuracy", "macro_f1")


def _compare(name, train, test, options, out, seeds) -> dict:
    """The default model, once per seed (its figures are the means), beside the baseline."""
    runs = []
    for seed in seeds:
        start = time.perf_counter()
        clf = rnnkit.train(
            "classify", out=out / f"seed{seed}", progress=False, seed=seed, **options
        )
        seconds = time.perf_counter() - start
        scores = clf.evaluate(list(test))
        steps = clf.run.read_metrics()[-1]["step"]
        runs.append(
            {"seed": seed, **{k: scores[k] for k in KEYS}, "seconds": seconds, "steps": steps}
        )
    start = time.perf_counter()
    texts, labels = zip(*train)
    baseline = TfidfLogisticRegression().fit(texts, labels)
    baseline_seconds = time.perf_counter() - start
    base = baseline.score(*zip(*test))
    mean = {k: statistics.fmean(r[k] for r in runs) for k in KEYS}
    return {
        "data": name,
        "n_train": len(train),
        "n_test": len(test),
        "model": {
            **mean,
            "by_seed": [{k: r[k] for k in ("seed", *KEYS)} for r in runs],
            "train_seconds": round(statistics.fmean(r["seconds"] for r in runs), 1),
            "steps": runs[0]["steps"],
        },
        "baseline_tfidf_char_1_4_logreg": {
            **{k: base[k] for k in KEYS},
            "train_seconds": round(baseline_seconds, 1),
        },
        "beats_baseline": all(mean[k] > base[k] for k in KEYS),
        "seeds_beating_baseline": sum(all(r[k] > base[k] for k in KEYS) for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="TSV/CSV files or <label>.txt folders")
    parser.add_argument("--time-budget", type=float, default=240.0, help="seconds per model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument(
        "--seeds",
        default="0,1,2,3,4",
        help="comma-separated seeds; the model's figures are their means",
    )
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    torch.set_num_threads(args.threads)
    results = []
    budget = {"time_budget": args.time_budget}
    with tempfile.TemporaryDirectory() as tmp:
        train = embedded.load("names", "train")
        results.append(
            _compare(
                "names", train, embedded.load("names", "test"), budget, Path(tmp) / "names", seeds
            )
        )
        for i, path in enumerate(args.paths):
            config = ClassifyConfig()
            config.data.data = str(Path(path).resolve())
            splits = read_splits(config)
            train, held_out = splits.train, splits.valid
            options = {**budget, "data": config.data.data}
            results.append(_compare(path, train, held_out, options, Path(tmp) / f"run{i}", seeds))
    print(
        json.dumps(
            {
                "benchmark": "classify",
                "torch": torch.__version__,
                "command": " ".join(["python", "benchmarks/bench_classify.py", *sys.argv[1:]]),
                "threads": args.threads,
                "seeds": seeds,
                "defaults": ClassifyConfig().to_dict()["model"]
                | {"epochs": ClassifyConfig().train.epochs},
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
