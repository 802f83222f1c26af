"""A command that belongs to an extra says which one to install, in one line."""

import builtins

import pytest

from rnnkit.cli import main


@pytest.mark.parametrize(
    "argv, blocked, message",
    [
        (["serve", "some-run"], "fastapi", "rnnkit serve needs FastAPI and uvicorn: pip install 'rnnkit[serve]'"),
        (["tune", "lm", "--trials", "1", "--time-budget", "1"], "optuna", "rnnkit tune needs optuna: pip install 'rnnkit[tune]'"),
        (["export", "some-run"], "onnxruntime", "rnnkit export needs onnx, onnxruntime and onnxscript: pip install 'rnnkit[export]'"),
    ],
)  # fmt: skip
def test_a_missing_extra_is_named_in_one_line(
    argv, blocked, message, tmp_path, capsys, monkeypatch
):
    real = builtins.__import__

    def without(name, *args, **kwargs):
        if name.split(".")[0] == blocked:
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    assert capsys.readouterr().err.strip() == f"rnnkit: error: {message}"
