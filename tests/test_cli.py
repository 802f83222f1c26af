"""The CLI contract: JSON on stdout, one line on stderr and exit code 2 for bad input."""

import json
import subprocess
import sys

import pytest


def rnnkit(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "rnnkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


TINY = [
    "--hidden",
    16,
    "--embed",
    8,
    "--layers",
    1,
    "--batch-size",
    4,
    "--bptt",
    16,
    "--warmup-steps",
    0,
    "--eval-every",
    5,
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory, request):
    fixtures = request.config.rootpath / "tests" / "fixtures"
    out = tmp_path_factory.mktemp("cli") / "run"
    result = rnnkit(
        "train", "lm", "--data", fixtures / "tiny.txt", "--out", out, "--max-steps", 10, *TINY
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["run_dir"] == str(out) and summary["step"] == 10
    return out


def test_evaluate_prints_one_json_object(run_dir):
    result = rnnkit("evaluate", run_dir)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(result.stdout)
    assert metrics["task"] == "lm"
    assert set(metrics) >= {"loss", "perplexity", "bits_per_char", "tokens"}


def test_evaluate_on_a_file(run_dir, fixtures):
    metrics = json.loads(rnnkit("evaluate", run_dir, "--data", fixtures / "tiny.txt").stdout)
    assert metrics["tokens"] > 100


def test_generate_streams_prompt_and_continuation_reproducibly(run_dir):
    args = (
        "generate",
        run_dir,
        "--prompt",
        "ALL:",
        "--max-new",
        50,
        "--temperature",
        0.8,
        "--seed",
        1,
    )
    first, second = rnnkit(*args), rnnkit(*args)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert first.stdout.startswith("ALL:") and len(first.stdout) == len("ALL:") + 50 + 1


def test_resume_continues_to_the_new_limit(run_dir):
    result = rnnkit("train", "lm", "--resume", run_dir, "--max-steps", 14)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["step"] == 14


def test_info_prints_versions_device_and_threads():
    info = json.loads(rnnkit("info").stdout)
    assert info["device"] == "cpu" and info["threads"] >= 1 and info["torch"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "lm", "--data", "{fixtures}/missing.txt"], "expected an existing file"),
        (["train", "lm", "--data", "{fixtures}/empty.txt"], "got an empty file"),
        (["train", "lm", "--data", "{fixtures}/latin1.txt"], "latin1.txt:2: expected UTF-8 text"),
        (["evaluate", "{fixtures}"], "not an rnnkit run directory"),
        (["generate", "{fixtures}/nowhere"], "no such run directory"),
        (["train", "lm", "--layers", "0"], "model.num_layers must be >= 1, got 0"),
        (  # decoding runs a step at a time: an untrained model would run for hours
            ["train", "seq2seq", "--max-target-length", "1000000"],
            "model.max_target_length must be in [0, 10000], got 1000000",
        ),
        (["train", "lm", "--cell", "transformer"], "Invalid value for '--cell'"),
        (["train", "nope"], "No such command 'nope'"),
        # seeds are 0..2^32 - 1 (numpy's seeds; the CLI fuzz test found the tracebacks)
        (["train", "tag", "--seed", "-1"], "train.seed must be in [0, 4294967295], got -1"),
        (["train", "forecast", "--seed", str(2**63)], "train.seed must be in [0, 4294967295]"),
        (["generate", "{fixtures}", "--seed", "-1"], "-1 is not in the range 0<=x<=4294967295"),
        (
            ["tune", "classify", "--trials", "1", "--time-budget", "1", "--seed", "-1"],
            "-1 is not in the range 0<=x<=4294967295",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, fixtures, tmp_path):
    result = rnnkit(*[a.format(fixtures=fixtures) for a in args], cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("rnnkit: error: ") and message in lines[0]
    assert not list(tmp_path.glob("runs/*"))  # bad input leaves no half-made run


@pytest.mark.parametrize(
    "argv",
    [
        ["train", "lm", "--config", "a\x00b"],
        ["train", "lm", "--init-from", "a\x00b", "--max-steps", "1"],
        ["train", "lm", "--data", "a\x00b", "--max-steps", "1"],
        ["serve", "a\x00b"],
    ],
)
def test_a_path_with_a_nul_byte_exits_2_with_one_line(argv, capsys, tmp_path, monkeypatch):
    """A shell cannot pass a NUL byte, but ``rnnkit.cli.main([...])`` can (found by
    tests/test_cli_fuzz.py): open() and os refuse such a path with a bare ValueError."""
    from rnnkit.cli import main

    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rnnkit: error: ") and "NUL byte" in lines[0]
