"""Scalers: fit on the training rows, invert, and round trip through JSON."""

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from rnnkit.data.timeseries import MinMaxScaler, StandardScaler, make_scaler, scaler_from_dict
from rnnkit.errors import CheckpointError, ConfigError, DataError


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
