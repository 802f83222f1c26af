"""The language-model road: n-gram -> fixed window -> RNN, on the same text and split.

    python examples/lm_road.py                       # about 3 minutes on a laptop CPU
    python examples/lm_road.py --time-budget 600     # the networks get 10 minutes each

Each stop is one call, rnnkit.train("lm", kind=...), on a slice of the
embedded Shakespeare written to a file (its last 10%, cut at a line, is the
validation text):

- kind="ngram": counts. Order 1 knows letter frequencies only; a Kneser-Ney
  n-gram conditions on the n-1 characters before.
- kind="window": a feed-forward network reads a fixed window of characters
  (Bengio et al. 2003): it shares strength across similar contexts, but sees
  no further back than its window.
- kind="rnn": an LSTM carries a state through the whole text.

Each prints its validation bits per character and a sample at temperature 0.8.
Counting is instant and training is not: with a minute each the networks do
not yet beat a good n-gram; benchmarks/bench_lm.py --compare runs the road on
the whole text with longer budgets.
"""

import argparse
import tempfile
from pathlib import Path

import rnnkit
from rnnkit.data import embedded


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chars", type=int, default=1_000_000, help="characters of Shakespeare")
    parser.add_argument("--order", type=int, default=5, help="n of the n-gram")
    parser.add_argument("--context", type=int, default=8, help="window of the window LM")
    parser.add_argument("--time-budget", type=float, default=60, help="seconds per network")
    parser.add_argument("--steps", type=int, default=None, help="training steps per network")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--out", default=None, help="folder for the runs (default: temporary)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    out = Path(args.out or tempfile.mkdtemp(prefix="lm-road-"))
    out.mkdir(parents=True, exist_ok=True)
    data = out / "shakespeare.txt"
    data.write_text(embedded.load("shakespeare", "train")[: args.chars], encoding="utf-8")
    common = {"data": str(data), "progress": False, "seed": 0}
    network = {
        "time_budget": args.time_budget,
        "max_steps": args.steps,
        "hidden_size": args.hidden,
        "eval_every": args.steps or 1000,
    }
    road = [
        ("unigram", {"kind": "ngram", "order": 1}),
        (f"{args.order}-gram", {"kind": "ngram", "order": args.order}),
        (f"window {args.context}", {"kind": "window", "context": args.context, **network}),
        ("LSTM", {"kind": "rnn", "cell": "lstm", "num_layers": 1, **network}),
    ]
    results = {}
    vocab_size = 0
    for name, options in road:
        lm = rnnkit.train("lm", out=out / name.replace(" ", "-"), **common, **options)
        bits = lm.evaluate()["bits_per_char"]
        results[name] = bits
        vocab_size = len(lm.vocab)
        sample = lm.generate("ROMEO:\n", max_new=120, temperature=0.8, seed=args.seed)
        print(f"--- {name}: {bits:.3f} bits/char on the validation text ---")
        print(sample)
    print("--- the road ---")
    for name, bits in results.items():
        print(f"{name:10} {bits:.3f} bits/char")
    return {"bits_per_char": results, "vocab_size": vocab_size}


if __name__ == "__main__":
    main()
