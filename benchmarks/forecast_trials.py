"""Short trials to choose forecast defaults on ETTh2's valid months only.

Each setting is a dict of ``rnnkit.train("forecast", ...)`` options, trained on the ETT
protocol's settings (as ``bench_forecast.py --ett`` builds them; ``--only`` picks them by
name) under the same ``--time-budget``. Prints one JSON line per setting and seed: the
valid MSE (standardised OT) of the ridge-started weights before the first step, that of
the weights the run keeps, and the gain in percent. No test month is read.

    python benchmarks/forecast_trials.py ../shared/devdata/etth2/ETTh2.csv \\
        '[{}, {"ema": 0.99}]' --time-budget 45 --only uni-L96
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch
from bench_forecast import _ett_jobs

import rnnkit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ett", help="ETTh2.csv")
    parser.add_argument("settings", help="a JSON list of rnnkit.train option dicts")
    parser.add_argument("--only", default="uni", help="settings whose name holds this")
    parser.add_argument("--time-budget", type=float, default=45.0)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    seeds = [int(s) for s in args.seeds.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        jobs, std = _ett_jobs(args.ett, Path(tmp))
        for name, data in (j for j in jobs if args.only in j[0]):
            for k, options in enumerate(json.loads(args.settings)):
                for seed in seeds:
                    start = time.perf_counter()
                    model = rnnkit.train("forecast", out=f"{tmp}/{name}-{k}-{seed}",
                                         progress=False, seed=seed,
                                         time_budget=args.time_budget, **data, **options)  # fmt: skip
                    evals = [m["valid_mse"] / std**2 for m in model.run.read_metrics()
                             if "valid_mse" in m]  # fmt: skip
                    first, kept = evals[0], min(evals)
                    print(json.dumps({
                        "setting": name, "options": options, "seed": seed,
                        "valid_mse_start": round(first, 5), "valid_mse_kept": round(kept, 5),
                        "gain_percent": round(100 * (1 - kept / first), 2),
                        "evaluations": len(evals), "seconds": round(time.perf_counter() - start),
                    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
