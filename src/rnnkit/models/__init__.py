"""Task heads: one nn.Module per task, pure PyTorch (no I/O, no printing)."""

from rnnkit.models.language_model import RNNLanguageModel

__all__ = ["RNNLanguageModel"]
