"""The task API's own rules, beyond the contract every task meets."""

import json
from pathlib import Path

import rnnkit


def test_a_time_budget_alone_plans_the_run_and_epochs_given_still_bound_it(tmp_path):
    """README: a --time-budget given without --epochs or --max-steps drops the task's
    default epoch count (classify's is 25, a few seconds here), so training runs for the
    budget; with --epochs given, the epochs bound it."""
    data = str(Path(__file__).parent.parent / "fixtures" / "tasks" / "classify.tsv")
    tiny = {"hidden_size": 8, "embedding_dim": 4, "ngram_buckets": 64, "progress": False}
    rnnkit.train("classify", data=data, out=tmp_path / "plan", time_budget=1.5, **tiny)
    config = json.loads((tmp_path / "plan" / "config.json").read_text())
    last = json.loads((tmp_path / "plan" / "metrics.jsonl").read_text().splitlines()[-1])
    assert config["train"]["epochs"] is None and last["elapsed"] >= 1.5
    rnnkit.train("classify", data=data, out=tmp_path / "cap", time_budget=30, epochs=1, **tiny)
    config = json.loads((tmp_path / "cap" / "config.json").read_text())
    last = json.loads((tmp_path / "cap" / "metrics.jsonl").read_text().splitlines()[-1])
    assert config["train"]["epochs"] == 1 and last["epoch"] == 1 and last["elapsed"] < 30
    assert config["train"]["min_steps"] is None  # epochs given: that many, no more


def test_a_time_budget_alone_drops_the_tasks_early_stopping_and_a_given_one_stays(tmp_path):
    """README: under a --time-budget alone the run uses the budget (tag's default
    early stopping is dropped, the best weights are kept); --early-stopping given
    still stops it."""
    data = str(Path(__file__).parent.parent / "fixtures" / "tasks" / "tag.conll")
    tiny = {"hidden_size": 8, "embedding_dim": 4, "char_hidden_size": 0, "eval_every": 1,
            "progress": False}  # fmt: skip
    from rnnkit.tasks import get_task

    assert get_task("tag").Config().train.early_stopping  # the task's default
    rnnkit.train("tag", data=data, out=tmp_path / "plan", time_budget=1.5, **tiny)
    config = json.loads((tmp_path / "plan" / "config.json").read_text())
    last = json.loads((tmp_path / "plan" / "metrics.jsonl").read_text().splitlines()[-1])
    assert config["train"]["early_stopping"] is None and config["train"]["keep_best"]
    assert last["elapsed"] >= 1.5
    rnnkit.train("tag", data=data, out=tmp_path / "given", time_budget=1.5,
                 early_stopping=2, **tiny)  # fmt: skip
    config = json.loads((tmp_path / "given" / "config.json").read_text())
    assert config["train"]["early_stopping"] == 2


def test_a_run_written_before_min_steps_existed_keeps_its_limits():
    from rnnkit.tasks import get_task

    config = get_task("tag").Config
    assert config().train.min_steps  # the task's default for new runs
    old = json.loads(config().to_json())
    del old["train"]["min_steps"]
    assert config.from_dict(old, user=False).train.min_steps is None
