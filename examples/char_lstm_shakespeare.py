"""The lecture's char-LSTM on Shakespeare, sampled with temperature 0.8.

    python examples/char_lstm_shakespeare.py --time-budget 120

Trains a char-level LSTM on the embedded plays (a fixed train/valid split),
reports validation bits per character, then samples from the carried state.
"""

import argparse

import rnnkit


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, default=120.0, help="training seconds")
    parser.add_argument("--max-steps", type=int, default=None, help="training steps")
    parser.add_argument("--hidden", type=int, default=None, help="LSTM units (default: lm's)")
    parser.add_argument("--out", default=None, help="run directory")
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--max-new", type=int, default=400, help="characters to sample")
    args = parser.parse_args(argv)

    lm = rnnkit.train(
        "lm",
        cell="lstm",
        time_budget=args.time_budget,
        max_steps=args.max_steps,
        hidden_size=args.hidden,
        out=args.out,
    )
    metrics = lm.evaluate()
    print(
        f"valid: {metrics['bits_per_char']:.3f} bits/char, perplexity {metrics['perplexity']:.2f}"
    )
    sample = lm.generate("ROMEO:\n", max_new=args.max_new, temperature=args.temperature, seed=1)
    print(sample)
    return {"metrics": metrics, "sample": sample, "vocab_size": len(lm.vocab)}


if __name__ == "__main__":
    main()
