"""The embedded time series for forecasting, shipped as package data.

Both come from the data files of the `pmdarima <https://pypi.org/project/pmdarima/>`_
package (MIT licence), read at build time by ``scripts/build_embedded_data.py``
(pmdarima is a development dependency and is never imported) and shipped as
``msft.csv.gz`` and ``taylor.csv.gz``.

``msft``
    Daily Microsoft prices, 1986-03-13 to 2017-11-10 (7,983 trading days): the
    columns ``Open``, ``High``, ``Low``, ``Close`` and ``Volume`` of the file
    ``pmdarima/datasets/data/msft.tar.gz`` (``msft.csv``; its ``OpenInt``
    column, always 0, is dropped). pmdarima took the figures from the Kaggle
    "Huge Stock Market Dataset" (Boris Marjanovic); prices are adjusted for
    splits and dividends, hence the 0.07 dollars of 1986.

``taylor``
    Half-hourly electricity demand in England and Wales, in megawatts, from
    Monday 5 June 2000 to Sunday 27 August 2000 (4,032 half hours, 12 weeks),
    from Taylor (2003), *Short-term electricity demand forecasting using double
    seasonal exponential smoothing*, JORS 54, 799-805, as R's ``forecast``
    package and pmdarima ship it. pmdarima keeps the numbers as a literal list
    in ``pmdarima/datasets/taylor.py``; it is parsed as text (never executed or
    imported). The one column is ``demand``; the dates, which the source does
    not carry, are the start of each half hour from 2000-06-05 00:00. Seasons:
    48 (a day) and 336 (a week).
"""

from __future__ import annotations

import csv
import functools
import importlib.metadata
import io
import re
import tarfile
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from rnnkit.data.embedded.files import read_text_file
from rnnkit.data.readers import NumericTable
from rnnkit.errors import ConfigError, DataError

__all__ = ["SERIES", "SeriesInfo", "load_series"]


class SeriesInfo:
    """What a task needs to know about an embedded series: its default columns and season."""

    def __init__(self, features: list[str], target: str, season: int, about: str) -> None:
        self.features, self.target, self.season, self.about = features, target, season, about


SERIES: dict[str, SeriesInfo] = {
    "msft": SeriesInfo(
        ["Open", "High", "Low", "Close"], "Close", 5, "daily MSFT prices 1986-2017 (pmdarima)"
    ),
    "taylor": SeriesInfo(
        ["demand"], "demand", 48, "half-hourly electricity demand, England and Wales 2000"
    ),
}

_TAYLOR_START = datetime(2000, 6, 5)
_TAYLOR_LENGTH = 4032


def load_series(name: str) -> NumericTable:
    """Return an embedded series as a :class:`~rnnkit.data.readers.NumericTable`
    (float64 values, ISO dates, ``source`` naming the series).

    Raises:
        ConfigError: an unknown name, or pmdarima is not installed (the message
            names the extra to install).
    """
    if name not in SERIES:
        raise ConfigError(f"unknown embedded series {name!r}; choose one of {', '.join(SERIES)}")
    table = _msft() if name == "msft" else _taylor()
    # a copy, so that callers may change it without touching the cache
    return NumericTable(
        table.values.copy(), list(table.columns), list(table.dates), list(table.lines), table.source
    )


def _pmdarima_file(relative: str) -> Path:
    try:
        dist = importlib.metadata.distribution("pmdarima")
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(
            "building the embedded series needs pmdarima, a development dependency: "
            "pip install pmdarima"
        ) from None
    path = Path(dist.locate_file(f"pmdarima/{relative}"))
    if not path.is_file():
        raise ConfigError(f"pmdarima {dist.version} is installed but lacks {relative}")
    return path


def _shipped(name: str, columns: list[str]) -> NumericTable:
    """A series as shipped: a CSV of a date column then ``columns``."""
    rows = list(csv.reader(io.StringIO(read_text_file(f"{name}.csv.gz"))))
    values = np.asarray([[float(v) for v in row[1:]] for row in rows[1:]], dtype=np.float64)
    dates = [row[0] for row in rows[1:]]
    return NumericTable(values, columns, dates, list(range(2, len(rows) + 1)), name)


@functools.lru_cache(maxsize=1)
def _msft() -> NumericTable:
    return _shipped("msft", ["Open", "High", "Low", "Close", "Volume"])


@functools.lru_cache(maxsize=1)
def _taylor() -> NumericTable:
    return _shipped("taylor", ["demand"])


def to_csv(table: NumericTable, date_name: str) -> str:
    """A series as CSV text: the dates, then the columns (``repr`` of each float, so
    reading it back gives the same values)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([date_name, *table.columns])
    for date, row in zip(table.dates, table.values.tolist()):
        writer.writerow([date, *map(repr, row)])
    return out.getvalue()


def build_msft() -> NumericTable:
    """The series from pmdarima's data files (``scripts/build_embedded_data.py``)."""
    path = _pmdarima_file("datasets/data/msft.tar.gz")
    source = f"{path}:msft.csv"
    with tarfile.open(path, "r:gz") as tar:
        member = tar.extractfile("msft.csv")
        if member is None:
            raise DataError(path, None, "a file msft.csv in the archive", "none")
        rows = list(csv.reader(io.TextIOWrapper(member, encoding="utf-8")))
    columns = ["Open", "High", "Low", "Close", "Volume"]
    if not rows or rows[0][:6] != ["Date", *columns]:
        raise DataError(source, 1, f"the header Date,{','.join(columns)},...", str(rows[:1]))
    values, dates, lines = [], [], []
    for line, row in enumerate(rows[1:], start=2):
        try:
            values.append([float(v) for v in row[1:6]])
        except ValueError:
            raise DataError(source, line, "5 numbers after the date", str(row)) from None
        dates.append(row[0])
        lines.append(line)
    array = np.asarray(values, dtype=np.float64)  # (T, 5)
    return NumericTable(array, columns, dates, lines, "msft")


_NUMBERS = re.compile(r"np\.array\(\[(?P<body>[\d,\s]+)\]\)")


def build_taylor() -> NumericTable:
    """The series from pmdarima's ``taylor.py`` (``scripts/build_embedded_data.py``)."""
    path = _pmdarima_file("datasets/taylor.py")
    match = _NUMBERS.search(path.read_text(encoding="utf-8"))
    numbers = [] if match is None else [int(v) for v in match["body"].split(",") if v.strip()]
    if len(numbers) != _TAYLOR_LENGTH:
        raise DataError(path, None, f"{_TAYLOR_LENGTH} half-hourly values", f"{len(numbers)}")
    values = np.asarray(numbers, dtype=np.float64)[:, None]  # (T, 1)
    step = timedelta(minutes=30)
    dates = [
        (_TAYLOR_START + i * step).isoformat(sep=" ", timespec="minutes")
        for i in range(len(numbers))
    ]
    return NumericTable(values, ["demand"], dates, list(range(1, len(numbers) + 1)), "taylor")
