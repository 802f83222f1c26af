"""The recurrent forecaster: a window of F features -> the next T_out values.

One sample, lookback L = 4 and horizon T_out = 2 (the lecture's Open, High,
Low, Close of four days; its close of the next two)::

    day      t-3   t-2   t-1    t   | t+1   t+2
    x       [OHLC  OHLC  OHLC  OHLC]|                  (L, F) = (4, 4)
    y                               | [ C     C ]      (T_out, F_out) = (2, 1)

Each window is first normalised by its own last row (``window_norm="last"``,
the idea of NLinear; ``"last_scale"`` also divides by the window's standard
deviation, as RevIN does) and the same numbers are added back to the output.
A network fed raw levels learns the training period's level and loses to
persistence on a later test period; relative to its window it predicts changes,
and outputting zeros *is* persistence.

With ``highway=True`` a linear map from the normalised window of each target
column straight to its T_out outputs is added to the recurrent head's output
(the autoregressive "highway" of LSTNet, Lai et al. 2018, arXiv:1703.07015;
on its own it is NLinear, Zeng et al. 2023, arXiv:2205.13504)::

    y = head(GRU(x_norm)[-1]) + highway(x_norm[:, :, target])   (then add back)

A linear map on the window is already a strong forecaster of seasonal series;
the recurrent part learns what it misses. The highway starts at zero.

With ``patch=P`` > 1 the recurrent stack reads the window P rows at a time, each
step one patch of P x F numbers (the segments of SegRNN, Lin et al. 2023,
arXiv:2308.11200): a week of half hours (L = 336) is 14 steps of 24 rows instead
of 336 steps, over ten times faster to train. When P does not divide L the
oldest L mod P rows are left to the highway.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn import make_recurrent

__all__ = ["Forecaster", "WINDOW_NORMS"]

WINDOW_NORMS = ("last", "last_scale", "none")
_EPS = 1e-5


class Forecaster(nn.Module):
    """``window norm -> recurrent stack -> last output -> linear -> T_out x F_out -> add back``.

    The lecture's network is ``cell="rnn", backend="scratch"``:
    ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (its ``w_x`` and ``w_h``;
    ``weight_ih_l0`` and ``weight_hh_l0`` here) and the linear ``head`` (its ``w_y``)
    on the last state.

    Args:
        input_size: F, the features of each row.
        horizon: T_out, the rows predicted at once (direct strategy); 1 for a
            model rolled forward step by step (:meth:`forecast`).
        targets: the input columns predicted (F_out of them); None: every one,
            which :meth:`forecast` needs to roll forward.
        hidden_size, num_layers, cell, dropout, bidirectional, layer_norm, backend:
            the recurrent stack (see :func:`rnnkit.nn.make_recurrent`).
        window_norm: ``"last"``, ``"last_scale"`` or ``"none"`` (see the module docstring).
        highway: add a linear map from the last ``lookback`` rows of each target
            column to its T_out outputs (see the module docstring).
        lookback: L, the rows of a window; needed by the highway only (windows
            may then be no shorter; the highway reads the last L rows).
        patch: P, rows per recurrent step (see the module docstring); 1: one row.

    Shape:
        x: (N, L, F) float, batch first.
        Returns (N, T_out, F_out).

    Example:
        >>> model = Forecaster(4, horizon=2, targets=[3], hidden_size=8)
        >>> model(torch.randn(5, 4, 4)).shape
        torch.Size([5, 2, 1])
    """

    def __init__(
        self,
        input_size: int,
        horizon: int = 1,
        targets: Sequence[int] | None = None,
        *,
        hidden_size: int = 64,
        num_layers: int = 1,
        cell: str = "gru",
        dropout: float = 0.0,
        bidirectional: bool = False,
        layer_norm: bool = False,
        backend: str = "auto",
        window_norm: str = "last",
        highway: bool = False,
        lookback: int | None = None,
        patch: int = 1,
    ) -> None:
        super().__init__()
        for name, value in (("input_size", input_size), ("horizon", horizon), ("patch", patch)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ConfigError(f"{name} must be a positive integer, got {value!r}")
        if window_norm not in WINDOW_NORMS:
            raise ConfigError(
                f"window_norm must be one of {', '.join(WINDOW_NORMS)}; got {window_norm!r}"
            )
        bad_lookback = not isinstance(lookback, int) or isinstance(lookback, bool) or lookback < 1
        if highway and bad_lookback:
            raise ConfigError(f"highway needs the lookback, a positive integer; got {lookback!r}")
        targets = list(range(input_size)) if targets is None else list(targets)
        if not targets or any(not 0 <= i < input_size for i in targets):
            raise ConfigError(f"targets must be columns in [0, {input_size}), got {targets}")
        self.input_size, self.horizon, self.window_norm = input_size, horizon, window_norm
        self.register_buffer("targets", torch.tensor(targets, dtype=torch.long), persistent=False)
        self.patch = patch
        self.rnn = make_recurrent(
            cell,
            patch * input_size,
            hidden_size,
            num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
            layer_norm=layer_norm,
            backend=backend,
        )
        self.dropout = nn.Dropout(dropout)
        D = 2 if bidirectional else 1
        self.head = nn.Linear(D * hidden_size, horizon * len(targets))
        self.lookback = lookback
        self.highway: nn.Linear | None = None
        if highway:
            # one map for every target column, as LSTNet shares it across series
            self.highway = nn.Linear(lookback, horizon)
            nn.init.zeros_(self.highway.weight)
            nn.init.zeros_(self.highway.bias)

    @property
    def num_outputs(self) -> int:
        """F_out, the columns predicted."""
        return len(self.targets)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.size(-1) != self.input_size:
            raise ConfigError(
                f"expected windows of shape (N, L, {self.input_size}), got {tuple(x.shape)}"
            )
        N, L, _ = x.shape
        x, shift, scale = self._normalize(x)
        P = self.patch
        if L < P:
            raise ConfigError(f"patches of {P} rows need windows of >= {P} rows, got {L}")
        S = L // P
        patches = x[:, L - S * P :].reshape(N, S, P * self.input_size)  # (N, S, P*F)
        out, _ = self.rnn(patches)  # (N, S, D*H)
        if self.rnn.bidirectional:
            H = out.size(-1) // 2
            last = torch.cat([out[:, -1, :H], out[:, 0, H:]], dim=-1)  # (N, 2H)
        else:
            last = out[:, -1]  # (N, H)
        y = self.head(self.dropout(last)).view(N, self.horizon, -1)  # (N, T_out, F_out)
        if self.highway is not None:
            y = y + self.highway(self._recent(x)).transpose(1, 2)  # (N, T_out, F_out)
        if scale is not None:
            y = y * scale[:, :, self.targets]
        if shift is not None:
            y = y + shift[:, :, self.targets]
        return y

    def _normalize(self, x: Tensor) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """(x normalised by its window, shift (N, 1, F) or None, scale (N, 1, F) or None)."""
        shift = scale = None
        if self.window_norm != "none":
            shift = x[:, -1:, :]  # (N, 1, F)
            x = x - shift
            if self.window_norm == "last_scale":
                scale = x.std(dim=1, keepdim=True, unbiased=False) + _EPS  # (N, 1, F)
                x = x / scale
        return x, shift, scale

    def _recent(self, x: Tensor) -> Tensor:
        """The highway's input: the last L rows of each target column, (N, F_out, L)."""
        if self.lookback > x.size(1):
            raise ConfigError(
                f"the highway needs windows of >= {self.lookback} rows, got {x.size(1)}"
            )
        return x[:, -self.lookback :, self.targets].transpose(1, 2)

    @torch.no_grad()
    def fit_highway(
        self,
        x: Tensor,
        y: Tensor,
        valid: tuple[Tensor, Tensor] | None = None,
        alphas: Sequence[float] = (0.1, 1.0, 10.0, 100.0, 1000.0),
    ) -> float:
        """Start from the best linear forecaster: set the highway to the ridge
        regression of the normalised targets on its normalised input, in closed form,
        and zero the recurrent head, so the model begins as that linear map and the
        recurrent part learns only what it misses (the residual).

        The penalty is ``alpha * diag(A^T A) / N``, ridge on standardised lags as
        :class:`~rnnkit.baselines.forecasting.RidgeWindow` fits it (the same grid of
        ``alphas``, so a univariate model starts at that baseline's forecasts); the
        ``alpha`` with the lowest MSE on ``valid`` is kept (the smallest when no
        ``valid`` is given).

        Args:
            x: (N, L, F) training windows; y: (N, T_out, F_out) their targets.
            valid: optional (x, y) of the same shapes, to choose the penalty.

        Returns:
            the chosen ``alpha``.
        """
        if self.highway is None:
            raise ConfigError("fit_highway needs a model built with highway=True")

        def design(x: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
            xn, shift, scale = self._normalize(x.double())
            y = y.double()
            if shift is not None:
                y = y - shift[:, :, self.targets]
            if scale is not None:
                y = y / scale[:, :, self.targets]
            A = self._recent(xn).reshape(-1, self.lookback)  # (N*F_out, L)
            b = y.transpose(1, 2).reshape(-1, self.horizon)  # (N*F_out, T_out)
            return A, b

        A, b = design(x, y)
        a_mean, b_mean = A.mean(0), b.mean(0)
        Ac, bc = A - a_mean, b - b_mean
        gram, rhs = Ac.T @ Ac, Ac.T @ bc  # (L, L), (L, T_out)
        # each lag's penalty scales with its variance: ridge on standardised lags, as
        # RidgeWindow fits it (a lag near the window's last row varies little)
        ridge = (gram.diagonal() / len(A)).clamp_min(1e-12).diag()
        held_out = design(*(t.to(x.device) for t in valid)) if valid is not None else None
        best = None
        for alpha in alphas:
            weight = torch.linalg.solve(gram + alpha * ridge, rhs)  # (L, T_out)
            bias = b_mean - a_mean @ weight  # (T_out,)
            score = 0.0
            if held_out is not None:
                Av, bv = held_out
                score = float(((Av @ weight + bias - bv) ** 2).mean())
            if best is None or score < best[0]:
                best = (score, alpha, weight, bias)
        _, alpha, weight, bias = best
        self.highway.weight.copy_(weight.T)
        self.highway.bias.copy_(bias)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        return alpha

    def forecast(self, x: Tensor, steps: int) -> Tensor:
        """The next ``steps`` rows of the target columns: direct when the head emits
        that many, else one step at a time, each prediction appended to the window
        and the oldest row dropped (needs ``targets`` = every column).

        Shape:
            x: (N, L, F). Returns (N, steps, F_out).
        """
        if steps <= self.horizon:
            return self.forward(x)[:, :steps]
        if self.num_outputs != self.input_size or self.horizon != 1:
            raise ConfigError(
                f"this model predicts {self.horizon} step(s) of {self.num_outputs} column(s); "
                f"rolling it {steps} steps forward needs one step of all {self.input_size}"
            )
        window, out = x, []
        for _ in range(steps):
            step = self.forward(window)  # (N, 1, F)
            out.append(step)
            window = torch.cat([window[:, 1:], step], dim=1)  # (N, L, F)
        return torch.cat(out, dim=1)  # (N, steps, F)
