"""The data side of forecasting: read the series, resolve its columns, transform and
scale it, cut the windows of each split, and turn the model's output back into levels.

See :mod:`rnnkit.tasks.forecast` for the task and :mod:`rnnkit.data.timeseries` for
the window layout (lookback | horizon).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from rnnkit.baselines.forecasting import RidgeWindow
from rnnkit.config import RunConfig
from rnnkit.data._lines import Issues, delimiter_for, iter_rows
from rnnkit.data.embedded.series import SERIES, load_series
from rnnkit.data.readers import NumericTable, check_dates, read_numeric_csv
from rnnkit.data.timeseries import (
    Scaler,
    infer_season,
    make_scaler,
    split_origins,
    to_levels,
    transform_levels,
    window_index,
)
from rnnkit.errors import ConfigError, DataError
from rnnkit.models.forecaster import Forecaster
from rnnkit.tasks.base import MEMORY, read_source, rows_of

__all__ = [
    "DATE_NAMES",
    "EVAL_BATCH_SIZE",
    "ForecastData",
    "read_header",
    "resolve_date_column",
    "read_series",
    "input_columns",
    "prepare_series",
    "baseline_context",
    "target_values",
    "fit_ridge",
    "forecast_levels",
    "training_windows",
    "clean_report",
]

EVAL_BATCH_SIZE = 1024
#: column names taken as the date column when ``date_column`` is None
DATE_NAMES = (
    "Date",
    "date",
    "DATE",
    "Datetime",
    "datetime",
    "Timestamp",
    "timestamp",
    "Time",
    "time",
)


# -- reading -------------------------------------------------------------------------------
def read_header(path: str | os.PathLike) -> list[str]:
    rows = iter_rows(path, Issues(path, False), delimiter=delimiter_for(path, None), quoting=True)
    for _, fields in rows:
        return [f.strip() for f in fields]
    raise DataError(path, None, "a header row naming the columns", "an empty file")


def _split_names(value) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",")] if isinstance(value, str) else list(value)
    if not names or not all(isinstance(n, str) and n for n in names):
        raise ConfigError(
            f"features must be column names (e.g. 'Open,High,Low,Close'), got {value!r}"
        )
    return names


def resolve_date_column(config_value: str | None, header: Sequence[str]) -> str | None:
    if config_value == "none":
        return None
    if config_value is not None:
        return config_value  # the reader names the file when it is missing
    return next((h for h in DATE_NAMES if h in header), None)


def read_series(config: RunConfig) -> NumericTable:
    """The run's whole series (every column a model or baseline reads, the target
    included), resolving ``features``, ``target``, ``date_column`` and ``season`` of
    ``config`` in place on first use."""
    d = config.data
    if d.data is not None and d.series is not None:
        raise ConfigError("give a data file (--data) or an embedded series (--series), not both")
    if d.data is None:
        name = d.series or "msft"
        info = SERIES[name]
        table = load_series(name)
        d.series = name
        features = _split_names(d.features) or list(info.features)
        d.target = d.target or info.target
        if d.date_column not in (None, "Date"):  # it was recorded and never read
            raise ConfigError(
                f"data.date_column {d.date_column!r} names a column of a --data file; the "
                f"embedded series {name!r} has its dates in 'Date'"
            )
        d.date_column = "Date"
        d.season = d.season or info.season
    else:
        memory = d.data.startswith(MEMORY)
        columns_in = read_source(config, "data", lambda path: None) if memory else None
        header = list(columns_in) if memory else read_header(d.data)
        date_column = resolve_date_column(d.date_column, header)
        features = _split_names(d.features) or [h for h in header if h != date_column]
        if not features and d.target is None:
            raise DataError(
                "data" if memory else d.data,
                None if memory else 1,
                f"a column of numbers beside the dates ({date_column!r})",
                f"the columns {header}",
            )
        d.target = d.target or features[-1]
        columns = features + ([d.target] if d.target not in features else [])
        if memory:
            table = table_from_columns(columns_in, columns, date_column)
        else:
            table = read_numeric_csv(d.data, columns, date_column=date_column)
        d.date_column = date_column or "none"
        d.season = d.season or infer_season(table.dates)
        _check_magnitude(table)
    d.features = features
    for name in [*features, d.target]:
        table.column(name)  # names the file when a column is missing
    return table


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_magnitude(table: NumericTable) -> None:
    """Values the model's float32 can hold (with room to spare: their squares are summed
    for the scale); 1e300 in a file overflowed the training loss to NaN and stopped the
    run with a TypeError."""
    big = np.abs(table.values) > FLOAT32_MAX**0.5
    if big.any():
        row, col = (int(i) for i in np.argwhere(big)[0])
        raise DataError(
            table.source,
            table.lines[row] if table.lines else None,
            f"values within +-{FLOAT32_MAX**0.5:.3g} (the model computes in float32)",
            f"{table.values[row, col]:.3g} in column {table.columns[col]!r}",
        )


def columns_from_memory(items, which: str) -> dict[str, list]:
    """A series passed in memory as columns: a pandas DataFrame, a dict of columns, or
    rows (dicts with named columns); every column as long as the others."""
    if hasattr(items, "to_dict") and hasattr(items, "columns"):  # pandas stays optional
        items = {str(c): list(items[c]) for c in items.columns}
    elif not isinstance(items, dict):
        rows = rows_of(items, which)
        other = next((r for r in rows if not isinstance(r, dict)), None)
        if other is not None:
            raise DataError(
                which,
                None,
                "a DataFrame, a dict of columns or rows of dicts (one series alone: {'y': [...]})",
                f"a row of type {type(other).__name__}: {other!r}"[:120],
            )
        items = {k: [r.get(k) for r in rows] for k in rows[0]}
    columns = {str(k): list(v) for k, v in items.items()}
    lengths = {len(v) for v in columns.values()}
    if len(lengths) != 1 or not lengths or 0 in lengths:
        raise DataError(
            which, None, "non-empty columns of one length", f"lengths {sorted(lengths)}"
        )
    return columns


def table_from_columns(columns: dict[str, list], names: list[str], date_column) -> NumericTable:
    """The named columns as a :class:`NumericTable`: finite numbers, checked by index."""
    for name in [*names, *([date_column] if date_column else [])]:
        if name not in columns:
            raise DataError("data", None, f"a column {name!r}", f"the columns {list(columns)}")
    values = np.empty((len(columns[names[0]]), len(names)))
    for j, name in enumerate(names):
        for i, v in enumerate(columns[name]):
            try:
                values[i, j] = float(v)
            except (TypeError, ValueError):
                raise DataError(f"data[{name}][{i}]", None, "a number", repr(v)) from None
            if not np.isfinite(values[i, j]):
                raise DataError(f"data[{name}][{i}]", None, "a finite number", repr(v))
    dates = [str(x) for x in columns[date_column]] if date_column else None
    if dates is not None:
        check_dates(dates, f"data[{date_column}]")  # as a file's date column is checked
    return NumericTable(values, list(names), dates, list(range(len(values))), "data")


def input_columns(config: RunConfig) -> list[str]:
    """The model's input columns: the features, then the target if it is not one of them."""
    features = list(config.data.features)
    return features + ([config.data.target] if config.data.target not in features else [])


# -- the prepared series ---------------------------------------------------------------------
@dataclass
class ForecastData:
    """A series ready for windows: its levels, the model's view of it, and the split."""

    levels: np.ndarray  # (T, C) the input columns in the data's units
    scaled: np.ndarray  # (T, C) transformed and scaled: what the model reads
    columns: list[str]
    target_index: int
    scaler: Scaler | None
    dates: list[str] | None
    lines: list[int]
    source: str
    train: np.ndarray | None = None  # window origins (last input row) of each split
    valid: np.ndarray | None = None
    test: np.ndarray | None = None
    ridge: RidgeWindow | None = None


def _model_view(levels, config: RunConfig, scaler: Scaler | None, table, fit_rows=None):
    d = config.data
    changes = transform_levels(levels, d.transform, source=table.source, lines=table.lines)
    off = 0 if d.transform == "levels" else 1
    if scaler is not None and fit_rows is not None:
        scaler.fit(changes[off:fit_rows])
    scaled = scaler.transform(changes) if scaler is not None else changes.copy()
    scaled[:off] = 0.0
    return scaled


def prepare_series(
    table: NumericTable, config: RunConfig, scaler: Scaler | None = None, *, split: bool
) -> ForecastData:
    """Levels -> transform -> scaler (fit on the training rows when ``split`` and no
    ``scaler`` is given) and, with ``split``, the window origins of each split."""
    d = config.data
    columns = input_columns(config)
    levels = np.stack([table.column(c) for c in columns], axis=1)  # (T, C)
    source = table.source or "<data>"
    data = ForecastData(
        levels, levels, columns, columns.index(d.target), scaler, table.dates, table.lines, source
    )
    fit_rows = None
    if split:
        data.train, data.valid, data.test, fit_rows = split_origins(
            len(levels),
            d.lookback,
            d.horizon,
            transform=d.transform,
            valid_fraction=d.valid_fraction,
            test_fraction=d.test_fraction,
            source=source,
            lines=table.lines,
        )
        history = d.lookback + (0 if d.transform == "levels" else 1)
        context = max(history, d.season or 1)  # what the final scores' baselines read
        if not (data.test >= context - 1).any():  # refused now, not after the training
            raise ConfigError(
                f"data.season {d.season} is too long for this series: no test window has a "
                f"season of rows before it ({len(levels)} rows); give a shorter --season"
            )
        if scaler is None and d.scaler != "none":
            data.scaler = make_scaler(d.scaler)
        else:
            fit_rows = None
    data.scaled = _model_view(levels, config, data.scaler, table, fit_rows)
    return data


def baseline_context(data: ForecastData, origins: np.ndarray, rows: int) -> np.ndarray:
    return data.levels[window_index(origins, rows)]  # (N, rows, C)


def target_values(data: ForecastData, origins: np.ndarray, horizon: int) -> np.ndarray:
    steps = origins[:, None] + np.arange(1, horizon + 1)[None, :]
    return data.levels[steps, data.target_index]  # (N, T_out)


def fit_ridge(data: ForecastData, config: RunConfig) -> RidgeWindow:
    """The ridge baseline on the training windows, its penalty picked on the valid ones."""
    L, h = config.data.lookback, config.data.horizon
    ridge = RidgeWindow(lookback=L, target=data.target_index)
    return ridge.fit(
        baseline_context(data, data.train, L),
        target_values(data, data.train, h),
        baseline_context(data, data.valid, L),
        target_values(data, data.valid, h),
    )


@torch.no_grad()
def forecast_levels(
    model: Forecaster, data: ForecastData, origins: np.ndarray, config: RunConfig
) -> np.ndarray:
    """The model's forecasts from each origin, in the data's units: (N, T_out)."""
    d = config.data
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    out = []
    try:
        for start in range(0, len(origins), EVAL_BATCH_SIZE):
            chunk = origins[start : start + EVAL_BATCH_SIZE]
            x = torch.from_numpy(data.scaled[window_index(chunk, d.lookback)]).float()  # (n, L, C)
            y = model.forecast(x.to(device), d.horizon).float().cpu().double()  # (n, T_out, F_out)
            column = data.target_index if model.num_outputs > 1 else 0
            out.append(y[:, :, column].numpy())
    finally:
        model.train(was_training)
    values = np.concatenate(out) if out else np.empty((0, d.horizon))  # (N, T_out)
    if data.scaler is not None:
        values = data.scaler.inverse_transform(values[..., None], columns=[data.target_index])[
            ..., 0
        ]
    return to_levels(values, data.levels[origins, data.target_index], d.transform)


def training_windows(
    data: ForecastData, origins: np.ndarray, config: RunConfig
) -> tuple[Tensor, Tensor]:
    """(x (N, L, C), y) scaled: y (N, T_out, 1) direct, (N, 1, C) recursive."""
    L, h = config.data.lookback, config.data.horizon
    x = data.scaled[window_index(origins, L)]  # (N, L, C)
    if config.model.strategy == "recursive":
        y = data.scaled[origins + 1][:, None, :]  # (N, 1, C)
    else:
        steps = origins[:, None] + np.arange(1, h + 1)[None, :]
        y = data.scaled[steps, data.target_index][..., None]  # (N, T_out, 1)
    return torch.from_numpy(x).float(), torch.from_numpy(np.ascontiguousarray(y)).float()


def clean_report(report: dict) -> dict:
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in report.items()
    }
