"""Forecasting windows over a numeric series: the one place where they are cut.

A window's *origin* is its last input row ``t``: the model reads rows
``t-L+1 .. t`` and predicts rows ``t+1 .. t+T_out``::

    row:      t-3   t-2   t-1    t   | t+1   t+2
    input    [  x     x     x    x  ]|                  lookback L = 4
    target                           | [ y     y ]      horizon T_out = 2

:func:`window_index` turns origins into the row indices of their windows;
:func:`split_origins` cuts the rows in time order, train | valid | test, and gives
the origins of each split. A window belongs to the split that holds all of its
target rows; the first windows of valid (and test) look back into the rows before
it, so every target row belongs to one split only::

    rows:   [ train ................ | valid ...... | test ...... ]
    valid window:           [x x x x | y y]

With a change transform (``"diff"``, ``"returns"``: :mod:`.transforms`) the first
row has no value, so the first origin is ``L`` instead of ``L-1``.

The forecast task indexes its arrays with these origins directly;
:class:`WindowDataset` and :func:`split_windows` wrap the same origins as a
:class:`torch.utils.data.Dataset` of ``(x, y)`` pairs, with a stride, column
choices and a scaler fit on the training rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from rnnkit.data.timeseries.scaling import Scaler, make_scaler
from rnnkit.errors import ConfigError, DataError

__all__ = ["window_index", "split_origins", "WindowDataset", "WindowSplits", "split_windows"]


def window_index(origins: np.ndarray, lookback: int, horizon: int = 0) -> np.ndarray:
    """Row indices of each window: (N, lookback + horizon), inputs then targets."""
    steps = np.arange(-lookback + 1, horizon + 1)
    return np.asarray(origins)[:, None] + steps[None, :]


def _offset(transform: str) -> int:
    """Rows at the start without a value: 1 for a change transform (its row 0)."""
    return 0 if transform == "levels" else 1


def split_origins(
    T: int,
    lookback: int,
    horizon: int,
    *,
    transform: str = "levels",
    valid_fraction: float = 0.15,
    test_fraction: float = 0.15,
    source: str | None = None,
    lines: Sequence[int] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Origins of the train, valid and test windows of a series of T rows, and the
    first row after the training rows (the scaler is fit on the rows before it).

    The last ``test_fraction`` of the rows are test targets, the
    ``valid_fraction`` before them valid targets, the rest train targets, as drawn
    in the module docstring. A fraction of 0 gives that split no origins.

    Raises:
        DataError: a split too short for one window, naming its first line.
        ConfigError: a fraction outside [0, 1), or two that leave no training rows.
    """
    fractions = {"valid": valid_fraction, "test": test_fraction}
    for name, fraction in fractions.items():
        if not 0.0 <= fraction < 1.0:
            raise ConfigError(f"{name}_fraction must be in [0, 1), got {fraction!r}")
    if valid_fraction + test_fraction >= 1.0:
        raise ConfigError(
            f"valid_fraction {valid_fraction} + test_fraction {test_fraction} leave no "
            f"training rows"
        )
    n_test, n_valid = round(T * test_fraction), round(T * valid_fraction)
    end_train = T - n_valid - n_test
    first = lookback - 1 + _offset(transform)  # the first origin with a full lookback
    bounds = {"train": (0, end_train), "valid": (end_train, T - n_test), "test": (T - n_test, T)}
    out = []
    for name, (start, end) in bounds.items():
        if fractions.get(name) == 0:
            out.append(np.arange(0))
            continue
        origins = np.arange(max(start - 1, first), end - horizon)
        if len(origins) == 0:
            row = min(start, T - 1)
            line = lines[row] if lines is not None and T else row + 1
            raise DataError(
                source,
                line,
                f"enough rows for one {name} window (lookback {lookback} + horizon {horizon}"
                f"{' + 1 for the change' if first >= lookback else ''}; lower --lookback or "
                f"--horizon, or change the split fractions)",
                f"{end - start} {name} rows of {T}",
            )
        out.append(origins)
    return out[0], out[1], out[2], end_train


def _positive(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


class WindowDataset(Dataset):
    """(lookback rows of features, the next horizon rows of targets) pairs.

    Args:
        values: the series, shape (T, F).
        lookback, horizon: as drawn in the module docstring.
        stride: use every ``stride``-th origin.
        origins: the windows' origins (last input rows), e.g. one split's from
            :func:`split_origins`; None: every row with a full lookback and horizon.
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
        origins: Sequence[int] | None = None,
        features: Sequence[int] | None = None,
        targets: Sequence[int] | None = None,
        source: str | None = None,
        lines: Sequence[int] | None = None,
    ) -> None:
        for name, value in (("lookback", lookback), ("horizon", horizon), ("stride", stride)):
            _positive(name, value)
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
        if origins is None:
            origins = np.arange(lookback - 1, T - horizon)
        origins = np.asarray(origins, dtype=np.int64)[::stride]  # (N,)
        if len(origins) and not (lookback - 1 <= origins.min() and origins.max() < T - horizon):
            raise ConfigError(
                f"origins must be in [{lookback - 1}, {T - horizon}) for lookback {lookback} "
                f"and horizon {horizon} over {T} rows"
            )
        self.values = torch.from_numpy(np.ascontiguousarray(values))  # (T, F)
        self.lookback, self.horizon, self.stride = lookback, horizon, stride
        self.origins = origins
        self.source, self.lines = source, None if lines is None else list(lines)
        self._index = torch.from_numpy(window_index(origins, lookback, horizon))  # (N, L + T_out)
        self._x_index = torch.tensor(self.features, dtype=torch.long)
        self._y_index = torch.tensor(self.targets, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.origins)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        rows = self._index[i]  # (lookback + T_out,)
        x = self.values[rows[: self.lookback, None], self._x_index]  # (lookback, F_in)
        y = self.values[rows[self.lookback :, None], self._y_index]  # (T_out, F_out)
        return x, y

    def target_line(self, i: int) -> int | None:
        """The file line of window ``i``'s first target row, to name it in a message."""
        if self.lines is None:
            return None
        return self.lines[int(self.origins[i % len(self)]) + 1]


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

    The splits are those of :func:`split_origins` (the forecast task's): the last
    ``test_fraction`` of the rows are test targets, the ``valid_fraction`` before
    them valid targets, the rest train. The scaler (``"standard"``, ``"minmax"``, a
    :class:`~rnnkit.data.timeseries.scaling.Scaler` or None) is fit on the train
    rows only and applied to all; save it with ``splits.scaler.to_dict()`` and undo
    it on predictions with ``inverse_transform(y, columns=target_index)``.

    Raises:
        DataError: a split too short for one window (naming its first line).
        ConfigError: unknown column names or fractions that leave no training rows.
    """
    for name, value in (("lookback", lookback), ("horizon", horizon), ("stride", stride)):
        _positive(name, value)
    columns = list(table.columns)
    features = columns if features is None else list(features)
    targets = features if targets is None else list(targets)
    for name in features + targets:
        if name not in columns:
            raise ConfigError(f"no column {name!r}; the table has {', '.join(columns)}")
    values = np.asarray(table.values, dtype=np.float64)  # (T, F)
    lines = getattr(table, "lines", None)
    source = getattr(table, "source", None)
    train, valid, test, end_train = split_origins(
        len(values),
        lookback,
        horizon,
        valid_fraction=valid_fraction,
        test_fraction=test_fraction,
        source=source,
        lines=lines,
    )
    if isinstance(scaler, str):
        scaler = make_scaler(scaler)
    if scaler is not None:
        scaler.fit(values[:end_train])
        values = scaler.transform(values)
    values = values.astype(np.float32)  # shared by the three splits
    x_index = [columns.index(n) for n in features]
    y_index = [columns.index(n) for n in targets]

    def make(origins: np.ndarray) -> WindowDataset | None:
        if len(origins) == 0:  # a zero fraction
            return None
        return WindowDataset(
            values,
            lookback,
            horizon,
            stride=stride,
            origins=origins,
            features=x_index,
            targets=y_index,
            source=source,
            lines=lines,
        )

    return WindowSplits(make(train), make(valid), make(test), scaler, features, targets)
