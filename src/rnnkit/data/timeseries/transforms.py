"""Levels -> the series a model sees (levels, returns or differences), and back.

With ``transform="diff"`` (``x_t - x_{t-1}``) or ``"returns"`` (``x_t / x_{t-1} - 1``)
the model sees the changes, so the first row has none: it is set to 0, and no
window reads it (:func:`~rnnkit.data.timeseries.windows.split_origins` starts one
row later). Predicted changes become levels again from the level at each window's
origin (:func:`to_levels`), so every metric is in the data's own units::

    levels    100   102   101   104 |  ?     ?
    diff        0    +2    -1    +3 | +1    +2     <- predicted changes
    to_levels                       | 105   107    <- from the origin's level, 104
"""

from __future__ import annotations

import numpy as np

from rnnkit.errors import ConfigError, DataError

__all__ = ["TRANSFORMS", "transform_levels", "to_levels"]

TRANSFORMS = ("levels", "returns", "diff")


def transform_levels(
    levels: np.ndarray, transform: str, *, source: str | None = None, lines=None
) -> np.ndarray:
    """The series the model sees, same shape as ``levels`` (T, F); row 0 of a change
    transform is 0 (no window reads it).

    Raises:
        DataError: ``"returns"`` of a value <= 0, naming its line.
    """
    levels = np.asarray(levels, dtype=np.float64)
    if transform not in TRANSFORMS:
        raise ConfigError(f"transform must be one of {', '.join(TRANSFORMS)}; got {transform!r}")
    if transform == "levels":
        return levels.copy()
    out = np.zeros_like(levels)
    if transform == "diff":
        out[1:] = levels[1:] - levels[:-1]
        return out
    bad = np.argwhere(levels[:-1] <= 0) if len(levels) > 1 else np.empty((0, 2), int)
    if len(bad):
        row = int(bad[0][0])
        line = lines[row] if lines is not None else row + 1
        raise DataError(
            source, line, "values > 0 for --transform returns (use diff)", f"{levels[row].tolist()}"
        )
    out[1:] = levels[1:] / levels[:-1] - 1.0
    return out


def to_levels(changes: np.ndarray, last_level: np.ndarray, transform: str) -> np.ndarray:
    """Predicted values of the transformed series back to levels.

    Shape:
        changes: (N, T_out) in the data's units (already unscaled).
        last_level: (N,) the target's level at each window's origin.
        Returns (N, T_out).
    """
    changes = np.asarray(changes, dtype=np.float64)
    last = np.asarray(last_level, dtype=np.float64)[:, None]  # (N, 1)
    if transform == "levels":
        return changes
    if transform == "diff":
        return last + np.cumsum(changes, axis=1)
    return last * np.cumprod(1.0 + changes, axis=1)
