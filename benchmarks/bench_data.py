"""Data pipeline: padding saved by length bucketing, and tokenise + numericalise speed.

    python benchmarks/bench_data.py [--examples 20000] [--batch-size 32] [--mb 2]

Padding: lengths drawn from a log-normal distribution (median 20 tokens, long tail
clipped at 400), batched by :class:`~rnnkit.data.batching.BucketBatchSampler` and by
random batches (the same sampler with ``bucket_size = batch_size``, i.e. torch's
``DataLoader(shuffle=True)``); the figure is the share of padded positions.

Speed: MB of UTF-8 text per second turned into ids (tokenize + vocab lookup) on the
embedded Shakespeare, for the char, code point and SentencePiece (unigram, 4000
pieces, trained on the first MB) tokenizers; each beside the plain-Python reference
doing the same job in the same process (a dict lookup per character, ``ord`` per
character, the bare ``sentencepiece`` processor). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import numpy as np

from rnnkit.data import embedded
from rnnkit.data.batching import BucketBatchSampler, padding_fraction
from rnnkit.data.tokenizers import make_tokenizer
from rnnkit.data.vocab import build_vocab


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def best_rate(fn, megabytes: float, repeats: int = 3) -> float:
    """MB/s of the fastest of ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return megabytes / best


def padding(examples: int, batch_size: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.lognormal(np.log(20), 1.0, examples).astype(int), 1, 400).tolist()
    bucketed = BucketBatchSampler(lengths, batch_size, seed=seed)
    random = BucketBatchSampler(lengths, batch_size, bucket_size=batch_size, seed=seed)
    return {
        "examples": examples,
        "batch_size": batch_size,
        "length_distribution": "lognormal(median 20, sigma 1.0), clipped to [1, 400]",
        "length_mean": float(np.mean(lengths)),
        "length_max": int(max(lengths)),
        "padding_fraction_bucketed": round(padding_fraction(list(bucketed), lengths), 4),
        "padding_fraction_random": round(padding_fraction(list(random), lengths), 4),
    }


def throughput(mb: float) -> dict:
    text = embedded.load("shakespeare")
    sample = text[: int(mb * 1_000_000)]
    megabytes = len(sample.encode("utf-8")) / 1e6
    out: dict = {"text": "shakespeare", "megabytes": round(megabytes, 3)}

    char = make_tokenizer("char")
    vocab = build_vocab(char.tokenize(text))
    stoi, unk = vocab.stoi, vocab.unk_id
    out["char_mb_per_s"] = best_rate(lambda: char.encode(sample, vocab), megabytes)
    out["char_reference_mb_per_s"] = best_rate(
        lambda: [stoi.get(c, unk) for c in sample], megabytes
    )

    codepoint = make_tokenizer("codepoint", max_code_point=256)
    out["codepoint_mb_per_s"] = best_rate(lambda: codepoint.encode(sample), megabytes)
    out["codepoint_reference_mb_per_s"] = best_rate(lambda: [ord(c) for c in sample], megabytes)

    log("training sentencepiece on 1 MB ...")
    start = time.perf_counter()
    spm = make_tokenizer("sentencepiece", vocab_size=4000).fit([text[:1_000_000]])
    out["sentencepiece_fit_s"] = round(time.perf_counter() - start, 2)
    processor = spm._processor()
    out["sentencepiece_mb_per_s"] = best_rate(lambda: spm.encode(sample), megabytes)
    out["sentencepiece_reference_mb_per_s"] = best_rate(
        lambda: processor.encode(sample.split("\n")), megabytes
    )
    ids = spm.encode(sample)
    out["sentencepiece_chars_per_token"] = round(len(sample) / len(ids), 3)
    out["sentencepiece_lossless"] = spm.decode(ids, spm.natural_vocab()) == sample
    for key in list(out):
        if key.endswith("_mb_per_s"):
            out[key] = round(out[key], 2)
    for name in ("char", "codepoint", "sentencepiece"):
        out[f"{name}_vs_reference"] = round(
            out[f"{name}_mb_per_s"] / out[f"{name}_reference_mb_per_s"], 3
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--mb", type=float, default=2.0, help="MB of Shakespeare to encode")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    log("padding ...")
    result = {"padding": padding(args.examples, args.batch_size, args.seed)}
    log("throughput ...")
    result["throughput"] = throughput(args.mb)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
