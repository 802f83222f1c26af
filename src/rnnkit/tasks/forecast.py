"""Time-series forecasting: a window of L rows of F numeric columns -> the target's next T_out.

Data: the embedded ``msft`` (default: daily Open, High, Low, Close -> Close) or
``taylor`` (half-hourly electricity demand), or any numeric CSV/TSV with a header
(``features``, ``target``, an optional ``date_column``). The rows are split in
time, train | valid | test (``valid_fraction``, ``test_fraction``); the scaler is
fit on the training rows only and saved as ``scaler.json``; every metric is in the
data's own units, beside three baselines on the same test windows (persistence,
seasonal naive, ridge on the window; :mod:`rnnkit.baselines.forecasting`).

Strategies: ``direct`` (one head emits all T_out steps) or ``recursive`` (a
one-step model of every column, rolled forward T_out times). Transforms:
``levels``, ``diff`` or ``returns`` (metrics on levels all the same).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.baselines.forecasting import Persistence, RidgeWindow, SeasonalNaive
from rnnkit.config import RunConfig
from rnnkit.data.readers import NumericTable, read_numeric_csv
from rnnkit.data.timeseries import Scaler, next_dates, scaler_from_dict
from rnnkit.errors import CheckpointError, ConfigError, DataError
from rnnkit.metrics import forecast_report
from rnnkit.models.forecaster import Forecaster
from rnnkit.tasks.base import Predictor, Task, register
from rnnkit.tasks.forecast_data import (
    EVAL_BATCH_SIZE,
    ForecastData,
    baseline_context,
    clean_report,
    fit_ridge,
    forecast_levels,
    input_columns,
    prepare_series,
    read_header,
    read_series,
    resolve_date_column,
    target_values,
    training_windows,
)
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import StepOutput

__all__ = ["ForecastTask", "ForecastPredictor", "ForecastProgram", "load_scaler", "load_ridge"]


# -- training ------------------------------------------------------------------------------
class _Batches(Sequence):
    def __init__(self, x: Tensor, y: Tensor, chunks: list[Tensor]) -> None:
        self.x, self.y, self.chunks = x, y, chunks

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        index = self.chunks[i]
        return self.x[index], self.y[index]  # (n, L, C), (n, T_out, F_out)


class ForecastProgram:
    """The :class:`~rnnkit.training.trainer.TrainingProgram` of a forecaster: shuffled
    training windows, MSE on the scaled targets; validation reports that loss and
    MSE, MAE, RMSE and MAPE of the T_out-step forecasts in the data's units.

    Given the model, its highway (if any) first gets the closed-form ridge fit on the
    training windows (:meth:`~rnnkit.models.forecaster.Forecaster.fit_highway`), unless
    the run starts from another run's weights."""

    def __init__(
        self,
        data: ForecastData,
        config: RunConfig,
        device: torch.device,
        dist: DistInfo,
        model: nn.Module | None = None,
    ) -> None:
        self.data, self.config, self.device, self.dist = data, config, device, dist
        self.x, self.y = (t.to(device) for t in training_windows(data, data.train, config))
        self.valid_x, self.valid_y = training_windows(data, data.valid, config)
        self.batch_size = config.data.batch_size
        highway = getattr(model, "highway", None)
        if highway is not None and not config.train.init_from:  # (a resume loads its weights)
            model.fit_highway(self.x, self.y, valid=(self.valid_x, self.valid_y))
        self._epoch: int | None = None
        self._batches: _Batches | None = None

    def batches(self, epoch: int) -> _Batches:
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.config.train.seed * 100_003 + epoch)
            order = torch.randperm(len(self.x), generator=generator)
            if self.dist.enabled:
                order = order[self.dist.rank :: self.dist.world_size]
            chunks = list(order.to(self.device).split(self.batch_size))
            self._batches, self._epoch = _Batches(self.x, self.y, chunks), epoch
        return self._batches

    def step(self, model: nn.Module, batch: tuple[Tensor, Tensor], state) -> StepOutput:
        x, y = batch
        loss = F.mse_loss(model(x).float(), y)
        return StepOutput(loss, y.numel(), None)

    def evaluate(self, model: nn.Module, max_batches: int | None = None) -> dict[str, float]:
        origins = self.data.valid
        if max_batches is not None:
            origins = origins[: max_batches * EVAL_BATCH_SIZE]
        n = len(origins)
        total = 0.0
        for start in range(0, n, EVAL_BATCH_SIZE):
            x = self.valid_x[start : min(start + EVAL_BATCH_SIZE, n)].to(self.device)
            y = self.valid_y[start : min(start + EVAL_BATCH_SIZE, n)].to(self.device)
            total += F.mse_loss(model(x).float(), y, reduction="sum").item()
        pred = forecast_levels(model, self.data, origins, self.config)
        report = forecast_report(target_values(self.data, origins, self.config.data.horizon), pred)
        report["loss"] = total / max(n * self.valid_y[0].numel(), 1)
        return clean_report(report)


# -- the task ------------------------------------------------------------------------------
MAX_RECURRENT_STEPS = 14  # the default patch keeps the recurrent stack to this many steps


def _resolve(config: RunConfig) -> None:
    if config.model.window_norm is None:
        config.model.window_norm = "last" if config.data.transform == "levels" else "none"
    if config.model.patch is None:  # at most 14 recurrent steps: a week of half hours, 14 x 24
        config.model.patch = max(1, math.ceil(config.data.lookback / MAX_RECURRENT_STEPS))


@register
class ForecastTask(Task):
    name = "forecast"

    def __init__(self) -> None:
        self._program: ForecastProgram | None = None  # the last program built, for its plot

    def prepare(self, config: RunConfig, run: RunDirectory | None = None) -> ForecastData:
        if config.model.kind != "rnn":
            raise ConfigError(
                f"forecast trains recurrent models only, got --model {config.model.kind}"
            )
        _resolve(config)
        table = read_series(config)
        scaler = load_scaler(run) if run is not None else None
        data = prepare_series(table, config, scaler, split=True)
        data.ridge = fit_ridge(data, config)
        config.model.num_features = len(data.columns)
        return data

    def save_assets(self, run: RunDirectory, data: ForecastData) -> None:
        scaler = data.scaler.to_dict() if data.scaler is not None else {"name": "none"}
        run.save_json("scaler.json", scaler)
        run.save_json("baselines.json", {"ridge": data.ridge.to_dict()})

    def build_model(self, config: RunConfig) -> Forecaster:
        m, d = config.model, config.data
        if m.num_features < 1 or not d.features or d.target is None:
            raise ConfigError("the forecast config lacks its data-derived columns (num_features)")
        columns = input_columns(config)
        recursive = m.strategy == "recursive"
        return Forecaster(
            m.num_features,
            horizon=1 if recursive else d.horizon,
            targets=None if recursive else [columns.index(d.target)],
            hidden_size=m.hidden_size,
            num_layers=m.num_layers,
            cell=m.cell,
            dropout=m.dropout,
            bidirectional=m.bidirectional,
            layer_norm=m.layer_norm,
            backend=m.backend,
            window_norm=m.window_norm or "last",
            highway=m.highway,
            lookback=d.lookback,
            patch=m.patch or 1,
        )

    def program(
        self, model: nn.Module, data: ForecastData, config: RunConfig, dist: DistInfo
    ) -> ForecastProgram:
        device = next(model.parameters()).device
        self._program = ForecastProgram(data, config, device, dist, model)
        return self._program

    def predictor(
        self, model: nn.Module, config: RunConfig, run: RunDirectory
    ) -> ForecastPredictor:
        predictor = ForecastPredictor(
            model, config, run, scaler=load_scaler(run), ridge=load_ridge(run)
        )
        program, self._program = self._program, None
        if program is not None and program.dist.is_main:
            predictor.plot(run.file("plots/forecast.png"), data=program.data)
        return predictor


def load_scaler(run: RunDirectory) -> Scaler | None:
    data = run.load_json("scaler.json")
    if isinstance(data, dict) and data.get("name") == "none":
        return None
    return scaler_from_dict(data)


def load_ridge(run: RunDirectory) -> RidgeWindow:
    data = run.load_json("baselines.json")
    if not isinstance(data, dict) or not isinstance(data.get("ridge"), dict):
        raise CheckpointError(f"{run.path}: baselines.json lacks its 'ridge' table")
    return RidgeWindow.from_dict(data["ridge"])


# -- the predictor -------------------------------------------------------------------------
class ForecastPredictor(Predictor):
    """A trained forecaster: the next T_out values of recent rows, and metrics beside
    the baselines.

    Example:
        >>> fc = rnnkit.load("runs/forecast-msft")  # doctest: +SKIP
        >>> fc.forecast("recent.csv")  # doctest: +SKIP
        {'input': 'recent.csv', 'target': 'Close', 'horizon': 1, 'last_date': '2017-11-10',
         'dates': ['2017-11-13'], 'values': [83.9]}
    """

    task = "forecast"

    def __init__(self, model, config, run=None, *, scaler: Scaler | None, ridge: RidgeWindow):
        super().__init__(model, config, run)
        self.scaler, self.ridge = scaler, ridge
        self.columns = input_columns(config)
        self.target = config.data.target
        self.horizon, self.lookback = config.data.horizon, config.data.lookback
        self.season = config.data.season or 1

    def _history(self) -> int:
        """Rows a forecast needs before its origin row, included."""
        return self.lookback + (0 if self.config.data.transform == "levels" else 1)

    def _read(self, path: str | os.PathLike) -> NumericTable:
        header = read_header(path)
        date_column = self.config.data.date_column
        date_column = date_column if date_column in header else resolve_date_column(None, header)
        return read_numeric_csv(path, self.columns, date_column=date_column)

    def _table(self, series) -> tuple[NumericTable, str]:
        if isinstance(series, (str, os.PathLike)):
            return self._read(series), os.fspath(series)
        if isinstance(series, NumericTable):
            return series, series.source or "table"
        values = np.asarray(series, dtype=np.float64)
        if values.ndim == 1 and len(self.columns) == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != len(self.columns):
            raise ConfigError(
                f"an array input needs shape (rows, {len(self.columns)}) for the columns "
                f"{', '.join(self.columns)}; got {values.shape}"
            )
        lines = list(range(1, len(values) + 1))
        return NumericTable(values, list(self.columns), None, lines, "array"), "array"

    def forecast(self, series) -> dict:
        """The next T_out values of the target after the last row of ``series``: a CSV
        path, a :class:`~rnnkit.data.readers.NumericTable` or an array (rows, C) of
        the input columns. ``{"input", "target", "horizon", "last_date", "dates",
        "values"}``; the dates (None without a date column) follow the input's spacing."""
        table, name = self._table(series)
        need = self._history()
        if len(table) < need:
            line = table.lines[-1] if table.lines else None
            raise DataError(
                table.source or name, line, f"at least {need} rows (the lookback)", f"{len(table)}"
            )
        data = prepare_series(table, self.config, self.scaler, split=False)
        origin = np.array([len(table) - 1])
        values = forecast_levels(self.model, data, origin, self.config)[0]
        return {
            "input": name,
            "target": self.target,
            "horizon": self.horizon,
            "last_date": table.dates[-1] if table.dates else None,
            "dates": next_dates(table.dates, self.horizon),
            "values": [float(v) for v in values],
        }

    def predict(self, inputs: Sequence) -> list[dict]:
        """:meth:`forecast` of each input (paths, tables or arrays), in order."""
        if isinstance(inputs, (str, os.PathLike, NumericTable, np.ndarray, Tensor)):
            raise ConfigError(
                "predict takes a list of inputs; wrap it in a list, or use forecast()"
            )
        return [self.forecast(series) for series in inputs]

    def _evaluation(self, data: str | os.PathLike | None, prepared: ForecastData | None = None):
        """(prepared data, the origins scored, a name for them)."""
        if prepared is not None:
            return prepared, prepared.test, f"{prepared.source} (test split)"
        if data is None:
            table = read_series(self.config)
            prepared = prepare_series(table, self.config, self.scaler, split=True)
            return prepared, prepared.test, f"{prepared.source} (test split)"
        table = self._read(data)
        prepared = prepare_series(table, self.config, self.scaler, split=False)
        origins = np.arange(self._history() - 1, len(table) - self.horizon)
        return prepared, origins, os.fspath(data)

    def _scores(self, data=None, prepared=None):
        prepared, origins, name = self._evaluation(data, prepared)
        context = max(self._history(), self.season)
        origins = origins[origins >= context - 1]
        if len(origins) == 0:
            line = prepared.lines[-1] if prepared.lines else None
            raise DataError(
                prepared.source,
                line,
                f"at least {context + self.horizon} rows (max(lookback, season) + horizon) "
                "to score one window",
                f"{len(prepared.levels)} rows",
            )
        y_true = target_values(prepared, origins, self.horizon)  # (N, T_out)
        ctx = baseline_context(prepared, origins, max(self.lookback, self.season))
        t = prepared.target_index
        forecasts = {
            "model": forecast_levels(self.model, prepared, origins, self.config),
            "persistence": Persistence(self.horizon, t).fit().predict(ctx),
            "seasonal_naive": SeasonalNaive(self.season, self.horizon, t).fit().predict(ctx),
            "ridge": self.ridge.predict(ctx),
        }
        return prepared, origins, name, y_true, forecasts

    def evaluate(self, *, data: str | os.PathLike | None = None) -> dict:
        """MSE, MAE, RMSE (data units) and MAPE (percent) of the T_out-step forecasts and
        n (windows), on the run's test split or on every window of the file ``data``;
        ``baselines`` holds the same keys for persistence, seasonal naive and ridge."""
        _, _, name, y_true, forecasts = self._scores(data)
        model = forecasts.pop("model")
        return {
            "task": "forecast",
            "data": name,
            "target": self.target,
            "horizon": self.horizon,
            "season": self.season,
            **clean_report(forecast_report(y_true, model)),
            "baselines": {
                k: clean_report(forecast_report(y_true, v)) for k, v in forecasts.items()
            },
        }

    def plot(self, path: str | os.PathLike, *, data: ForecastData | None = None) -> Path:
        """PNG of the test span: actual, the model's T_out-step-ahead forecast and
        persistence's, each at the row it forecasts."""
        from rnnkit.plots import plot_forecast

        prepared, origins, name, y_true, forecasts = self._scores(prepared=data)
        dates = None
        if prepared.dates is not None:
            dates = [prepared.dates[i + self.horizon] for i in origins]
        return plot_forecast(
            y_true[:, -1],
            forecasts["model"][:, -1],
            forecasts["persistence"][:, -1],
            path,
            dates=dates,
            title=f"{name}: {self.target}, {self.horizon} step(s) ahead",
            ylabel=self.target,
        )
