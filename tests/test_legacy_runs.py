"""Runs written by rnnkit 0.1.0 (config.json format 1; tests/fixtures/runs_v1, made by
its make_runs.sh before the format changed) still load, evaluate, predict and resume:
their config is migrated when read. predictions.json and evaluations.json hold what
that release gave on them."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import rnnkit

FIXTURES = Path(__file__).parent / "fixtures"
V1 = FIXTURES / "runs_v1"
PREDICTIONS = json.loads((V1 / "predictions.json").read_text())
EVALUATIONS = json.loads((V1 / "evaluations.json").read_text())
DATA = {
    "lm": FIXTURES / "tiny.txt",
    "lm-ngram": FIXTURES / "tiny.txt",
    "classify": FIXTURES / "tasks" / "classify.tsv",
    "tag": FIXTURES / "tasks" / "tag.conll",
    "forecast": FIXTURES / "tasks" / "forecast.csv",
    "seq2seq": FIXTURES / "tasks" / "seq2seq.tsv",
}


def _copy(name: str, tmp_path: Path) -> Path:
    """The run, its data path pointed at this checkout's copy of the data (it was
    written with the absolute path of the machine that made it)."""
    run = tmp_path / name
    shutil.copytree(V1 / name, run)
    config = json.loads((run / "config.json").read_text())
    assert config["format_version"] == 1
    config["data"]["data"] = str(DATA[name])
    (run / "config.json").write_text(json.dumps(config))
    return run


def _predict(name: str, predictor):
    if name.startswith("lm"):
        return predictor.generate("ALL:", max_new=20, temperature=0, seed=0)
    if name == "classify":
        return predictor.predict(["abcab", "nopq"], top_k=2)
    if name == "tag":
        return predictor.predict(["Anna lives in Rome ."])
    if name == "seq2seq":
        return predictor.predict(["abc", "fed"])
    rows = np.loadtxt(DATA[name], delimiter=",", skiprows=1, usecols=(1, 2))[-12:]
    return {k: v for k, v in predictor.forecast(rows).items() if k in PREDICTIONS[name]}


@pytest.mark.parametrize("name", sorted(DATA))
def test_a_format_1_run_loads_and_predicts_as_it_did(name, tmp_path):
    predicted = _predict(name, rnnkit.load(_copy(name, tmp_path)))
    expected = PREDICTIONS[name]
    if name == "forecast":
        expected = {k: v for k, v in expected.items() if k != "input"}
    assert _close(json.loads(json.dumps(predicted)), expected), (predicted, expected)


def _close(a, b, skip=("data",)) -> bool:
    """Equal, numbers within 1e-6 (relative); ``skip``: keys that name where the data lay."""
    if isinstance(a, dict):
        return all(_close(a[k], b[k]) for k in b if k in a and k not in skip)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_close, a, b))
    if isinstance(a, float):
        return a == pytest.approx(b, rel=1e-6)
    return a == b


@pytest.mark.parametrize("name", sorted(DATA))
def test_a_format_1_run_evaluates_as_it_did(name, tmp_path):
    predictor = rnnkit.load(_copy(name, tmp_path))
    data = DATA[name]
    metrics = predictor.evaluate(str(data))
    assert _close(metrics, EVALUATIONS[name]), (metrics, EVALUATIONS[name])


@pytest.mark.parametrize("name", ["lm", "classify", "tag", "forecast", "seq2seq"])
def test_a_format_1_run_resumes_and_is_written_in_the_new_format(name, tmp_path):
    run = _copy(name, tmp_path)
    task = json.loads((run / "config.json").read_text())["task"]
    predictor = rnnkit.train(task, resume=run, max_steps=9, progress=False)
    manifest = json.loads((run / "checkpoint" / "manifest.json").read_text())
    assert manifest["step"] == 9
    assert rnnkit.load(run).config.format_version == 2
    assert predictor.run.read_metrics()[-1]["step"] == 9
