import os
import pickle

import pytest
import torch

from rnnkit.errors import CheckpointError
from rnnkit.training.checkpoint import RunDirectory, atomic_write


def test_atomic_write_replaces_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "a.json"
    atomic_write(target, "one")
    atomic_write(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(tmp_path) == ["a.json"]


class _Payload:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_trainer_state_with_a_pickle_payload_is_refused_and_runs_nothing(tmp_path):
    run = RunDirectory.create(tmp_path / "run")
    marker = tmp_path / "pwned"
    with open(run.file("trainer_state.pt"), "wb") as f:
        pickle.dump({"step": _Payload(str(marker))}, f, protocol=2)
    with pytest.raises(CheckpointError, match="refused to load"):
        run.load_trainer_state()
    assert not marker.exists()


def test_trainer_state_round_trips_tensors_and_numbers(tmp_path):
    run = RunDirectory.create(tmp_path / "run")
    state = {"step": 3, "rng": torch.get_rng_state(), "py": [3, [1, 2], None]}
    run.save_trainer_state(state)
    loaded = run.load_trainer_state()
    assert loaded["step"] == 3 and torch.equal(loaded["rng"], state["rng"])


def test_open_refuses_a_folder_that_is_not_a_run(tmp_path):
    with pytest.raises(
        CheckpointError, match="not an rnnkit run directory: config.json is missing"
    ):
        RunDirectory.open(tmp_path)
    with pytest.raises(CheckpointError, match="no such run directory"):
        RunDirectory.open(tmp_path / "missing")


def test_create_refuses_to_overwrite_a_run(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(CheckpointError, match="already holds a run; pass --resume"):
        RunDirectory.create(tmp_path)
