"""Persistence, seasonal naive and ridge: the values they must give, and ridge's round trip."""

import json

import numpy as np
import pytest

from rnnkit.baselines.forecasting import Persistence, RidgeWindow, SeasonalNaive
from rnnkit.errors import CheckpointError, ConfigError


def _windows(series, L, h):
    """(X (N, L, 1), y (N, h)) of a 1-D series."""
    series = np.asarray(series, dtype=np.float64)
    N = len(series) - L - h + 1
    X = np.stack([series[i : i + L] for i in range(N)])[:, :, None]
    y = np.stack([series[i + L : i + L + h] for i in range(N)])
    return X, y


def test_persistence_repeats_the_last_value_of_the_target_column():
    X = np.array([[[1.0, 10.0], [2.0, 20.0], [3.0, 30.0]]])  # (1, 3, 2)
    assert Persistence(horizon=3, target=1).fit(X, None).predict(X).tolist() == [[30.0] * 3]
    assert Persistence(horizon=2, target=0).fit().predict(X).tolist() == [[3.0, 3.0]]


def test_seasonal_naive_repeats_the_last_season_and_wraps_past_it():
    X = np.arange(1.0, 9.0)[None, :]  # one window 1..8, season 4: the last season is 5 6 7 8
    pred = SeasonalNaive(season=4, horizon=6).fit().predict(X)
    assert pred.tolist() == [[5.0, 6.0, 7.0, 8.0, 5.0, 6.0]]
    assert SeasonalNaive(season=1, horizon=3).fit().predict(X).tolist() == [[8.0] * 3]


def test_seasonal_naive_refuses_windows_shorter_than_the_season():
    with pytest.raises(ConfigError, match="season=12"):
        SeasonalNaive(season=12).fit().predict(np.ones((2, 5, 1)))
    with pytest.raises(ConfigError, match="season"):
        SeasonalNaive(season=0).fit()


def test_ridge_learns_a_linear_recurrence_and_extrapolates_past_the_training_level():
    t = np.arange(400, dtype=np.float64)
    series = 5.0 * np.sin(2 * np.pi * t / 12) + 0.1 * t  # exactly linear in its last 13 values
    X, y = _windows(series[:300], 24, 3)
    ridge = RidgeWindow(alpha=1e-6, lookback=24).fit(X, y)
    X_test, y_test = _windows(series[300:] + 1000.0, 24, 3)  # far above the training level
    assert np.abs(ridge.predict(X_test) - y_test).max() < 1e-3


def test_a_heavily_penalised_ridge_falls_back_to_persistence_when_relative():
    t = np.arange(400, dtype=np.float64)
    series = 5.0 * np.sin(2 * np.pi * t / 12) + 0.1 * t
    X, y = _windows(series[:300], 24, 1)
    X_test, y_test = _windows(series[300:] + 1000.0, 24, 1)
    relative = RidgeWindow(alpha=1e9, lookback=24).fit(X, y).predict(X_test)
    np.testing.assert_allclose(relative[:, 0], X_test[:, -1, 0], atol=0.5)  # ~ persistence
    absolute = RidgeWindow(alpha=1e9, lookback=24, relative=False).fit(X, y).predict(X_test)
    assert np.abs(absolute - y_test).min() > 900  # ~ the training mean, 1000 below


def test_ridge_picks_its_penalty_on_the_validation_windows():
    rng = np.random.default_rng(0)
    series = np.cumsum(rng.normal(size=600))
    X, y = _windows(series[:400], 8, 1)
    Xv, yv = _windows(series[400:], 8, 1)
    ridge = RidgeWindow(alpha=(0.1, 10.0, 1e6), lookback=8).fit(X, y, Xv, yv)
    scores = {
        a: np.mean((RidgeWindow(alpha=a, lookback=8).fit(X, y).predict(Xv) - yv) ** 2)
        for a in (0.1, 10.0, 1e6)
    }
    assert ridge.alpha_ == min(scores, key=scores.get)
    with pytest.raises(ConfigError, match="X_valid"):
        RidgeWindow(alpha=(1.0, 2.0)).fit(X, y)


def test_ridge_round_trips_through_json_and_refuses_broken_data():
    X, y = _windows(np.sin(np.arange(200) / 3.0), 10, 2)
    ridge = RidgeWindow(alpha=1.0, lookback=10).fit(X, y)
    again = RidgeWindow.from_dict(json.loads(json.dumps(ridge.to_dict())))
    np.testing.assert_allclose(again.predict(X), ridge.predict(X))
    with pytest.raises(CheckpointError):
        RidgeWindow.from_dict({"alpha": 1.0})
    with pytest.raises(ConfigError, match="not fitted"):
        RidgeWindow().predict(X)
