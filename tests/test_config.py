import pytest

from rnnkit.config import RunConfig, check_task_options, load_toml
from rnnkit.errors import ConfigError


def test_toml_sets_fields_and_json_round_trips(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('task = "lm"\n[model]\nhidden_size = 32\n[train]\nlr = 1\n', encoding="utf-8")
    cfg = load_toml(path)
    assert cfg.model.hidden_size == 32 and cfg.train.lr == 1.0
    assert RunConfig.from_json(cfg.to_json()) == cfg


def test_unknown_key_is_rejected_with_the_closest_name(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text("[model]\nhiden_size = 32\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"unknown setting 'hiden_size'; did you mean 'hidden_size'\?"
    ):
        load_toml(path)


def test_wrong_type_names_field_and_value():
    with pytest.raises(ConfigError, match="num_layers must be int, got 'two'"):
        RunConfig.from_dict({"model": {"num_layers": "two"}})


def test_validation_names_the_setting():
    cfg = RunConfig()
    cfg.model.cell = "transformer"
    with pytest.raises(ConfigError, match="model.cell must be one of"):
        cfg.validate()


def test_other_format_version_is_refused():
    with pytest.raises(ConfigError, match="format_version 99"):
        RunConfig.from_dict({"format_version": 99})


def test_a_setting_of_another_task_is_rejected_by_name():
    with pytest.raises(ConfigError, match=r"horizon \(--horizon\) is a setting of forecast only"):
        check_task_options("lm", ["hidden_size", "horizon"])
    with pytest.raises(ConfigError, match=r"--char-embed\) is a setting of tag only"):
        check_task_options("classify", ["char_embedding_dim"])
    check_task_options("forecast", ["hidden_size", "horizon", "bidirectional"])  # its own: fine
    check_task_options("seq2seq", ["header", "beam"])


def test_train_refuses_a_setting_its_task_does_not_read(tmp_path):
    import rnnkit

    with pytest.raises(ConfigError, match="the lm task does not use it"):
        rnnkit.train("lm", out=tmp_path / "run", horizon=3, max_steps=1, progress=False)
    assert not (tmp_path / "run").exists()


def test_optional_settings_are_type_checked_too():
    cfg = RunConfig.from_dict({"train": {"ema": 0.999, "amp": None, "time_budget": 5}})
    assert (cfg.train.ema, cfg.train.amp, cfg.train.time_budget) == (0.999, None, 5.0)
    with pytest.raises(ConfigError, match="amp must be bool or None, got 'yes'"):
        RunConfig.from_dict({"train": {"amp": "yes"}})
    with pytest.raises(ConfigError, match="max_steps must be int or None, got 1.5"):
        RunConfig.from_dict({"train": {"max_steps": 1.5}})
    with pytest.raises(ConfigError, match="max_steps must be int or None, got True"):
        RunConfig.from_dict({"train": {"max_steps": True}})
    cfg.train.ema = 1.0
    with pytest.raises(ConfigError, match=r"train.ema must be in \[0, 1\) \(0: off\)"):
        cfg.validate()
