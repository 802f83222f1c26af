"""The run directory as one transaction: --out never overwrites what rnnkit did not
write, one process at a time trains in a run, a failed start leaves nothing, a
full disk keeps the last checkpoint, files honour the umask, and a run killed at any
moment (checkpoint writes included) resumes to the weights of an uninterrupted run."""

import json
import os
import random
import resource
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import safetensors.torch
import torch

import rnnkit
from rnnkit.data import embedded
from rnnkit.errors import CheckpointError
from rnnkit.training.checkpoint import RunDirectory

FIXTURES = Path(__file__).parents[1] / "fixtures"
TINY = ["--hidden", "16", "--embed", "8", "--layers", "1", "--batch-size", "4", "--bptt", "8"]


def _rnnkit(*args, cwd=None, preexec_fn=None, timeout=120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rnnkit", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, cwd=cwd, preexec_fn=preexec_fn,
    )  # fmt: skip


def _train_args(out, *extra):
    return ["train", "lm", "--data", FIXTURES / "tiny.txt", "--out", out, *TINY, *extra]


def _one_line(result) -> str:
    """The one error line (after any progress lines), and no traceback."""
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("rnnkit: error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    return errors[0]


@pytest.mark.slow
def test_out_refuses_a_folder_that_is_not_a_run_and_touches_nothing(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "vocab.json").write_text("my own notes")
    result = _rnnkit(*_train_args(mine, "--max-steps", "2"))
    assert result.returncode == 2
    assert "not an rnnkit run" in _one_line(result)
    assert (mine / "vocab.json").read_text() == "my own notes"
    assert sorted(p.name for p in mine.iterdir()) == ["vocab.json"]


def test_an_empty_folder_may_hold_a_new_run(tmp_path):
    (tmp_path / "empty").mkdir()
    lm = rnnkit.train("lm", data=str(FIXTURES / "tiny.txt"), out=tmp_path / "empty",
                      hidden_size=8, embedding_dim=4, num_layers=1, max_steps=1, progress=False)  # fmt: skip
    assert (lm.run.path / "config.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize(
    "extra, fixed",
    [
        (["--batch-size", "100000"], ["--batch-size", "4"]),  # too little data for one batch
        (["--metric", "nonsense"], ["--metric", "loss"]),  # fails only once training starts
    ],
)
def test_a_failed_start_leaves_no_run_and_the_fixed_command_works(tmp_path, extra, fixed):
    out = tmp_path / "run"
    args = [*_train_args(out, "--max-steps", "2", "--eval-every", "1"), *extra]
    result = _rnnkit(*args)
    assert result.returncode == 2, result.stderr
    _one_line(result)
    assert not out.exists()
    args = [*_train_args(out, "--max-steps", "2", "--eval-every", "1"), *fixed]
    assert _rnnkit(*args).returncode == 0


def _start(out: Path, *extra) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "rnnkit", *map(str, _train_args(out, *extra))],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_checkpoint(run: RunDirectory, proc, after: int = 0) -> int:
    """The step of the first checkpoint past step ``after`` that ``proc`` writes."""
    deadline = time.time() + 90
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        try:
            step = run.load_trainer_state()["step"]
        except CheckpointError:  # none yet, or being replaced this instant
            step = 0
        if step > after:
            return step
        time.sleep(0.02)
    raise AssertionError("no checkpoint in time")


@pytest.mark.slow
def test_a_second_process_is_refused_naming_the_holder_and_a_killed_holder_blocks_nothing(
    tmp_path,
):
    out = tmp_path / "run"
    proc = _start(
        out, "--max-steps", "1000000", "--checkpoint-every", "5", "--eval-every", "100000"
    )
    try:
        _wait_for_checkpoint(RunDirectory(out), proc)
        second = _rnnkit("train", "lm", "--resume", out, "--max-steps", "10")
        assert second.returncode == 2
        assert f"process {proc.pid} is training in it" in _one_line(second)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    step = RunDirectory(out).load_trainer_state()["step"]
    again = _rnnkit("train", "lm", "--resume", out, "--max-steps", step + 2)
    assert again.returncode == 0, again.stderr
    keys = [(r["step"], r["full"]) for r in RunDirectory(out).read_metrics()]
    assert len(keys) == len(set(keys))


@pytest.mark.slow
def test_a_full_disk_keeps_the_last_checkpoint_and_exits_with_one_line(tmp_path):
    out = tmp_path / "run"
    hidden = ["--hidden", "64"]  # weights of ~100 KB, over the file-size limit below
    assert _rnnkit(*_train_args(out, "--max-steps", "4", *hidden)).returncode == 0
    before = RunDirectory(out).load_trainer_state()["step"]

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))

    result = _rnnkit("train", "lm", "--resume", out, "--max-steps", "8", preexec_fn=small_files)
    assert result.returncode == 2
    assert "cannot write the checkpoint" in _one_line(result)
    assert RunDirectory(out).load_trainer_state()["step"] == before  # whole, and the last one
    assert _rnnkit("train", "lm", "--resume", out, "--max-steps", "8").returncode == 0


@pytest.mark.slow
@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_run_files_honour_the_umask(tmp_path, umask):
    out = tmp_path / "run"
    result = _rnnkit(*_train_args(out, "--max-steps", "2"), preexec_fn=lambda: os.umask(umask))
    assert result.returncode == 0, result.stderr
    for path in [out / "config.json", out / "model.safetensors", out / "checkpoint",
                 out / "checkpoint" / "trainer_state.pt"]:  # fmt: skip
        mode = stat.S_IMODE(path.stat().st_mode)
        expected = (0o777 if path.is_dir() else 0o666) & ~umask
        assert mode == expected, (path.name, oct(mode), oct(expected))


def _final_weights(run: Path) -> dict:
    return safetensors.torch.load_file(run / "checkpoint" / "model.safetensors")


@pytest.mark.slow
def test_kill_9_at_ten_random_moments_then_resume_ends_at_the_uninterrupted_weights(tmp_path):
    """A checkpoint every step, so the kills land inside checkpoint writes too."""
    steps = ["--max-steps", "400", "--checkpoint-every", "1", "--eval-every", "50"]
    whole = tmp_path / "whole"  # 400 checkpoints, each fsynced: slow on a busy disk
    assert _rnnkit(*_train_args(whole, *steps), timeout=600).returncode == 0
    out = tmp_path / "killed"
    rng = random.Random(0)
    proc = _start(out, *steps)
    step, kills = 0, 0
    for _ in range(10):
        step = _wait_for_checkpoint(RunDirectory(out), proc, after=step)  # training again
        time.sleep(rng.uniform(0.0, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        kills += 1
        proc = subprocess.Popen(
            [sys.executable, "-m", "rnnkit", "train", "lm", "--resume", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
    _, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 0, stderr
    assert kills == 10 and step < 400
    a, b = _final_weights(whole), _final_weights(out)
    for key in a:
        assert torch.equal(a[key], b[key]), key
    keys = [(r["step"], r["full"]) for r in RunDirectory(out).read_metrics()]
    assert len(keys) == len(set(keys))
    assert keys == [(r["step"], r["full"]) for r in RunDirectory(whole).read_metrics()]


@pytest.mark.slow
def test_a_run_left_without_a_whole_checkpoint_is_refused_with_one_line(tmp_path):
    out = tmp_path / "run"
    assert _rnnkit(*_train_args(out, "--max-steps", "2")).returncode == 0
    (out / "checkpoint" / "trainer_state.pt").write_bytes(b"torn")
    result = _rnnkit("train", "lm", "--resume", out, "--max-steps", "4")
    assert result.returncode == 2
    assert "does not match its SHA-256" in _one_line(result)
    with pytest.raises(CheckpointError, match="no whole checkpoint"):
        RunDirectory(out).checkpoint()


@pytest.mark.slow
def test_a_header_row_is_detected_said_and_never_trained_on(tmp_path):
    data = tmp_path / "reviews.csv"
    rows = [("good fun", "pos"), ("bad day", "neg")] * 20
    data.write_text("text,label\n" + "".join(f"{t},{y}\n" for t, y in rows))
    result = _rnnkit("train", "classify", "--data", data, "--out", tmp_path / "run",
                     "--max-steps", "1", "--hidden", "8", "--ngram-buckets", "16")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "read as a header" in result.stderr and "--no-header" in result.stderr
    labels = json.loads((tmp_path / "run" / "labels.json").read_text())["labels"]
    assert labels == ["neg", "pos"]
    plain = tmp_path / "plain.csv"
    plain.write_text("".join(f"{t},{y}\n" for t, y in rows))
    result = _rnnkit("train", "classify", "--data", plain, "--out", tmp_path / "run2",
                     "--max-steps", "1", "--hidden", "8", "--ngram-buckets", "16")  # fmt: skip
    assert result.returncode == 0 and "header" not in result.stderr


def test_a_field_longer_than_the_csv_modules_default_limit_is_read(tmp_path):
    from rnnkit.data.readers import read_labelled

    long = "word " * 40_000  # 200,000 characters, over csv's 131,072
    path = tmp_path / "long.csv"
    path.write_text(f'"{long}",a\nshort,b\n')
    examples = read_labelled(path, header=False)
    assert examples[0] == (long.strip(), "a")


@pytest.mark.slow
def test_a_config_json_with_an_absurd_size_is_refused_stating_the_estimate(tmp_path):
    out = tmp_path / "run"
    assert _rnnkit(*_train_args(out, "--max-steps", "2")).returncode == 0
    config = json.loads((out / "config.json").read_text())
    config["model"]["hidden_size"] = 10**6
    (out / "config.json").write_text(json.dumps(config))
    for args in (["evaluate", out], ["train", "lm", "--resume", out, "--max-steps", "4"]):
        result = _rnnkit(*args)
        assert result.returncode == 2
        line = _one_line(result)
        assert "config.json" in line and "GiB" in line and "of memory" in line, line


@pytest.mark.slow
def test_a_corrupt_sentencepiece_model_names_the_file(tmp_path):
    out = tmp_path / "run"
    big = tmp_path / "big.txt"
    big.write_text(embedded.load("shakespeare")[:60_000], encoding="utf-8")
    args = ["train", "lm", "--data", big, "--out", out, "--tokenizer", "sentencepiece", *TINY,
            "--max-steps", "1"]  # fmt: skip
    assert _rnnkit(*args).returncode == 0
    tokenizer = json.loads((out / "tokenizer.json").read_text())
    tokenizer["model"] = tokenizer["model"][:40] + "AAAA" + tokenizer["model"][-40:]
    (out / "tokenizer.json").write_text(json.dumps(tokenizer))
    result = _rnnkit("evaluate", out)
    assert result.returncode == 2
    assert f"{out / 'tokenizer.json'}:" in _one_line(result)
