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

``--gum DEV,TEST`` adds two real text classification sets from UD English-GUM (dev
trains, test scores): a sentence's genre (15 genres, bound to each document's topic) and
its type (GUM's ``# s_type`` annotation: declarative, question, wh-question, imperative,
fragment, ...; 11 types, read from word order and punctuation), each beside TF-IDF word
1-2 + char 1-4-gram logistic regression, with a bootstrap interval over test documents
(``--gum-label genre`` or ``s_type`` runs one):

    python benchmarks/bench_classify.py --no-embedded --seeds 0 --time-budget 600 \
        --gum en_gum-ud-dev.conllu,en_gum-ud-test.conllu
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


GUM_LABELS = {
    "genre": "genre",  # the second part of the sentence id: 15 genres, topic-bound
    "s_type": "sentence type",  # `# s_type`: decl, q, wh, imp, frag, ... (word order)
}


def read_gum(path: str, label: str = "genre") -> list[tuple[str, str, str]]:
    """(text, label, document) of each sentence of a GUM CoNLL-U file. ``label="genre"``:
    the second part of ``# sent_id = GUM_<genre>_<doc>-<n>``; ``label="s_type"``: the
    sentence's ``# s_type`` comment (its speech act and form: decl, q, wh, imp, frag, ...)."""
    if label not in GUM_LABELS:
        raise SystemExit(f"bench_classify.py: no GUM label {label!r}; one of {sorted(GUM_LABELS)}")
    out, comments, start = [], {}, 0
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate([*lines, ""], 1):  # the "" ends a last sentence
        if line.startswith("# ") and " = " in line:
            start = start if comments else number  # the sentence's first comment
            key, value = line[2:].split(" = ", 1)
            comments[key.strip()] = value.strip()
        elif not line.strip() and comments:
            if "sent_id" in comments and "text" in comments:
                document = comments["sent_id"].rsplit("-", 1)[0]
                if label == "genre":
                    value = document.split("_")[1]
                elif "s_type" in comments:
                    value = comments["s_type"]
                else:
                    raise SystemExit(f"bench_classify.py: {path}, line {start}: sentence "
                                     f"{comments['sent_id']} has no '# s_type'")  # fmt: skip
                out.append((comments["text"], value, document))
            comments = {}
    if not out:
        raise SystemExit(f"bench_classify.py: no '# sent_id' / '# text' sentences in {path}")
    return out


def gum_task(paths: str, label: str, options: dict, out: Path, seeds: list[int],
             rounds: int = 1000) -> dict:  # fmt: skip
    """A sentence's genre (15 genres) or type (``s_type``, 11 types) on GUM: the dev file's
    sentences train (every tenth held out to validate), the test file's are scored; the
    model (mean over seeds, the first seed's predictions for the interval) beside TF-IDF
    word 1-2 + char 1-4-gram logistic regression, with a 95% bootstrap interval over test
    documents (sentences of one document share a genre, a topic and a style: resampling
    sentences would be too sure)."""
    import random

    from rnnkit.metrics import accuracy, macro_f1

    dev, test = (read_gum(p, label) for p in paths.split(","))
    train = [(t, g) for i, (t, g, _) in enumerate(dev) if i % 10 != 9]
    valid = [(t, g) for t, g, _ in dev[9::10]]
    texts = [t for t, _, _ in test]
    gold = [g for _, g, _ in test]
    runs, first = [], None
    for seed in seeds:
        start = time.perf_counter()
        clf = rnnkit.train("classify", data=train, valid=valid, out=out / f"{label}-seed{seed}",
                           progress=False, seed=seed, **options)  # fmt: skip
        seconds = time.perf_counter() - start
        predicted = [o["label"] for o in clf.predict(texts)]
        first = first or predicted
        runs.append({"seed": seed, "seconds": round(seconds, 1),
                     "steps": clf.run.read_metrics()[-1]["step"], "predicted": predicted})  # fmt: skip
    start = time.perf_counter()
    baseline = TfidfLogisticRegression(word_ngram_range=(1, 2)).fit(*zip(*train))
    baseline_seconds = time.perf_counter() - start
    base_predicted = baseline.predict(texts)
    labels = sorted({g for _, g in train} | set(gold))
    index = {g: k for k, g in enumerate(labels)}

    def scores(rows: list[int], predicted: list[str]) -> dict:
        y = [index[gold[i]] for i in rows]
        p = [index.get(predicted[i], len(index)) for i in rows]
        return {"accuracy": accuracy(y, p), "macro_f1": macro_f1(y, p, len(index) + 1)}

    everything = list(range(len(test)))
    by_doc: dict[str, list[int]] = {}
    for i, (_, _, doc) in enumerate(test):
        by_doc.setdefault(doc, []).append(i)
    docs, rng, diffs = sorted(by_doc), random.Random(0), {k: [] for k in KEYS}
    for _ in range(rounds):
        rows = [i for d in rng.choices(docs, k=len(docs)) for i in by_doc[d]]
        a, b = scores(rows, first), scores(rows, base_predicted)
        for k in KEYS:
            diffs[k].append(a[k] - b[k])
    interval = {k: [round(sorted(v)[int(0.025 * rounds)], 4),
                    round(sorted(v)[int(0.975 * rounds) - 1], 4)] for k, v in diffs.items()}  # fmt: skip
    model = [scores(everything, r["predicted"]) for r in runs]
    mean = {k: statistics.fmean(m[k] for m in model) for k in KEYS}
    base = scores(everything, base_predicted)
    return {
        "data": f"GUM {GUM_LABELS[label]} ({paths})", "label": label,
        "n_train": len(train), "n_test": len(test), "test_documents": len(docs),
        "classes": len(labels),
        "model": {**mean, "by_seed": [{"seed": r["seed"], **m, "steps": r["steps"]}
                                      for r, m in zip(runs, model)],
                  "train_seconds": statistics.fmean(r["seconds"] for r in runs),
                  "steps": runs[0]["steps"]},
        "baseline_tfidf_word_1_2_char_1_4_logreg": {**base,
                                                    "train_seconds": round(baseline_seconds, 1)},
        "model_minus_baseline_95_interval_over_documents": interval,
        "beats_baseline": all(mean[k] > base[k] for k in KEYS),
        "seeds_beating_baseline": sum(all(m[k] > base[k] for k in KEYS) for m in model),
    }  # fmt: skip


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
    parser.add_argument("--gum", metavar="DEV,TEST", help="GUM's tasks (CoNLL-U files)")
    parser.add_argument(
        "--gum-label", default="genre,s_type",
        help="comma-separated GUM tasks: genre (15 genres), s_type (11 sentence types)",
    )  # fmt: skip
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded names")
    parser.add_argument(
        "--options",
        default="{}",
        help='more rnnkit.train options as JSON, for an ablation: \'{"char_lm": "lm-fwd,lm-bwd"}\'',
    )
    args = parser.parse_args()
    seeds = [int(seed) for seed in args.seeds.split(",")]
    torch.set_num_threads(args.threads)
    results = []
    budget = {"time_budget": args.time_budget, **json.loads(args.options)}
    with tempfile.TemporaryDirectory() as tmp:
        if args.gum:
            labels = args.gum_label.split(",")
            for label in labels:  # a file's error comes first, alone, before any training
                for path in args.gum.split(","):
                    read_gum(path, label)
            for n, label in enumerate(labels):
                results.append(gum_task(args.gum, label, budget, Path(tmp) / "gum", seeds))
                r = results[-1]
                if n == 0:
                    print("| data | metric | rnnkit classify | TF-IDF word+char LR | "
                          "rnnkit - LR, 95% interval over documents |\n|---|---|---|---|---|",
                          file=sys.stderr)  # fmt: skip
                b, m = r["baseline_tfidf_word_1_2_char_1_4_logreg"], r["model"]
                for k in KEYS:
                    lo, hi = r["model_minus_baseline_95_interval_over_documents"][k]
                    print(f"| GUM {GUM_LABELS[label]} | {k} | {m[k]:.4f} | {b[k]:.4f} | "
                          f"[{lo:+.4f}, {hi:+.4f}] |", file=sys.stderr, flush=True)  # fmt: skip
        if not args.no_embedded:
            train = embedded.load("names", "train")
            results.append(
                _compare(
                    "names", train, embedded.load("names", "test"), budget,
                    Path(tmp) / "names", seeds,
                )
            )  # fmt: skip
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
                "options": json.loads(args.options),
                "defaults": ClassifyConfig().to_dict()["model"]
                | {"epochs": ClassifyConfig().train.epochs},
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    sys.exit(main())
