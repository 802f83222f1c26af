"""Nothing is lost: kill -9 loses only the steps since the last checkpoint, Ctrl-C
saves, tampered files are refused, --init-from starts from another run's weights."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

import rnnkit
from rnnkit.errors import CheckpointError
from rnnkit.training.checkpoint import RunDirectory

FIXTURES = Path(__file__).parents[1] / "fixtures"
TINY = [
    "--hidden",
    "16",
    "--embed",
    "8",
    "--layers",
    "1",
    "--batch-size",
    "4",
    "--bptt",
    "8",
    "--eval-every",
    "100000",
    "--max-steps",
    "1000000",
]


def _start(out: Path, *extra: str) -> subprocess.Popen:
    args = [
        sys.executable,
        "-m",
        "rnnkit",
        "train",
        "lm",
        "--data",
        str(FIXTURES / "tiny.txt"),
        "--out",
        str(out),
        *TINY,
        *extra,
    ]
    # a shell's background job starts with SIGINT ignored, and its children inherit
    # that: give the run the terminal's default, as a user pressing Ctrl-C has it
    return subprocess.Popen(
        args,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _wait_for_step(run: RunDirectory, at_least: int, proc: subprocess.Popen) -> int:
    deadline = time.time() + 90
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read()
        if run.has_checkpoint():
            try:
                step = run.load_trainer_state()["step"]
            except CheckpointError:  # read while the live run rotated its checkpoints
                step = -1
            if step >= at_least:
                return step
        time.sleep(0.05)
    raise AssertionError("no checkpoint in time")


@pytest.mark.slow
def test_kill_9_loses_at_most_the_steps_since_the_last_checkpoint(tmp_path):
    out = tmp_path / "run"
    proc = _start(out, "--checkpoint-every", "5")
    run = RunDirectory(out)
    try:
        _wait_for_step(run, 10, proc)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        proc.kill()
    step = run.load_trainer_state()["step"]
    assert step >= 10 and step % 5 == 0  # a whole checkpoint, never a torn one
    resumed = subprocess.run(
        [
            sys.executable,
            "-m",
            "rnnkit",
            "train",
            "lm",
            "--resume",
            str(out),
            "--max-steps",
            str(step + 3),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["step"] == step + 3
    assert not list(out.glob(".*.tmp"))  # what the killed writer left is cleaned up


@pytest.mark.slow
def test_ctrl_c_saves_the_current_step_and_exits_130_with_one_line(tmp_path):
    out = tmp_path / "run"
    proc = _start(out, "--checkpoint-every", "50")
    run = RunDirectory(out)
    try:
        seen = _wait_for_step(run, 50, proc)  # training is under way
        time.sleep(0.5)  # more steps, past the last periodic checkpoint
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"still running 60 s after Ctrl-C; stderr:\n{proc.communicate()[1]}")
    finally:
        proc.kill()
    assert proc.returncode == 130
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "interrupted" in lines[0], stderr
    assert run.load_trainer_state()["step"] > seen


def _train_tiny(out, **options):
    """A model small enough to train in a fraction of a second on the tiny fixture."""
    tiny = dict(hidden_size=8, embedding_dim=4, num_layers=1, batch_size=2, progress=False)
    return rnnkit.train("lm", data=str(FIXTURES / "tiny.txt"), out=out, **{**tiny, **options})


def test_a_pickle_in_place_of_the_weights_is_refused_and_runs_nothing(tmp_path):
    lm = _train_tiny(tmp_path / "run", max_steps=2)
    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    torch.save({"w": Payload()}, lm.run.file("model.safetensors"))
    with pytest.raises(CheckpointError, match="not a valid safetensors file"):
        rnnkit.load(lm.run.path)
    assert not marker.exists()


def test_init_from_loads_weights_with_a_fresh_optimiser(tmp_path):
    common = dict(
        data=str(FIXTURES / "tiny.txt"),
        hidden_size=8,
        embedding_dim=4,
        num_layers=1,
        batch_size=2,
        progress=False,
        warmup_steps=0,
    )
    first = rnnkit.train("lm", out=tmp_path / "a", max_steps=5, **common)
    second = rnnkit.train(
        "lm",
        out=tmp_path / "b",
        max_steps=1,
        init_from=str(first.run.path),
        lr=1e-12,
        schedule="constant",
        **common,
    )
    for k, v in first.model.state_dict().items():
        torch.testing.assert_close(second.model.state_dict()[k], v, atol=1e-6, rtol=0)
    assert second.run.load_trainer_state()["step"] == 1
    with pytest.raises(
        rnnkit.ConfigError,
        match=r"--init-from .*do not fit the model.*; leave out the model options that change",
    ):
        rnnkit.train(
            "lm",
            out=tmp_path / "c",
            max_steps=1,
            init_from=str(first.run.path),
            **{**common, "hidden_size": 12},
        )


def test_init_from_continues_the_source_runs_model_on_new_text(tmp_path, monkeypatch):
    """The README's promise, on the case it exists for: fine-tuning on other text. The
    new run takes the source's model options (none given here) and its vocabulary, so
    every embedding row keeps its character, even where the new text's characters
    would have built another vocabulary."""
    source = _train_tiny(tmp_path / "a", max_steps=3, dropout=0.0)
    other = tmp_path / "other.txt"
    other.write_text("zebra quartz jumped over the lazy dog; éclair\n" * 40, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    new = rnnkit.train(
        "lm",
        data=str(other),
        out=tmp_path / "b",
        init_from="a",  # recorded whole: config.json says where the weights came from
        max_steps=1,
        lr=1e-12,
        schedule="constant",
        warmup_steps=0,
        progress=False,
    )
    assert new.config.to_dict()["model"] == source.config.to_dict()["model"]
    assert new.config.data.batch_size == 2  # the source's data options, but its own data
    assert Path(new.config.data.data) == other.resolve()
    assert new.config.train.init_from == str((tmp_path / "a").resolve())
    assert new.run.load_json("vocab.json") == source.run.load_json("vocab.json")
    for k, v in source.model.state_dict().items():
        torch.testing.assert_close(new.model.state_dict()[k], v, atol=1e-6, rtol=0)
    loaded = rnnkit.load(new.run.path)  # a run like any other
    assert loaded.config.model.hidden_size == 8
    assert isinstance(loaded.generate("FIRST", max_new=5, temperature=0), str)
    with pytest.raises(rnnkit.ConfigError, match=r"keeps that run's vocabulary.*min_freq 1"):
        rnnkit.train(
            "lm", data=str(other), out=tmp_path / "c", init_from=str(source.run.path),
            min_freq=2, max_steps=1, progress=False,
        )  # fmt: skip
    assert not (tmp_path / "c").exists()
    with pytest.raises(rnnkit.ConfigError, match=r"n-gram model is counted, not trained"):
        rnnkit.train("lm", data=str(other), out=tmp_path / "e", kind="ngram",
                     init_from=str(source.run.path), progress=False)  # fmt: skip
    with pytest.raises(rnnkit.ConfigError, match=r"is a 'lm' run, not 'classify'"):
        rnnkit.train("classify", out=tmp_path / "d", init_from=str(source.run.path), progress=False)


def test_training_draws_the_loss_curves(tmp_path):
    lm = _train_tiny(tmp_path / "run", max_steps=4, eval_every=2)
    png = lm.run.file("plots/loss.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000


def test_tensorboard_logs_scalars(tmp_path):
    pytest.importorskip("tensorboard")
    lm = _train_tiny(tmp_path / "run", max_steps=4, eval_every=2, log_every=1, tensorboard=True)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(lm.run.file("tb"))).Reload()
    assert {"train/loss", "valid/loss"} <= set(events.Tags()["scalars"])
    assert len(events.Scalars("train/loss")) == 4


def test_deferred_interrupt_defers_the_first_ctrl_c_and_raises_on_the_second():
    from rnnkit.training.trainer import deferred_interrupt

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal
    try:
        _check_deferred_interrupt(deferred_interrupt)
    finally:
        signal.signal(signal.SIGINT, before)


def _check_deferred_interrupt(deferred_interrupt):
    with deferred_interrupt() as interrupted:
        assert not interrupted()
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)  # the handler runs between two bytecodes of this thread
        assert interrupted()  # recorded, not raised
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    with pytest.raises(KeyboardInterrupt):  # and Ctrl-C raises at once again
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)


def test_deferred_interrupt_leaves_an_ignored_sigint_alone():
    from rnnkit.training.trainer import deferred_interrupt

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as under nohup
    try:
        with deferred_interrupt() as interrupted:
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
            assert not interrupted()
    finally:
        signal.signal(signal.SIGINT, before)
