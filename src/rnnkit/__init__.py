"""rnnkit: recurrent neural networks on PyTorch.

>>> import rnnkit
>>> lm = rnnkit.train("lm", max_steps=200)          # doctest: +SKIP
>>> lm = rnnkit.load("runs/lm-20261123-120000")     # doctest: +SKIP
>>> print(lm.generate("ROMEO:", max_new=200, temperature=0.8))  # doctest: +SKIP
"""

from rnnkit.errors import CheckpointError, ConfigError, DataError, RnnkitError

try:  # one source of truth: pyproject.toml's version, as installed
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("rnnkit")
except PackageNotFoundError:  # pragma: no cover  (a source tree that is not installed)
    __version__ = "0.2.0"

__all__ = [
    "__version__",
    "train",
    "load",
    "RnnkitError",
    "DataError",
    "ConfigError",
    "CheckpointError",
]


def train(task: str = "lm", **options):
    """Train a model for ``task``; see :func:`rnnkit.tasks.base.train`."""
    from rnnkit.tasks.base import train as _train

    return _train(task, **options)


def load(run_dir, **options):
    """Load a run directory as its task's predictor; see :func:`rnnkit.tasks.base.load`."""
    from rnnkit.tasks.base import load as _load

    return _load(run_dir, **options)
