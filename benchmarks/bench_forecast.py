"""Forecasting beside its baselines; prints one JSON object.

For each setting the default forecaster (a GRU reading patches of the window,
normalised by its last row, plus a linear highway from the window to the
outputs, started at the ridge fit) is trained with the task's defaults (the
time budget is a cap), once per seed (``--seeds``, default 0,1,2: runs of the
same setting differ by several percent), picked on the valid split, and scored
on the test split (the last 15% of the rows, after the scaler was fit on the
first 70%) beside persistence, seasonal naive and a ridge regression on the same
test windows, all in the data's units:

- ``msft-lecture``: daily MSFT Open, High, Low, Close -> next Close, lookback 4,
  horizon 1 (the lecture's setting);
- ``msft-h5``: the same, lookback 32, horizon 5 (a trading week);
- ``taylor-h24`` and ``taylor-h48``: half-hourly electricity demand, lookback 336
  (a week: the ridge and the model both see last week's same half hour), horizons
  24 (12 hours) and 48 (a day), season 48.

Each CSV given on the command line is scored with ``--lookback``/``--horizon``
(default 24/1), its columns chosen by ``--features``/``--target`` (default: every
column, the last as target). The ``verdict`` says plainly whether anything
beats persistence on the daily stock closes, and whether the model beats
persistence and ridge at horizon >= 24 on the seasonal series (by the mean over
seeds, with how many seeds beat ridge). A plain table of the same figures (mean
MSE of the model and each baseline's, yes/no verdicts, seeds below ridge, mean
training seconds) goes to stderr; the JSON (with the command) to stdout.

    python benchmarks/bench_forecast.py [--time-budget 300] [--seeds 0,1,2] [--only taylor-h24] [CSV ...]

``--ett ETTh2.csv`` adds the ETT protocol (the first 20 months; 12/4/4 months
train/valid/test; MSE and MAE on the target standardised with the train split's mean and
std): univariate OT at lookback 96 and 336, horizons 24 and 96, and all 7 columns -> OT at
horizon 96, beside persistence, seasonal naive (24 h) and ridge, with the published
univariate DLinear/NLinear figures (lookback 336, horizon 96) quoted beside ours:

    python benchmarks/bench_forecast.py --no-embedded --ett ETTh2.csv --time-budget 120
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

import rnnkit
from rnnkit.training.trainer import resolve_device

SETTINGS = {
    "msft-lecture": {"series": "msft", "lookback": 4, "horizon": 1},
    "msft-h5": {"series": "msft", "lookback": 32, "horizon": 5},
    "taylor-h24": {"series": "taylor", "lookback": 336, "horizon": 24},
    "taylor-h48": {"series": "taylor", "lookback": 336, "horizon": 48},
}
KEYS = ("mse", "mae", "rmse", "mape")
CLEAR_GAIN = 0.01  # a lower MSE than persistence by less than 1% of it is called noise


def _run(name: str, options: dict, out: Path, seeds: list[int]) -> dict:
    """Train one setting once per seed; the model's figures are the means over seeds."""
    trained = []
    for seed in seeds:
        start = time.perf_counter()
        model = rnnkit.train(
            "forecast", out=out / f"seed{seed}", progress=False, seed=seed, **options
        )
        seconds = time.perf_counter() - start
        trained.append((model, model.evaluate(), seconds))
    model, scores, _ = trained[0]
    baselines = scores["baselines"]  # the same test windows for every seed
    mean = {k: statistics.fmean(s[k] for _, s, _ in trained) for k in KEYS}
    best = min(baselines, key=lambda k: baselines[k]["mse"])
    cfg = model.config
    return {
        "setting": name,
        "data": scores["data"],
        "target": scores["target"],
        "lookback": cfg.data.lookback,
        "horizon": scores["horizon"],
        "season": scores["season"],
        "n_test_windows": scores["n"],
        "model": {
            **mean,
            "mse_by_seed": {seed: s["mse"] for seed, (_, s, _) in zip(seeds, trained)},
            "cell": cfg.model.cell,
            "hidden_size": cfg.model.hidden_size,
            "window_norm": cfg.model.window_norm,
            "highway": cfg.model.highway,
            "patch": cfg.model.patch,
            "strategy": cfg.model.strategy,
            "epochs": cfg.train.epochs,
            "train_seconds": round(statistics.fmean(t for _, _, t in trained), 1),
            "steps": model.run.read_metrics()[-1]["step"],
        },
        "baselines": {k: {m: v[m] for m in KEYS} for k, v in baselines.items()},
        "model_mse_over": {k: mean["mse"] / v["mse"] for k, v in baselines.items()},
        "seeds_beating": {
            k: sum(s["mse"] < v["mse"] for _, s, _ in trained) for k, v in baselines.items()
        },
        "best_baseline": best,
        "beats_persistence": mean["mse"] < baselines["persistence"]["mse"],
        "beats_seasonal_naive": mean["mse"] < baselines["seasonal_naive"]["mse"],
        "beats_ridge": mean["mse"] < baselines["ridge"]["mse"],
        "beats_all_baselines": all(mean["mse"] < v["mse"] for v in baselines.values()),
    }


def _verdict(runs: list[dict]) -> dict:
    """Plain sentences: does anything beat persistence on the stock closes; does the
    model beat persistence and ridge at horizon >= 24 on the seasonal series."""
    out = {}
    stock = [r for r in runs if r["setting"].startswith("msft")]
    if stock:
        gains = {}  # who beats persistence, and by what share of its MSE
        for r in stock:
            persistence = r["baselines"]["persistence"]["mse"]
            mses = {"the model": r["model"]["mse"]}
            mses.update({k: r["baselines"][k]["mse"] for k in ("seasonal_naive", "ridge")})
            for who, mse in mses.items():
                if mse < persistence:
                    gains[f"{who} ({r['setting']})"] = 1.0 - mse / persistence
        clear = {k: g for k, g in gains.items() if g >= CLEAR_GAIN}
        listed = ", ".join(f"{k} by {100 * g:.2f}%" for k, g in gains.items())
        if clear:
            out["daily_stock_closes"] = "beats persistence on test MSE: " + listed
        elif gains:
            out["daily_stock_closes"] = (
                f"nothing beats persistence by a clear margin ({100 * CLEAR_GAIN:.0f}% of its "
                f"MSE) on the daily MSFT closes; lower by a hair, within noise: {listed}"
            )
        else:
            out["daily_stock_closes"] = (
                "nothing beats persistence on the daily MSFT closes: neither the model nor "
                "ridge nor seasonal naive has a lower test MSE"
            )
    seasonal = [r for r in runs if r["setting"].startswith("taylor") and r["horizon"] >= 24]
    for r in seasonal:
        missed = [k for k in ("persistence", "ridge") if not r[f"beats_{k}"]]
        seeds = (
            f"{r['seeds_beating']['ridge']} of {len(r['model']['mse_by_seed'])} seeds below ridge"
        )
        out[r["setting"]] = (
            f"the model beats persistence and ridge on mean test MSE ({seeds})"
            if not missed
            else "the model does NOT beat " + " or ".join(missed) + f" on mean test MSE ({seeds})"
        )
    return out


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _table(runs: list[dict]) -> str:
    """The runs as a plain text table: test MSE of the model and each baseline."""
    head = (
        f"{'setting':<16} {'L':>4} {'T_out':>5} {'model':>12} {'persistence':>12} "
        f"{'seas. naive':>12} {'ridge':>12}  beats persistence  beats ridge  seeds  train s"
    )
    lines = [head, "-" * len(head)]
    for r in runs:
        b = r["baselines"]
        lines.append(
            f"{r['setting'][:16]:<16} {r['lookback']:>4} {r['horizon']:>5} "
            f"{r['model']['mse']:>12.5g} {b['persistence']['mse']:>12.5g} "
            f"{b['seasonal_naive']['mse']:>12.5g} {b['ridge']['mse']:>12.5g}  "
            f"{_yes(r['beats_persistence']):<17}  {_yes(r['beats_ridge']):<11}  "
            f"{r['seeds_beating']['ridge']}/{len(r['model']['mse_by_seed'])}    "
            f"{r['model']['train_seconds']:>7}"
        )
    return "\n".join(lines)


# The ETT protocol (Zhou et al., 2021; Zeng et al., 2023): the first 20 months of the hourly
# series, 12/4/4 months train/valid/test, inputs standardised with the train split's mean
# and std, MSE and MAE on the standardised target.
ETT_ROWS = {"train": 8640, "valid": 2880, "test": 2880}
ETT_SETTINGS = [  # (name, features, lookback, horizon)
    ("uni", "OT", 96, 24),
    ("uni", "OT", 96, 96),
    ("uni", "OT", 336, 24),
    ("uni", "OT", 336, 96),
    ("multi", None, 96, 96),
    ("multi", None, 336, 96),
]
# Published univariate ETTh2 test figures at lookback 336 (Zeng et al., AAAI 2023, the
# univariate table), quoted, not rerun; only horizons 96..720 are published there.
ETT_PUBLISHED = {96: {"DLinear": (0.131, 0.279), "NLinear": (0.129, 0.278)}}


def _ett_jobs(path: str, tmp: Path) -> tuple[list[tuple[str, dict]], float]:
    """The ETT settings of ``path``, and the train split's std of OT (the metrics are
    divided by it, and MSE by its square, to be on the standardised target)."""
    import csv

    import numpy as np

    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1 : 1 + sum(ETT_ROWS.values())]
    cut = tmp / "ett.csv"
    with open(cut, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([header, *body])
    ot = np.array([float(r[header.index("OT")]) for r in body[: ETT_ROWS["train"]]])
    share = ETT_ROWS["valid"] / sum(ETT_ROWS.values())
    jobs = []
    for kind, features, lookback, horizon in ETT_SETTINGS:
        options = {"data": str(cut), "target": "OT", "lookback": lookback, "horizon": horizon,
                   "valid_fraction": share, "test_fraction": share, "season": 24}  # fmt: skip
        if features:
            options["features"] = features
        jobs.append((f"etth2-{kind}-L{lookback}-H{horizon}", options))
    return jobs, float(ot.std())


def _standardised(run: dict, std: float) -> dict:
    """MSE and MAE of the model (mean over seeds, and per seed) and the baselines on the
    standardised target."""
    scale = {"mse": std**2, "mae": std}
    out = {"model": {k: run["model"][k] / scale[k] for k in scale}}
    out["model_mse_by_seed"] = {s: v / std**2 for s, v in run["model"]["mse_by_seed"].items()}
    for name, b in run["baselines"].items():
        out[name] = {k: b[k] / scale[k] for k in scale}
    return out


def _ett_table(runs: list[dict]) -> str:
    head = ("| setting | model MSE / MAE | persistence | seasonal naive | ridge | seeds below "
            "ridge | DLinear / NLinear (published, L336) | train s |")  # fmt: skip
    lines = [head, "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        z = r["standardised"]
        cell = {k: f"{z[k]['mse']:.4f} / {z[k]['mae']:.4f}" for k in z if k != "model_mse_by_seed"}
        below = sum(v < z["ridge"]["mse"] for v in z["model_mse_by_seed"].values())
        published = ETT_PUBLISHED.get(r["horizon"]) if "-uni-" in r["setting"] else None
        quoted = " ; ".join(f"{k} {m:.3f} / {a:.3f}" for k, (m, a) in published.items()) \
            if published else "-"  # fmt: skip
        lines.append(
            f"| {r['setting']} | {cell['model']} | {cell['persistence']} | "
            f"{cell['seasonal_naive']} | {cell['ridge']} | {below}/{len(z['model_mse_by_seed'])} "
            f"| {quoted} | {r['model']['train_seconds']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", nargs="*", help="extra numeric CSV files to score")
    parser.add_argument("--time-budget", type=float, default=300.0, help="seconds per setting")
    parser.add_argument("--only", action="append", choices=sorted(SETTINGS), help="settings")
    parser.add_argument("--no-embedded", action="store_true", help="score the CSV files only")
    parser.add_argument(
        "--ett", help="ETTh2.csv: the ETT protocol's settings (uni- and multivariate -> OT)"
    )
    parser.add_argument("--cell", default=None, help="override the cell (default: gru)")
    parser.add_argument("--hidden", type=int, default=None, help="override the hidden size")
    parser.add_argument("--window-norm", default=None, choices=["last", "last_scale", "none"])
    parser.add_argument(
        "--highway", action=argparse.BooleanOptionalAction, default=None, help="default: on"
    )
    parser.add_argument("--patch", type=int, default=None, help="rows per recurrent step")
    parser.add_argument("--features", default=None, help="CSV files: input columns")
    parser.add_argument("--target", default=None, help="CSV files: the column to predict")
    parser.add_argument("--lookback", type=int, default=24, help="CSV files: lookback")
    parser.add_argument("--horizon", type=int, default=1, help="CSV files: horizon")
    parser.add_argument("--device", default="auto")
    parser.add_argument(
        "--seeds",
        default="0,1,2",
        help="comma-separated seeds; the model's figures are their means",
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="default: the task's (the budget is a cap)"
    )
    parser.add_argument(
        "--options",
        default="{}",
        help="more rnnkit.train options as JSON, for an ablation: '{\"ema\": null}'",
    )
    args = parser.parse_args(argv)

    seeds = [int(seed) for seed in args.seeds.split(",")]
    common = {"time_budget": args.time_budget, "device": args.device}
    for key, value in (("cell", args.cell), ("hidden_size", args.hidden), ("epochs", args.epochs)):
        if value is not None:
            common[key] = value
    for key in ("window_norm", "highway", "patch"):
        if getattr(args, key) is not None:
            common[key] = getattr(args, key)
    common.update(json.loads(args.options))
    jobs = []
    if not args.no_embedded:
        jobs += [(name, SETTINGS[name]) for name in (args.only or SETTINGS)]
    for path in args.csv:
        options = {"data": str(Path(path).resolve()), "lookback": args.lookback}
        options["horizon"] = args.horizon
        for key in ("features", "target"):
            if getattr(args, key) is not None:
                options[key] = getattr(args, key)
        jobs.append((os.path.basename(path), options))
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        std = None
        if args.ett:
            ett, std = _ett_jobs(args.ett, Path(tmp))
            jobs += ett
        for name, options in jobs:
            print(f"bench_forecast: {name} ...", file=sys.stderr)
            runs.append(_run(name, {**common, **options}, Path(tmp) / name, seeds))
            if name.startswith("etth2-"):
                runs[-1]["standardised"] = _standardised(runs[-1], std)
    print(_table(runs), file=sys.stderr)
    ett_runs = [r for r in runs if "standardised" in r]
    if ett_runs:
        print(_ett_table(ett_runs), file=sys.stderr)
    print(
        json.dumps(
            {
                "benchmark": "forecast",
                "command": " ".join(["python", "benchmarks/bench_forecast.py", *sys.argv[1:]])
                if argv is None
                else " ".join(["bench_forecast", *argv]),
                "device": str(resolve_device(args.device)),
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "time_budget_per_run": args.time_budget,
                "seeds": seeds,
                "runs": runs,
                "verdict": _verdict(runs),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
