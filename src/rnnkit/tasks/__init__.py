"""Tasks: the glue from config to data, model, metrics and predictor."""

from rnnkit.tasks.base import TASKS, Predictor, Task, get_task, load, register, train
from rnnkit.tasks.classify import ClassificationTask, ClassifierPredictor
from rnnkit.tasks.lm import LanguageModelPredictor, LanguageModelTask

__all__ = [
    "TASKS",
    "Task",
    "Predictor",
    "get_task",
    "register",
    "train",
    "load",
    "LanguageModelTask",
    "LanguageModelPredictor",
    "ClassificationTask",
    "ClassifierPredictor",
]
