"""The embedded series (read from pmdarima's files) and the series helpers of forecasting."""

import importlib.metadata
import importlib.util

import numpy as np
import pytest

from rnnkit.data import builtin
from rnnkit.data import series as series_module
from rnnkit.data.series import load_series
from rnnkit.data.timeseries import (
    infer_season,
    next_dates,
    split_origins,
    to_levels,
    transform_levels,
    window_index,
)
from rnnkit.errors import ConfigError, DataError

needs_pmdarima = pytest.mark.skipif(
    importlib.util.find_spec("pmdarima") is None, reason="the forecast extra (pmdarima)"
)


@needs_pmdarima
def test_msft_is_the_daily_ohlc_file_of_pmdarima():
    table = builtin.load("msft")
    assert table.columns == ["Open", "High", "Low", "Close", "Volume"]
    assert table.values.shape == (7983, 5)
    assert table.dates[0] == "1986-03-13" and table.dates[-1] == "2017-11-10"
    assert table.lines[0] == 2  # line 1 is the header
    assert (table.column("High") >= table.column("Low")).all()
    assert table.values[-1, 3] == pytest.approx(83.87)  # the last close


@needs_pmdarima
def test_taylor_is_half_hourly_demand_with_a_daily_season():
    table = load_series("taylor")
    assert table.columns == ["demand"] and table.values.shape == (4032, 1)
    assert table.values[:3, 0].tolist() == [22262.0, 21756.0, 22247.0]
    assert table.dates[:2] == ["2000-06-05 00:00", "2000-06-05 00:30"]
    assert table.dates[-1] == "2000-08-27 23:30"  # Sunday 27 August, 12 weeks later
    assert infer_season(table.dates) == 48
    demand = table.values[:, 0]

    def lag(k):
        return np.corrcoef(demand[:-k], demand[k:])[0, 1]

    assert lag(48) > 0.8 and lag(336) > 0.95 and lag(24) < 0.0  # day and week, not half a day


@needs_pmdarima
def test_loaded_tables_are_copies():
    load_series("taylor").values[0, 0] = -1.0
    assert load_series("taylor").values[0, 0] == 22262.0


def test_a_missing_pmdarima_names_the_extra(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(series_module.importlib.metadata, "distribution", missing)
    series_module._msft.cache_clear()
    try:
        with pytest.raises(ConfigError, match=r"rnnkit\[forecast\]"):
            load_series("msft")
    finally:
        series_module._msft.cache_clear()
    with pytest.raises(ConfigError, match="unknown embedded series"):
        load_series("sp500")
    with pytest.raises(ConfigError, match="no fixed splits"):
        builtin.load("taylor", "train")


def test_diff_and_returns_go_back_to_the_levels():
    levels = np.array([[100.0], [102.0], [101.0], [105.0], [104.0]])
    for transform in ("diff", "returns"):
        changes = transform_levels(levels, transform)
        assert changes[0, 0] == 0.0
        future = changes[2:, 0][None, :]  # the changes after row 1
        np.testing.assert_allclose(to_levels(future, [102.0], transform), levels[None, 2:, 0])
    assert transform_levels(levels, "returns")[1, 0] == pytest.approx(0.02)


def test_returns_of_a_non_positive_value_name_its_line():
    with pytest.raises(DataError, match=r"prices\.csv:7: expected values > 0"):
        transform_levels(
            np.array([[1.0], [0.0], [2.0]]), "returns", source="prices.csv", lines=[6, 7, 8]
        )


def test_split_origins_give_each_target_row_to_one_split():
    T, L, h = 100, 5, 3
    train, valid, test, end_train = split_origins(T, L, h, transform="diff")
    assert end_train == 70
    assert train[0] == L  # a change needs the row before the window
    targets = [set((window_index(o, 0, h)[:, 1:]).ravel().tolist()) for o in (train, valid, test)]
    assert max(targets[0]) < 70 <= min(targets[1]) and max(targets[1]) < 85 <= min(targets[2])
    assert max(targets[2]) == T - 1
    assert len(train) == 70 - h - L + 1 - 1 and len(test) == 15 - h + 1


def test_a_split_too_short_for_one_window_names_its_first_line():
    # 40 rows: train 28, valid 6 (file lines 30-35), test 6; a valid window needs 7 targets
    with pytest.raises(DataError, match=r"p\.csv:30: expected enough rows for one valid window"):
        split_origins(40, 8, 7, source="p.csv", lines=list(range(2, 42)))


def test_season_from_the_spacing_of_the_dates():
    assert infer_season(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-06"]) == 7
    weekdays = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
    assert infer_season(weekdays) == 5
    assert infer_season(["2024-01-01T00:00", "2024-01-01T01:00", "2024-01-01T02:00"]) == 24
    assert infer_season(["2020-01-01", "2020-02-01", "2020-03-01", "2020-04-01"]) == 12
    assert infer_season(None) == 1


def test_next_dates_follow_the_spacing_skipping_weekends_for_trading_days():
    weekdays = ["2017-11-06", "2017-11-07", "2017-11-08", "2017-11-09", "2017-11-10"]  # Mon-Fri
    assert next_dates(weekdays, 2) == ["2017-11-13", "2017-11-14"]
    daily = ["2024-02-09", "2024-02-10", "2024-02-11"]
    assert next_dates(daily, 1) == ["2024-02-12"]
    assert next_dates(["2000-06-05 00:00", "2000-06-05 00:30"], 2) == [
        "2000-06-05 01:00",
        "2000-06-05 01:30",
    ]
    assert next_dates(["2020-11-30", "2020-12-31", "2021-01-31"], 2) == ["2021-02-28", "2021-03-31"]
    assert next_dates(None, 3) is None
