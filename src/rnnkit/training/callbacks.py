"""Callbacks the trainer calls as ``callback(event, trainer, record)``."""

from __future__ import annotations

from rnnkit.errors import ConfigError

__all__ = ["TensorBoardLogger"]


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
