"""The lecture's char-LSTM on Shakespeare, sampled with temperature 0.8.

    python examples/char_lstm_shakespeare.py --time-budget 120

Trains a char-level LSTM on the embedded plays (a fixed train/valid split),
reports validation bits per character, then samples from the carried state.
"""

import argparse

import rnnkit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=120.0, help="training seconds")
    parser.add_argument("--out", default=None, help="run directory")
    parser.add_argument("--temperature", type=float, default=0.8)
    args = parser.parse_args()

    lm = rnnkit.train("lm", cell="lstm", time_budget=args.time_budget, out=args.out)
    metrics = lm.evaluate()
    print(
        f"valid: {metrics['bits_per_char']:.3f} bits/char, perplexity {metrics['perplexity']:.2f}"
    )
    print(lm.generate("ROMEO:\n", max_new=400, temperature=args.temperature, seed=1))


if __name__ == "__main__":
    main()
