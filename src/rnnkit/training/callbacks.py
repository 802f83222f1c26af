"""Callbacks the trainer calls as ``callback(event, trainer, record)``.

A callback is any callable; ``rnnkit.train(task, callbacks=[...])`` and
:class:`~rnnkit.training.trainer.Trainer` take a list of them. The events:

==============  ==========================================  ===================================
event           when                                        ``record``
==============  ==========================================  ===================================
``log``         every ``log_every`` steps (and step 1)      ``step``, ``loss``, ``lr``,
                                                            ``tokens_per_s``
``evaluate``    after each evaluation (periodic slices and  the metrics.jsonl line: ``step``,
                the final full one)                         ``valid_<metric>``, ``full``, ...
``checkpoint``  after each checkpoint                       ``step``
``step_end``    after each step, its evaluation and         ``step``; raising KeyboardInterrupt
                checkpoint                                  stops the run as Ctrl-C does
``end``         after the final evaluation                  ``step``, ``stop_reason``, metrics
==============  ==========================================  ===================================

``trainer.run`` is the run directory (None in memory-only training), ``trainer.step``
the optimiser step. :class:`TensorBoardLogger` (``--tensorboard``) and
:class:`MLflowLogger` (``--mlflow URI``) are two such callbacks.
"""

from __future__ import annotations

import contextlib

from rnnkit.errors import ConfigError

__all__ = ["TensorBoardLogger", "MLflowLogger"]


class TensorBoardLogger:
    """Write training and validation scalars for TensorBoard (the ``tb`` extra).

    Scalars: ``train/loss``, ``train/lr``, ``train/tokens_per_s`` at every log,
    ``valid/<metric>`` at every evaluation.
    """

    def __init__(self, log_dir) -> None:
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise ConfigError(
                "--tensorboard needs the tensorboard package: pip install 'rnnkit[tb]'"
            ) from None
        self.writer = SummaryWriter(log_dir=str(log_dir))

    def __call__(self, event: str, trainer, record: dict) -> None:
        step = record.get("step", trainer.step)
        if event == "log":
            for key in ("loss", "lr", "tokens_per_s"):
                self.writer.add_scalar(f"train/{key}", record[key], step)
        elif event == "evaluate":
            for key, value in record.items():
                if key.startswith("valid_") and isinstance(value, (int, float)):
                    self.writer.add_scalar(f"valid/{key[6:]}", value, step)
        elif event == "end":
            self.writer.flush()
            self.writer.close()


class MLflowLogger:
    """Log a run to MLflow (the ``mlflow`` extra): its config as parameters, the training
    loss at each log, the validation metrics at each evaluation, and the run directory as
    artefacts at the end.

    Args:
        tracking_uri: where MLflow keeps runs, e.g. ``sqlite:///mlflow.db`` or a server's
            URL (recent MLflow refuses a plain folder by default).
        experiment: the experiment's name (made when missing).
        run_name: the MLflow run's name (default: the run directory's name).
    """

    def __init__(self, tracking_uri: str, experiment: str = "rnnkit", run_name: str | None = None):
        try:
            from mlflow.tracking import MlflowClient
        except ImportError:
            raise ConfigError(
                "--mlflow needs the mlflow package: pip install 'rnnkit[mlflow]'"
            ) from None
        self.uri = tracking_uri
        with self._errors():
            self.client = MlflowClient(tracking_uri=tracking_uri)
            found = self.client.get_experiment_by_name(experiment)
            self.experiment_id = (
                found.experiment_id if found else self.client.create_experiment(experiment)
            )
        self.run_name = run_name
        self.run_id: str | None = None

    @contextlib.contextmanager
    def _errors(self):
        """MLflow's errors (a bad URI, a store it refuses) as one line naming the URI."""
        from mlflow.exceptions import MlflowException

        try:
            yield
        except MlflowException as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise ConfigError(f"--mlflow {self.uri}: {first}") from None

    def _start(self, trainer) -> str:
        if self.run_id is None:
            name = self.run_name or (trainer.run.path.name if trainer.run else "rnnkit")
            self.run_id = self.client.create_run(self.experiment_id, run_name=name).info.run_id
            for key, value in _params(trainer).items():
                self.client.log_param(self.run_id, key, value)
        return self.run_id

    def __call__(self, event: str, trainer, record: dict) -> None:
        if event in ("log", "evaluate", "end"):
            with self._errors():
                self._log(event, trainer, record)

    def _log(self, event: str, trainer, record: dict) -> None:
        run_id = self._start(trainer)
        step = int(record.get("step", trainer.step))
        if event == "log":
            for key in ("loss", "lr", "tokens_per_s"):
                self.client.log_metric(run_id, f"train_{key}", float(record[key]), step=step)
        elif event == "evaluate":
            kind = "" if record.get("full") else "slice_"
            for key, value in record.items():
                if key.startswith("valid_") and isinstance(value, int | float):
                    self.client.log_metric(run_id, f"{kind}{key}", float(value), step=step)
        else:
            if trainer.run is not None:
                self.client.log_artifacts(run_id, str(trainer.run.path))
            self.client.set_terminated(run_id)


def _params(trainer) -> dict:
    """The run's config, flattened (``model.hidden_size``), else the loop's settings."""
    import dataclasses
    import json

    if trainer.run is not None and trainer.run.file("config.json").is_file():
        config = json.loads(trainer.run.file("config.json").read_text("utf-8"))
        return {
            f"{section}.{key}": value
            for section, values in config.items()
            if isinstance(values, dict)
            for key, value in values.items()
        }
    return {f"train.{k}": v for k, v in dataclasses.asdict(trainer.config).items()}
