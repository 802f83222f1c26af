"""Short trials to choose classify defaults on GUM's dev file only: genre on unseen documents.

GUM's dev file holds two documents per genre. Each genre's first document trains (every
tenth of its sentences validates and chooses the weights kept, as ``bench_classify.py
--gum`` does) and its second document is scored; then the two swap. Prints one line
per setting: accuracy / macro-F1 on each fold and their mean, and first the same for
TF-IDF + logistic regression (word 1-2 + char 1-4-grams) trained on the same sentences.

    python benchmarks/classify_trials.py ../shared/devdata/en_gum/en_gum-ud-dev.conllu \\
        '[{}, {"min_freq": 1}]' --max-steps 1200
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time

import torch
from bench_classify import read_gum

import rnnkit
from rnnkit.baselines.classify import TfidfLogisticRegression
from rnnkit.metrics import accuracy, macro_f1


def document_folds(path: str) -> list[tuple[list, list, list]]:
    """(train, valid, scored) (text, genre) pairs of each fold."""
    rows = read_gum(path, "genre")
    documents: dict[str, list[str]] = {}
    for _, genre, doc in rows:
        if doc not in documents.setdefault(genre, []):
            documents[genre].append(doc)
    folds = []
    for k in (0, 1):
        training = {docs[k % len(docs)] for docs in documents.values()}
        train = [(t, g) for t, g, d in rows if d in training]
        scored = [(t, g) for t, g, d in rows if d not in training]
        folds.append(([x for i, x in enumerate(train) if i % 10 != 9], train[9::10], scored))
    return folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dev", help="GUM's dev CoNLL-U file")
    parser.add_argument("settings", help="a JSON list of rnnkit.train option dicts")
    parser.add_argument("--max-steps", type=int, default=1200)
    parser.add_argument(
        "--time-budget", type=float, default=None,
        help="train each fold for this many seconds, as the benchmark does (instead of "
        "--max-steps, and so without the task's early stopping)",
    )  # fmt: skip
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    folds = document_folds(args.dev)
    limit = (
        {"max_steps": args.max_steps}
        if args.time_budget is None
        else {"time_budget": args.time_budget}
    )
    labels = sorted({g for _, _, scored in folds for _, g in scored})
    index = {g: k for k, g in enumerate(labels)}

    def score(scored, predicted) -> tuple[float, float]:
        y = [index[g] for _, g in scored]
        p = [index.get(q, len(index)) for q in predicted]
        return accuracy(y, p), macro_f1(y, p, len(index) + 1)

    def report(name, scores) -> None:
        print(json.dumps({
            "setting": name,
            "folds": [[round(a, 4), round(f, 4)] for a, f in scores],
            "mean": [round(statistics.fmean(s[i] for s in scores), 4) for i in (0, 1)],
        }), flush=True)  # fmt: skip

    report("tfidf_logreg", [
        score(scored, TfidfLogisticRegression(word_ngram_range=(1, 2)).fit(*zip(*train))
              .predict([t for t, _ in scored]))
        for train, _, scored in folds
    ])  # fmt: skip
    for options in json.loads(args.settings):
        scores = []
        with tempfile.TemporaryDirectory() as tmp:
            for k, (train, valid, scored) in enumerate(folds):
                start = time.perf_counter()
                clf = rnnkit.train("classify", data=train, valid=valid, out=f"{tmp}/fold{k}",
                                   progress=False, **limit, **options)  # fmt: skip
                scores.append(
                    score(scored, [o["label"] for o in clf.predict([t for t, _ in scored])])
                )
                print(f"fold {k}: {time.perf_counter() - start:.0f} s", flush=True)
        report(options, scores)


if __name__ == "__main__":
    main()
