"""Tuning against the defaults in the same total budget, on a real series.

    OMP_NUM_THREADS=2 python benchmarks/bench_tune.py --data ../shared/devdata/etth2/ETTh2.csv \\
        [--budget 300] [--trials 6] [--horizon 24]

ETTh2 with the ETT protocol's split (the first 14,400 rows: 12 / 4 / 4 months, train /
valid / test; the scaler fit on the training rows), univariate (OT -> OT), lookback 96.
The task's defaults train for --budget seconds; `rnnkit tune` spends the same seconds on
--trials runs of its declared space (an equal share each), choosing on the valid
split; both are then scored on the test split, beside persistence, seasonal naive and
ridge (MSE and MAE in the data's units, degrees Celsius). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import rnnkit
from rnnkit.tune import tune

ETT_ROWS = 14_400  # 8,640 + 2,880 + 2,880 hours


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", required=True, help="ETTh2.csv (../shared/devdata/etth2)")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds for each side")
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lines = Path(args.data).read_text(encoding="utf-8").splitlines()
        header = lines[0].split(",")
        ot = header.index("OT")
        rows = [f"{r.split(',')[0]},{r.split(',')[ot]}" for r in lines[1 : ETT_ROWS + 1]]
        data = work / "etth2_ot.csv"
        data.write_text("date,OT\n" + "\n".join(rows) + "\n", encoding="utf-8")
        fixed = dict(data=str(data), features="OT", target="OT", lookback=96,
                     horizon=args.horizon, valid_fraction=0.2, test_fraction=0.2)  # fmt: skip
        print(f"defaults: {args.budget:.0f} s ...", file=sys.stderr, flush=True)
        defaults = rnnkit.train("forecast", out=work / "defaults", time_budget=args.budget,
                                seed=args.seed, progress=False, **fixed)  # fmt: skip
        print(f"tune: {args.trials} trials in {args.budget:.0f} s ...", file=sys.stderr, flush=True)
        searched = tune("forecast", trials=args.trials, time_budget=args.budget,
                        out=work / "tune", seed=args.seed, **fixed)  # fmt: skip
        tuned = rnnkit.load(searched["best"]["run"])
        test_defaults, test_tuned = defaults.evaluate(), tuned.evaluate()
    keep = ("mse", "mae", "n")
    result = {
        "data": "ETTh2 OT, first 14,400 rows, 12/4/4 months",
        "lookback": 96,
        "horizon": args.horizon,
        "budget_seconds_each": args.budget,
        "defaults_test": {k: test_defaults[k] for k in keep},
        "tuned_test": {k: test_tuned[k] for k in keep},
        "tuned_best_trial": {k: v for k, v in searched["best"].items() if k not in ("run",)},
        "trials": [
            {k: r[k] for k in ("trial", "state", "value", "seconds")} for r in searched["trials"]
        ],
        "baselines_test": {
            name: {k: scores[k] for k in ("mse", "mae")}
            for name, scores in test_defaults["baselines"].items()
        },
    }
    result["tuned_beats_defaults_mse"] = (
        result["tuned_test"]["mse"] < result["defaults_test"]["mse"]
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
