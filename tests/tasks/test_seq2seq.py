"""The contract every task meets, for sequence to sequence: train tiny, loss goes down,
save, load, same predictions (greedy and beam), another seed differs, predict on empty,
one and many inputs; the embedded restoration data; the CLI and its errors."""

import json
import subprocess
import sys

import pytest

import rnnkit
from rnnkit.cli import main
from rnnkit.errors import ConfigError
from rnnkit.tasks.seq2seq import Seq2SeqConfig, read_splits, restoration_pairs, restoration_source

TINY = dict(
    hidden_size=32,
    embedding_dim=16,
    batch_size=16,
    lr=0.01,
    warmup_steps=0,
    eval_every=20,
    eval_max_batches=1,
    keep_best=False,  # the task's default keeps the best evaluated weights
    progress=False,
)


def _pairs_file(path, n=240, longest=24):
    """A parallel TSV of the lecture's restoration pairs: short Shakespeare lines."""
    pairs = [(s, t) for s, t in restoration_pairs("train") if len(t) <= longest][:n]
    path.write_text("".join(f"{s}\t{t}\n" for s, t in pairs), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("seq2seq")
    data = _pairs_file(root / "pairs.tsv")
    s2s = rnnkit.train("seq2seq", data=str(data), out=root / "run", max_steps=60, seed=1, **TINY)
    return s2s, root / "run", data


def test_run_directory_holds_the_contract_files_and_attention_maps(trained):
    s2s, out, _ = trained
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "vocab.json",
        "target_tokenizer.json",
        "target_vocab.json",
        "metrics.jsonl",
        "checkpoint/trainer_state.pt",
        "plots/attention-1.png",
        "plots/attention-3.png",
    ):
        assert (out / name).is_file(), name
    assert (out / "plots/attention-1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((out / "config.json").read_text())
    assert config["task"] == "seq2seq" and config["model"]["attention"] == "general"
    assert config["model"]["target_vocab_size"] == len(s2s.tgt_vocab)
    assert config["model"]["max_target_length"] > 24  # from the training targets


def test_evaluate_reports_the_documented_keys_and_scores_its_pairs(trained):
    s2s, _, _ = trained
    metrics = s2s.evaluate()
    assert set(metrics) == {"task", "char_accuracy", "exact_match", "bleu", "chrf", "n"}
    assert metrics["task"] == "seq2seq" and metrics["n"] == 24
    outputs = [r["output"] for r in s2s.predict(["andyet", "o"])]
    perfect = s2s.evaluate(list(zip(["andyet", "o"], outputs)))
    assert perfect["exact_match"] == 1.0 and perfect["char_accuracy"] == 1.0


def test_scheduled_sampling_additive_attention_and_word_targets_train(tmp_path):
    rows = [("a b c", "c b a"), ("b c", "c b"), ("a a b", "b a a"), ("c", "c")] * 6
    tsv = tmp_path / "reverse.tsv"
    tsv.write_text("".join(f"{s}\t{t}\n" for s, t in rows), encoding="utf-8")
    s2s = rnnkit.train(
        "seq2seq",
        data=str(tsv),
        tokenizer="word",
        target_tokenizer="word",
        attention="additive",
        cell="lstm",
        num_layers=2,
        teacher_forcing=0.5,
        out=tmp_path / "run",
        max_steps=5,
        **TINY,
    )
    assert set(s2s.tgt_vocab.itos[4:]) == {"a", "b", "c"}  # words, not characters
    assert s2s.config.train.teacher_forcing == 0.5
    assert rnnkit.load(tmp_path / "run").predict(["a b"]) == s2s.predict(["a b"])


def test_embedded_restoration_pairs_are_fixed_and_split_three_ways():
    train, valid, test = (restoration_pairs(s) for s in ("train", "valid", "test"))
    assert len(train) > 50_000 and len(valid) > 1000 and len(test) > 3000
    assert restoration_pairs("valid") == valid  # the same every time
    assert not {t for _, t in valid} & {t for _, t in test}  # disjoint
    assert all(s == restoration_source(t) and len(t) <= 80 for s, t in valid[:500])
    assert not {"MACBETH:", "BANQUO:", "First Witch:"} & {t for _, t in valid}  # no speakers
    assert restoration_source("That you are so.") == "thatyouareso."
    splits = read_splits(Seq2SeqConfig())  # the default: the embedded task
    assert splits.train[:3] == train[:3] and splits.valid == valid
    with pytest.raises(ConfigError, match="split"):
        restoration_pairs("dev")


def _rnnkit(*args, capsys):
    """Run the CLI in this process (as ``python -m rnnkit`` would): (exit code, stdout, stderr)."""
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_train_evaluate_predict_and_a_bad_input(tmp_path, capsys):
    data = _pairs_file(tmp_path / "pairs.tsv", n=60)
    run = tmp_path / "run"
    code, out, err = _rnnkit(
        "train", "seq2seq", "--data", data, "--hidden", 16, "--embed", 8, "--max-steps", 4,
        "--eval-every", 4, "--attention", "dot", "--beam", 2, "--out", run, capsys=capsys,
    )  # fmt: skip
    assert code == 0, err
    result = json.loads(out)
    assert result["run_dir"] == str(run) and "valid_char_accuracy" in result

    code, out, err = _rnnkit("evaluate", run, "--beam", 1, capsys=capsys)
    assert code == 0, err
    assert set(json.loads(out)) == {"task", "char_accuracy", "exact_match", "bleu", "chrf", "n"}

    inputs = tmp_path / "inputs.txt"
    inputs.write_text("andyet\n\nwhatareyou?\n", encoding="utf-8")
    code, out, err = _rnnkit("predict", run, "thisissungkim.iloveyou.", "--data", inputs,
                             capsys=capsys)  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert [r["input"] for r in lines] == ["thisissungkim.iloveyou.", "andyet", "whatareyou?"]
    assert all(set(r) == {"input", "output"} for r in lines)

    bad = tmp_path / "bad.tsv"
    bad.write_text("abc\tA bc\nnotab\n", encoding="utf-8")
    code, out, err = _rnnkit("evaluate", run, "--data", bad, capsys=capsys)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "bad.tsv:2" in err
    code, _, err = _rnnkit(
        "train", "seq2seq", "--data", bad, "--out", tmp_path / "r2", capsys=capsys
    )
    assert code == 2 and "bad.tsv:2" in err and not (tmp_path / "r2").exists()
    code, _, err = _rnnkit("predict", run, "abc", "--top-k", 2, "--beam", 0, capsys=capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_python_m_rnnkit_runs_the_same_cli(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "rnnkit", "train", "seq2seq", "--attention", "luong"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=240,
    )
    assert done.returncode == 2 and "luong" in done.stderr
