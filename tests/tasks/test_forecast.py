"""The contract every task meets, for forecasting: train tiny, loss goes down, save, load,
same forecasts, another seed differs, predict on empty, one and many inputs; metrics in the
data's units beside the baselines on the same test windows; the CLI and its errors."""

import json
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pytest

import rnnkit
from rnnkit.cli import main
from rnnkit.data.readers import read_numeric_csv
from rnnkit.errors import ConfigError, DataError

TINY = dict(
    hidden_size=16,
    batch_size=32,
    lr=0.01,
    eval_every=20,
    max_steps=60,
    progress=False,
)


def _prices(path, rows=240, start=date(2024, 1, 1), seed=0):
    """A daily OHLC-like CSV: a trend, a weekly wave and noise, well above zero."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows)
    close = 100 + 0.3 * t + 4 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.3, rows)
    lines = ["Date,Open,High,Low,Close,Volume"]
    for i in range(rows):
        c = close[i]
        day = (start + timedelta(days=i)).isoformat()
        lines.append(f"{day},{c - 0.5:.3f},{c + 1:.3f},{c - 1:.3f},{c:.3f},{1000 + i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("forecast")
    data = _prices(root / "prices.csv")
    model = rnnkit.train(
        "forecast",
        data=str(data),
        features="Open,High,Low,Close",
        target="Close",
        lookback=8,
        horizon=3,
        out=root / "run",
        seed=1,
        **TINY,
    )
    return model, root / "run", data


def test_run_directory_holds_scaler_baselines_and_the_forecast_plot(trained):
    _, out, data = trained
    for name in (
        "config.json",
        "model.safetensors",
        "scaler.json",
        "baselines.json",
        "metrics.jsonl",
        "plots/forecast.png",
        "plots/loss.png",
    ):
        assert (out / name).is_file(), name
    assert (out / "plots/forecast.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((out / "config.json").read_text())
    assert config["data"]["features"] == ["Open", "High", "Low", "Close"]
    assert config["data"]["date_column"] == "Date" and config["data"]["season"] == 7
    assert config["model"]["window_norm"] == "last" and config["model"]["num_features"] == 4
    # the scaler saw the 168 training rows (70% of 240) only
    scaler = json.loads((out / "scaler.json").read_text())
    table = read_numeric_csv(data, ["Open", "High", "Low", "Close"])
    np.testing.assert_allclose(scaler["offset"], table.values[:168].mean(axis=0))
    assert not np.allclose(scaler["offset"], table.values.mean(axis=0), rtol=1e-3)


def test_evaluate_scores_model_and_baselines_on_the_same_test_windows(trained):
    model, _, data = trained
    scores = model.evaluate()
    assert {"mse", "mae", "rmse", "mape", "n", "baselines"} <= set(scores)
    assert set(scores["baselines"]) == {"persistence", "seasonal_naive", "ridge"}
    for baseline in scores["baselines"].values():
        assert set(baseline) == {"mse", "mae", "rmse", "mape", "n"}
        assert baseline["n"] == scores["n"] == 36 - 3 + 1
    # persistence by hand on the test targets, in the data's units
    close = read_numeric_csv(data, ["Close"]).values[:, 0]
    origins = np.arange(240 - 36 - 1, 240 - 3)
    y = close[origins[:, None] + np.arange(1, 4)]
    persistence = np.mean((y - close[origins][:, None]) ** 2)
    assert scores["baselines"]["persistence"]["mse"] == pytest.approx(persistence)
    assert scores["mse"] < scores["baselines"]["persistence"]["mse"]  # the weekly wave is learnable


def test_predict_takes_rows_with_dates_and_gives_the_next_dates_and_the_baselines(
    trained, tmp_path
):
    model, _, data = trained
    recent = tmp_path / "recent.csv"
    header, *rows = data.read_text(encoding="utf-8").splitlines(True)
    recent.write_text(header + "".join(rows[-10:]), encoding="utf-8")
    (rows_in,) = model.read_inputs(recent)  # a file becomes rows (and dates)
    assert len(rows_in["rows"]) == 10 and len(rows_in["dates"]) == 10
    (one,) = model.predict([rows_in])
    assert set(one["baselines"]) == {"persistence", "seasonal_naive", "ridge"}
    last_close = rows_in["rows"][-1][3]
    assert one["baselines"]["persistence"] == [last_close] * 3
    assert one["last_date"] == "2024-08-27" and one["dates"] == [
        "2024-08-28",
        "2024-08-29",
        "2024-08-30",
    ]
    assert len(one["values"]) == 3 and all(100 < v < 200 for v in one["values"])
    table = read_numeric_csv(recent, ["Open", "High", "Low", "Close"])
    as_array = model.forecast(table.values)
    np.testing.assert_allclose(as_array["values"], one["values"])
    assert as_array["dates"] is None
    many = model.predict([rows_in, table, table.values])
    np.testing.assert_allclose([m["values"] for m in many], [one["values"]] * 3)
    with pytest.raises(ConfigError, match="list"):
        model.predict(rows_in)
    with pytest.raises(ConfigError, match="not a path"):
        model.predict([str(recent)])
    with pytest.raises(DataError, match="at least 8 rows"):
        model.forecast(table.values[:5])


def test_input_rows_with_dates_that_do_not_increase_or_values_too_large_are_refused(trained):
    """They answered 200 with a next date before the last one, or with null values; a
    date that is not one raised a bare ValueError (a 500 from rnnkit serve)."""
    model, _, _ = trained
    rows = [[100.0 + i, 101.0 + i, 99.0 + i, 100.5 + i] for i in range(10)]
    dates = [f"2024-01-{d:02d}" for d in range(1, 11)]
    assert model.predict([{"rows": rows, "dates": dates}])[0]["dates"][0] == "2024-01-11"
    cases = [
        (dates[::-1], r"rows:2: expected a date after 2024-01-10 \(line 1\): dates must increase"),
        (["2024-01-01"] * 10, r"rows:2: expected a date after 2024-01-01"),
        (["x", *dates[1:]], r"rows:1: expected an ISO date \(YYYY-MM-DD\)"),
    ]
    for bad, message in cases:
        with pytest.raises(DataError, match=message):
            model.predict([{"rows": rows, "dates": bad}])
    with pytest.raises(DataError, match="float32 can hold"):
        model.predict([{"rows": [*rows[:-1], [1.0, 1.0, 1.0, 1e308]]}])


def test_a_series_in_memory_has_its_dates_checked_as_a_files_are(tmp_path):
    series = {
        "date": [f"2024-01-{d:02d}" for d in range(1, 29)],
        "load": [1.0 * d for d in range(28)],
    }
    series["date"][5] = series["date"][4]
    with pytest.raises(DataError, match=r"data\[date\]:5: expected a date after 2024-01-05"):
        rnnkit.train("forecast", data=series, out=tmp_path / "run", lookback=4, **TINY)
    assert not (tmp_path / "run").exists()


def test_a_bare_list_of_numbers_is_refused_naming_the_row_and_the_shape_to_pass(tmp_path):
    with pytest.raises(DataError, match=r"one series alone: \{'y': \[...\]\}\), got a row of "
                       "type float: 1.0"):  # fmt: skip
        rnnkit.train("forecast", data=[1.0, 2.0] * 20, out=tmp_path / "run", **TINY)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "options",
    [
        {"strategy": "recursive", "cell": "rnn", "backend": "scratch"},
        {"transform": "returns", "scaler": "minmax", "cell": "mingru"},
        {"transform": "diff", "window_norm": "last_scale", "season": 5},
    ],
)
def test_strategies_transforms_and_cells_train_and_report_levels(trained, tmp_path, options):
    _, _, data = trained
    model = rnnkit.train(
        "forecast",
        data=str(data),
        target="Close",
        lookback=6,
        horizon=2,
        out=tmp_path / "run",
        **{**TINY, "max_steps": 10},
        **options,
    )
    scores = rnnkit.load(tmp_path / "run").evaluate()
    assert scores == model.evaluate()
    assert scores["n"] == 36 - 2 + 1 and scores["season"] == options.get("season", 7)
    assert 0 < scores["rmse"] < 50  # levels near 160-170, not returns or scaled units
    expected_norm = options.get("window_norm", "last" if "transform" not in options else "none")
    assert model.config.model.window_norm == expected_norm


def test_the_default_is_the_embedded_msft_lecture_setting(tmp_path):
    pytest.importorskip("pmdarima")
    model = rnnkit.train("forecast", lookback=4, out=tmp_path / "run", **{**TINY, "max_steps": 3})
    assert model.config.data.series == "msft" and model.config.data.target == "Close"
    scores = model.evaluate()
    assert scores["data"] == "msft (test split)" and scores["n"] == round(7983 * 0.15) - 1 + 1


def _cli(*args):
    return subprocess.run(
        [sys.executable, "-m", "rnnkit", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_cli_train_evaluate_predict(tmp_path, capsys):
    """`train` in a subprocess (the real entry point); evaluate and predict in-process."""
    data = _prices(tmp_path / "prices.csv", rows=120)
    run = tmp_path / "run"
    done = _cli(
        "train",
        "forecast",
        "--data",
        data,
        "--features",
        "Open,High,Low,Close",
        "--target",
        "Close",
        "--lookback",
        4,
        "--horizon",
        1,
        "--cell",
        "rnn",
        "--backend",
        "scratch",
        "--hidden",
        8,
        "--max-steps",
        10,
        "--eval-every",
        10,
        "--out",
        run,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["run_dir"] == str(run)
    main(["evaluate", str(run)])
    scores = json.loads(capsys.readouterr().out)
    assert {"mse", "mae", "rmse", "mape", "n"} <= set(scores)
    assert set(scores["baselines"]) == {"persistence", "seasonal_naive", "ridge"}
    main(["predict", str(run), "--data", str(data)])
    (line,) = capsys.readouterr().out.splitlines()
    result = json.loads(line)
    assert result["dates"] == ["2024-04-30"] and len(result["values"]) == 1


def _rows(*rows):
    return "Date,Open,High,Low,Close\n" + "".join(f"{r}\n" for r in rows)


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        (_rows("2024-01-01,1,2,0.5,1.5", "2024-01-02,1,2,0.5,nan"), ":3:", "finite number"),
        (_rows("2024-01-02,1,2,0.5,1.5", "2024-01-01,1,2,0.5,1.5"), ":3:", "dates must increase"),
        (_rows("2024-01-01,1,2,0.5,1.5", "2024-01-01,1,2,0.5,1.5"), ":3:", "dates must increase"),
        ("Date,Open,High,Low\n2024-01-01,1,2,0.5\n", ":1:", "column named 'Close'"),
        (_rows(*[f"2024-01-{d:02d},1,2,0.5,{d}" for d in range(1, 5)]), ":2:", "train window"),
    ],
    ids=["nan", "unsorted", "duplicated", "missing-column", "too-few-rows"],
)
def test_bad_input_is_one_line_naming_file_and_row(tmp_path, capsys, text, where, what):
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "train",
                "forecast",
                "--data",
                str(bad),
                "--features",
                "Open,High,Low,Close",
                "--target",
                "Close",
                "--lookback",
                "4",
                "--out",
                str(tmp_path / "run"),
            ]
        )
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"bad.csv{where}" in err and what in err, err
    assert not (tmp_path / "run").exists()


def test_a_run_started_from_another_keeps_its_columns_window_and_scaling(trained, tmp_path):
    """--init-from on another series: the source's features, target, lookback, horizon
    and scaler (its weights read numbers scaled that way), not a refit on the new rows;
    another target is refused."""
    model, out, _ = trained
    other = _prices(tmp_path / "other.csv", rows=200, seed=3)
    new = rnnkit.train(
        "forecast", data=str(other), out=tmp_path / "b", init_from=str(out),
        max_steps=2, progress=False,
    )  # fmt: skip
    for name in ("features", "target", "lookback", "horizon"):
        assert getattr(new.config.data, name) == getattr(model.config.data, name), name
    assert new.run.load_json("scaler.json") == model.run.load_json("scaler.json")
    with pytest.raises(rnnkit.ConfigError, match=r"fitted with target 'Close'; .* 'Open'"):
        rnnkit.train(
            "forecast", data=str(other), target="Open", out=tmp_path / "c",
            init_from=str(out), max_steps=1, progress=False,
        )  # fmt: skip


def test_the_ridge_started_weights_compete_so_a_run_never_ends_worse_on_valid(trained):
    """forecast's default --eval-at-start: the model is evaluated at its ridge start
    (step 0), and the weights it ends with are no worse than that on the valid windows."""
    _, run, _ = trained
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    evaluations = [r for r in records if "valid_mse" in r]
    assert evaluations[0]["step"] == 0 and not evaluations[0]["full"]
    start, final = evaluations[0]["valid_mse"], evaluations[-1]["valid_mse"]
    assert evaluations[-1]["full"] and evaluations[-1]["step"] == 60
    assert final <= start * (1 + 1e-9)
    assert json.loads((run / "config.json").read_text())["train"]["eval_at_start"] is True


def test_a_file_of_dates_alone_is_refused_naming_its_first_line(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("date\n" + "".join(f"2024-01-{d:02d}\n" for d in range(1, 29)))
    with pytest.raises(DataError, match=r"d.csv:1: expected a column of numbers beside the dates"):
        rnnkit.train("forecast", data=str(data), out=tmp_path / "run", lookback=4, **TINY)
    assert not (tmp_path / "run").exists()


def test_values_float32_cannot_hold_are_refused_naming_their_line(tmp_path):
    """1e300 in a file overflowed the loss to NaN and ended the run with a TypeError."""
    data = tmp_path / "big.csv"
    rows = [f"2024-01-{d:02d},{d + 1.0}\n" for d in range(1, 29)]
    rows[6] = "2024-01-07,1e300\n"
    data.write_text("date,load\n" + "".join(rows))
    with pytest.raises(DataError, match=r"big.csv:8: expected values within .* got 1e\+300 in "):
        rnnkit.train("forecast", data=str(data), out=tmp_path / "run", lookback=4, **TINY)
    assert not (tmp_path / "run").exists()
