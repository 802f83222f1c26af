"""One contract, run over every registered task on tiny data (and over a task defined
outside rnnkit, tests/plugins/rnnkit_toy_sum.py):

- loss goes down;
- save then load gives the same predictions;
- the same seed and number of steps give bit-identical weights, another seed others;
- predict on zero, one and many inputs, each output as the predictor's schema says;
- resume equals an uninterrupted run, bit for bit, under the task's own defaults
  (a moving average, best-weight keeping), and metrics.jsonl holds no duplicate line;
- a run at its limit trains no further step when resumed;
- bad input gives one line and exit code 2 from the command line;
- ``rnnkit train TASK --help`` shows the task's flags.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import jsonschema
import pytest
import safetensors.torch
import torch

import rnnkit
from rnnkit.tasks import TASKS, task_names

FIXTURES = Path(__file__).parent.parent / "fixtures"
PLUGINS = Path(__file__).parent.parent / "plugins"
sys.path.insert(0, str(PLUGINS))
import rnnkit_toy_sum  # noqa: E402,F401  (registers the "sum" task in this process)

TINY = {"hidden_size": 16, "num_layers": 1}
TEXT = {**TINY, "embedding_dim": 8}


@dataclass
class Case:
    """How the contract runs one task: its tiny data and options, inputs, a bad file."""

    data: str | None
    options: dict
    inputs: list
    bad: str  # the content of a malformed training file
    bad_suffix: str = ".txt"
    extra: dict = field(default_factory=dict)


CASES = {
    "lm": Case(
        "tiny.txt", {**TEXT, "bptt": 16, "batch_size": 4}, ["ALL:", "FIRST"], "\xff", ".bin"
    ),
    "classify": Case(
        "tasks/classify.tsv",
        {**TEXT, "ngram_buckets": 256, "batch_size": 16},
        ["abcab", "nopq", "gfe"],
        "only-one-column\n",
        ".tsv",
    ),
    "tag": Case(
        "tasks/tag.conll",
        {**TEXT, "char_hidden_size": 4, "char_embedding_dim": 4, "batch_size": 8},
        ["Anna lives in Rome .", ["Ben", "flew", "to", "Oslo"]],
        "Anna B-PER extra\n",
        ".conll",
    ),
    "forecast": Case(
        "tasks/forecast.csv",
        {**TINY, "target": "load", "lookback": 8, "horizon": 2, "batch_size": 16},
        [],  # read from the data file (rows of values)
        "date,load,temp\n2024-01-01,1,x\n",
        ".csv",
    ),
    "seq2seq": Case(
        "tasks/seq2seq.tsv", {**TEXT, "batch_size": 16}, ["abc", "fed", "a"], "no tab\n", ".tsv"
    ),
    "sum": Case(None, {"hidden_size": 16, "max_length": 4}, [[1, 2], [0.5], [1, -1, 2]], "1 x\n"),
}
STEPS = 12  # an evaluation every 4 steps, a checkpoint every 4


def test_every_registered_task_has_a_contract_case():
    assert set(task_names()) == set(CASES)


def _options(task: str, tmp_path, **extra) -> dict:
    case = CASES[task]
    options = {**case.options, "eval_every": 4, "checkpoint_every": 4, "warmup_steps": 2, **extra}
    if case.data is not None:
        options["data"] = str(FIXTURES / case.data)
    return options


def _train(task: str, out, **extra):
    options = _options(task, out, **extra)
    return rnnkit.train(task, out=out, progress=False, **options)


def _inputs(task: str, predictor) -> list:
    if task == "forecast":
        rows = predictor.read_inputs(FIXTURES / CASES[task].data)[0]["rows"]
        return [{"rows": rows[-12:]}, {"rows": rows[-20:-5]}, {"rows": rows[:10]}]
    return CASES[task].inputs


def _weights(run: Path, name: str = "model.safetensors") -> dict:
    return safetensors.torch.load_file(run / name)


def _assert_same_weights(a: Path, b: Path, name: str = "model.safetensors") -> None:
    wa, wb = _weights(a, name), _weights(b, name)
    assert wa.keys() == wb.keys()
    for key in wa:
        assert torch.equal(wa[key], wb[key]), (name, key, (wa[key] - wb[key]).abs().max())


def _predict(predictor, inputs, task):
    options = {"seed": 0, "max_new": 8} if task == "lm" else {}
    return predictor.predict(inputs, **options)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Per task: a run of STEPS steps with seed 0 (trained once, shared by the tests)."""
    root = tmp_path_factory.mktemp("contract")
    return {
        task: (_train(task, root / task, max_steps=STEPS, seed=0), root / task) for task in CASES
    }


@pytest.mark.parametrize("task", list(CASES))
def test_loss_goes_down(task, runs):
    _, run = runs[task]
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    # the periodic evaluations (an evaluation of the starting weights left out)
    losses = [r["valid_loss"] for r in records if not r["full"] and r["step"] > 0]
    assert len(losses) == STEPS // 4 and losses[-1] < losses[0], losses


@pytest.mark.parametrize("task", list(CASES))
def test_saved_then_loaded_gives_the_same_predictions(task, runs):
    predictor, run = runs[task]
    inputs = _inputs(task, predictor)
    assert _predict(rnnkit.load(run), inputs, task) == _predict(predictor, inputs, task)


@pytest.mark.parametrize("task", list(CASES))
def test_same_seed_same_weights_another_seed_other_weights(task, runs, tmp_path):
    _, run = runs[task]
    _train(task, tmp_path / "same", max_steps=STEPS, seed=0)
    _assert_same_weights(run, tmp_path / "same")
    _train(task, tmp_path / "other", max_steps=STEPS, seed=1)
    a, b = _weights(run), _weights(tmp_path / "other")
    assert any(not torch.equal(a[k], b[k]) for k in a)


def test_deterministic_repeats_its_weights_and_does_not_outlive_its_run(tmp_path):
    """``--deterministic`` demands deterministic kernels for its run only: the process
    (a notebook, a service that trains) gets its own setting back afterwards."""
    assert not torch.are_deterministic_algorithms_enabled()
    for name in ("a", "b"):
        _train("classify", tmp_path / name, max_steps=STEPS, seed=0, deterministic=True)
        assert not torch.are_deterministic_algorithms_enabled()
    _assert_same_weights(tmp_path / "a", tmp_path / "b")


@pytest.mark.parametrize("task", list(CASES))
def test_predict_on_zero_one_and_many_inputs_as_the_schema_says(task, runs):
    predictor, _ = runs[task]
    inputs = _inputs(task, predictor)
    schema = predictor.schema()
    for item in inputs:
        jsonschema.validate(item, schema["input"])
    assert _predict(predictor, [], task) == []
    one = _predict(predictor, inputs[:1], task)
    many = _predict(predictor, inputs, task)
    assert len(one) == 1 and len(many) == len(inputs)
    for output in many:
        jsonschema.validate(output, schema["output"])
    alone = [_predict(predictor, [x], task)[0] for x in inputs]
    assert json.dumps(alone) == json.dumps(many) or _close(alone, many)


@pytest.mark.parametrize("task", ["lm", "classify", "tag", "seq2seq"])
def test_predict_names_an_input_that_is_not_a_text_and_refuses_what_is_not_a_list(task, runs):
    """None, a number or bytes raised a TypeError deep in a tokenizer (or were read as
    text); a generator had no len(), and tag answered [] for one."""
    from rnnkit.errors import ConfigError, DataError

    predictor, _ = runs[task]
    good = CASES[task].inputs[0]
    for bad in (None, 5, b"abc"):
        with pytest.raises(
            DataError, match=rf"expected a text.*, got input 1: {type(bad).__name__}"
        ):
            predictor.predict([good, bad])
    with pytest.raises(ConfigError, match="predict takes a list of .*, got generator"):
        predictor.predict(x for x in [good])
    with pytest.raises(ConfigError, match="got one string"):
        predictor.predict(good)


def _close(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= 1e-5
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    return a == b


class _StopAt:
    """A callback that interrupts training after step ``step`` (as Ctrl-C would)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def __call__(self, event, trainer, record) -> None:
        if event == "step_end" and trainer.step == self.step:
            raise KeyboardInterrupt


def _metric_keys(run: Path) -> list:
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [(r["step"], r.get("full")) for r in records]


@pytest.mark.parametrize("task", list(CASES))
def test_an_interrupted_run_resumed_equals_an_uninterrupted_one(task, runs, tmp_path):
    """Under the task's defaults (cosine schedule over the limit, moving average or
    best-weight keeping): stopped after 6 of 12 steps, then resumed."""
    _, whole = runs[task]
    part = tmp_path / "part"
    options = _options(task, tmp_path, max_steps=STEPS, seed=0)
    with pytest.raises(KeyboardInterrupt):
        rnnkit.train(task, out=part, progress=False, callbacks=[_StopAt(6)], **options)
    rnnkit.train(task, resume=part, progress=False)
    _assert_same_weights(whole, part)  # the weights predictions use
    _assert_same_weights(whole / "checkpoint", part / "checkpoint")  # what training goes on from
    keys = _metric_keys(part)
    assert len(keys) == len(set(keys)) and keys == _metric_keys(whole)


@pytest.mark.parametrize("task", list(CASES))
def test_a_finished_run_resumed_to_a_higher_limit_equals_one_run(task, tmp_path):
    """N steps, then --resume --max-steps 2N (a schedule that does not follow the limit)."""
    options = _options(task, tmp_path, seed=0, schedule="constant")
    rnnkit.train(task, out=tmp_path / "whole", progress=False, max_steps=STEPS, **options)
    rnnkit.train(task, out=tmp_path / "part", progress=False, max_steps=STEPS // 2, **options)
    rnnkit.train(task, resume=tmp_path / "part", progress=False, max_steps=STEPS)
    _assert_same_weights(tmp_path / "whole", tmp_path / "part")
    _assert_same_weights(tmp_path / "whole" / "checkpoint", tmp_path / "part" / "checkpoint")
    keys = _metric_keys(tmp_path / "part")
    assert len(keys) == len(set(keys))


@pytest.mark.parametrize("task", list(CASES))
def test_resuming_a_run_at_its_limit_trains_no_step(task, runs, tmp_path, capfd):
    _, run = runs[task]
    before = (run / "checkpoint" / "manifest.json").read_text()
    rnnkit.train(task, resume=run, progress=True, max_steps=STEPS)
    assert "is at its limit" in capfd.readouterr().err
    assert json.loads((run / "checkpoint" / "manifest.json").read_text())["step"] == STEPS
    assert json.loads(before)["step"] == STEPS


def _cli(*args, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(PLUGINS / "site"), str(PLUGINS)])}
    return subprocess.run(
        [sys.executable, "-m", "rnnkit", *map(str, args)],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("task", list(CASES))
def test_bad_input_gives_one_line_and_exit_2(task, tmp_path):
    bad = tmp_path / f"bad{CASES[task].bad_suffix}"
    bad.write_text(CASES[task].bad, encoding="utf-8", errors="surrogateescape")
    if task == "lm":
        bad.write_bytes(b"ok\n\xff\xfe\n")
    result = _cli(
        "train", task, "--data", bad, "--max-steps", "1", "--out", tmp_path / "r", cwd=tmp_path
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error: "), result.stderr
    assert str(bad) in lines[0] and "Traceback" not in result.stderr
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("task", list(CASES))
def test_help_shows_the_tasks_flags(task, tmp_path):
    result = _cli("train", task, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    config = TASKS[task].Config()
    for _, f, _ in config.fields():
        assert f"--{f.name.replace('_', '-')}" in result.stdout, f.name


def _in_memory(task: str):
    """The case's training file as the records a user holds in memory."""
    import csv

    path = FIXTURES / CASES[task].data
    if task == "lm":
        return path.read_text("utf-8")
    if task in ("classify", "seq2seq"):
        return [tuple(line.split("\t")) for line in path.read_text("utf-8").splitlines()]
    if task == "tag":
        sentences = rnnkit.tasks.get_task("tag").read_file(path, TASKS["tag"].Config())
        return [{"tokens": s.tokens, "tags": s.tags} for s in sentences]
    rows = list(csv.DictReader(path.open()))
    return {name: [row[name] for row in rows] for name in rows[0]}  # a dict of columns


@pytest.mark.parametrize("task", [t for t in CASES if CASES[t].data is not None])
def test_records_in_memory_train_as_their_file_does_and_resume_needs_them(task, runs, tmp_path):
    _, from_file = runs[task]
    options = {k: v for k, v in _options(task, tmp_path, max_steps=STEPS, seed=0).items()
               if k != "data"}  # fmt: skip
    records = _in_memory(task)
    part = tmp_path / "memory"
    with pytest.raises(KeyboardInterrupt):
        rnnkit.train(task, data=records, out=part, progress=False, callbacks=[_StopAt(6)],
                     **options)  # fmt: skip
    config = json.loads((part / "config.json").read_text())
    assert config["data"]["data"].startswith("memory:")  # its SHA-256, not the records
    with pytest.raises(rnnkit.ConfigError, match="passed in memory; pass the same records"):
        rnnkit.train(task, resume=part, progress=False)
    with pytest.raises(rnnkit.ConfigError, match="differ from those the run was trained on"):
        rnnkit.train(task, resume=part, data=_changed(records), progress=False)
    rnnkit.train(task, resume=part, data=records, progress=False)
    _assert_same_weights(from_file, part)


def _changed(records):
    if isinstance(records, str):
        return records + "more\n"
    if isinstance(records, dict):
        return {k: v[:-1] for k, v in records.items()}
    return records[:-1]


@pytest.mark.parametrize(
    "task, records, message",
    [
        ("classify", [("fine", "a"), ("", "b")], r"data\[1\]: expected a non-empty text"),
        ("classify", [("fine", "a"), 3], r"data\[1\]: expected a \(text, label\) pair"),
        ("tag", [(["a", "b"], ["O"])], r"data\[0\]: expected as many tags as tokens"),
        ("seq2seq", [{"source": "a"}], r"data\[0\]: expected a \(source, target\) pair"),
        ("forecast", {"load": [1, 2], "temp": [1]}, "non-empty columns of one length"),
        ("forecast", {"load": [1, "x"], "temp": [1, 2]}, r"data\[load\]\[1\]: expected a number"),
        ("lm", ["fine", 3], r"data\[1\]: expected a string"),
    ],
)
def test_bad_records_in_memory_are_named_by_their_index(task, records, message, tmp_path):
    with pytest.raises(rnnkit.DataError, match=message):
        rnnkit.train(task, data=records, out=tmp_path / "r", max_steps=1, progress=False)
    assert not (tmp_path / "r").exists()
