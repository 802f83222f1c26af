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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.baselines.forecasting import Persistence, RidgeWindow, SeasonalNaive
from rnnkit.config import (
    BIDIRECTIONAL,
    DataConfig,
    RecurrentConfig,
    RunConfig,
    TrainConfig,
    derived,
    option,
    override,
    with_defaults,
)
from rnnkit.data.readers import NumericTable, check_dates, read_numeric_csv
from rnnkit.data.timeseries import Scaler, next_dates, scaler_from_dict
from rnnkit.errors import ConfigError, DataError, RnnkitError
from rnnkit.metrics import forecast_report
from rnnkit.models.exportable import ForecasterGraph
from rnnkit.models.forecaster import Forecaster
from rnnkit.tasks.base import Assets, ExportGraph, Predictor, Splits, Task, register
from rnnkit.tasks.forecast_data import (
    EVAL_BATCH_SIZE,
    ForecastData,
    baseline_context,
    clean_report,
    columns_from_memory,
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

__all__ = [
    "ForecastConfig",
    "ForecastModelConfig",
    "ForecastDataConfig",
    "ForecastAssets",
    "ForecastTask",
    "ForecastPredictor",
    "ForecastProgram",
]


# -- config --------------------------------------------------------------------------------
@dataclass
class ForecastModelConfig(RecurrentConfig):
    cell: str = override(RecurrentConfig, "cell", "gru")
    num_layers: int = override(RecurrentConfig, "num_layers", 1)
    hidden_size: int = override(RecurrentConfig, "hidden_size", 64)
    dropout: float = override(RecurrentConfig, "dropout", 0.2)
    bidirectional: bool = option(False, BIDIRECTIONAL)
    strategy: str = option(
        "direct",
        "One head for all T_out steps, or a one-step model rolled forward.",
        choices=("direct", "recursive"),
    )
    window_norm: str | None = option(
        None,
        "Subtract each window's last row (and divide by its scale) before the model.",
        choices=("last", "last_scale", "none"),
        none="last for levels, none for changes",
    )
    highway: bool = option(
        True, "Add a linear map from the window to the outputs (started at the ridge fit)."
    )
    patch: int | None = option(None, "Rows per recurrent step.", low=1, none="ceil(lookback / 14)")
    num_features: int = derived("input columns of the series")


@dataclass
class ForecastDataConfig(DataConfig):
    batch_size: int = override(DataConfig, "batch_size", 64)
    data: str | None = override(
        DataConfig,
        "data",
        None,
        help="A numeric CSV/TSV with a header row.",
        none="the embedded series (--series)",
    )
    series: str | None = option(
        None,
        "An embedded series when --data is not given.",
        choices=("msft", "taylor"),
        none="msft",
    )
    features: str | list | None = option(
        None, "Input columns, e.g. Open,High,Low,Close.", none="every column but the dates"
    )
    target: str | None = option(None, "The column to predict.", none="the last feature")
    date_column: str | None = option(
        None, "The dates column ('none': no dates).", none="a column named Date, date, ..."
    )
    lookback: int = option(24, "L: rows one window reads.", low=1)
    horizon: int = option(1, "T_out: rows predicted after the window.", low=1)
    scaler: str = option(
        "standard",
        "Scaling, fit on the training rows only.",
        choices=("standard", "minmax", "none"),
    )
    transform: str = option(
        "levels",
        "Model the levels, the returns or the differences.",
        choices=("levels", "returns", "diff"),
    )
    season: int | None = option(
        None, "Rows per season (seasonal naive).", low=1, none="from the dates (1 without)"
    )
    valid_fraction: float = option(
        0.15,
        "Share of validation rows (before the test rows).",
        low=0,
        high=1,
        low_open=True,
        high_open=True,
    )
    test_fraction: float = option(
        0.15, "Share of test rows (the last ones).", low=0, high=1, low_open=True, high_open=True
    )

    def check(self) -> None:
        super().check()
        if self.valid_fraction + self.test_fraction >= 0.9:
            raise ConfigError(
                f"data.valid_fraction + data.test_fraction must leave at least 10% for "
                f"training, got {self.valid_fraction} + {self.test_fraction}"
            )


@dataclass
class ForecastConfig(RunConfig):
    """A forecaster: a GRU over patches of a window, with a ridge-started highway."""

    task: str = "forecast"
    model: ForecastModelConfig = with_defaults(ForecastModelConfig)
    data: ForecastDataConfig = with_defaults(ForecastDataConfig)
    train: TrainConfig = with_defaults(
        TrainConfig,
        epochs=40,
        amp=False,  # bf16 and the moving average measured for lm only
        ema=None,
        lr=3e-3,
        warmup_steps=0,
        eval_every=100,
        metric="mse",  # in the data's units, on the valid windows
        keep_best=True,
        eval_at_start=True,  # the ridge-started model competes: it is never left worse
    )


@dataclass
class ForecastAssets(Assets):
    scaler: Scaler | None
    ridge: RidgeWindow
    num_features: int

    def to_files(self) -> dict[str, Any]:
        scaler = self.scaler.to_dict() if self.scaler is not None else {"name": "none"}
        return {
            "scaler.json": scaler,
            "baselines.json": {"ridge": self.ridge.to_dict(), "num_features": self.num_features},
        }

    @classmethod
    def from_files(cls, read: Callable[[str], Any]) -> ForecastAssets:
        data = read("scaler.json")
        scaler = (
            None
            if isinstance(data, dict) and data.get("name") == "none"
            else (scaler_from_dict(data))
        )
        baselines = read("baselines.json")
        if not isinstance(baselines, dict) or not isinstance(baselines.get("ridge"), dict):
            raise ValueError("baselines.json lacks its 'ridge' table")
        ridge = RidgeWindow.from_dict(baselines["ridge"])
        # format 1 did not record it: the ridge reads lookback x num_features inputs
        num_features = baselines.get("num_features", ridge.coef_.shape[0] // ridge.lookback)
        return cls(scaler, ridge, int(num_features))

    def sizes(self) -> dict[str, int]:
        return {"num_features": self.num_features}


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


#: drawn in ``rnnkit train forecast --help``
FORECAST_WINDOW = """\b
one sample (--lookback 4 --horizon 2; Open, High, Low, Close -> Close):
  row     t-3   t-2   t-1    t   | t+1   t+2
  x      [OHLC  OHLC  OHLC  OHLC]|
  y                              | [ C     C ]
         <----- lookback 4 ----->|<- horizon 2 ->
"""


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
    input_schema: ClassVar[dict] = {
        "type": "object",
        "description": "the recent rows of the input columns, oldest first (at least lookback)",
        "properties": {
            "rows": {
                "type": "array",
                "items": {"type": "array", "items": {"type": "number"}},
                "minItems": 1,
            },
            "dates": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["rows"],
    }
    output_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "target": {"type": "string"},
            "horizon": {"type": "integer"},
            "last_date": {"type": ["string", "null"]},
            "dates": {"type": ["array", "null"], "items": {"type": "string"}},
            "values": {"type": "array", "items": {"type": "number"}},
            "baselines": {
                "type": "object",
                "description": "the baselines' forecasts of the same rows",
                "additionalProperties": {
                    "type": ["array", "null"],
                    "items": {"type": "number"},
                },
            },
        },
        "required": ["target", "horizon", "dates", "values", "baselines"],
    }

    def __init__(self, model, config, run=None, *, assets: ForecastAssets):
        super().__init__(model, config, run, assets=assets)
        self.scaler, self.ridge = assets.scaler, assets.ridge
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

    def _table(self, series) -> NumericTable:
        if isinstance(series, NumericTable):
            return series
        dates = None
        if isinstance(series, dict):
            unknown = set(series) - {"rows", "dates"}
            if unknown or "rows" not in series:
                raise ConfigError(
                    f"a forecast input is {{'rows': [[...], ...], 'dates': [...]}}; got the "
                    f"keys {sorted(series)}"
                )
            series, dates = series["rows"], series.get("dates")
        if isinstance(series, str | os.PathLike):
            raise ConfigError(
                "a forecast input is rows of values, not a path; read the file first "
                "(ForecastPredictor.read_inputs)"
            )
        try:
            values = np.asarray(series, dtype=np.float64)
        except (TypeError, ValueError):
            raise ConfigError("a forecast input's rows must be lists of numbers") from None
        if values.ndim == 1 and len(self.columns) == 1:
            values = values[:, None]
        if values.ndim != 2 or values.shape[1] != len(self.columns):
            raise ConfigError(
                f"a forecast input needs rows of {len(self.columns)} values for the columns "
                f"{', '.join(self.columns)}; got shape {values.shape}"
            )
        if not np.isfinite(values).all():
            raise ConfigError("a forecast input's rows must be finite numbers")
        if dates is not None and (
            len(dates) != len(values) or not all(isinstance(d, str) for d in dates)
        ):
            raise ConfigError("a forecast input's dates must be one string per row")
        lines = list(range(1, len(values) + 1))
        if dates is not None:
            check_dates(dates, "rows", lines)  # ISO, increasing: the next dates follow them
        return NumericTable(values, list(self.columns), dates, lines, "rows")

    def forecast(self, series) -> dict:
        """The next T_out values of the target after the last row of ``series``: rows
        ``{"rows": [[...]], "dates": [...]}`` (dates optional), an array (rows, C) of the
        input columns, or a :class:`~rnnkit.data.readers.NumericTable`. Returns
        ``{"target", "horizon", "last_date", "dates", "values", "baselines"}``; the dates
        (None without dates) follow the input's spacing; ``baselines`` holds persistence's,
        seasonal naive's (None with fewer rows than a season) and ridge's forecasts."""
        table = self._table(series)
        need = self._history()
        if len(table) < need:
            line = table.lines[-1] if table.lines else None
            raise DataError(
                table.source, line, f"at least {need} rows (the lookback)", f"{len(table)}"
            )
        data = prepare_series(table, self.config, self.scaler, split=False)
        origin = np.array([len(table) - 1])
        values = forecast_levels(self.model, data, origin, self.config)[0]
        t = data.target_index
        context = baseline_context(data, origin, min(len(table), max(self.lookback, self.season)))
        seasonal = None
        if len(table) >= self.season:
            seasonal = SeasonalNaive(self.season, self.horizon, t).fit().predict(context)[0]
        baselines = {
            "persistence": Persistence(self.horizon, t).fit().predict(context)[0],
            "seasonal_naive": seasonal,
            "ridge": self.ridge.predict(baseline_context(data, origin, self.lookback))[0],
        }
        if not all(np.isfinite(v).all() for v in [values, *baselines.values()] if v is not None):
            raise DataError(
                table.source,
                None,
                "values the model's float32 can hold once scaled",
                f"values up to {np.abs(table.values).max():.3g}, and a forecast that is not finite",
            )
        return {
            "target": self.target,
            "horizon": self.horizon,
            "last_date": table.dates[-1] if table.dates else None,
            "dates": next_dates(table.dates, self.horizon),
            "values": [float(v) for v in values],
            "baselines": {
                k: None if v is None else [float(x) for x in v] for k, v in baselines.items()
            },
        }

    def view(self) -> dict:
        return {"kind": "series", "target_index": self.columns.index(self.target)}

    def examples(self) -> list:
        """The last rows of the run's series, when its file can be read (a forecast after
        them, with enough history for the lookback and a season)."""
        try:
            table = read_series(self.config)
        except (RnnkitError, OSError):
            return []
        n = min(len(table), max(self._history(), self.season + 1, 3 * self.horizon))
        rows = {"rows": table.values[-n:].tolist()}
        return [rows | ({"dates": table.dates[-n:]} if table.dates else {})]

    def predict(self, inputs: Sequence, **options) -> list[dict]:
        """:meth:`forecast` of each input (rows, arrays or tables), in order."""
        self.options("predict", options)
        if isinstance(inputs, str | os.PathLike | NumericTable | np.ndarray | Tensor | dict):
            raise ConfigError(
                "predict takes a list of inputs; wrap it in a list, or use forecast()"
            )
        return [self.forecast(series) for series in inputs]

    def parse_input(self, text: str) -> dict:
        """A command-line input is the path of a CSV of recent rows."""
        return self.read_inputs(text)[0]

    def read_inputs(self, path) -> list[dict]:
        """A CSV of recent rows (the run's columns by name) as one input."""
        table = self._read(path)
        return [{"rows": table.values.tolist(), **({"dates": table.dates} if table.dates else {})}]

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

    def evaluate(self, data: str | os.PathLike | None = None, **options) -> dict:
        """MSE, MAE, RMSE (data units) and MAPE (percent) of the T_out-step forecasts and
        n (windows), on the run's test split or on every window of the file ``data``;
        ``baselines`` holds the same keys for persistence, seasonal naive and ridge."""
        self.options("evaluate", options)
        if data is not None and not isinstance(data, str | os.PathLike):
            raise ConfigError("forecast evaluate takes the path of a CSV (or None: the test split)")
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


# -- the task ------------------------------------------------------------------------------
FORECAST_WINDOW = """\b
one sample (--lookback 4 --horizon 2; Open, High, Low, Close -> Close):
  row     t-3   t-2   t-1    t   | t+1   t+2
  x      [OHLC  OHLC  OHLC  OHLC]|
  y                              | [ C     C ]
         <----- lookback 4 ----->|<- horizon 2 ->
"""
MAX_RECURRENT_STEPS = 14  # the default patch keeps the recurrent stack to this many steps


def _resolve(config: RunConfig) -> None:
    if config.model.window_norm is None:
        config.model.window_norm = "last" if config.data.transform == "levels" else "none"
    if config.model.patch is None:  # at most 14 recurrent steps: a week of half hours, 14 x 24
        config.model.patch = max(1, math.ceil(config.data.lookback / MAX_RECURRENT_STEPS))


@register
class ForecastTask(Task):
    name = "forecast"
    summary = "time-series forecasting: the next T_out values of a series (MSFT prices)"
    epilog = FORECAST_WINDOW
    Config = ForecastConfig
    Predictor = ForecastPredictor
    Assets = ForecastAssets
    higher_is_better = frozenset()
    asset_options = ("features", "target", "scaler", "transform")
    search_space = {
        "lr": ("log", 1e-3, 1e-2),
        "hidden_size": ("int", 16, 128, 16),
        "dropout": ("float", 0.0, 0.5),
        "cell": ("choice", ["gru", "lstm"]),
    }

    def read_splits(self, config: RunConfig) -> Splits:
        """The whole series (its rows are split in time into train | valid | test windows)."""
        _resolve(config)
        table = read_series(config)
        source = table.source or config.data.series
        return Splits(table, table, source, f"{source} (valid rows)")

    def read_file(self, path, config: RunConfig) -> NumericTable:
        return read_numeric_csv(path, input_columns(config))

    def from_memory(self, items, config: RunConfig, which: str) -> dict[str, list]:
        """A pandas DataFrame, a dict of columns, or rows of dicts with named columns."""
        return columns_from_memory(items, which)

    def fit_assets(self, config: RunConfig, splits: Splits) -> ForecastAssets:
        data = prepare_series(splits.train, config, None, split=True)
        return ForecastAssets(data.scaler, fit_ridge(data, config), len(data.columns))

    def prepare(self, config: RunConfig, splits: Splits, assets: ForecastAssets) -> ForecastData:
        data = prepare_series(splits.train, config, assets.scaler, split=True)
        data.ridge = assets.ridge
        return data

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

    def export_graphs(self, predictor: Predictor) -> list[ExportGraph]:
        """``model.onnx``: windows of rows as the model reads them (transformed and
        scaled, see export_info) -> the next rows of the target."""
        d, m = predictor.config.data, predictor.model
        g = torch.Generator().manual_seed(0)
        x = torch.randn(2, d.lookback, m.input_size, generator=g)  # (N, L, F)
        axes = {"x": {0: "batch", 1: "length"}}
        doc = "x (N, L, F) scaled rows, L >= lookback -> y (N, T_out, F_out) scaled"
        return [ExportGraph("model", ForecasterGraph(m), {"x": x}, ["y"], axes, doc)]

    def export_info(self, predictor: Predictor) -> dict[str, Any]:
        d = predictor.config.data
        return {
            "columns": input_columns(predictor.config),
            "target": d.target,
            "lookback": d.lookback,
            "transform": d.transform,
            "scaler": "scaler.json: x = (transformed value - offset) / scale, per column",
        }

    def program(
        self, model: nn.Module, data: ForecastData, config: RunConfig, dist: DistInfo
    ) -> ForecastProgram:
        return ForecastProgram(data, config, next(model.parameters()).device, dist, model)

    def after_fit(self, predictor, program: ForecastProgram, run: RunDirectory) -> None:
        predictor.plot(run.file("plots/forecast.png"), data=program.data)
