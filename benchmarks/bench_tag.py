"""Sequence tagging beside its two baselines; prints one JSON object.

For each data set, in the same run: the default ``tag`` model (a BiLSTM-CRF over
words and their characters, the task's defaults; best epoch chosen on the valid
split), a most-frequent-tag baseline, and a linear-chain CRF over hand-made word
features (sklearn-crfsuite, L-BFGS), all scored on the same test sentences with
the same metrics (token accuracy; entity-level precision, recall and F1 where the
tags are BIO/BIOES/IO spans, conlleval's counting) and the training seconds of each.

Data sets: the embedded synthetic ``ner`` corpus (train / valid / test), then each
PATH given: a CoNLL or CoNLL-U file (sentences ``i % 10 == 8`` are valid,
``i % 10 == 9`` test, the rest train), ``TRAIN,TEST`` (every tenth sentence of TRAIN
held out to validate: a UD treebank's ``dev.conllu,test.conllu`` when its train file
is not at hand) or ``TRAIN,VALID,TEST`` (three files, e.g. WNUT 2017's
``wnut17train.conll,emerging.dev.conll,emerging.test.annotated``).

Prints one table on stderr (model and baselines side by side) and every figure as one
JSON object on stdout; ``--seeds 0,1,2`` trains the model
once per seed and reports the mean beside each seed's figure (the baselines are
deterministic); ``--json FILE`` also writes the JSON to a file. The runs on real data (the
commands in benchmarks/README.md):

    python benchmarks/bench_tag.py --no-embedded --time-budget 600 --threads 2 \
        --tag-column upos en_gum-ud-dev.conllu,en_gum-ud-test.conllu
    python benchmarks/bench_tag.py --no-embedded --time-budget 600 --threads 2 \
        wnut17train.conll,emerging.dev.conll,emerging.test.annotated
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
from rnnkit.baselines.tagging import FeatureCRF, MostFrequentTag
from rnnkit.config import RunConfig
from rnnkit.data import embedded
from rnnkit.span_metrics import SPAN_SCHEMES, tagging_report
from rnnkit.tasks import TagConfig
from rnnkit.tasks.tag import detect_scheme, read_tagged

KEYS = ("accuracy", "precision", "recall", "f1")


def _write(path: Path, sentences) -> str:
    """A two-column CoNLL file; a space inside a token (some UD treebanks) becomes ``_``."""
    lines = []
    for s in sentences:
        lines += [f"{token.replace(' ', '_')} {tag}" for token, tag in zip(s.tokens, s.tags)]
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _baseline(cls, train, test, scheme) -> dict:
    start = time.perf_counter()
    model = cls().fit([s.tokens for s in train], [s.tags for s in train])
    seconds = time.perf_counter() - start
    report = tagging_report([s.tags for s in test], model.predict([s.tokens for s in test]), scheme)
    return {**{k: report[k] for k in KEYS}, "train_seconds": round(seconds, 1)}


def _train_and_score(train, valid, test, options, out: Path) -> dict:
    """The default tagger of one seed: trained, then scored on the test sentences."""
    start = time.perf_counter()
    tagger = rnnkit.train(
        "tag",
        data=_write(out / "train.conll", train),
        valid=_write(out / "valid.conll", valid),
        out=out / "run",
        progress=False,
        **options,
    )
    seconds = time.perf_counter() - start
    model = tagger.evaluate(test)
    last = tagger.run.read_metrics()[-1]
    return {
        **{k: model[k] for k in KEYS},
        "per_type": {k: round(v["f1"], 4) for k, v in model["per_type"].items()},
        "n": model["n"],
        "train_seconds": round(seconds, 1),
        "steps": last["step"],
        "epochs": last["epoch"],
        "seed": options["seed"],
    }


def _compare(name, train, valid, test, options, seeds, out: Path) -> dict:
    """The model with each seed (the mean of each figure as ``model``, every seed's in
    ``model_seeds``) beside the two baselines, which are deterministic."""
    scheme = detect_scheme(train)
    runs = []
    for seed in seeds:
        (out / f"seed{seed}").mkdir(parents=True)
        runs.append(_train_and_score(train, valid, test, {**options, "seed": seed},
                                     out / f"seed{seed}"))  # fmt: skip
    mean = {k: sum(r[k] for r in runs) / len(runs) for k in (*KEYS, "train_seconds")}
    result = {
        "data": name,
        "scheme": scheme,
        "n_train": len(train),
        "n_test": len(test),
        "test_tokens": runs[0]["n"],
        "model": {**runs[0], **mean} if len(runs) == 1 else mean,
        "model_seeds": runs,
        "baseline_most_frequent_tag": _baseline(MostFrequentTag, train, test, scheme),
        "baseline_feature_crf": _baseline(FeatureCRF, train, test, scheme),
    }
    key = "f1" if scheme in SPAN_SCHEMES else "accuracy"
    result["beats_baselines"] = all(
        r[key] > result[b][key]
        for r in runs
        for b in ("baseline_most_frequent_tag", "baseline_feature_crf")
    )
    return result


def _splits(path: str, config: RunConfig):
    parts = path.split(",")
    if len(parts) == 3:
        return tuple(list(read_tagged(p, config)) for p in parts)
    if len(parts) == 2:  # TRAIN,TEST: every tenth training sentence is held out to validate
        sentences, test = (list(read_tagged(p, config)) for p in parts)
        train = [s for i, s in enumerate(sentences) if i % 10 != 9]
        return train, sentences[9::10], test
    if len(parts) != 1:
        raise SystemExit(f"bench_tag.py: give FILE, TRAIN,TEST or TRAIN,VALID,TEST, got {path!r}")
    sentences = list(read_tagged(path, config))
    if len(sentences) < 10:
        raise SystemExit(f"bench_tag.py: {path} has {len(sentences)} sentences; need >= 10")
    train = [s for i, s in enumerate(sentences) if i % 10 < 8]
    return train, sentences[8::10], sentences[9::10]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="CoNLL/CoNLL-U files, or TRAIN,VALID,TEST")
    parser.add_argument("--time-budget", type=float, default=600.0, help="seconds per model")
    parser.add_argument("--epochs", type=int, help="training epochs (default: the task's)")
    parser.add_argument("--format", choices=["conll", "conllu"], help="default: by extension")
    parser.add_argument("--tag-column", help="CoNLL column number, or CoNLL-U upos/xpos")
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, auto")
    parser.add_argument("--no-embedded", action="store_true", help="skip the embedded corpus")
    parser.add_argument("--json", help="also write every figure to this JSON file")
    parser.add_argument("--char-lm", help="FWD_RUN,BWD_RUN: contextual character-LM features")
    parser.add_argument(
        "--seeds", default="0", help="comma-separated seeds: the model's mean, and each seed's"
    )
    parser.add_argument(
        "--options",
        default="{}",
        help="more rnnkit.train options as JSON, for an ablation: '{\"lowercase\": false}'",
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    options = {"time_budget": args.time_budget, "device": args.device}
    if args.epochs is not None:
        options["epochs"] = args.epochs
    if args.char_lm:
        options["char_lm"] = args.char_lm
    options.update(json.loads(args.options))
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_embedded:
            splits = (embedded.load("ner", s) for s in ("train", "valid", "test"))
            results.append(_compare("ner (synthetic)", *splits, options, seeds, Path(tmp) / "ner"))
        for i, path in enumerate(args.paths):
            config = TagConfig()
            config.data.format = args.format
            config.data.tag_column = args.tag_column
            train, valid, test = _splits(path, config)
            name = ",".join(Path(p).name for p in path.split(","))
            results.append(_compare(name, train, valid, test, options, seeds, Path(tmp) / f"d{i}"))
    report = {
        "benchmark": "tag",
        "command": "python " + " ".join(sys.argv),
        "device": args.device,
        "threads": args.threads,
        "time_budget_per_model": args.time_budget,
        "seeds": seeds,
        "results": results,
    }
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"command: {report['command']}", file=sys.stderr)
    print(f"seeds: {args.seeds} (rnnkit tag: the mean; each seed's figure after it)",
          file=sys.stderr)  # fmt: skip
    print("| data | train sents | metric | rnnkit tag | seeds | most-frequent tag | feature CRF "
          "| rnnkit s / steps / epochs | CRF s |", file=sys.stderr)  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|", file=sys.stderr)
    for r in results:
        key = "f1" if r["scheme"] in SPAN_SCHEMES else "accuracy"
        m, mft, crf = r["model"], r["baseline_most_frequent_tag"], r["baseline_feature_crf"]
        each = " ".join(f"{s[key]:.4f}" for s in r["model_seeds"])
        work = " + ".join(f"{s['train_seconds']:.0f} / {s['steps']} / {s['epochs']}"
                          for s in r["model_seeds"])  # fmt: skip
        print(f"| {r['data']} | {r['n_train']} | {'entity F1' if key == 'f1' else 'accuracy'} "
              f"| {m[key]:.4f} | {each} | {mft[key]:.4f} | {crf[key]:.4f} "
              f"| {work} | {crf['train_seconds']:.0f} |", file=sys.stderr)  # fmt: skip

    print(json.dumps(report))


if __name__ == "__main__":
    main()
