import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnnkit.data.readers import read_numeric_csv
from rnnkit.data.scaling import MinMaxScaler, StandardScaler, make_scaler, scaler_from_dict
from rnnkit.data.windows import WindowDataset, split_windows
from rnnkit.errors import CheckpointError, ConfigError, DataError


def test_windows_look_back_and_ahead_with_a_stride():
    values = np.arange(20, dtype=np.float32).reshape(10, 2)  # row r = [2r, 2r + 1]
    data = WindowDataset(values, lookback=4, horizon=2, stride=2, features=[0, 1], targets=[1])
    assert len(data) == 3  # starts 0, 2, 4
    x, y = data[1]
    assert x.shape == (4, 2) and y.shape == (2, 1)
    assert x[:, 0].tolist() == [4, 6, 8, 10] and y[:, 0].tolist() == [13, 15]
    assert data[-1][1][-1, 0] == 19
    with pytest.raises(DataError, match="at least 12 rows for one window"):
        WindowDataset(values, lookback=10, horizon=2)


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


def test_split_refuses_splits_too_short_for_one_window(fixtures):
    table = read_numeric_csv(fixtures / "prices.csv", ["Close"], date_column="Date")
    with pytest.raises(
        DataError, match=r"prices\.csv: expected at least 9 rows for one valid window"
    ):
        split_windows(table, lookback=4, horizon=5, valid_fraction=0.1, test_fraction=0.1)
    with pytest.raises(ConfigError, match="no column 'Open'"):
        split_windows(table, 4, features=["Open"])
    unsplit = split_windows(table, 4, valid_fraction=0, test_fraction=0, scaler=None)
    assert unsplit.valid is None and unsplit.scaler is None and len(unsplit.train) == 36


@given(
    arrays(
        np.float64, st.tuples(st.integers(1, 20), st.integers(1, 4)), elements=st.floats(-1e6, 1e6)
    ),
    st.sampled_from(["standard", "minmax"]),
)
@settings(max_examples=50, deadline=None)
def test_scalers_invert_and_round_trip_through_json(x, name):
    scaler = make_scaler(name).fit(x)
    np.testing.assert_allclose(
        scaler.inverse_transform(scaler.transform(x)), x, rtol=1e-9, atol=1e-6
    )
    loaded = scaler_from_dict(json.loads(json.dumps(scaler.to_dict())))
    np.testing.assert_array_equal(loaded.transform(x), scaler.transform(x))


def test_scaler_values_and_errors():
    x = np.array([[0.0, 5.0], [2.0, 5.0], [4.0, 5.0]])
    np.testing.assert_allclose(MinMaxScaler().fit_transform(x)[:, 0], [0, 0.5, 1])
    standard = StandardScaler().fit(x)
    np.testing.assert_allclose(standard.transform(x)[:, 1], [0, 0, 0])  # constant column: shifted
    with pytest.raises(DataError, match="finite values"):
        StandardScaler().fit([[np.nan]])
    with pytest.raises(ConfigError, match="not fitted"):
        StandardScaler().transform(x)
    with pytest.raises(ConfigError, match="unknown scaler"):
        make_scaler("robust")
    with pytest.raises(CheckpointError):
        scaler_from_dict({"name": "standard", "offset": [0.0], "scale": [0.0]})
    assert torch.is_tensor(WindowDataset(np.ones((3, 1)), 2)[0][0])
