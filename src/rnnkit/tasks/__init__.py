"""Tasks: the glue from config to data, model, metrics and predictor."""

from rnnkit.tasks.base import TASKS, Predictor, Task, get_task, load, register, train
from rnnkit.tasks.classify import ClassificationTask, ClassifierPredictor
from rnnkit.tasks.forecast import ForecastPredictor, ForecastTask
from rnnkit.tasks.lm import LanguageModelPredictor, LanguageModelTask
from rnnkit.tasks.seq2seq import Seq2SeqPredictor, Seq2SeqTask
from rnnkit.tasks.tag import TaggerPredictor, TaggingTask

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
    "Seq2SeqTask",
    "Seq2SeqPredictor",
    "ForecastTask",
    "ForecastPredictor",
    "TaggingTask",
    "TaggerPredictor",
]
