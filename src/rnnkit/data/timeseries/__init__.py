"""Numeric series for forecasting: transform, scale, cut into windows; and their dates.

A series goes through these stages, each a module of this package::

    levels (T, F) --transforms--> levels, returns or diff (T, F)   to_levels: back again
                  --scaling-----> fit on the training rows, applied to all
                  --windows-----> origins of train | valid | test, then (x, y) windows

    row:      t-3   t-2   t-1    t   | t+1   t+2
    input    [  x     x     x    x  ]|                  lookback L = 4
    target                           | [ y     y ]      horizon T_out = 2

``dates`` reads the season and the dates after the last row from a date column.
:mod:`.windows` is the one place where windows are cut: the forecast task indexes
its arrays with :func:`split_origins` and :func:`window_index`, and
:func:`split_windows` / :class:`WindowDataset` wrap the same origins as a dataset.
``windows`` imports ``scaling``; nothing else here imports another module of the
package.
"""

from rnnkit.data.timeseries.dates import infer_season, next_dates
from rnnkit.data.timeseries.scaling import (
    MinMaxScaler,
    Scaler,
    StandardScaler,
    make_scaler,
    scaler_from_dict,
)
from rnnkit.data.timeseries.transforms import TRANSFORMS, to_levels, transform_levels
from rnnkit.data.timeseries.windows import (
    WindowDataset,
    WindowSplits,
    split_origins,
    split_windows,
    window_index,
)

__all__ = [
    "infer_season",
    "next_dates",
    "MinMaxScaler",
    "Scaler",
    "StandardScaler",
    "make_scaler",
    "scaler_from_dict",
    "TRANSFORMS",
    "to_levels",
    "transform_levels",
    "WindowDataset",
    "WindowSplits",
    "split_origins",
    "split_windows",
    "window_index",
]
