"""Sliding windows over a numeric series, split in time, scaled on the past only.

One window looks back ``lookback`` rows and predicts the next ``horizon``::

    row:     0   1   2   3   4   5   6   7   8   9 ...
    window0 [x   x   x   x] [y   y]                     lookback 4 | horizon 2
    window1         [x   x   x   x] [y   y]             stride 2
    window2                 [x   x   x   x] [y   y]

:func:`split_windows` cuts the rows in time order, train | valid | test; the
first windows of valid (and test) look back into the rows before it, so every
target row belongs to exactly one split::

    rows:   [ train ................ | valid ...... | test ...... ]
    valid window:           [x x x x | y y]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from rnnkit.data.scaling import Scaler, make_scaler
from rnnkit.errors import ConfigError, DataError

__all__ = ["WindowDataset", "WindowSplits", "split_windows"]


class WindowDataset(Dataset):
    """(lookback rows of features, the next horizon rows of targets) pairs.

    Args:
        values: the series, shape (T, F).
        lookback, horizon, stride: as drawn in the module docstring.
        features, targets: column indices into ``values`` for x and y; None: all.
        lines: the file line of each row (from :class:`~rnnkit.data.readers.NumericTable`).

    Shape:
        ``dataset[i]`` -> (x (lookback, F_in), y (T_out, F_out)) float32, T_out = horizon.
    """

    def __init__(
        self,
        values,
        lookback: int,
        horizon: int = 1,
        *,
        stride: int = 1,
        features: Sequence[int] | None = None,
        targets: Sequence[int] | None = None,
        source: str | None = None,
        lines: Sequence[int] | None = None,
    ) -> None:
        for name, value in (("lookback", lookback), ("horizon", horizon), ("stride", stride)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        values = np.asarray(values, dtype=np.float32)
        if values.ndim == 1:
            values = values[:, None]  # (T, 1)
        if values.ndim != 2:
            raise ConfigError(f"values must have shape (T, F), got {values.shape}")
        T, F = values.shape
        self.features = list(range(F)) if features is None else list(features)
        self.targets = list(range(F)) if targets is None else list(targets)
        for i in self.features + self.targets:
            if not -F <= i < F:
                raise ConfigError(f"column {i} out of range for {F} columns")
        if lookback + horizon > T:
            raise DataError(
                source,
                None,
                f"at least {lookback + horizon} rows for one window "
                f"(lookback {lookback} + horizon {horizon})",
                f"{T} rows",
            )
        self.values = torch.from_numpy(np.ascontiguousarray(values))  # (T, F)
        self.lookback, self.horizon, self.stride = lookback, horizon, stride
        self.source, self.lines = source, None if lines is None else list(lines)
        self._x_index = torch.tensor(self.features, dtype=torch.long)
        self._y_index = torch.tensor(self.targets, dtype=torch.long)

    def __len__(self) -> int:
        return (len(self.values) - self.lookback - self.horizon) // self.stride + 1

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        start = (i % len(self)) * self.stride
        cut = start + self.lookback
        x = self.values[start:cut, self._x_index]  # (lookback, F_in)
        y = self.values[cut : cut + self.horizon, self._y_index]  # (T_out, F_out)
        return x, y

    def target_line(self, i: int) -> int | None:
        """The file line of window ``i``'s first target row, to name it in a message."""
        if self.lines is None:
            return None
        return self.lines[(i % len(self)) * self.stride + self.lookback]


@dataclass
class WindowSplits:
    """Train, valid and test windows (valid/test None for a zero fraction), the
    scaler fit on the training rows (None when unscaled), and the column names."""

    train: WindowDataset
    valid: WindowDataset | None
    test: WindowDataset | None
    scaler: Scaler | None
    features: list[str]
    targets: list[str]


def split_windows(
    table,
    lookback: int,
    horizon: int = 1,
    *,
    features: Sequence[str] | None = None,
    targets: Sequence[str] | None = None,
    stride: int = 1,
    valid_fraction: float = 0.15,
    test_fraction: float = 0.15,
    scaler: str | Scaler | None = "standard",
) -> WindowSplits:
    """Chronological train/valid/test windows over a :class:`~rnnkit.data.readers.NumericTable`.

    The last ``test_fraction`` of the rows are test targets, the
    ``valid_fraction`` before them valid targets, the rest train. The scaler
    (``"standard"``, ``"minmax"``, a :class:`~rnnkit.data.scaling.Scaler` or
    None) is fit on the train rows only and applied to all; save it with
    ``splits.scaler.to_dict()`` and undo it on predictions with
    ``inverse_transform(y, columns=target_index)``.

    Raises:
        DataError: a split too short for one window (naming the rows it has).
        ConfigError: unknown column names or fractions that leave no training rows.
    """
    columns = list(table.columns)
    features = columns if features is None else list(features)
    targets = features if targets is None else list(targets)
    for name in features + targets:
        if name not in columns:
            raise ConfigError(f"no column {name!r}; the table has {', '.join(columns)}")
    for name, fraction in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0.0 <= fraction < 1.0:
            raise ConfigError(f"{name} must be in [0, 1), got {fraction!r}")
    values = np.asarray(table.values, dtype=np.float64)  # (T, F)
    T = len(values)
    n_test = round(T * test_fraction)
    n_valid = round(T * valid_fraction)
    end_train = T - n_valid - n_test
    if end_train < 1:
        raise ConfigError(
            f"valid_fraction {valid_fraction} + test_fraction {test_fraction} leave no training rows"
        )
    if isinstance(scaler, str):
        scaler = make_scaler(scaler)
    if scaler is not None:
        scaler.fit(values[:end_train])
        values = scaler.transform(values)
    x_index = [columns.index(n) for n in features]
    y_index = [columns.index(n) for n in targets]
    lines = getattr(table, "lines", None)
    source = getattr(table, "source", None)

    def make(start: int, end: int, name: str) -> WindowDataset | None:
        if end <= start:
            return None
        first = max(0, start - lookback) if name != "train" else start
        rows = end - first
        if rows < lookback + horizon or (name != "train" and start - first < lookback):
            where = f"rows {first + 1}-{end} of {T}" if rows else "no rows"
            raise DataError(
                source,
                None,
                f"at least {lookback + horizon} rows for one {name} window "
                f"(lookback {lookback} + horizon {horizon}; lower them or the fractions)",
                where,
            )
        return WindowDataset(
            values[first:end],
            lookback,
            horizon,
            stride=stride,
            features=x_index,
            targets=y_index,
            source=source,
            lines=None if lines is None else lines[first:end],
        )

    end_valid = end_train + n_valid
    return WindowSplits(
        make(0, end_train, "train"),
        make(end_train, end_valid, "valid"),
        make(end_valid, T, "test"),
        scaler,
        features,
        targets,
    )
