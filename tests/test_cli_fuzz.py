"""No traceback from any input: every subcommand, driven with random flag values and
random or truncated files, exits 0 or 2, and on 2 says one error line on stderr."""

import contextlib
import io
import math
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rnnkit
from rnnkit.cli import cli, main
from rnnkit.tasks.base import BUILTIN_TASKS

FIXTURES = Path(__file__).parent / "fixtures"
DATA = {
    "lm": FIXTURES / "tiny.txt",
    "classify": FIXTURES / "tasks" / "classify.tsv",
    "tag": FIXTURES / "tasks" / "tag.conll",
    "forecast": FIXTURES / "tasks" / "forecast.csv",
    "seq2seq": FIXTURES / "tasks" / "seq2seq.tsv",
}
SMALL = {"hidden_size": 8, "num_layers": 1, "max_steps": 2, "progress": False}
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

values = st.one_of(
    st.integers(-3, 3),
    st.sampled_from([0, -1, 10**6, 10**12, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([math.nan, -0.5, 1e30, "nan", "inf", "-1", "", "x", "auto", "none"]),
    st.text(max_size=8),
)


def _run(argv: list[str]) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main([str(a) for a in argv])
            code = 0
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    return code, err.getvalue()


def _check(code: int, err: str, argv) -> None:
    assert code in (0, 2), (argv, code, err)
    assert "Traceback" not in err, (argv, err)
    if code == 2:
        errors = [line for line in err.splitlines() if line.startswith("rnnkit: error: ")]
        assert len(errors) == 1, (argv, err)


def _flags(task: str) -> list[str]:
    command = cli.commands["train"].get_command(None, task)
    return sorted(o for p in command.params for o in p.opts if o.startswith("--"))


def _mangled(data: bytes, cut: int, flip: int, junk: bytes) -> bytes:
    """The file cut short, one byte changed, and junk appended."""
    data = data[: cut % (len(data) + 1)]
    if data:
        i = flip % len(data)
        data = data[:i] + bytes([(data[i] + 1) % 256]) + data[i + 1 :]
    return data + junk


@pytest.mark.parametrize("task", BUILTIN_TASKS)
@SETTINGS
@given(data=st.data())
def test_train_with_random_flags_and_files_exits_0_or_2_with_one_line(task, tmp_path, data):
    flags = data.draw(st.lists(st.sampled_from(_flags(task)), max_size=3, unique=True))
    argv = ["train", task]
    for flag in flags:
        if flag in ("--out", "--resume", "--config", "--init-from", "--vectors"):
            argv += [flag, tmp_path / data.draw(st.sampled_from(["nope", "x.toml", ""]))]
        elif flag != "--data":
            argv += [flag, data.draw(values)]
    source = DATA[task].read_bytes()
    if data.draw(st.booleans()):
        path = tmp_path / f"data{DATA[task].suffix}"
        junk = data.draw(st.binary(max_size=20))
        path.write_bytes(_mangled(source, data.draw(st.integers(0, 10**6)),
                                  data.draw(st.integers(0, 10**6)), junk))  # fmt: skip
    else:
        path = DATA[task]
    out = tmp_path / "run"
    shutil.rmtree(out, ignore_errors=True)
    argv += ["--data", path, "--hidden", "8", "--layers", "1", "--max-steps", "1", "--out", out]
    if task in ("lm", "forecast"):
        argv += ["--batch-size", "4"]
    code, err = _run(argv)
    _check(code, err, argv)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    extra = {"forecast": {"target": "load", "lookback": 8}, "lm": {"batch_size": 4}}
    for task in BUILTIN_TASKS:
        rnnkit.train(task, data=str(DATA[task]), out=root / task, **SMALL, **extra.get(task, {}))
    return root


OPTIONS = ["--top-k", "--beam", "--max-new", "--temperature", "--top-p", "--seed", "--protocol",
           "--attention", "--length-penalty", "--prompt", "--nope"]  # fmt: skip


@pytest.mark.parametrize("task", BUILTIN_TASKS)
@SETTINGS
@given(data=st.data())
def test_predict_evaluate_generate_with_random_options_and_files(task, runs, tmp_path, data):
    command = data.draw(st.sampled_from(["predict", "evaluate", "generate"]))
    argv = [command, runs / task]
    for flag in data.draw(st.lists(st.sampled_from(OPTIONS), max_size=3, unique=True)):
        argv += [flag, data.draw(values)]
    if command != "generate" and data.draw(st.booleans()):
        path = tmp_path / f"in{DATA[task].suffix}"
        junk = data.draw(st.binary(max_size=20))
        path.write_bytes(_mangled(DATA[task].read_bytes(), data.draw(st.integers(0, 10**6)),
                                  data.draw(st.integers(0, 10**6)), junk))  # fmt: skip
        argv += ["--data", path]
    if command == "predict":
        argv += data.draw(st.lists(st.text(max_size=6), max_size=2))
    if command == "generate":
        argv += ["--max-new", "3"]
    code, err = _run(argv)
    _check(code, err, argv)


@SETTINGS
@given(junk=st.binary(max_size=200), name=st.sampled_from(["config.json", "vocab.json",
       "model.safetensors", "tokenizer.json", "checkpoint/trainer_state.pt",
       "checkpoint/manifest.json", "labels.json"]))  # fmt: skip
def test_a_run_with_a_damaged_file_loads_or_is_refused_with_one_line(runs, tmp_path, junk, name):
    run = tmp_path / "run"
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(runs / "classify", run)
    (run / name).write_bytes(junk)
    for argv in (["predict", run, "abc"], ["evaluate", run], ["train", "classify", "--resume", run,
                                                               "--max-steps", "3"]):  # fmt: skip
        code, err = _run(argv)
        _check(code, err, argv)


@pytest.mark.parametrize(
    "argv, message",
    [  # found by reading the option checks (2026-12-07): tracebacks, hangs, silent misuse
        (["predict", "{lm}", "hi", "--seed", str(10**20)], "seed must be in [0, 4294967295]"),
        (["predict", "{lm}", "hi", "--seed", "-1"], "seed must be in [0, 4294967295]"),
        (["generate", "{lm}", "--temperature", "nan", "--max-new", "3"], "temperature"),
        (["predict", "{seq2seq}", "ab", "--beam", str(10**10)], "must be in [1, 1000]"),
        (["evaluate", "{seq2seq}", "--beam", "1001"], "must be in [1, 1000]"),
        (["train", "seq2seq", "--beam", str(10**20)], "model.beam must be in [1, 1000]"),
        (["train", "lm", "--model", "ngram", "--order", str(10**20)], "model.order must be in"),
        (["serve", "{lm}", "--max-wait-ms", "inf"], "0<=x<=60000"),
        (["train", "lm", "--resume", "{lm}", "--out", "{tmp}/elsewhere"], "out names another"),
        (["train", "lm", "--resume", "{lm}", "--config", "{tmp}/c.toml"], "config cannot be given"),
        # checked when an evaluation reads it: with none before the last, the run said 0
        (
            [
                "train",
                "lm",
                "--data",
                "{tiny}",
                "--max-steps",
                "1",
                "--metric",
                "foo",
                "--out",
                "{tmp}/m",
            ],
            "train.metric 'foo' is not",
        ),
        # a vocabulary of <pad> <unk> <bos> <eos> alone trained without a word
        (
            ["train", "lm", "--data", "{tiny}", "--min-freq", str(10**9), "--out", "{tmp}/u"],
            "data.min_freq 1000000000: no token of the training text occurs that often",
        ),
        (
            ["train", "seq2seq", "--data", "{pairs}", "--min-freq", str(10**9), "--out", "{tmp}/u"],
            "no token of the training pairs occurs that often",
        ),
        (["train", "forecast", "--date-column", "Nope", "--out", "{tmp}/f"], "'Nope' names a"),
        # refused after the training, at the final evaluation's seasonal naive
        (
            ["train", "forecast", "--season", "100000", "--max-steps", "1", "--out", "{tmp}/f"],
            "data.season 100000 is too long for this series",
        ),
    ],
)
def test_options_that_printed_a_traceback_hung_or_were_ignored_exit_2(runs, tmp_path, argv,
                                                                      message):  # fmt: skip
    (tmp_path / "c.toml").write_text("[train]\nlr = 0.5\n")
    before = sorted(p.name for p in (runs / "lm").rglob("*"))
    names = {"lm": runs / "lm", "seq2seq": runs / "seq2seq", "tmp": tmp_path, "tiny": DATA["lm"],
             "pairs": DATA["seq2seq"]}  # fmt: skip
    argv = [a.format(**names) for a in argv]
    code, err = _run(argv)
    _check(code, err, argv)
    assert code == 2 and message in err, (argv, err)
    assert sorted(p.name for p in (runs / "lm").rglob("*")) == before
    assert not any((tmp_path / name).exists() for name in ("elsewhere", "f", "u"))
