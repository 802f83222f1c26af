"""Levels to the model's series (levels, returns, diff) and back."""

import numpy as np
import pytest

from rnnkit.data.timeseries import to_levels, transform_levels
from rnnkit.errors import DataError


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
