"""Forward+backward speed of rnnkit.nn's recurrent stacks, as ratios over torch.nn.

Prints one JSON object on stdout. For every (cell, backend) it times one
forward and backward pass (loss = output.sum()) and reports tokens per second
(N * L / seconds) and the ratio over torch.nn.LSTM measured in the same run and
thread count; minGRU and minLSTM are also reported over torch.nn.GRU, with each
whole-sequence scan: "log" (the paper's log-space parallel scan), "sequential"
(the fused linear recurrence) and "auto" (what the device gets by default:
sequential on CPU, log on GPU). Each candidate is timed alternately with its reference, and the
ratio is the ratio of the medians, so load from other processes shifts both.

    python benchmarks/bench_recurrent.py            # H=256, N=32, L=128 and 512
    python benchmarks/bench_recurrent.py --quick    # H=64, N=8, L=32 and 64
    python benchmarks/bench_recurrent.py --device cuda   # on a GPU (cuDNN for torch.nn)
    python benchmarks/bench_recurrent.py --packed-only --repeats 5   # the packed table only

``packed_bidirectional_lstm``: a bidirectional LSTM over a packed batch of mixed
lengths (a tagger's sentences, and its words' characters), rnnkit's over torch.nn's,
the same weights and batch. On CPU rnnkit runs such a batch padded through the fused
kernel where that is faster (``rnnkit.nn._stack``), with the same results.
``packed_bidirectional_gru``: the same for a GRU (a classifier's texts), which goes
padded only for long batches.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import torch
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence

from rnnkit.nn import make_recurrent

# name -> (cell, backend, layer_norm, extra keyword arguments)
CANDIDATES = {
    "rnn/torch": ("rnn", "torch", False, {}),
    "rnn/scratch": ("rnn", "scratch", False, {}),
    "lstm/torch": ("lstm", "torch", False, {}),
    "lstm/scratch": ("lstm", "scratch", False, {}),
    "gru/torch": ("gru", "torch", False, {}),
    "gru/scratch": ("gru", "scratch", False, {}),
    "lstm_layer_norm/scratch": ("lstm", "scratch", True, {}),
    "gru_layer_norm/scratch": ("gru", "scratch", True, {}),
    "mingru/auto": ("mingru", "auto", False, {}),
    "mingru/log-scan": ("mingru", "auto", False, {"scan": "log"}),
    "mingru/sequential": ("mingru", "auto", False, {"scan": "sequential"}),
    "minlstm/auto": ("minlstm", "auto", False, {}),
    "minlstm/log-scan": ("minlstm", "auto", False, {"scan": "log"}),
}


def _sync(x: torch.Tensor) -> None:
    if x.is_cuda:  # kernels run asynchronously: wait for them before reading the clock
        torch.cuda.synchronize(x.device)


def time_fwd_bwd(module: torch.nn.Module, x: torch.Tensor) -> float:
    """Seconds for one forward and backward pass."""
    module.zero_grad(set_to_none=True)
    _sync(x)
    start = time.perf_counter()
    out, _ = module(x)
    (out.data if isinstance(out, PackedSequence) else out).sum().backward()
    _sync(x)
    return time.perf_counter() - start


def compare(candidate, reference, x, repeats: int) -> tuple[float, float]:
    """Median seconds of candidate and reference, timed alternately after one warm-up each."""
    time_fwd_bwd(candidate, x)
    time_fwd_bwd(reference, x)
    cand, ref = [], []
    for _ in range(repeats):
        cand.append(time_fwd_bwd(candidate, x))
        ref.append(time_fwd_bwd(reference, x))
    return statistics.median(cand), statistics.median(ref)


# (name, N sequences, longest L, shortest, H_in, H): a tagger's sentences and its words
PACKED_SHAPES = [
    ("sentences: 32 of 8-25 words, 256 units", 32, 25, 8, 150, 256),
    ("sentences: 32 of 20-60 words, 256 units", 32, 60, 20, 150, 256),
    ("long: 32 of 100-200 steps, 256 units", 32, 200, 100, 100, 256),
    ("words: 800 of 1-10 characters, 50 units", 800, 10, 1, 50, 50),
]
# The GRU goes padded only where L * T is large (rnnkit.nn._stack, _padded_kernel).
PACKED_GRU_SHAPES = [
    ("sentences: 32 of 8-25 words, 256 units (stays packed)", 32, 25, 8, 128, 256),
    ("long: 32 of 180-200 steps, 256 units", 32, 200, 180, 128, 256),
    ("long and wide: 256 of 88-100 steps, 256 units", 256, 100, 88, 128, 256),
]


def packed_ratios(repeats: int, device: torch.device, quick: bool, cell: str = "lstm") -> dict:
    """A bidirectional LSTM (or GRU) over a packed batch of mixed lengths, rnnkit over
    torch.nn.

    The same weights and the same PackedSequence (``enforce_sorted=False``) for both.
    """
    shapes = PACKED_SHAPES if cell == "lstm" else PACKED_GRU_SHAPES
    reference_cls = torch.nn.LSTM if cell == "lstm" else torch.nn.GRU
    rows = {}
    for name, N, longest, shortest, H_in, H in shapes[:2] if quick else shapes:
        ours = make_recurrent(cell, H_in, H, bidirectional=True, batch_first=True).to(device)
        reference = reference_cls(H_in, H, bidirectional=True, batch_first=True).to(device)
        reference.load_state_dict(ours.state_dict())
        lengths = torch.randint(shortest, longest + 1, (N,))
        x = pack_padded_sequence(
            torch.randn(N, longest, H_in, device=device),
            lengths,
            batch_first=True,
            enforce_sorted=False,
        )
        t, t_ref = compare(ours, reference, x, repeats)
        rows[name] = {
            "tokens_per_s": round(int(lengths.sum()) / t),
            f"ratio_vs_torch_{cell}": round(t_ref / t, 3),
        }
    return rows


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument(
        "--packed-only",
        action="store_true",
        help="only the packed bidirectional LSTM and GRU ratios",
    )
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    if args.packed_only:
        report = {
            "benchmark": "packed bidirectional LSTM and GRU forward+backward",
            "threads": torch.get_num_threads(),
            "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
            "torch": torch.__version__,
            "packed_bidirectional_lstm": packed_ratios(args.repeats, device, args.quick),
            "packed_bidirectional_gru": packed_ratios(args.repeats, device, args.quick, "gru"),
        }
        print(json.dumps(report))
        return report
    H, N, lengths = (64, 8, [32, 64]) if args.quick else (256, 32, [128, 512])

    torch_lstm = torch.nn.LSTM(H, H).to(device)
    torch_gru = torch.nn.GRU(H, H).to(device)
    results: dict[str, dict] = {}
    for L in lengths:
        x = torch.randn(L, N, H, device=device)  # (L, N, H_in)
        row: dict[str, dict] = {}
        for name, (cell, backend, layer_norm, extra) in CANDIDATES.items():
            module = make_recurrent(cell, H, H, backend=backend, layer_norm=layer_norm).to(device)
            for key, value in extra.items():
                setattr(module, key, value)
            t, t_lstm = compare(module, torch_lstm, x, args.repeats)
            entry = {"tokens_per_s": round(N * L / t), "ratio_vs_torch_lstm": round(t_lstm / t, 3)}
            if cell in ("mingru", "minlstm", "gru"):
                t_again, t_gru = compare(module, torch_gru, x, args.repeats)
                entry["ratio_vs_torch_gru"] = round(t_gru / t_again, 3)
            row[name] = entry
        row["torch.nn.LSTM"] = {
            "tokens_per_s": round(
                N
                * L
                / statistics.median([time_fwd_bwd(torch_lstm, x) for _ in range(args.repeats)])
            )
        }
        row["torch.nn.GRU"] = {
            "tokens_per_s": round(
                N * L / statistics.median([time_fwd_bwd(torch_gru, x) for _ in range(args.repeats)])
            )
        }
        results[str(L)] = row

    longest = str(lengths[-1])
    report = {
        "benchmark": "recurrent forward+backward",
        "hidden": H,
        "batch": N,
        "lengths": lengths,
        "threads": torch.get_num_threads(),
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "results": results,
        "packed_bidirectional_lstm": packed_ratios(args.repeats, device, args.quick),
        "packed_bidirectional_gru": packed_ratios(args.repeats, device, args.quick, "gru"),
        "goals": {
            "scratch_lstm_over_torch_lstm": min(
                results[str(L)]["lstm/scratch"]["ratio_vs_torch_lstm"] for L in lengths
            ),
            "scratch_lstm_goal": 0.5,
            "mingru_over_torch_gru_at_longest": results[longest]["mingru/auto"][
                "ratio_vs_torch_gru"
            ],
            "mingru_log_scan_over_torch_gru_at_longest": results[longest]["mingru/log-scan"][
                "ratio_vs_torch_gru"
            ],
            "mingru_goal": 3.0,
        },
    }
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return report


if __name__ == "__main__":
    main()
