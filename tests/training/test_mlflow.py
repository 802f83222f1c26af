"""The MLflow callback: parameters, metrics per evaluation and the run directory as
artefacts, in a local sqlite tracking store (recent MLflow refuses plain file stores)."""

from pathlib import Path

import pytest

import rnnkit

mlflow = pytest.importorskip("mlflow", reason="the mlflow extra (installed by make test)")
FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_a_run_logs_its_config_metrics_and_files_to_mlflow(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the default artefact store is ./mlruns
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    lm = rnnkit.train("lm", data=str(FIXTURES / "tiny.txt"), out=tmp_path / "run",
                      hidden_size=8, embedding_dim=4, num_layers=1, max_steps=4,
                      eval_every=2, log_every=1, mlflow=uri, progress=False)  # fmt: skip
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("rnnkit")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.run_name == "run" and run.info.status == "FINISHED"
    assert run.data.params["model.hidden_size"] == "8"
    history = client.get_metric_history(run.info.run_id, "slice_valid_loss")
    assert [m.step for m in history] == [2, 4]
    final = lm.run.read_metrics()[-1]
    assert run.data.metrics["valid_loss"] == pytest.approx(final["valid_loss"])
    assert len(client.get_metric_history(run.info.run_id, "train_loss")) == 4
    files = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"config.json", "model.safetensors", "metrics.jsonl"} <= files


def test_without_mlflow_the_flag_says_which_extra_to_install(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def no_mlflow(name, *args, **kwargs):
        if name.startswith("mlflow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    with pytest.raises(rnnkit.ConfigError, match=r"pip install 'rnnkit\[mlflow\]'"):
        rnnkit.train("lm", data=str(FIXTURES / "tiny.txt"), out=tmp_path / "run",
                     hidden_size=8, max_steps=1, mlflow="sqlite:///x.db", progress=False)  # fmt: skip
