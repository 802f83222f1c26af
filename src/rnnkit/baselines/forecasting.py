"""The baselines that keep a forecaster honest: persistence, seasonal naive, ridge.

All three take the same windows as the recurrent model, in the data's own units,
and follow scikit-learn's habits (``fit(X, y)`` returns self, fitted attributes
end in ``_``, ``predict(X)``):

- :class:`Persistence`: tomorrow equals today, ``y_{t+k} = x_t``. A model of
  daily stock closes that does not beat it has learned nothing;
- :class:`SeasonalNaive`: ``y_{t+k}`` equals the value one season earlier,
  ``x_{t+k-m*ceil(k/m)}`` (yesterday's same half hour for m = 48);
- :class:`RidgeWindow`: a ridge regression from the lookback window (every
  feature) to the next T_out targets, in closed form with numpy. By default it
  works relative to the window's last values (NLinear's trick), so it extrapolates
  past the training period's level.

Shape:
    X: (N, L, F) windows of levels (a longer context than a model's lookback is
    fine: each baseline reads the rows it needs from the end).
    y: (N, T_out) the target's next T_out values.
    ``predict(X)`` returns (N, T_out).
"""

from __future__ import annotations

import numpy as np

from rnnkit.errors import CheckpointError, ConfigError

__all__ = ["Persistence", "SeasonalNaive", "RidgeWindow"]


def _windows(X, name: str) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 2:
        X = X[:, :, None]  # (N, L, 1)
    if X.ndim != 3:
        raise ConfigError(f"{name}: X must have shape (N, L, F), got {X.shape}")
    return X


def _positive(name: str, value) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")


class Persistence:
    """``y_{t+k} = x_t`` for every step k: the last value of the target column.

    Args:
        horizon: T_out, the steps to predict.
        target: the target's column in X (default the last).

    Example:
        >>> Persistence(horizon=2).fit(None, None).predict([[1.0, 2.0, 3.0]])
        array([[3., 3.]])
    """

    def __init__(self, horizon: int = 1, target: int = -1) -> None:
        self.horizon = horizon
        self.target = target

    def fit(self, X=None, y=None) -> Persistence:
        _positive("horizon", self.horizon)
        self.fitted_ = True
        return self

    def predict(self, X) -> np.ndarray:
        X = _windows(X, "Persistence")
        last = X[:, -1, self.target]  # (N,)
        return np.repeat(last[:, None], self.horizon, axis=1)  # (N, T_out)


class SeasonalNaive:
    """``y_{t+k} = x_{t+k-m*ceil(k/m)}``: the value one (or more) seasons of m rows back.

    With m = 1 it is :class:`Persistence`. X needs at least m rows.

    Example:
        >>> SeasonalNaive(season=3, horizon=4).fit().predict([[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]])
        array([[4., 5., 6., 4.]])
    """

    def __init__(self, season: int, horizon: int = 1, target: int = -1) -> None:
        self.season = season
        self.horizon = horizon
        self.target = target

    def fit(self, X=None, y=None) -> SeasonalNaive:
        _positive("season", self.season)
        _positive("horizon", self.horizon)
        self.fitted_ = True
        return self

    def predict(self, X) -> np.ndarray:
        X = _windows(X, "SeasonalNaive")
        N, L, _ = X.shape
        m = self.season
        if m > L:
            raise ConfigError(f"SeasonalNaive(season={m}) needs windows of >= {m} rows, got {L}")
        k = np.arange(1, self.horizon + 1)
        rows = L - 1 + k - m * np.ceil(k / m).astype(np.int64)  # (T_out,) all < L
        return X[:, rows, self.target]  # (N, T_out)


class RidgeWindow:
    """Ridge regression from the last ``lookback`` rows of every feature to the next
    T_out targets, ``argmin ||A w - b||^2 + alpha ||w||^2`` on standardised columns,
    solved in closed form (no scikit-learn needed).

    Args:
        alpha: the L2 penalty, on standardised inputs (so its size does not
            depend on the data's units). A sequence: the one with the lowest
            MSE on ``fit``'s ``X_valid``/``y_valid`` is kept (``alpha_``).
        lookback: rows of each window to use (from the end); None: all.
        target: the target's column in X, for ``relative``.
        relative: subtract each window's last row from its inputs and the last
            target value from y, and add it back to the prediction.

    Attributes (after :meth:`fit`):
        coef_: (L*F, T_out) on standardised inputs; intercept_: (T_out,);
        mean_, scale_: (L*F,) the input standardisation; alpha_: the penalty used.
    """

    def __init__(
        self,
        alpha: float | tuple[float, ...] = (0.1, 1.0, 10.0, 100.0, 1000.0),
        lookback: int | None = None,
        target: int = -1,
        relative: bool = True,
    ) -> None:
        self.alpha = alpha
        self.lookback = lookback
        self.target = target
        self.relative = relative

    def _design(self, X) -> tuple[np.ndarray, np.ndarray]:
        """(A (N, L*F), the value added back (N,))."""
        X = _windows(X, "RidgeWindow")
        if self.lookback is not None:
            if X.shape[1] < self.lookback:
                raise ConfigError(f"RidgeWindow needs {self.lookback} rows, got {X.shape[1]}")
            X = X[:, -self.lookback :]  # (N, L, F)
        N = X.shape[0]
        if self.relative:
            base = X[:, -1, self.target]  # (N,)
            X = X - X[:, -1:, :]
        else:
            base = np.zeros(N)
        return X.reshape(N, -1), base  # (N, L*F)

    def _solve(self, A: np.ndarray, b: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
        gram = A.T @ A + alpha * np.eye(A.shape[1])
        coef = np.linalg.solve(gram, A.T @ (b - b.mean(axis=0)))  # (L*F, T_out)
        return coef, b.mean(axis=0)

    def fit(self, X, y, X_valid=None, y_valid=None) -> RidgeWindow:
        A, base = self._design(X)
        y = np.asarray(y, dtype=np.float64).reshape(len(A), -1)  # (N, T_out)
        if len(A) < 2:
            raise ConfigError(f"RidgeWindow needs at least 2 windows to fit, got {len(A)}")
        self.mean_ = A.mean(axis=0)
        scale = A.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        A = (A - self.mean_) / self.scale_  # (N, L*F)
        b = y - base[:, None]  # (N, T_out)
        alphas = (self.alpha,) if np.isscalar(self.alpha) else tuple(self.alpha)
        if not alphas or any(a < 0 for a in alphas):
            raise ConfigError(f"alpha must be >= 0 (or a list of them), got {self.alpha!r}")
        best = None
        for alpha in alphas:
            self.coef_, self.intercept_ = self._solve(A, b, float(alpha))
            self.alpha_ = float(alpha)
            if len(alphas) == 1:
                return self
            if X_valid is None:
                raise ConfigError("RidgeWindow with several alphas needs X_valid and y_valid")
            error = float(np.mean((self.predict(X_valid) - np.asarray(y_valid)) ** 2))
            if best is None or error < best[0]:
                best = (error, self.coef_, self.intercept_, self.alpha_)
        _, self.coef_, self.intercept_, self.alpha_ = best
        return self

    def predict(self, X) -> np.ndarray:
        if not hasattr(self, "coef_"):
            raise ConfigError("RidgeWindow is not fitted: call fit(X, y) first")
        A, base = self._design(X)
        if A.shape[1] != len(self.mean_):
            raise ConfigError(f"RidgeWindow was fit on {len(self.mean_)} inputs, got {A.shape[1]}")
        A = (A - self.mean_) / self.scale_
        return A @ self.coef_ + self.intercept_ + base[:, None]  # (N, T_out)

    def to_dict(self) -> dict:
        """The fitted ridge as JSON-ready data (no pickle)."""
        return {
            "alpha": self.alpha_,
            "lookback": self.lookback,
            "target": self.target,
            "relative": self.relative,
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_.tolist(),
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict) -> RidgeWindow:
        try:
            ridge = cls(
                float(data["alpha"]), data["lookback"], int(data["target"]), bool(data["relative"])
            )
            ridge.alpha_ = float(data["alpha"])
            ridge.coef_ = np.asarray(data["coef"], dtype=np.float64)
            ridge.intercept_ = np.asarray(data["intercept"], dtype=np.float64)
            ridge.mean_ = np.asarray(data["mean"], dtype=np.float64)
            ridge.scale_ = np.asarray(data["scale"], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as e:
            raise CheckpointError(f"ridge baseline data are broken: {e!r}") from None
        if ridge.coef_.ndim != 2 or ridge.coef_.shape[0] != len(ridge.mean_):
            raise CheckpointError("ridge baseline data: coef and mean do not fit together")
        return ridge
