"""Windows (lookback | horizon): the origins of each split, their rows, and the dataset
that wraps them."""

import json

import numpy as np
import pytest
import torch

from rnnkit.data.readers import read_numeric_csv
from rnnkit.data.timeseries import (
    WindowDataset,
    scaler_from_dict,
    split_origins,
    split_windows,
    window_index,
)
from rnnkit.errors import ConfigError, DataError


def test_window_index_is_the_lookback_then_the_horizon_of_each_origin():
    np.testing.assert_array_equal(
        window_index(np.array([3, 7]), lookback=4, horizon=2),
        [[0, 1, 2, 3, 4, 5], [4, 5, 6, 7, 8, 9]],
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


def test_a_zero_fraction_gives_no_origins_and_fractions_must_leave_training_rows():
    train, valid, test, end_train = split_origins(40, 4, 1, valid_fraction=0, test_fraction=0.1)
    assert len(valid) == 0 and end_train == 36 and len(test) == 4
    with pytest.raises(ConfigError, match=r"test_fraction must be in \[0, 1\)"):
        split_origins(40, 4, 1, test_fraction=1.0)
    with pytest.raises(ConfigError, match="leave no training rows"):
        split_origins(40, 4, 1, valid_fraction=0.5, test_fraction=0.5)


def test_windows_look_back_and_ahead_with_a_stride():
    values = np.arange(20, dtype=np.float32).reshape(10, 2)  # row r = [2r, 2r + 1]
    data = WindowDataset(values, lookback=4, horizon=2, stride=2, features=[0, 1], targets=[1])
    assert len(data) == 3  # starts 0, 2, 4
    x, y = data[1]
    assert x.shape == (4, 2) and y.shape == (2, 1)
    assert x[:, 0].tolist() == [4, 6, 8, 10] and y[:, 0].tolist() == [13, 15]
    assert data[-1][1][-1, 0] == 19
    with pytest.raises(IndexError):
        data[3]
    with pytest.raises(DataError, match="at least 12 rows for one window"):
        WindowDataset(values, lookback=10, horizon=2)
    with pytest.raises(ConfigError, match=r"origins must be in \[3, 8\)"):
        WindowDataset(values, lookback=4, horizon=2, origins=[2])
    assert torch.is_tensor(WindowDataset(np.ones((3, 1)), 2)[0][0])


def test_split_is_chronological_and_the_scaler_sees_only_train_rows(fixtures):
    table = read_numeric_csv(fixtures / "prices.csv", ["Close", "Volume"], date_column="Date")
    splits = split_windows(table, lookback=5, horizon=2, targets=["Close"])
    # 40 rows: 6 test, 6 valid, 28 train
    train_rows = table.values[:28]
    np.testing.assert_allclose(splits.scaler.mean_, train_rows.mean(axis=0))
    assert len(splits.train) == 28 - 5 - 2 + 1
    assert len(splits.valid) == 6 - 2 + 1 and len(splits.test) == 6 - 2 + 1
    assert splits.valid.target_line(0) == table.lines[28]  # the first valid target is row 28
    assert splits.test.target_line(len(splits.test) - 1) == table.lines[-2]
    x, y = splits.valid[0]
    close = splits.scaler.inverse_transform(y.double().numpy(), columns=[0])
    np.testing.assert_allclose(close[:, 0], table.column("Close")[28:30], rtol=1e-5)
    saved = scaler_from_dict(json.loads(json.dumps(splits.scaler.to_dict())))
    np.testing.assert_allclose(saved.transform(table.values), splits.scaler.transform(table.values))


def test_split_windows_are_the_rows_of_split_origins(fixtures):
    # one implementation: the dataset's windows are the forecast task's origins and rows
    table = read_numeric_csv(fixtures / "prices.csv", ["Close", "Volume"], date_column="Date")
    L, h = 5, 2
    splits = split_windows(table, L, h, targets=["Close"], stride=2, scaler=None)
    origins = split_origins(len(table.values), L, h)[:3]
    for dataset, split in zip((splits.train, splits.valid, splits.test), origins):
        rows = window_index(split[::2], L, h)  # (N, L + h)
        x = np.stack([dataset[i][0].numpy() for i in range(len(dataset))])
        y = np.stack([dataset[i][1].numpy() for i in range(len(dataset))])
        np.testing.assert_array_equal(x, table.values[rows[:, :L]].astype(np.float32))
        np.testing.assert_array_equal(y, table.values[rows[:, L:], :1].astype(np.float32))


def test_split_refuses_splits_too_short_for_one_window(fixtures):
    table = read_numeric_csv(fixtures / "prices.csv", ["Close"], date_column="Date")
    # 40 rows: train 32, valid 4 (file lines 34-37), test 4; a valid window needs 5 targets
    with pytest.raises(
        DataError, match=r"prices\.csv:34: expected enough rows for one valid window"
    ):
        split_windows(table, lookback=4, horizon=5, valid_fraction=0.1, test_fraction=0.1)
    with pytest.raises(ConfigError, match="no column 'Open'"):
        split_windows(table, 4, features=["Open"])
    unsplit = split_windows(table, 4, valid_fraction=0, test_fraction=0, scaler=None)
    assert unsplit.valid is None and unsplit.scaler is None and len(unsplit.train) == 36
