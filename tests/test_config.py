"""Configs are per task, composed from shared parts; their fields carry help, choices,
bounds and defaults, and the flags, --help and TOML loading are generated from them."""

import dataclasses
import json
import math

import pytest

import rnnkit
from rnnkit.cli import cli
from rnnkit.config import TrainConfig, read_toml
from rnnkit.errors import ConfigError
from rnnkit.options import RUN_OPTIONS
from rnnkit.tasks import TASKS, task_names
from rnnkit.tasks.base import load_config
from rnnkit.tasks.lm import LMConfig
from rnnkit.training.checkpoint import RunDirectory

TASK_LIST = task_names()
DERIVED_RECORDS = ("char_lm_models", "max_length_ratio")


def _command(task):
    return cli.commands["train"].get_command(None, task)


@pytest.mark.parametrize("task", TASK_LIST)
def test_every_settable_field_has_a_flag_and_every_flag_a_field(task):
    config = TASKS[task].Config()
    fields = {f.name for _, f, _ in config.fields()}
    derived = {f.name for _, f, _ in config.fields(settable=False)} - fields
    flags = {p.name for p in _command(task).params if p.name not in ("help",)}
    assert flags - set(RUN_OPTIONS) == fields
    assert not derived & flags
    for name in derived:  # the sizes the data give; the source runs of --char-lm; the slope
        # of seq2seq's decoding cap, measured on the training pairs
        assert name.endswith("_size") or name.startswith("num_") or name in DERIVED_RECORDS


@pytest.mark.parametrize("task", TASK_LIST)
def test_every_field_has_help_and_its_flag_shows_the_tasks_default(task):
    config = TASKS[task].Config()
    params = {p.name: p for p in _command(task).params}
    for section, f, _ in config.fields():
        assert f.metadata["help"], f.name
        default = getattr(getattr(config, section), f.name)
        shown = params[f.name].show_default
        if default is not None:
            assert shown == str(default), (f.name, shown, default)


def test_help_is_grouped_and_shows_defaults():
    out = _command("classify").get_help(cli.make_context("rnnkit", ["train", "classify"]))
    for group in ("Data options", "Model options", "Training options", "Output options"):
        assert group in out
    assert out.index("Data options") < out.index("--text-column") < out.index("Model options")
    assert "[default: (macro_f1)]" in out  # the task's own default, not the loop's "loss"
    assert "--hidden, --hidden-size" in out and "--layers, --num-layers" in out


def test_a_flag_of_another_task_does_not_exist():
    lm = {p.name for p in _command("lm").params}
    forecast = {p.name for p in _command("forecast").params}
    assert "horizon" not in lm and "bptt" not in forecast and "bidirectional" not in lm
    assert "label_smoothing" not in {f.name for f in dataclasses.fields(TrainConfig)}
    assert "teacher_forcing" not in {f.name for f in dataclasses.fields(TrainConfig)}


def test_the_old_flag_names_still_work(tmp_path, fixtures):
    from click.testing import CliRunner

    result = CliRunner().invoke(
        cli,
        ["train", "lm", "--data", str(fixtures / "tiny.txt"), "--hidden", "8", "--embed", "4",
         "--layers", "1", "--max-steps", "2", "--out", str(tmp_path / "r")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert (config["model"]["hidden_size"], config["model"]["embedding_dim"]) == (8, 4)
    assert config["format_version"] == 2


def test_toml_sets_fields_and_json_round_trips(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('task = "lm"\n[model]\nhidden_size = 32\n[train]\nlr = 1\n', encoding="utf-8")
    cfg = LMConfig.from_dict(read_toml(path))
    assert cfg.model.hidden_size == 32 and cfg.train.lr == 1.0
    assert LMConfig.from_json(cfg.to_json()) == cfg


def test_a_default_is_turned_off_by_its_word_from_the_cli_toml_and_api(tmp_path, fixtures):
    from click.testing import CliRunner

    from rnnkit.tasks.tag import TagConfig

    # tag's defaults: early stopping after 5 evaluations, at least 3,000 steps
    result = CliRunner().invoke(
        cli,
        ["train", "tag", "--data", str(fixtures / "tasks" / "tag.conll"), "--hidden", "8",
         "--max-steps", "2", "--early-stopping", "off", "--min-steps", "OFF",
         "--eval-max-batches", "all", "--out", str(tmp_path / "r")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    train = json.loads((tmp_path / "r" / "config.json").read_text())["train"]
    assert train["early_stopping"] is train["min_steps"] is train["eval_max_batches"] is None
    toml = TagConfig.from_dict({"train": {"early_stopping": "none", "min_steps": "off"}})
    assert toml.train.early_stopping is None and toml.train.min_steps is None
    assert TagConfig().train.early_stopping == 5  # the default the words turned off
    bad = CliRunner().invoke(cli, ["train", "tag", "--early-stopping", "of"])
    assert bad.exit_code == 2 and "neither integer nor 'off'" in bad.output
    ema = {p.name: p for p in _command("lm").params}["ema"]  # lm's default: 0.995
    assert ema.type.convert("off", ema, None) == "off" and ema.type.convert("0.9", ema, None) == 0.9
    assert LMConfig.from_dict({"train": {"ema": "off"}}).train.ema is None
    # tag's None is a rule (the average for POS tags), so its "off" is the number 0
    ema = {p.name: p for p in _command("tag").params}["ema"]
    assert ema.type.convert("OFF", ema, None) == "off" and ema.type.convert("0", ema, None) == 0
    assert TagConfig.from_dict({"train": {"ema": "off"}}).train.ema == 0.0
    assert TagConfig.from_dict({"train": {"ema": "none"}}).train.ema == 0.0
    assert TagConfig().train.ema is None  # unset: the rule, resolved from the tags
    # a string field's word is a value (a file named "off"), not None
    assert TagConfig.from_dict({"data": {"vectors": "off"}}).data.vectors == "off"


def test_unknown_key_is_rejected_with_the_closest_name():
    with pytest.raises(
        ConfigError, match=r"unknown setting 'hiden_size'.*did you mean 'hidden_size'"
    ):
        LMConfig.from_dict({"model": {"hiden_size": 32}})


def test_a_setting_of_another_task_is_rejected_naming_the_tasks_that_have_it(tmp_path):
    with pytest.raises(
        ConfigError, match="the lm task has no setting 'horizon'; it is a setting of forecast"
    ):
        rnnkit.train("lm", out=tmp_path / "run", horizon=3, max_steps=1, progress=False)
    assert not (tmp_path / "run").exists()


def test_derived_sizes_cannot_be_set():
    with pytest.raises(ConfigError, match="vocab_size is derived from the data"):
        LMConfig.from_dict({"model": {"vocab_size": 10}})


def test_wrong_type_names_field_and_value():
    with pytest.raises(ConfigError, match="num_layers must be int, got 'two'"):
        LMConfig.from_dict({"model": {"num_layers": "two"}})
    with pytest.raises(ConfigError, match="amp must be bool or None, got 'yes'"):
        LMConfig.from_dict({"train": {"amp": "yes"}})
    with pytest.raises(ConfigError, match="max_steps must be int or None, got True"):
        LMConfig.from_dict({"train": {"max_steps": True}})


@pytest.mark.parametrize(
    "section, name, value, message",
    [
        ("model", "cell", "transformer", "model.cell must be one of"),
        ("train", "lr", math.nan, "train.lr must be a finite number"),
        ("train", "lr", 0.0, r"train.lr must be > 0"),
        ("train", "ema", 1.0, r"train.ema must be in \[0, 1\)"),
        ("train", "time_budget", math.inf, "train.time_budget must be a finite number"),
        ("model", "hidden_size", 0, "model.hidden_size must be >= 1"),
        ("data", "bptt", -3, "data.bptt must be >= 1"),
    ],
)
def test_bounds_and_choices_come_from_the_field(section, name, value, message):
    cfg = LMConfig()
    setattr(getattr(cfg, section), name, value)
    with pytest.raises(ConfigError, match=message):
        cfg.validate()


def test_other_format_version_is_refused():
    with pytest.raises(ConfigError, match="format_version 99"):
        LMConfig.from_dict({"format_version": 99})


def test_a_format_1_config_is_migrated_when_read(tmp_path, fixtures):
    run = RunDirectory(fixtures / "runs_v1" / "classify")
    old = json.loads(run.file("config.json").read_text())
    assert old["format_version"] == 1 and "horizon" in old["data"]  # every task's fields
    cfg = load_config(run)
    assert cfg.format_version == 2 and not hasattr(cfg.data, "horizon")
    assert cfg.train.label_smoothing == old["train"]["label_smoothing"]
    assert cfg.model.num_classes == old["model"]["num_classes"] == 2
