"""Command-line options generated from config fields (and from predictors' option
dataclasses), so that every field a user sets has a flag and every flag a field.

A field's name gives its flag in kebab case (``hidden_size`` -> ``--hidden-size``),
``flag`` in its metadata a shorter one kept beside it (``--hidden``); a bool is a
``--x/--no-x`` pair; ``choices`` become a :class:`click.Choice`. Every option's
default is None ("not given"), so that a TOML file and the task's defaults fill in
the rest; ``--help`` shows the task's own default beside each flag, in groups.
"""

from __future__ import annotations

import dataclasses
import json
import time
import typing
from collections.abc import Callable, Sequence
from pathlib import Path

import click

from rnnkit.config import GROUPS, SEED_MAX, _allowed, none_words

__all__ = [
    "GroupedCommand",
    "config_options",
    "tune_options",
    "options_of",
    "run_command",
    "RUN_OPTIONS",
    "TrainGroup",
    "TuneGroup",
]

#: Options of ``rnnkit train TASK`` that are not config fields: where the run goes and
#: what starts it.
RUN_OPTIONS = ("out", "config_file", "resume")
_SECTION_GROUP = {"model": "model", "data": "data", "train": "training", "options": "options"}


class GroupedOption(click.Option):
    def __init__(self, *args, group: str = "options", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.group = group


class GroupedCommand(click.Command):
    """A command whose ``--help`` lists its options in groups (data, model, training, output)."""

    def format_options(self, ctx, formatter) -> None:
        groups: dict[str, list] = {}
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                groups.setdefault(getattr(param, "group", "other"), []).append(record)
        order = [*GROUPS, *sorted(set(groups) - set(GROUPS))]
        for name in order:
            if name in groups:
                with formatter.section(f"{name.capitalize()} options"):
                    formatter.write_dl(groups[name])


def to_json(data) -> str:
    """One JSON line of results (stdout)."""
    return json.dumps(data, ensure_ascii=False)


def _flags(f: dataclasses.Field) -> list[str]:
    long = f.name.replace("_", "-")
    short = f.metadata.get("flag")
    names = [short] if short and short != long else []
    return [*names, long]


class NumberOrNone(click.ParamType):
    """An int or a float, or one of the words that set the field to None (``off``); for a
    field whose None is a rule, its ``off`` metadata is the number ``off`` stands for."""

    def __init__(self, number: type, words: frozenset[str]) -> None:
        self.number = click.INT if number is int else click.FLOAT
        self.words = words
        self.word = min(words - {"none"}, default="none")  # the one --help shows
        self.name = f"{self.number.name}|{self.word}"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value.lower() in self.words:
            return value.lower()  # the config reads it as None (or as the field's "off")
        try:
            return self.number.convert(value, param, ctx)
        except click.BadParameter:
            self.fail(f"{value!r} is neither {self.number.name} nor {self.word!r}", param, ctx)


def _option(f: dataclasses.Field, annotation, default, group: str) -> click.Option:
    m = f.metadata
    flags = [f"--{name}" for name in _flags(f)]
    allowed = [t for t in _allowed(annotation) if t is not type(None)]
    kwargs: dict = {"default": None, "help": m.get("help", ""), "group": group}
    shown = m.get("none") if default is None else default
    if shown is not None and shown != "":
        kwargs["show_default"] = str(shown)
    if allowed == [bool]:
        flags = ["/".join((flag, f"--no-{flag[2:]}")) for flag in flags]
        if f.name == "keep_best":
            flags.append("--keep-last")  # the old name of --no-keep-best
        return GroupedOption([*flags, f.name], **kwargs)
    if m.get("choices"):
        kwargs["type"] = click.Choice([str(c) for c in m["choices"]])
    elif allowed in ([int], [float]) and "off" in m:  # --ema off: the number meaning off
        kwargs["type"] = NumberOrNone(allowed[0], frozenset({"off", "none"}))
    elif allowed in ([int], [float]) and default is not None and none_words(f, annotation):
        kwargs["type"] = NumberOrNone(allowed[0], none_words(f, annotation))  # --x off
    elif allowed in ([int], [float]):
        kwargs["type"] = allowed[0]
    return GroupedOption([*flags, f.name], **kwargs)


def options_of(klass: type, defaults=None) -> list[click.Option]:
    """The options of a dataclass's fields (a config section or a predictor's options)."""
    instance = defaults if defaults is not None else klass()
    hints = typing.get_type_hints(klass)
    group = _SECTION_GROUP.get(getattr(klass, "section", ""), "options")
    return [
        _option(f, hints[f.name], getattr(instance, f.name), f.metadata.get("group") or group)
        for f in dataclasses.fields(klass)
        if not f.metadata.get("derived")
    ]


def config_options(config) -> list[click.Option]:
    """The flags of ``rnnkit train TASK``: every settable field of the task's config,
    then the run options (``--out``, ``--config``, ``--resume``)."""
    params = []
    for name in config.SECTIONS:
        section = getattr(config, name)
        params += options_of(type(section), section)
    params += [
        GroupedOption(
            ["--out"],
            group="output",
            help="Run directory to create.",
            show_default="runs/TASK-TIMESTAMP",
        ),
        GroupedOption(
            ["--config", "config_file"], group="output", help="A TOML config; flags override it."
        ),
        GroupedOption(
            ["--resume"],
            group="output",
            help="Continue the run in this directory from its last checkpoint.",
        ),
    ]
    return params


def run_command(name: str, callback: Callable, params: Sequence[click.Parameter], args) -> None:
    """Parse ``args`` with ``params`` (a run's declared options) and call ``callback``."""

    def given(**values):  # None: not given, the predictor's default applies
        return callback(**{k: v for k, v in values.items() if v is not None})

    command = GroupedCommand(name, callback=given, params=list(params))
    command.main(args=list(args), prog_name=f"rnnkit {name} RUN_DIR", standalone_mode=False)


def tune_options(train_params: list[click.Parameter]) -> list[click.Parameter]:
    """``rnnkit tune TASK``: the train flags (fixed in every trial) but the run options and
    the time budget, and the search's own options."""
    skip = {"time_budget", "out", "config_file", "resume", "seed"}
    params = [p for p in train_params if p.name not in skip]
    return params + [
        GroupedOption(["--trials"], type=click.IntRange(min=1), required=True, group="search",
                      help="Trials (runs) to try."),
        GroupedOption(["--time-budget"], type=float, required=True, group="search",
                      help="Seconds of training for all trials together (an equal share each)."),
        GroupedOption(["--seed"], type=click.IntRange(0, SEED_MAX), group="search", show_default="0",
                      help="Seed of the sampler and of every trial."),
        GroupedOption(["--out"], group="output", show_default="runs/tune-TASK-TIMESTAMP",
                      help="Folder of the trials, trials.csv, search.png and best.toml."),
    ]  # fmt: skip


# -- the commands ---------------------------------------------------------------------------------
class TrainGroup(click.Group):
    """``rnnkit train TASK``: one command per registered task, built when asked for."""

    def list_commands(self, ctx) -> list[str]:
        from rnnkit.tasks.base import task_names

        return task_names()

    def get_command(self, ctx, name: str) -> click.Command | None:
        from rnnkit.tasks.base import TASKS, task_names

        if name not in task_names():
            return None
        task = TASKS[name]

        def train(config_file, out, resume, **options) -> None:
            import rnnkit

            predictor = rnnkit.train(name, config=config_file, out=out, resume=resume, **options)
            metrics = predictor.run.read_metrics()
            click.echo(
                to_json({"run_dir": str(predictor.run.path), **(metrics[-1] if metrics else {})})
            )

        return GroupedCommand(
            name,
            callback=train,
            params=config_options(task.Config()),
            help=f"Train a model: {task.summary}. Prints the run directory and the final "
            "metrics as JSON. Without --data it trains on the task's embedded data.",
            short_help=task.summary,
            epilog=task.epilog or None,
        )


class TuneGroup(TrainGroup):
    """``rnnkit tune TASK``: the task's flags (fixed for every trial) and the search's."""

    def get_command(self, ctx, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None:
            return None

        def tune(trials, time_budget, out, seed, **options) -> None:
            from rnnkit.tune import tune as run_tune

            out = out or Path("runs") / f"tune-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
            fixed = {k: v for k, v in options.items() if v is not None}
            result = run_tune(name, trials=trials, time_budget=time_budget, out=out,
                              seed=seed or 0, **fixed)  # fmt: skip
            click.echo(to_json(result["best"]))

        return GroupedCommand(
            name, callback=tune, params=tune_options(command.params),
            help=f"Search hyperparameters for {name} with Optuna (the tune extra): each trial "
            "a run on an equal share of --time-budget, scored on the valid split; writes "
            "trials.csv, search.png and best.toml (rnnkit train TASK --config best.toml). "
            "The flags given are fixed in every trial, searched ones too.",
        )  # fmt: skip
