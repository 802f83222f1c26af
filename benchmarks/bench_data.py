"""Data pipeline: padding saved by length bucketing, and tokenise + numericalise speed.

    python benchmarks/bench_data.py [--examples 20000] [--batch-size 32] [--mb 2]
    python benchmarks/bench_data.py --corpus-mb 200     # the large-corpus part only

Large corpus (``--corpus-mb``): the embedded Shakespeare repeated to that many MB,
then ``rnnkit train lm --max-steps 50`` on it in a child process: its peak resident
set (``ru_maxrss``, the kernel's figure, mapped file pages included) against the
bytes of the text, and, in this process, training tokens/s reading batches from the
memory-mapped token cache over tokens/s from the same ids as an in-memory int64
tensor (the same model and steps, alternated, medians of 5).

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
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def large_corpus(megabytes: float, workdir: Path) -> dict:
    import torch

    import rnnkit
    from rnnkit.data.datasets import LMStream
    from rnnkit.data.token_cache import TextSpan, encode_span
    from rnnkit.models.language_model import RNNLanguageModel

    text = embedded.load("shakespeare")

    def train(megabytes: float, name: str) -> tuple[Path, int, int, float]:
        """(corpus, its bytes, the child's peak RSS, seconds) of `train lm --max-steps 50`."""
        path = workdir / f"{name}.txt"
        with open(path, "w", encoding="utf-8") as f:
            written = 0
            while written < megabytes * 1e6:
                f.write(text)
                written += len(text.encode("utf-8"))
        env = {**os.environ, "RNNKIT_CACHE": str(workdir / "cache")}
        argv = [sys.executable, "-m", "rnnkit", "train", "lm", "--data", str(path),
                "--max-steps", "50", "--eval-every", "25", "--eval-max-batches", "5",
                "--out", str(workdir / name)]  # fmt: skip
        log(f"train lm on {path.stat().st_size / 1e6:.0f} MB (tokenising, then 50 steps) ...")
        start = time.perf_counter()
        # a child of its own, so that ru_maxrss is this run's alone
        probe = (
            "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
        )
        child = subprocess.run([sys.executable, "-c", probe, *argv], env=env,
                               capture_output=True, text=True)  # fmt: skip
        if child.returncode != 0:
            raise SystemExit(child.stderr)
        peak = int(child.stdout.split()[-1]) * 1024  # KB on Linux
        return path, path.stat().st_size, peak, time.perf_counter() - start

    _, small_size, small_peak, _ = train(1, "small")
    path, size, peak, seconds = train(megabytes, "corpus")
    per_char = (peak - small_peak) / (size - small_size)

    lm = rnnkit.load(workdir / "corpus")
    os.environ["RNNKIT_CACHE"] = str(workdir / "cache")
    mapped = encode_span(TextSpan(str(path), 0, int(size * 0.9)), lm.tokenizer, lm.vocab)
    n = min(mapped.numel(), 2_000_000)
    in_memory = mapped[:n].long().clone()
    torch.manual_seed(0)
    model = RNNLanguageModel(len(lm.vocab), 64, 256, 2, "lstm", 0.1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)

    def rate(ids) -> float:
        stream = LMStream(ids, 32, 64)
        start = time.perf_counter()
        tokens = 0
        for i in range(20):
            x, y = stream[i]
            logits, _ = model(x)
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), y.flatten())
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            tokens += y.numel()
        return tokens / (time.perf_counter() - start)

    mm, mem = [], []
    for _ in range(5):
        mm.append(rate(mapped[:n]))
        mem.append(rate(in_memory))
    ratio = float(np.median(mm) / np.median(mem))
    return {
        "corpus_bytes": size,
        "train_seconds": round(seconds, 1),
        "peak_rss_bytes": peak,
        "peak_rss_bytes_1mb_corpus": small_peak,
        "rss_growth_per_text_byte": round(per_char, 3),
        "rss_goal": "<= ~2 bytes a character beyond the model",
        "cache_dtype": str(mapped.dtype),
        "tokens_per_s_memmap": round(float(np.median(mm))),
        "tokens_per_s_in_memory": round(float(np.median(mem))),
        "memmap_over_in_memory": round(ratio, 3),
        "speed_goal": ">= 0.95",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--mb", type=float, default=2.0, help="MB of Shakespeare to encode")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--corpus-mb", type=float, default=0, help="the large-corpus part")
    args = parser.parse_args()
    if args.corpus_mb:
        with tempfile.TemporaryDirectory() as workdir:
            print(json.dumps({"large_corpus": large_corpus(args.corpus_mb, Path(workdir))}))
        return
    log("padding ...")
    result = {"padding": padding(args.examples, args.batch_size, args.seed)}
    log("throughput ...")
    result["throughput"] = throughput(args.mb)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
