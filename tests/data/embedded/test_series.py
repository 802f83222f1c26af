"""The embedded series, read from pmdarima's files."""

import importlib.metadata
import importlib.util

import numpy as np
import pytest

from rnnkit.data import embedded
from rnnkit.data.embedded import series as series_module
from rnnkit.data.embedded.series import load_series
from rnnkit.data.timeseries import infer_season
from rnnkit.errors import ConfigError

needs_pmdarima = pytest.mark.skipif(
    importlib.util.find_spec("pmdarima") is None, reason="the forecast extra (pmdarima)"
)


@needs_pmdarima
def test_msft_is_the_daily_ohlc_file_of_pmdarima():
    table = embedded.load("msft")
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


def test_the_series_load_without_pmdarima_and_building_them_names_it(monkeypatch):
    def missing(name):
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(series_module.importlib.metadata, "distribution", missing)
    series_module._msft.cache_clear()
    try:
        assert len(load_series("msft")) == 7983  # shipped: pmdarima not needed
        with pytest.raises(ConfigError, match="building the embedded series needs pmdarima"):
            series_module.build_msft()
    finally:
        series_module._msft.cache_clear()
    with pytest.raises(ConfigError, match="unknown embedded series"):
        load_series("sp500")
    with pytest.raises(ConfigError, match="no fixed splits"):
        embedded.load("taylor", "train")
