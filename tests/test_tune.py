"""rnnkit tune: trials from the task's declared space, each a run on a share of the
budget, scored on the valid split; trials.csv, search.png and best.toml, which
`rnnkit train TASK --config best.toml` trains again with the same config."""

import csv
import json
from pathlib import Path

import pytest

from rnnkit.cli import main
from rnnkit.tasks import TASKS
from rnnkit.tasks.base import BUILTIN_TASKS

pytest.importorskip("optuna", reason="the tune extra (installed by make test)")
FIXTURES = Path(__file__).parent / "fixtures"


def _run(capsys, *argv) -> tuple[int, str, str]:
    try:
        main([str(a) for a in argv])
        code = 0
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_every_built_in_task_declares_a_space_of_its_own_fields():
    for name in BUILTIN_TASKS:
        task = TASKS[name]
        fields = {f.name for _, f, _ in task.Config().fields()}
        assert task.search_space and set(task.search_space) <= fields, name


@pytest.mark.slow
def test_tune_writes_trials_a_plot_and_a_best_config_that_trains_again(tmp_path, capsys):
    out = tmp_path / "search"
    code, stdout, err = _run(
        capsys, "tune", "classify", "--data", FIXTURES / "tasks" / "classify.tsv",
        "--trials", 3, "--time-budget", 4.5, "--out", out, "--ngram-buckets", 64,
        "--eval-every", 5,
    )  # fmt: skip
    assert code == 0, err
    best = json.loads(stdout)
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert [r["trial"] for r in rows] == ["0", "1", "2"]
    assert {"lr", "hidden_size", "dropout"} <= set(rows[0])
    assert (out / "search.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    values = [float(r["value"]) for r in rows if r["state"] == "COMPLETE"]
    assert best["valid_macro_f1"] == max(values)  # macro-F1: higher is better
    code, stdout, err = _run(capsys, "train", "classify", "--config", out / "best.toml",
                             "--out", tmp_path / "again")  # fmt: skip
    assert code == 0, err
    trial = json.loads((Path(best["run"]) / "config.json").read_text())
    again = json.loads((tmp_path / "again" / "config.json").read_text())
    assert again["model"] == trial["model"] and again["train"] == trial["train"]


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_tune_from_python_refuses_a_seed_out_of_range_before_any_trial(seed, tmp_path):
    import rnnkit.tune
    from rnnkit.errors import ConfigError

    with pytest.raises(ConfigError, match=r"seed must be in 0\.\.4294967295"):
        rnnkit.tune.tune("classify", trials=1, time_budget=1, out=tmp_path / "t", seed=seed)
    assert not (tmp_path / "t").exists()


def test_tune_checks_the_fixed_options_before_any_trial(tmp_path, capsys):
    code, _, err = _run(capsys, "tune", "classify", "--trials", 1, "--time-budget", 1,
                        "--lr", "nan", "--out", tmp_path / "t")  # fmt: skip
    assert code == 2 and err.startswith("rnnkit: error: train.lr must be") and err.count("\n") == 1
    assert not (tmp_path / "t").exists()


def test_an_option_of_the_space_given_is_fixed_and_the_rest_searched(tmp_path, capsys):
    """--hidden was searched over anyway, the flag dropped without a word."""
    searched = TASKS["classify"].search_space
    assert "hidden_size" in searched
    out = tmp_path / "search"
    code, _, err = _run(
        capsys, "tune", "classify", "--data", FIXTURES / "tasks" / "classify.tsv",
        "--trials", 2, "--time-budget", 2, "--out", out, "--ngram-buckets", 64, "--hidden", 6,
    )  # fmt: skip
    assert code == 0, err
    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert "hidden_size" not in rows[0] and set(searched) - {"hidden_size"} <= set(rows[0])
    trials = sorted(out.glob("trial-*"))
    assert len(trials) == 2
    for trial in trials:
        assert json.loads((trial / "config.json").read_text())["model"]["hidden_size"] == 6
    fixed_all = dict.fromkeys(searched, 1)  # refused before any value is checked
    import rnnkit.tune
    from rnnkit.errors import ConfigError

    with pytest.raises(ConfigError, match="nothing is left to search"):
        rnnkit.tune.tune("classify", trials=1, time_budget=1, out=tmp_path / "t", **fixed_all)
