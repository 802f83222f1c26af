"""The contract every task meets, for sequence to sequence: train tiny, loss goes down,
save, load, same predictions (greedy and beam), another seed differs, predict on empty,
one and many inputs; the embedded restoration data; the CLI and its errors."""

import json
import math
import subprocess
import sys

import pytest
import torch

import rnnkit
from rnnkit.cli import main
from rnnkit.errors import ConfigError
from rnnkit.metrics import char_accuracy, exact_match
from rnnkit.tasks.seq2seq import (
    LENGTH_MARGIN,
    Seq2SeqConfig,
    _eval_chunks,
    decode,
    length_bucket,
    length_ratio,
    read_splits,
    restoration_pairs,
    restoration_source,
    target_caps,
)

KEYS = {"task", "char_accuracy", "exact_match", "bleu", "chrf", "n", "by_length"}

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
    s2s, out, data = trained
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
    model = config["model"]
    assert model["max_target_length"] == 0 and model["max_length_ratio"] > 0  # per source
    pairs = [line.split("\t") for line in data.read_text("utf-8").splitlines()]
    caps = target_caps(s2s.config.model, [len(s) for s, _ in pairs])  # char tokens
    assert all(len(t) <= cap for (_, t), cap in zip(pairs, caps))  # every training pair fits


def test_evaluate_reports_the_documented_keys_and_scores_its_pairs(trained):
    s2s, _, _ = trained
    metrics = s2s.evaluate()
    assert set(metrics) == KEYS
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
    result = json.loads(out)
    assert set(result) == KEYS
    assert sum(b["n"] for b in result["by_length"]) == result["n"]

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


# -- evaluate by source length, and the decoding cap ---------------------------------------
def _mixed_lengths():
    """Restoration pairs with sources of 1-20, 21-40 and 41-80 characters, and two of
    over 80 (lines joined), longer than any training pair of ``trained``."""
    lines = [t for _, t in restoration_pairs("valid")]
    short = [t for t in lines if len(restoration_source(t)) <= 20][:6]
    middle = [t for t in lines if 20 < len(restoration_source(t)) <= 40][:5]
    long = [t for t in lines if 40 < len(restoration_source(t)) <= 80][:3]
    joined = []
    for start in (0, 10):  # lines joined until the source passes 80 characters
        text = lines[start]
        for line in lines[start + 1 :]:
            if len(restoration_source(text)) > 80:
                break
            text += " " + line
        joined.append(text)
    return [(restoration_source(t), t) for t in short + middle + long + joined]


def test_by_length_partitions_the_pairs_and_each_bucket_scores_as_recomputed(trained):
    s2s, _, _ = trained
    pairs = _mixed_lengths()
    report = s2s.evaluate(pairs)
    buckets = report["by_length"]
    assert [b["source_tokens"] for b in buckets] == ["1-20", "21-40", "41-80", "81-160"]
    assert [b["n"] for b in buckets] == [6, 5, 3, 2] and report["n"] == 16
    outputs = s2s.translate([s for s, _ in pairs])  # scored again here, bucket by bucket
    for b in buckets:
        mine = [i for i, (s, _) in enumerate(pairs) if length_bucket(len(s)) == b["source_tokens"]]
        hyps, refs = [outputs[i] for i in mine], [pairs[i][1] for i in mine]
        assert b["char_accuracy"] == pytest.approx(char_accuracy(hyps, refs))
        assert b["exact_match"] == pytest.approx(exact_match(hyps, refs))
    assert [length_bucket(n) for n in (1, 20, 21, 160, 161, 320, 321, 5000)] == [
        "1-20", "1-20", "21-40", "81-160", "161-320", "161-320", "321+", "321+"
    ]  # fmt: skip


def test_a_model_that_never_stops_is_cut_at_each_sources_cap_and_counted(trained):
    _, out, _ = trained
    s2s = rnnkit.load(out)
    eos = s2s.tgt_vocab.eos_id
    with torch.no_grad():
        s2s.model.decoder.output.bias[eos] = -1e4  # <eos> never wins
    pairs = _mixed_lengths()
    caps = target_caps(s2s.config.model, [len(s) for s, _ in pairs])
    r = s2s.config.model.max_length_ratio
    assert caps == [math.ceil(r * len(s)) + LENGTH_MARGIN for s, _ in pairs]
    ids = s2s._decode(s2s._encode([s for s, _ in pairs]), 1, 1.0)
    assert [len(x) for x in ids] == caps  # a short source's runaway stays short
    report = s2s.evaluate(pairs)
    assert all(b["truncated"] == b["n"] for b in report["by_length"])
    s2s.config.model.max_target_length = 7  # set by hand: one cap for every source
    assert {len(x) for x in s2s._decode(s2s._encode(["ab", "abcdefghijkl"]), 3, 1.0)} == {7}


def test_decode_gives_each_source_its_own_cap_greedy_and_beam(trained):
    s2s, _, _ = trained
    model = rnnkit.load(trained[1]).model
    eos = s2s.tgt_vocab.eos_id
    with torch.no_grad():
        model.decoder.output.bias[eos] = -1e4
    sources = s2s._encode(["abc", "abcdefgh", "a", "abcd"])
    for beam in (1, 3):
        ids = decode(model, sources, bos_id=s2s.tgt_vocab.bos_id, eos_id=eos,
                     max_length=[2, 9, 5, 1], beam=beam)  # fmt: skip
        assert [len(x) for x in ids] == [2, 9, 5, 1]
    with pytest.raises(ConfigError, match="2 length caps for 4 sources"):
        decode(model, sources, bos_id=1, eos_id=eos, max_length=[2, 3])


def test_length_ratio_fits_every_training_pair_with_a_quarter_to_spare():
    sources, targets = [3, 10, 40, 60], [4, 12, 50, 74]
    r = length_ratio(sources, targets)
    assert r == 1.334  # 1.25 x (74 - 10) / 60, the tightest pair, rounded up
    assert all(t <= r * s + LENGTH_MARGIN for s, t in zip(sources, targets))
    assert length_ratio([50], [3]) == 0.1  # short targets: the floor


def test_the_periodic_validation_slice_spans_every_length_as_the_whole_split():
    lengths = [1 + (i * 37) % 200 for i in range(1000)]  # 1..200, shuffled
    chunks = _eval_chunks(lengths, 2)  # 2 batches of 128 in the slice
    assert sorted(i for c in chunks for i in c) == list(range(1000))  # a partition
    sliced = sorted(lengths[i] for c in chunks[:2] for i in c)
    assert len(sliced) == 256 and max(sliced) >= 195 and min(sliced) <= 5
    assert sum(sliced) / 256 == pytest.approx(sum(lengths) / 1000, rel=0.02)
    assert all(lengths[a] <= lengths[b] for c in chunks for a, b in zip(c, c[1:]))
    whole = _eval_chunks(lengths, None)  # no slice: all of it, by length
    assert [lengths[i] for c in whole for i in c] == sorted(lengths)
