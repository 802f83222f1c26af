"""Short trials to choose tag defaults on dev data only; prints one JSON line per setting.

Each setting is a dict of ``rnnkit.train("tag", ...)`` options, trained under the same
``--time-budget``. Without ``--valid``, every tenth sentence of ``--train`` is held out to
validate (a treebank's dev file). The printed figure is the validation metric of the
weights the run keeps: token accuracy for POS tags, entity F1 for span tags.

That figure chose the weights too, so it flatters a setting that evaluates more often
(more chances of a lucky maximum on a small validation part). ``--holdout`` also keeps
every tenth sentence (the fifth of each ten) out of training and validation, and prints
the kept weights' score on them as ``"holdout"``: a figure nothing was chosen on.

    python benchmarks/tag_trials.py --train ../shared/devdata/en_gum/en_gum-ud-dev.conllu \\
        --tag-column upos --time-budget 300 '[{}, {"hidden_size": 256}]'
    python benchmarks/tag_trials.py --train ../shared/devdata/wnut17/wnut17train.conll \\
        --valid ../shared/devdata/wnut17/emerging.dev.conll --time-budget 300 '[{}]'
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

import rnnkit
from rnnkit.tasks import TagConfig
from rnnkit.tasks.tag import read_tagged


def write_conll(path: Path, sentences) -> None:
    lines = []
    for s in sentences:
        lines += [f"{t.replace(' ', '_')} {g}" for t, g in zip(s.tokens, s.tags)] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("settings", help="a JSON list of option dicts")
    parser.add_argument("--train", required=True)
    parser.add_argument("--valid", help="default: every tenth sentence of --train")
    parser.add_argument("--tag-column", default=None, help="CoNLL-U: upos or xpos")
    parser.add_argument("--time-budget", type=float, default=300.0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--holdout", action="store_true",
                        help="score the kept weights on sentences 5, 15, 25, ... (not trained or "
                        "validated on)")  # fmt: skip
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        train, valid, column = args.train, args.valid, {}
        if args.tag_column:
            column = {"tag_column": args.tag_column}
        held = f"{tmp}/holdout.conll" if args.holdout else None
        if held and valid is not None:
            parser.error("--holdout splits --train three ways; it takes no --valid")
        if valid is None:
            config = TagConfig()
            config.data.tag_column = args.tag_column
            sentences = list(read_tagged(train, config))
            out = {9, 4} if held else {9}
            train, valid = f"{tmp}/train.conll", f"{tmp}/valid.conll"
            write_conll(Path(train), [s for i, s in enumerate(sentences) if i % 10 not in out])
            write_conll(Path(valid), sentences[9::10])
            if held:
                write_conll(Path(held), sentences[4::10])
            column = {}  # written as word-tag pairs
        for k, options in enumerate(json.loads(args.settings)):
            start = time.perf_counter()
            tagger = rnnkit.train("tag", data=train, valid=valid, out=f"{tmp}/run{k}",
                                  time_budget=args.time_budget, progress=False,
                                  **column, **options)  # fmt: skip
            records = [r for r in tagger.run.read_metrics() if r["full"]]
            key = f"valid_{tagger.config.train.metric}"  # auto, resolved: accuracy or f1
            row = {
                "options": options,
                "metric": key,
                "valid": round(records[-1][key], 4),  # the closing evaluation: kept weights
                "steps": records[-1]["step"],
                "seconds": round(time.perf_counter() - start),
            }
            if held:
                row["holdout"] = round(tagger.evaluate(held)[key.removeprefix("valid_")], 4)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
