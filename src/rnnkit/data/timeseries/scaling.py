"""Scalers for numeric features, fit on the training split only.

Fitting on the whole series lets the test period's mean and range leak into
training; :func:`~rnnkit.data.timeseries.windows.split_windows` and the forecast
task therefore fit on the training rows and apply the same numbers to validation
and test. Scalers follow scikit-learn's habits (fitted attributes end in ``_``,
``fit`` returns self) and save as JSON (``scaler.json``), never as a pickle.
"""

from __future__ import annotations

import numpy as np

from rnnkit.errors import CheckpointError, ConfigError, DataError

__all__ = ["Scaler", "StandardScaler", "MinMaxScaler", "make_scaler", "scaler_from_dict"]


class Scaler:
    """Base class: per-column ``x' = (x - offset_) / scale_``.

    Shape:
        x: (..., F) with the F columns seen by :meth:`fit`; ``columns`` in
        :meth:`transform` / :meth:`inverse_transform` picks a subset of them (for
        a target that is one of the features).
    """

    name = "base"

    def __init__(self) -> None:
        self.offset_: np.ndarray | None = None  # (F,)
        self.scale_: np.ndarray | None = None  # (F,)

    @property
    def fitted(self) -> bool:
        return self.offset_ is not None

    def fit(self, x) -> Scaler:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim < 1 or x.shape[0] == 0:
            raise DataError(None, None, "at least one row to fit a scaler on", f"shape {x.shape}")
        if not np.isfinite(x).all():
            raise DataError(None, None, "finite values to fit a scaler on", "NaN or infinity")
        x = x.reshape(-1, x.shape[-1]) if x.ndim > 1 else x.reshape(-1, 1)  # (rows, F)
        offset, scale = self._statistics(x)
        scale = np.where(scale > 0, scale, 1.0)  # a constant column is shifted, not divided by 0
        self.offset_, self.scale_ = offset, scale
        return self

    def _statistics(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _params(self, columns) -> tuple[np.ndarray, np.ndarray]:
        if not self.fitted:
            raise ConfigError(f"the {self.name} scaler is not fitted: call fit(train) first")
        if columns is None:
            return self.offset_, self.scale_
        index = np.asarray(columns, dtype=np.int64)
        if index.size and not ((index >= -len(self.offset_)) & (index < len(self.offset_))).all():
            raise ConfigError(f"columns {list(columns)} out of range for {len(self.offset_)}")
        return self.offset_[index], self.scale_[index]

    def transform(self, x, columns=None) -> np.ndarray:
        offset, scale = self._params(columns)
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1:] != offset.shape:
            raise ConfigError(f"expected {offset.shape[0]} columns, got shape {x.shape}")
        return (x - offset) / scale

    def inverse_transform(self, x, columns=None) -> np.ndarray:
        offset, scale = self._params(columns)
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1:] != offset.shape:
            raise ConfigError(f"expected {offset.shape[0]} columns, got shape {x.shape}")
        return x * scale + offset

    def fit_transform(self, x) -> np.ndarray:
        return self.fit(x).transform(x)

    def to_dict(self) -> dict:
        out: dict = {"name": self.name}
        if self.fitted:
            out["offset"] = self.offset_.tolist()
            out["scale"] = self.scale_.tolist()
        return out

    def __repr__(self) -> str:
        size = "unfitted" if not self.fitted else f"{len(self.offset_)} columns"
        return f"{type(self).__name__}({size})"


class StandardScaler(Scaler):
    """``x' = (x - mean) / std`` per column (population std; 1 for a constant column)."""

    name = "standard"

    def _statistics(self, x):
        return x.mean(axis=0), x.std(axis=0)

    @property
    def mean_(self) -> np.ndarray | None:
        return self.offset_


class MinMaxScaler(Scaler):
    """``x' = (x - min) / (max - min)`` per column: the training range maps to [0, 1]."""

    name = "minmax"

    def _statistics(self, x):
        low = x.min(axis=0)
        return low, x.max(axis=0) - low


_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler}


def make_scaler(name: str) -> Scaler:
    """``"standard"`` or ``"minmax"``."""
    try:
        return _SCALERS[name]()
    except (KeyError, TypeError):
        raise ConfigError(f"unknown scaler {name!r}; choose one of {', '.join(_SCALERS)}") from None


def scaler_from_dict(data: dict) -> Scaler:
    """Rebuild a scaler from :meth:`Scaler.to_dict`."""
    if not isinstance(data, dict) or data.get("name") not in _SCALERS:
        raise CheckpointError(f"scaler data must name one of {', '.join(_SCALERS)}")
    scaler = _SCALERS[data["name"]]()
    if "offset" in data or "scale" in data:
        try:
            offset = np.asarray(data["offset"], dtype=np.float64)
            scale = np.asarray(data["scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"scaler data is broken: {e}") from None
        if offset.ndim != 1 or offset.shape != scale.shape or not (scale > 0).all():
            raise CheckpointError(
                "scaler data: 'offset' and 'scale' must be equal-length lists, scale > 0"
            )
        scaler.offset_, scaler.scale_ = offset, scale
    return scaler
