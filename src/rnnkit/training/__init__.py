"""Training: the task-agnostic loop and the run directory."""

from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.trainer import StepOutput, Trainer, TrainingProgram, detach_state

__all__ = ["Trainer", "TrainingProgram", "StepOutput", "detach_state", "RunDirectory"]
