"""Language models on the embedded Shakespeare, beside their baselines, in one run.

    python benchmarks/bench_lm.py --budget 900            # quality: rnnkit vs KN vs plain torch loop
    python benchmarks/bench_lm.py --compare --budget 120  # the road: n-gram -> window -> RNN
    python benchmarks/bench_lm.py --generation RUN        # generation speed of a trained run only
    python benchmarks/bench_lm.py --wikitext DIR --budget 900 --orders 2,3,4,5   # word-level WikiText-2 vs KN

Quality mode trains rnnkit's default char-level LM for ``--budget`` seconds,
fits Kneser-Ney n-grams of orders 3 to 8, and trains a plain torch.nn.LSTM loop
(the same size, batch and BPTT; Adam at a constant rate in float32, as a user
would write it) for the same budget; all are scored on the same validation split with the
state carried through the text. It also reports when rnnkit reached the plain
loop's loss at 8/15 of the budget (both clocks count training time, not
evaluations), and generation speed (carried state) over a
naive loop that re-reads the whole prefix at every step. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

import rnnkit
from rnnkit.baselines.ngram import KneserNeyLM
from rnnkit.config import RunConfig
from rnnkit.data.datasets import LMStream
from rnnkit.tasks.lm import evaluate_lm
from rnnkit.training.trainer import cpu_has_native_bf16


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def kneser_ney(train_ids, valid_ids, vocab_size, orders, unit: str = "char") -> dict:
    """Kneser-Ney of each order on the held-out ids: loss in nats per ``unit`` (and bits)."""
    results = {}
    for order in orders:
        start = time.perf_counter()
        lm = KneserNeyLM(order=order).fit(train_ids.numpy(), vocab_size)
        loss = float(-lm.log_prob(valid_ids.numpy())[1:].mean())
        results[order] = {
            "loss": loss,
            f"bits_per_{unit}": loss / 0.6931471805599453,
            "seconds": round(time.perf_counter() - start, 2),
        }
        log(f"KN order {order}: {loss:.4f} nats/{unit}")
    return results


class PlainLSTM(nn.Module):
    def __init__(self, V, E, H, layers, dropout):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, layers, dropout=dropout, batch_first=True)
        self.drop = nn.Dropout(dropout)
        self.decoder = nn.Linear(H, V)

    def forward(self, x, state=None):
        out, state = self.lstm(self.drop(self.embedding(x)), state)
        return self.decoder(self.drop(out)), state


def plain_loop(cfg: RunConfig, train_ids, valid_ids, budget: float, checkpoints) -> dict:
    """The loop from the lecture notes: Adam, constant rate, clip 5, state detached."""
    m, d = cfg.model, cfg.data
    torch.manual_seed(0)
    model = PlainLSTM(m.vocab_size, m.embedding_dim, m.hidden_size, m.num_layers, m.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    stream = LMStream(train_ids, d.batch_size, d.bptt)
    curve, state, i, start = [], None, 0, time.perf_counter()
    pending = sorted(checkpoints)
    while time.perf_counter() - start < budget:
        if i % len(stream) == 0:
            state = None
        x, y = stream[i % len(stream)]
        logits, state = model(x, state)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        state = tuple(s.detach() for s in state)
        i += 1
        elapsed = time.perf_counter() - start
        if pending and elapsed >= pending[0]:
            pending.pop(0)
            paused = time.perf_counter()
            v = evaluate_lm(model, valid_ids, bptt=d.bptt, max_batches=50)["loss"]
            curve.append({"elapsed": round(elapsed, 1), "valid_loss_slice": v})
            model.train()
            start += time.perf_counter() - paused  # training time only, as rnnkit's budget
    final = evaluate_lm(model, valid_ids, bptt=d.bptt, char_level=True)
    return {"steps": i, "final": final, "curve": curve}


def generation_speed(lm, new: int = 500, repeats: int = 5) -> dict:
    """Carried-state streaming over a naive loop that re-reads the prefix each step.

    Both are warmed up once (the first calls pay for kernel set-up), then timed
    ``repeats`` times, alternately; the medians are compared.
    """
    model, prompt = lm.model, lm._prompt_ids("ROMEO:\n")

    def ours(n: int) -> float:
        start = time.perf_counter()
        lm.generate("ROMEO:\n", max_new=n, temperature=1.0, seed=0)
        return n / (time.perf_counter() - start)

    def naive(n: int) -> float:
        ids = list(prompt)
        gen = torch.Generator().manual_seed(0)
        start = time.perf_counter()
        with torch.no_grad():
            model.eval()
            for _ in range(n):
                logits, _ = model(torch.tensor([ids]))
                ids.append(int(torch.multinomial(logits[0, -1].softmax(-1), 1, generator=gen)))
        return n / (time.perf_counter() - start)

    ours(20), naive(20)
    rates = [(ours(new), naive(new)) for _ in range(repeats)]
    a = statistics.median(r[0] for r in rates)
    b = statistics.median(r[1] for r in rates)
    return {
        "chars_per_s": round(a),
        "naive_chars_per_s": round(b),
        "ratio": round(a / b, 1),
        "new_chars": new,
        "threads": torch.get_num_threads(),
    }


def wikitext(folder: str, budget: float, orders: list[int], run: str | None = None) -> dict:
    """Word-level WikiText-2 (the tokenised release, ``<unk>`` for rare words): rnnkit's
    default LM with ``--tokenizer word`` trained on valid.txt (its last part held out to
    validate, as the task does) for ``budget`` seconds, beside Kneser-Ney n-grams over
    the same vocabulary (order chosen on that held-out part); both scored on test.txt
    with the state carried through the text (a line break is a token, as <eos> is in
    pytorch/examples' word_language_model). Words of test.txt outside the vocabulary of
    valid.txt count as rnnkit's <unk>, for both."""
    from rnnkit.tasks.lm import encode_text, read_splits

    train_file, test_file = Path(folder) / "valid.txt", Path(folder) / "test.txt"
    start = time.perf_counter()
    if run is None:
        out = Path(tempfile.mkdtemp(prefix="bench_lm-wikitext-"))
        log("training the rnnkit word LM on WikiText-2 valid.txt ...")
        rnn = rnnkit.train("lm", data=str(train_file), tokenizer="word", out=out / "rnn",
                           time_budget=budget, progress=False)  # fmt: skip
    else:  # score a run this mode trained before
        rnn = rnnkit.load(run)
    seconds = rnn.run.read_metrics()[-1]["elapsed"] if run else time.perf_counter() - start
    test = rnn.evaluate(str(test_file))
    splits = read_splits(rnn.config)
    (train_text,), (valid_text,) = splits.train, splits.valid
    ids = {
        "train": encode_text(train_text, rnn.tokenizer, rnn.vocab),  # a span of the file
        "valid": encode_text(valid_text, rnn.tokenizer, rnn.vocab),
        "test": encode_text(test_file.read_text(encoding="utf-8"), rnn.tokenizer, rnn.vocab),
    }
    kn = kneser_ney(ids["train"], ids["valid"], len(rnn.vocab), orders, unit="word")
    best = min(kn, key=lambda o: kn[o]["loss"])
    lm = KneserNeyLM(order=best).fit(ids["train"].numpy(), len(rnn.vocab))
    kn_test = float(-lm.log_prob(ids["test"].numpy())[1:].mean())
    last = rnn.run.read_metrics()[-1]
    rows = [("rnnkit lm (word)", test["loss"]), (f"Kneser-Ney order {best}", kn_test)]
    log("| model | test loss (nats/word) | test perplexity |\n|---|---|---|")
    for name, loss in rows:
        log(f"| {name} | {loss:.4f} | {math.exp(loss):.1f} |")
    return {
        "data": str(folder),
        "train_tokens": int(ids["train"].numel()),
        "test_tokens": int(ids["test"].numel()),
        "vocab": len(rnn.vocab),
        "rnnkit": {
            **test,
            "perplexity": math.exp(test["loss"]),
            "seconds": round(seconds, 1),
            "steps": last["step"],
            "config": rnn.config.to_dict()["model"],
        },  # fmt: skip
        "kneser_ney": {
            "order": best,
            "test_loss": kn_test,
            "perplexity": math.exp(kn_test),
            "valid_by_order": kn,
        },  # fmt: skip
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=900.0, help="training seconds per model")
    p.add_argument("--compare", action="store_true", help="the road: n-gram, window, RNN")
    p.add_argument("--orders", default="3,4,5,6,7,8")
    p.add_argument("--context", type=int, default=8, help="window LM context")
    p.add_argument("--generation", metavar="RUN", help="only time generation of this lm run")
    p.add_argument("--wikitext", metavar="DIR", help="word-level WikiText-2 (valid/test.txt)")
    p.add_argument("--wikitext-run", metavar="RUN", help="--wikitext: score this trained run")
    args = p.parse_args()
    if args.wikitext:
        orders = [int(o) for o in args.orders.split(",")]
        result = wikitext(args.wikitext, args.budget, orders, args.wikitext_run)
        print(json.dumps({"benchmark": "lm-wikitext2", "command": "python " + " ".join(sys.argv),
                          "threads": torch.get_num_threads(), "budget_s": args.budget,
                          **result}))  # fmt: skip
        return
    if args.generation:
        speed = generation_speed(rnnkit.load(args.generation))
        print(json.dumps({"command": "python " + " ".join(sys.argv), **speed}))
        return
    orders = [int(o) for o in args.orders.split(",")]
    out = Path(tempfile.mkdtemp(prefix="bench_lm-"))
    result = {
        "benchmark": "lm",
        "command": "python " + " ".join(sys.argv),
        "threads": torch.get_num_threads(),
        "budget_s": args.budget,
    }

    log("training the rnnkit RNN LM ...")
    start = time.perf_counter()
    rnn = rnnkit.train(
        "lm", out=out / "rnn", time_budget=args.budget, eval_every=250, progress=False
    )
    rnn_metrics = rnn.evaluate()
    result["rnnkit"] = {
        **rnn_metrics,
        "seconds": round(time.perf_counter() - start, 1),
        "config": {
            **rnn.config.to_dict()["model"],
            **rnn.config.to_dict()["data"],
            "lr": rnn.config.train.lr,
            "schedule": rnn.config.train.schedule,
            "amp": rnn.config.train.amp,
            "ema": rnn.config.train.ema,
            "bf16_autocast": rnn.config.train.amp is not False and cpu_has_native_bf16(),
        },
    }
    from rnnkit.tasks.lm import encode, read_splits

    splits = read_splits(rnn.config)
    (train_text,), (valid_text,) = splits.train, splits.valid
    train_ids = encode(train_text, rnn.tokenizer, rnn.vocab)
    valid_ids = encode(valid_text, rnn.tokenizer, rnn.vocab)
    kn = kneser_ney(train_ids, valid_ids, len(rnn.vocab), orders)
    best = min(kn, key=lambda o: kn[o]["loss"])
    result["kneser_ney"] = {"best_order": best, **kn[best], "by_order": kn}

    if args.compare:
        log("training the window LM ...")
        window = rnnkit.train(
            "lm",
            out=out / "window",
            kind="window",
            context=args.context,
            time_budget=args.budget,
            progress=False,
        )
        result["window"] = window.evaluate()
        rows = [
            ("ngram", f"order {best}", kn[best]["loss"]),
            ("window", f"context {args.context}", result["window"]["loss"]),
            ("rnn", rnn.config.model.cell, rnn_metrics["loss"]),
        ]
        result["table"] = [
            {
                "model": m,
                "setting": s,
                "valid_loss": round(v, 4),
                "perplexity": round(2.718281828459045**v, 3),
                "bits_per_char": round(v / 0.6931471805599453, 4),
            }
            for m, s, v in rows
        ]
        for row in result["table"]:
            log(
                f"{row['model']:>7} {row['setting']:>10}  ppl {row['perplexity']:7.3f}  "
                f"bpc {row['bits_per_char']:.4f}"
            )
    else:
        log("training the plain torch.nn.LSTM loop ...")
        mark = args.budget * 8 / 15
        plain = plain_loop(rnn.config, train_ids, valid_ids, args.budget, [mark, args.budget - 1])
        result["plain_torch_loop"] = {
            **plain["final"],
            "steps": plain["steps"],
            "curve": plain["curve"],
        }
        target = plain["curve"][0]["valid_loss_slice"] if plain["curve"] else None
        reached = [
            r["elapsed"]
            for r in rnn.run.read_metrics()
            if target is not None and r.get("valid_loss", 9e9) <= target
        ]
        result["plain_loss_at_8_of_15"] = target
        result["rnnkit_seconds_to_reach_it"] = reached[0] if reached else None
        result["generation"] = generation_speed(rnn)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
