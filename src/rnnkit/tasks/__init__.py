"""Tasks: each one module that declares its config, assets and predictor and fills in
the template of :mod:`rnnkit.tasks.base`; registered by name (and, for other packages,
through the ``rnnkit.tasks`` entry-point group)."""

from rnnkit.tasks.base import (
    TASKS,
    Assets,
    EpochBatches,
    NoOptions,
    Predictor,
    SampledBatches,
    Splits,
    Task,
    get_task,
    load,
    register,
    task_names,
    train,
)
from rnnkit.tasks.classify import ClassificationTask, ClassifierPredictor, ClassifyConfig
from rnnkit.tasks.forecast import ForecastConfig, ForecastPredictor, ForecastTask
from rnnkit.tasks.lm import LanguageModelPredictor, LanguageModelTask, LMConfig
from rnnkit.tasks.seq2seq import Seq2SeqConfig, Seq2SeqPredictor, Seq2SeqTask
from rnnkit.tasks.tag import TagConfig, TaggerPredictor, TaggingTask

__all__ = [
    "TASKS",
    "Task",
    "Predictor",
    "Assets",
    "Splits",
    "NoOptions",
    "EpochBatches",
    "SampledBatches",
    "get_task",
    "task_names",
    "register",
    "train",
    "load",
    "LMConfig",
    "LanguageModelTask",
    "LanguageModelPredictor",
    "ClassifyConfig",
    "ClassificationTask",
    "ClassifierPredictor",
    "Seq2SeqConfig",
    "Seq2SeqTask",
    "Seq2SeqPredictor",
    "ForecastConfig",
    "ForecastTask",
    "ForecastPredictor",
    "TagConfig",
    "TaggingTask",
    "TaggerPredictor",
]
