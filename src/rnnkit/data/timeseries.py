"""Numeric series for forecasting: levels -> returns or differences and back, the window
origins of a chronological split, the season and the next dates from a date column.

A window's *origin* is its last input row ``t``: the model reads rows
``t-L+1 .. t`` and predicts rows ``t+1 .. t+T_out``::

    row:      t-3   t-2   t-1    t   | t+1   t+2
    input    [  x     x     x    x  ]|                  lookback L = 4
    target                           | [ y     y ]      horizon T_out = 2

With ``transform="diff"`` (``x_t - x_{t-1}``) or ``"returns"`` (``x_t / x_{t-1} - 1``)
the model sees the changes, so the first row has none and the first origin is
``L`` instead of ``L-1``. Predicted changes become levels again from the level
at the origin (:func:`to_levels`): every metric is in the data's own units.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np

from rnnkit.errors import ConfigError, DataError

__all__ = [
    "TRANSFORMS",
    "transform_levels",
    "to_levels",
    "split_origins",
    "window_index",
    "infer_season",
    "next_dates",
]

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


def _offset(transform: str) -> int:
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
    ``valid_fraction`` before them valid targets, the rest train targets; a
    window belongs to the split that holds all of its target rows, and its
    inputs may reach back into the split before (as drawn in
    :mod:`rnnkit.data.windows`).

    Raises:
        DataError: a split too short for one window, naming its first line.
    """
    for name, fraction in (("valid_fraction", valid_fraction), ("test_fraction", test_fraction)):
        if not 0.0 < fraction < 1.0:
            raise ConfigError(f"{name} must be in (0, 1), got {fraction!r}")
    n_test, n_valid = round(T * test_fraction), round(T * valid_fraction)
    end_train = T - n_valid - n_test
    first = lookback - 1 + _offset(transform)  # the first origin with a full lookback
    bounds = {"train": (0, end_train), "valid": (end_train, T - n_test), "test": (T - n_test, T)}
    out = []
    for name, (start, end) in bounds.items():
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


def window_index(origins: np.ndarray, lookback: int, horizon: int = 0) -> np.ndarray:
    """Row indices of each window: (N, lookback + horizon), inputs then targets."""
    steps = np.arange(-lookback + 1, horizon + 1)
    return np.asarray(origins)[:, None] + steps[None, :]


# -- dates -----------------------------------------------------------------------------------
def _parse(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when.replace(tzinfo=None) if when.tzinfo is not None else when


def _spacing(dates: Sequence[str]) -> tuple[timedelta | None, list[datetime]]:
    parsed = [_parse(d) for d in dates[-200:]]
    deltas = Counter(b - a for a, b in zip(parsed, parsed[1:]))
    return (deltas.most_common(1)[0][0] if deltas else None), parsed


def _business_days(parsed: list[datetime]) -> bool:
    return len(parsed) >= 5 and all(d.weekday() < 5 for d in parsed)


def infer_season(dates: Sequence[str] | None) -> int:
    """A season from the dates' usual spacing: half-hourly 48, hourly 24, daily 7 (5 for
    trading days with no weekend), weekly 52, monthly 12, quarterly 4; otherwise (and
    without dates) 1, which makes the seasonal naive forecast the persistence one."""
    if not dates or len(dates) < 3:
        return 1
    step, parsed = _spacing(dates)
    if step is None:
        return 1
    if step == timedelta(days=1):
        return 5 if _business_days(parsed) else 7
    if timedelta(days=28) <= step <= timedelta(days=31):
        return 12
    if timedelta(days=89) <= step <= timedelta(days=92):
        return 4
    known = {timedelta(minutes=30): 48, timedelta(hours=1): 24, timedelta(weeks=1): 52}
    return known.get(step, 1)


def _add_months(when: datetime, months: int) -> datetime:
    import calendar

    month = when.month - 1 + months
    year, month = when.year + month // 12, month % 12 + 1
    day = min(when.day, calendar.monthrange(year, month)[1])
    return when.replace(year=year, month=month, day=day)


def next_dates(dates: Sequence[str] | None, steps: int) -> list[str] | None:
    """The ``steps`` dates after the last of ``dates``, in their format (None without
    dates): their usual spacing, weekdays only where the dates have no weekend, and
    calendar months for monthly dates."""
    if not dates or len(dates) < 2:
        return None
    step, parsed = _spacing(dates)
    last = parsed[-1]
    out: list[datetime] = []
    monthly = step is not None and timedelta(days=28) <= step <= timedelta(days=31)
    business = step == timedelta(days=1) and _business_days(parsed)
    current = last
    for k in range(1, steps + 1):
        if monthly:
            current = _add_months(last, k)
        elif business:
            current = current + timedelta(days=1)
            while current.weekday() >= 5:
                current += timedelta(days=1)
        else:
            current = current + step
        out.append(current)
    text = dates[-1]
    if len(text) == 10:  # a plain date
        return [date(d.year, d.month, d.day).isoformat() for d in out]
    sep = "T" if "T" in text else " "
    spec = "minutes" if len(text) == 16 else "seconds"
    return [d.isoformat(sep=sep, timespec=spec) for d in out]
