"""The season and the next dates, read from a series' date column."""

from rnnkit.data.timeseries import infer_season, next_dates


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
