"""The Task interface, the registry of tasks, and the two entry points
:func:`train` and :func:`load` (exported as ``rnnkit.train`` and ``rnnkit.load``).

A task is the glue between data, model, metrics and predictor; the trainer
knows nothing of it.
"""

from __future__ import annotations

import difflib
import os
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import torch
from torch import nn

from rnnkit.config import (
    DataConfig,
    ModelConfig,
    RunConfig,
    TrainConfig,
    check_task_options,
    load_toml,
)
from rnnkit.errors import CheckpointError, ConfigError
from rnnkit.training import distributed
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import Trainer, TrainingProgram, resolve_device, seed_everything

__all__ = ["Task", "Predictor", "register", "get_task", "TASKS", "train", "load", "split_options"]

TASKS: dict[str, type[Task]] = {}


def register(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task reachable by its ``name``."""
    TASKS[cls.name] = cls
    return cls


def get_task(name: str) -> Task:
    import rnnkit.tasks  # noqa: F401  (registers the built-in tasks)

    try:
        return TASKS[name]()
    except KeyError:
        raise ConfigError(
            f"unknown task {name!r}; choose one of {', '.join(sorted(TASKS))}"
        ) from None


class Predictor:
    """A trained model ready for use; each task adds its own methods."""

    task: str = ""

    def __init__(self, model: nn.Module, config: RunConfig, run: RunDirectory | None = None):
        self.model = model.eval()
        self.config = config
        self.run = run

    @property
    def device(self):
        from rnnkit.generate import module_device

        return module_device(self.model)

    def __repr__(self) -> str:
        where = f", run={str(self.run.path)!r}" if self.run else ""
        return f"{type(self).__name__}(task={self.task!r}{where})"


class Task:
    """One kind of problem: how its data are read, its model built, its metrics computed."""

    name: str = ""

    def prepare(self, config: RunConfig, run: RunDirectory | None = None) -> Any:
        """Read the data and fit or (from ``run``) load tokenizer and vocab.
        Writes data-derived sizes into ``config.model``."""
        raise NotImplementedError

    def save_assets(self, run: RunDirectory, data: Any) -> None:
        raise NotImplementedError

    def build_model(self, config: RunConfig) -> nn.Module:
        raise NotImplementedError

    def program(
        self, model: nn.Module, data: Any, config: RunConfig, dist: DistInfo
    ) -> TrainingProgram:
        """The batches, loss and evaluation; under DDP, this rank's shard of the batches."""
        raise NotImplementedError

    def predictor(self, model: nn.Module, config: RunConfig, run: RunDirectory) -> Predictor:
        raise NotImplementedError

    def fit_classical(self, config: RunConfig, data: Any, run: RunDirectory) -> Predictor | None:
        """Fit a model that is estimated in closed form (an n-gram's counts) rather
        than trained by the Trainer; None when ``config`` asks for a neural model."""
        return None

    def load_predictor(
        self, config: RunConfig, run: RunDirectory, device: torch.device
    ) -> Predictor:
        """Rebuild the model of ``config`` with the run's weights (safetensors only)."""
        model = self.build_model(config)
        run.load_weights(model)
        return self.predictor(model.to(device), config, run)


_SECTIONS = {"model": ModelConfig, "data": DataConfig, "train": TrainConfig}
_RESUMABLE = {f.name for f in fields(TrainConfig)} - {"seed", "optimizer"}


def split_options(options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Sort flat options (``hidden_size=256``) into config sections; None means unset."""
    owner = {f.name: section for section, klass in _SECTIONS.items() for f in fields(klass)}
    out: dict[str, dict[str, Any]] = {s: {} for s in _SECTIONS}
    for key, value in options.items():
        if value is None:
            continue
        if key not in owner:
            close = difflib.get_close_matches(key, owner, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"unknown option {key!r}{hint}")
        out[owner[key]][key] = value
    return out


def train(
    task: str = "lm",
    *,
    config: RunConfig | str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    **options: Any,
) -> Predictor:
    """Train a model for ``task`` and return its predictor.

    Args:
        task: a registered task name: ``"lm"``, ``"classify"``, ``"tag"``,
            ``"forecast"`` or ``"seq2seq"``.
        config: a :class:`RunConfig` or the path of a TOML file; ``options`` override it.
        out: the run directory (default ``runs/<task>-<timestamp>``).
        resume: a run directory to continue from its last checkpoint; only
            training limits (``max_steps``, ``time_budget``, ...) may change.
        progress: show progress on stderr.
        options: any config field by name, e.g. ``hidden_size=256, max_steps=100``;
            a field that only other tasks read (``horizon`` for ``lm``) is refused.

    Example:
        >>> lm = rnnkit.train("lm", data="input.txt", max_steps=200)  # doctest: +SKIP
        >>> print(lm.generate("ROMEO:", max_new=100, temperature=0.8))  # doctest: +SKIP
    """
    sections = split_options(options)
    check_task_options(task, [k for k, v in options.items() if v is not None])
    if resume is not None:
        run = RunDirectory.open(resume)
        cfg = run.load_config()
        if cfg.task != task:
            raise ConfigError(f"{resume} is a {cfg.task!r} run, not {task!r}")
        fixed = {k for s in ("model", "data") for k in sections[s]}
        fixed |= set(sections["train"]) - _RESUMABLE
        if fixed:
            raise ConfigError(
                f"cannot change {', '.join(sorted(fixed))} when resuming; start a new run instead"
            )
        cfg.replace("train", **sections["train"])
        cfg.validate()
        task_obj = get_task(cfg.task)
        data = task_obj.prepare(cfg, run=run)
    else:
        if config is None:
            cfg = RunConfig(task=task)
        elif isinstance(config, RunConfig):
            cfg = config
        else:
            cfg = load_toml(config)
        cfg.task = task
        for section, values in sections.items():
            cfg.replace(section, **values)
        if cfg.data.data is not None:
            cfg.data.data = str(Path(cfg.data.data).resolve())
        if cfg.data.valid is not None:
            cfg.data.valid = str(Path(cfg.data.valid).resolve())
        cfg.validate()
        task_obj = get_task(cfg.task)
        data = task_obj.prepare(cfg)  # before creating the run: bad data leave no empty run
        run = None
        if distributed.is_main_process():  # under torchrun, rank 0 makes the run directory
            run = RunDirectory.create(
                out or Path("runs") / f"{task}-{time.strftime('%Y%m%d-%H%M%S')}"
            )
            task_obj.save_assets(run, data)
            run.save_config(cfg)
    if run is not None:
        classical = task_obj.fit_classical(cfg, data, run)
        if classical is not None:
            return classical
    return _fit(task_obj, cfg, data, run, resume=resume is not None, progress=progress)


def _fit(
    task_obj: Task,
    cfg: RunConfig,
    data: Any,
    run: RunDirectory | None,
    *,
    resume: bool,
    progress: bool,
) -> Predictor:
    """Build the model, train it (data-parallel under torchrun) and return the predictor."""
    device = resolve_device(cfg.train.device)
    info = distributed.setup(device)
    if info.enabled and device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
    try:
        run = RunDirectory(distributed.broadcast_path(run.path if run else None, info))
        seed_everything(cfg.train.seed, deterministic=cfg.train.deterministic)
        model = task_obj.build_model(cfg).to(device)
        if cfg.train.init_from and not resume:
            source = RunDirectory.open(cfg.train.init_from)
            try:
                source.load_weights(model, device=device)
            except CheckpointError as e:
                raise ConfigError(f"--init-from {cfg.train.init_from}: {e}") from None
        program = task_obj.program(model, data, cfg, info)
        callbacks = []
        if cfg.train.tensorboard and info.is_main:
            from rnnkit.training.callbacks import TensorBoardLogger

            callbacks.append(TensorBoardLogger(run.file("tb")))
        trainer = Trainer(
            model, cfg.train, program, run=run, callbacks=callbacks, progress=progress, dist=info
        )
        if resume:
            if info.is_main:
                run.remove_stale_temporaries()  # left by a writer killed mid-write
            trainer.resume(run)
        trainer.fit()
        if info.is_main:
            from rnnkit.plots import plot_loss_curves

            plot_loss_curves(run.read_metrics(), run.file("plots/loss.png"), title=f"{cfg.task}")
        distributed.barrier(info)
    finally:
        distributed.cleanup(info)
    return task_obj.predictor(model, cfg, run)


def load(run_dir: str | os.PathLike, *, device: str = "cpu") -> Predictor:
    """Load a run directory and return the predictor of its task.

    Weights come from safetensors and the rest from JSON: loading runs no code.
    """
    run = RunDirectory.open(run_dir)
    cfg = run.load_config()
    try:
        task_obj = get_task(cfg.task)
    except ConfigError as e:
        raise CheckpointError(f"{run_dir}: {e}") from None
    return task_obj.load_predictor(cfg, run, resolve_device(device))
