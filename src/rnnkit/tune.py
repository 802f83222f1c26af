"""Hyperparameter search with Optuna (the ``tune`` extra): ``rnnkit tune TASK``.

Each task declares its search space beside its config (:attr:`Task.search_space`);
each trial is an ordinary run (its own run directory, trained for an equal share of
the time budget) scored by the task's validation metric on the valid split, and a
trial whose periodic evaluations fall behind the median of the others is pruned.
The best trial's config is written as TOML, so that
``rnnkit train TASK --config OUT/best.toml`` trains it again::

    OUT/
      trial-000/ ...  the runs
      trials.csv      one row a trial: number, state, value, seconds, parameters
      search.png      each trial's value and the best so far
      best.toml       the best trial's config
"""

from __future__ import annotations

import csv
import math
import time
from pathlib import Path
from typing import Any

from rnnkit.errors import ConfigError

__all__ = ["tune", "space_from", "to_toml"]


def _optuna():
    try:
        import optuna
    except ImportError:
        raise ConfigError("rnnkit tune needs optuna: pip install 'rnnkit[tune]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


def space_from(trial, space: dict[str, tuple]) -> dict[str, Any]:
    """The values of one trial: ``("log", low, high)``, ``("float", low, high)``,
    ``("int", low, high[, step])`` or ``("choice", [values])`` per field."""
    values = {}
    for name, (kind, *args) in space.items():
        if kind == "log":
            values[name] = trial.suggest_float(name, args[0], args[1], log=True)
        elif kind == "float":
            values[name] = trial.suggest_float(name, args[0], args[1])
        elif kind == "int":
            values[name] = trial.suggest_int(
                name, args[0], args[1], step=args[2] if args[2:] else 1
            )
        elif kind == "choice":
            values[name] = trial.suggest_categorical(name, list(args[0]))
        else:
            raise ValueError(f"search space of {name!r}: unknown kind {kind!r}")
    return values


def to_toml(config: dict) -> str:
    """A config's sections as TOML (None values left out: they are the defaults)."""

    def value(v) -> str:
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, int | float):
            return repr(v)
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = [f'task = "{config["task"]}"']
    for section in ("model", "data", "train"):
        lines.append(f"\n[{section}]")
        lines += [f"{k} = {value(v)}" for k, v in config[section].items() if v is not None]
    return "\n".join(lines) + "\n"


def tune(
    task: str,
    *,
    trials: int,
    time_budget: float,
    out: str | Path,
    seed: int = 0,
    progress: bool = True,
    **options: Any,
) -> dict:
    """Search the task's space for ``trials`` runs sharing ``time_budget`` seconds of
    training; returns ``{"best": {...}, "trials": [...]}`` and writes ``out``.

    ``options`` are fixed in every trial and checked before the first; an option of the
    space given here is fixed too, and the search covers the rest of the space."""
    import rnnkit
    from rnnkit.tasks.base import check_options, get_task

    optuna = _optuna()
    task_obj = get_task(task)
    if not task_obj.search_space:
        raise ConfigError(f"the {task} task declares no search space")
    if trials < 1 or not time_budget > 0 or not math.isfinite(time_budget):
        raise ConfigError("tune needs --trials >= 1 and a positive --time-budget")
    if not 0 <= seed <= 2**32 - 1:  # config.SEED_MAX (tune does not import config)
        raise ConfigError(f"tune's seed must be in 0..{2**32 - 1}, got {seed}")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ConfigError(f"{out} is not empty; tune writes into a new or empty folder")
    space = {k: v for k, v in task_obj.search_space.items() if options.get(k) is None}
    if not space:
        raise ConfigError(
            f"every option that tune searches for {task} is fixed "
            f"({', '.join(sorted(task_obj.search_space))}); nothing is left to search"
        )
    check_options(task, {**options, "seed": seed})
    metric = options.get("metric") or task_obj.Config().train.metric
    higher = metric in task_obj.higher_is_better
    study = optuna.create_study(
        direction="maximize" if higher else "minimize",
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=0),
    )
    per_trial = time_budget / trials
    options = {**options, "seed": seed}  # every trial trains from the same seed
    rows = []

    def objective(trial) -> float:
        params = space_from(trial, space)

        def report(event, trainer, record) -> None:
            if event == "evaluate" and not record.get("full"):
                key = f"valid_{trainer.config.metric}"  # a task's "auto" is resolved by now
                trial.report(float(record[key]), record["step"])
                if trial.should_prune():
                    raise optuna.TrialPruned()

        start = time.perf_counter()
        run = out / f"trial-{trial.number:03d}"
        try:
            predictor = rnnkit.train(
                task, out=run, time_budget=per_trial, progress=False, callbacks=[report],
                **{**options, **params},
            )  # fmt: skip
        finally:
            trial.set_user_attr("seconds", round(time.perf_counter() - start, 1))
            trial.set_user_attr("run", str(run))
        key = f"valid_{predictor.config.train.metric}"
        return float(predictor.run.read_metrics()[-1][key])

    study.optimize(objective, n_trials=trials, catch=())
    for t in study.trials:
        rows.append(
            {
                "trial": t.number,
                "state": t.state.name,
                "value": t.value,
                "seconds": t.user_attrs.get("seconds"),
                **t.params,
            }  # fmt: skip
        )
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    if not done:
        raise ConfigError("no trial finished; give more time (--time-budget) or fewer trials")
    best = study.best_trial
    _write_outputs(out, rows, metric, higher)
    config = rnnkit.load(best.user_attrs["run"]).config
    best_toml = out / "best.toml"
    best_toml.write_text(to_toml(_settable(config)), encoding="utf-8")
    return {
        "best": {
            "trial": best.number,
            f"valid_{metric}": best.value,
            **best.params,
            "config": str(best_toml),
            "run": best.user_attrs["run"],
        },  # fmt: skip
        "trials": rows,
    }


def _settable(config) -> dict:
    """The config's settable fields (derived sizes left out), by section."""
    out = {"task": config.task}
    for section, f, _ in config.fields():
        out.setdefault(section, {})[f.name] = getattr(getattr(config, section), f.name)
    return out


def _write_outputs(out: Path, rows: list[dict], metric: str, higher: bool) -> None:
    names = list(dict.fromkeys(k for row in rows for k in row))
    with open(out / "trials.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=names)
        writer.writeheader()
        writer.writerows(rows)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [(r["trial"], r["value"]) for r in rows if r["value"] is not None]
    best, so_far = None, []
    for _, v in done:
        best = v if best is None or (v > best if higher else v < best) else best
        so_far.append(best)
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    ax.plot([t for t, _ in done], [v for _, v in done], "o", label="trial")
    ax.plot([t for t, _ in done], so_far, "-", label="best so far")
    pruned = [r["trial"] for r in rows if r["state"] == "PRUNED"]
    if pruned:
        ax.plot(pruned, [so_far[-1]] * len(pruned), "x", color="grey", label="pruned")
    ax.set_xlabel("trial")
    ax.set_ylabel(f"valid {metric}")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "search.png")
    plt.close(fig)
