"""Sequence classification beside its honest baseline; prints one JSON object.

On the embedded names (trained on ``train``, best epoch chosen on ``valid``,
scored on ``test``): the default classify model (a bidirectional GRU over
characters, the task's defaults) and a TF-IDF char 1-4-gram logistic regression,
with accuracy, macro-F1 and training seconds. Each extra path (a TSV/CSV of
``text<TAB>label`` or a ``<label>.txt`` folder) is scored the same way on its
stratified 10% held-out split.

    python benchmarks/bench_classify.py [--time-budget 240] [PATH ...]
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
from rnnkit.baselines.classify import TfidfLogisticRegression
from rnnkit.config import RunConfig
from rnnkit.data import builtin
from rnnkit.tasks.classify import read_splits


def _compare(name, train, test, options, out) -> dict:
    start = time.perf_counter()
    clf = rnnkit.train("classify", out=out, progress=False, **options)
    model_seconds = time.perf_counter() - start
    model = clf.evaluate(list(test))
    start = time.perf_counter()
    texts, labels = zip(*train)
    baseline = TfidfLogisticRegression().fit(texts, labels)
    baseline_seconds = time.perf_counter() - start
    base = baseline.score(*zip(*test))
    return {
        "data": name,
        "n_train": len(train),
        "n_test": len(test),
        "model": {
            "accuracy": model["accuracy"],
            "macro_f1": model["macro_f1"],
            "train_seconds": round(model_seconds, 1),
            "steps": clf.run.read_metrics()[-1]["step"],
        },
        "baseline_tfidf_char_1_4_logreg": {
            "accuracy": base["accuracy"],
            "macro_f1": base["macro_f1"],
            "train_seconds": round(baseline_seconds, 1),
        },
        "beats_baseline": model["accuracy"] > base["accuracy"]
        and model["macro_f1"] > base["macro_f1"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="TSV/CSV files or <label>.txt folders")
    parser.add_argument("--time-budget", type=float, default=240.0, help="seconds per model")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    results = []
    budget = {"time_budget": args.time_budget, "seed": 0}
    with tempfile.TemporaryDirectory() as tmp:
        train = builtin.load("names", "train")
        results.append(
            _compare("names", train, builtin.load("names", "test"), budget, Path(tmp) / "names")
        )
        for i, path in enumerate(args.paths):
            config = RunConfig(task="classify")
            config.data.data = str(Path(path).resolve())
            train, held_out, _, _ = read_splits(config)
            options = {**budget, "data": config.data.data}
            results.append(_compare(path, train, held_out, options, Path(tmp) / f"run{i}"))
    print(
        json.dumps(
            {
                "benchmark": "classify",
                "torch": torch.__version__,
                "threads": args.threads,
                "defaults": RunConfig(task="classify").to_dict()["model"]
                | {"epochs": RunConfig(task="classify").train.epochs},
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
