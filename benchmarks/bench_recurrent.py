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
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time

import torch

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
    out.sum().backward()
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
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
