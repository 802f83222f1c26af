import json
import os
import pickle
import shutil

import pytest
import safetensors.torch
import torch

from rnnkit.errors import CheckpointError
from rnnkit.models import RNNLanguageModel
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
    run.save_checkpoint(3, torch.nn.Linear(2, 2).state_dict(), state)
    loaded = run.load_trainer_state()
    assert loaded["step"] == 3 and torch.equal(loaded["rng"], state["rng"])


def _checkpoint(run, step, model):
    run.save_checkpoint(step, model.state_dict(), {"step": step})


def test_a_checkpoint_is_one_unit_with_a_manifest_and_replaces_the_last(tmp_path):
    run = RunDirectory.create(tmp_path / "run")
    model = torch.nn.Linear(3, 2)
    _checkpoint(run, 1, model)
    _checkpoint(run, 2, model)
    names = sorted(p.name for p in run.path.iterdir())
    assert names == ["checkpoint"]  # no old or temporary folder left
    manifest = json.loads(run.file("checkpoint/manifest.json").read_text())
    assert manifest["step"] == 2 and set(manifest["files"]) == {
        "model.safetensors",
        "trainer_state.pt",
    }


def test_a_torn_checkpoint_is_refused_and_the_previous_one_taken(tmp_path):
    run = RunDirectory.create(tmp_path / "run")
    model = torch.nn.Linear(3, 2)
    _checkpoint(run, 1, model)
    # a kill between the two renames: the old one moved aside, the new one not yet current
    shutil.copytree(run.file("checkpoint"), run.file(".checkpoint.old"))
    (run.file("checkpoint") / "model.safetensors").write_bytes(b"torn")
    assert run.load_trainer_state(run.checkpoint())["step"] == 1
    assert run.checkpoint().name == ".checkpoint.old"
    shutil.rmtree(run.file(".checkpoint.old"))
    with pytest.raises(CheckpointError, match="model.safetensors does not match its SHA-256"):
        run.checkpoint()


def test_a_failed_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    run = RunDirectory.create(tmp_path / "run")
    model = torch.nn.Linear(3, 2)
    _checkpoint(run, 1, model)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", full)
    with pytest.raises(CheckpointError, match="cannot write the checkpoint of step 2 .*previous"):
        _checkpoint(run, 2, model)
    assert run.load_trainer_state()["step"] == 1
    assert sorted(p.name for p in run.path.iterdir()) == ["checkpoint"]


def _flatten_like_cudnn(module: torch.nn.Module) -> None:
    """Make the parameters views of one flat buffer, as cuDNN's flatten_parameters does."""
    params = list(module.parameters())
    flat = torch.cat([p.detach().flatten() for p in params])
    offset = 0
    for p in params:
        p.data = flat[offset : offset + p.numel()].view_as(p)
        offset += p.numel()


def test_weights_in_one_flat_buffer_save_and_load(tmp_path):
    torch.manual_seed(0)
    model = RNNLanguageModel(11, embedding_dim=4, hidden_size=6, num_layers=2)
    _flatten_like_cudnn(model.rnn)
    run = RunDirectory.create(tmp_path / "run")
    run.save_weights(model)  # safetensors.torch.save_model refuses these views
    fresh = RNNLanguageModel(11, embedding_dim=4, hidden_size=6, num_layers=2)
    _flatten_like_cudnn(fresh.rnn)  # loading into flat weights (a model on cuDNN) too
    run.load_weights(fresh)
    for key, value in model.state_dict().items():
        assert torch.equal(fresh.state_dict()[key], value), key


def test_tied_weights_are_stored_once_and_stay_tied(tmp_path):
    model = RNNLanguageModel(11, embedding_dim=6, hidden_size=6, tie_weights=True)
    run = RunDirectory.create(tmp_path / "run")
    run.save_weights(model)
    stored = safetensors.torch.load_file(run.file("model.safetensors"))
    assert "embedding.weight" in stored and "decoder.weight" not in stored
    fresh = RNNLanguageModel(11, embedding_dim=6, hidden_size=6, tie_weights=True)
    run.load_weights(fresh)
    assert fresh.decoder.weight is fresh.embedding.weight
    assert torch.equal(fresh.decoder.weight, model.embedding.weight)


def test_a_tied_model_saved_by_safetensors_save_model_still_loads(tmp_path):
    # earlier runs were written by safetensors.torch.save_model, which keeps the tied
    # tensor under the other name ("decoder.weight")
    model = RNNLanguageModel(11, embedding_dim=6, hidden_size=6, tie_weights=True)
    run = RunDirectory.create(tmp_path / "run")
    safetensors.torch.save_model(model, run.file("model.safetensors"))
    assert "embedding.weight" not in safetensors.torch.load_file(run.file("model.safetensors"))
    fresh = RNNLanguageModel(11, embedding_dim=6, hidden_size=6, tie_weights=True)
    run.load_weights(fresh)
    assert torch.equal(fresh.embedding.weight, model.embedding.weight)


def test_weights_that_miss_a_parameter_are_refused_by_name(tmp_path):
    run = RunDirectory.create(tmp_path / "run")
    run.save_weights(RNNLanguageModel(11, embedding_dim=6, hidden_size=6))
    with pytest.raises(CheckpointError, match="weights do not fit the model.*missing"):
        run.load_weights(RNNLanguageModel(11, embedding_dim=6, hidden_size=6, num_layers=3))


def test_a_missing_part_is_named_before_the_shapes_it_changes(tmp_path):
    from rnnkit.models.classifier import SequenceClassifier

    run = RunDirectory.create(tmp_path / "run")
    run.save_weights(SequenceClassifier(11, 3, 4, 5))  # no character bag
    with pytest.raises(CheckpointError, match=r"missing \['char_bag\.embedding\.weight'\]"):
        run.load_weights(SequenceClassifier(11, 3, 4, 5, ngram_buckets=7, char_ngrams=2))


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
