"""Contextual character-LM embeddings (``--char-lm FORWARD_RUN,BACKWARD_RUN``, Akbik et
al. 2018) for tag and classify, the backward LM (``lm --reverse``) they need, and
``--vectors`` for classify: tiny runs of a few seconds each."""

import hashlib
import json
import shutil
import warnings

import pytest
import safetensors.torch
import torch

import rnnkit
from rnnkit.cli import main
from rnnkit.data.conll import read_conll
from rnnkit.errors import ConfigError
from rnnkit.tasks import get_task
from rnnkit.tasks.lm import LMConfig, encode, evaluate_lm, text_of

LM = dict(hidden_size=16, embedding_dim=8, num_layers=1, bptt=16, batch_size=8, lr=1e-2,
          warmup_steps=0, eval_every=30, max_steps=30, progress=False)  # fmt: skip
TAG = dict(hidden_size=16, embedding_dim=8, char_hidden_size=4, char_embedding_dim=4,
           batch_size=16, dropout=0.0, warmup_steps=0, eval_every=10, keep_best=False,
           schedule="constant", progress=False)  # fmt: skip
CLASSIFY = dict(hidden_size=16, embedding_dim=8, ngram_buckets=64, batch_size=16,
                warmup_steps=0, eval_every=10, keep_best=False, progress=False)  # fmt: skip


@pytest.fixture(scope="module")
def lms(tmp_path_factory):
    """A forward and a backward character LM on raw text (the tag and classify texts)."""
    root = tmp_path_factory.mktemp("char_lm")
    tag = read_conll(_fixture("tasks/tag.conll"))
    texts = [" ".join(s.tokens) for s in tag]
    texts += [
        line.split("\t")[0] for line in _fixture("tasks/classify.tsv").read_text().split("\n")
    ]
    raw = root / "raw.txt"
    raw.write_text("\n".join(texts) + "\n", encoding="utf-8")
    rnnkit.train("lm", data=str(raw), out=root / "fwd", **LM)
    rnnkit.train("lm", data=str(raw), out=root / "bwd", reverse=True, **LM)
    return root


def _fixture(name):
    from pathlib import Path

    return Path(__file__).parent.parent / "fixtures" / name


def _spec(root):
    return f"{root / 'fwd'},{root / 'bwd'}"


def _lm_state(run):
    state = safetensors.torch.load_file(run / "model.safetensors")
    return {k: v for k, v in state.items() if k.startswith(("embedding.", "rnn."))}


def test_a_backward_lm_trains_and_scores_the_reversed_text(lms, tmp_path):
    raw = (lms / "raw.txt").read_text("utf-8")
    task, data = get_task("lm"), {"data": str(lms / "raw.txt")}
    forward = task.read_splits(LMConfig.from_dict({"data": data}))  # file spans
    backward = task.read_splits(LMConfig.from_dict({"data": {**data, "reverse": True}}))
    for ours, theirs in ((backward.train, forward.train), (backward.valid, forward.valid)):
        assert ours[0] == text_of(theirs[0])[::-1]
    bwd = rnnkit.load(lms / "bwd")
    assert bwd.config.data.reverse is True
    # evaluate() reads the text right to left: the loss of the reversed ids, and lower
    # than the same network's loss read left to right
    text = raw[:400]
    score = bwd.evaluate([text])["loss"]
    ids = encode(text[::-1], bwd.tokenizer, bwd.vocab)
    assert score == pytest.approx(evaluate_lm(bwd.model, ids, bptt=16)["loss"])
    wrong_way = evaluate_lm(bwd.model, encode(text, bwd.tokenizer, bwd.vocab), bptt=16)["loss"]
    assert score < wrong_way
    with pytest.raises(ConfigError, match="right to left"):
        bwd.generate("Anna", max_new=5)


def test_tag_with_char_lms_trains_predicts_loads_and_stays_self_contained(lms, tmp_path):
    data = str(_fixture("tasks/tag.conll"))
    run = tmp_path / "tag"
    tagger = rnnkit.train("tag", data=data, char_lm=_spec(lms), out=run, max_steps=20, **TAG)
    m = tagger.config.model
    # word, spelling (BiLSTM 2x4 and the char n-gram bag 4), h_fw, h_bw
    assert tagger.model.rnn.input_size == 8 + 8 + 4 + 16 + 16
    # the run records its sources and keeps what it needs of them
    config = json.loads((run / "config.json").read_text())
    for direction in ("fwd", "bwd"):
        recorded = config["model"]["char_lm_models"][
            "forward" if direction == "fwd" else "backward"
        ]
        source = (lms / direction / "config.json").read_bytes()
        assert recorded["config_sha256"] == hashlib.sha256(source).hexdigest()
        assert recorded["model"]["hidden_size"] == 16
    assert set(json.loads((run / "char_lm.json").read_text())) == {"forward", "backward"}
    # frozen by default: the LM weights are the source runs' after training
    weights = safetensors.torch.load_file(run / "model.safetensors")
    for direction, name in (("fwd", "forward_lm"), ("bwd", "backward_lm")):
        for key, value in _lm_state(lms / direction).items():
            torch.testing.assert_close(weights[f"char_lm.{name}.{key}"], value, rtol=0, atol=0)
    assert not m.fine_tune_char_lm and not tagger.model.char_lm.forward_lm.training
    inputs = ["Anna Brown flew to Lima today .", ["Ben", "met", "Oslo"]]
    before = tagger.predict(inputs)
    assert [len(r["tags"]) for r in before] == [7, 3]
    # self-contained: the source runs gone, it loads, predicts alike and resumes
    moved = tmp_path / "moved"
    shutil.copytree(lms, moved)
    shutil.rmtree(lms / "fwd"), shutil.rmtree(lms / "bwd")
    try:
        loaded = rnnkit.load(run)
        assert loaded.predict(inputs) == before
        assert loaded.evaluate(data)["n"] == tagger.evaluate(data)["n"]
        rnnkit.train("tag", resume=run, progress=False, max_steps=30)
        whole = rnnkit.train("tag", data=data, char_lm=f"{moved / 'fwd'},{moved / 'bwd'}",
                             out=tmp_path / "whole", max_steps=30, **TAG)  # fmt: skip
    finally:
        for direction in ("fwd", "bwd"):
            shutil.copytree(moved / direction, lms / direction)
    resumed, straight = (safetensors.torch.load_file(r / "model.safetensors")
                         for r in (run, whole.run.path))  # fmt: skip
    assert resumed.keys() == straight.keys()
    for key in resumed:
        torch.testing.assert_close(resumed[key], straight[key], rtol=0, atol=0, msg=key)


def test_fine_tuning_changes_the_lm_weights_and_export_is_refused(lms, tmp_path):
    data = str(_fixture("tasks/tag.conll"))
    tagger = rnnkit.train("tag", data=data, char_lm=_spec(lms), fine_tune_char_lm=True,
                          out=tmp_path / "tag", max_steps=5, **TAG)  # fmt: skip
    source = _lm_state(lms / "fwd")
    tuned = tagger.model.char_lm.forward_lm.state_dict()
    assert any(not torch.equal(tuned[k], v) for k, v in source.items())
    assert tagger.model.char_lm.forward_lm.training is False  # the predictor's eval mode
    with pytest.raises(ConfigError, match="--char-lm model has no ONNX export"):
        get_task("tag").export_graphs(tagger)


def test_classify_with_char_lms_trains_predicts_and_loads(lms, tmp_path):
    data = str(_fixture("tasks/classify.tsv"))
    run = tmp_path / "clf"
    clf = rnnkit.train("classify", data=data, char_lm=_spec(lms), out=run, max_steps=20,
                       **CLASSIFY)  # fmt: skip
    assert clf.config.data.tokenizer == "char"  # one token a character: one LM state each
    assert clf.model.rnn.input_size == 8 + 32
    inputs = ["abcab", "nopq", "gfe"]
    before = clf.predict(inputs, top_k=2)
    after = rnnkit.load(run).predict(inputs, top_k=2)
    assert [r["label"] for r in after] == [r["label"] for r in before]
    for a, b in zip(after, before):
        assert a["probability"] == pytest.approx(b["probability"], abs=1e-6)
    assert rnnkit.load(run).evaluate()["n"] == clf.evaluate()["n"] > 0


def test_a_word_level_lm_is_refused_in_one_line(lms, tmp_path, capsys):
    raw = lms / "raw.txt"
    rnnkit.train(
        "lm", data=str(raw), out=tmp_path / "words", tokenizer="word", **{**LM, "max_steps": 1}
    )
    capsys.readouterr()
    with pytest.raises(SystemExit) as e:
        main(["train", "tag", "--data", str(_fixture("tasks/tag.conll")), "--char-lm",
              f"{tmp_path / 'words'},{lms / 'bwd'}", "--max-steps", "1", "--out", str(tmp_path / "t")])  # fmt: skip
    err = capsys.readouterr().err
    assert e.value.code == 2 and len(err.strip().splitlines()) == 1
    assert str(tmp_path / "words") in err and "'word'-level" in err
    with pytest.raises(ConfigError, match="trained with lm --reverse"):  # two forward LMs
        rnnkit.train("tag", data=str(_fixture("tasks/tag.conll")), char_lm=f"{lms / 'fwd'},{lms / 'fwd'}",
                     out=tmp_path / "t2", max_steps=1, **TAG)  # fmt: skip
    assert not (tmp_path / "t").exists() and not (tmp_path / "t2").exists()


def test_classify_vectors_initialise_rows_and_report_coverage(tmp_path):
    data = tmp_path / "reviews.tsv"
    rows = [("good film", "pos"), ("great fun", "pos"), ("bad film", "neg"), ("dull plot", "neg")]
    data.write_text("".join(f"{t}\t{label}\n" for t, label in rows * 5), encoding="utf-8")
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("good 0.5 0.5 0.5 0.5\nbad -0.5 -0.5 -0.5 -0.5\nzebra 0.25 0.25 0.25 0.25\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = rnnkit.train("classify", data=str(data), tokenizer="word", vectors=str(vectors),
                           out=tmp_path / "run", max_steps=2, **CLASSIFY)  # fmt: skip
    messages = [str(w.message) for w in caught]
    assert any("2 of the 7 training words have a vector (28.6%); 1 pretrained word added" in m
               for m in messages), messages  # fmt: skip
    assert clf.config.model.embedding_dim == 4 and clf.config.data.vectors == str(vectors)
    weight = clf.model.embedding.weight
    torch.testing.assert_close(weight[clf.vocab.stoi["zebra"]], torch.full((4,), 0.25))
    assert not torch.equal(weight[clf.vocab.stoi["good"]], torch.full((4,), 0.5))  # trained
    with pytest.raises(ConfigError, match="--vectors needs a tokenizer"):
        rnnkit.train("classify", data=str(data), tokenizer="codepoint", vectors=str(vectors),
                     out=tmp_path / "cp", max_steps=1, **CLASSIFY)  # fmt: skip


def test_each_word_reads_the_forward_state_at_its_last_char_and_the_backward_at_its_first():
    from rnnkit.data.batching import pad_char_lm
    from rnnkit.data.tokenizers import make_tokenizer
    from rnnkit.data.vocab import build_vocab
    from rnnkit.models.char_lm import CharLMEmbedding, LMEncoder
    from rnnkit.tasks.char_lm import CharLMAssets

    tokenizer = make_tokenizer("char")
    vocab = build_vocab("\nSung Kim, teaches!")
    assets = CharLMAssets([tokenizer, tokenizer], [vocab, vocab])
    ids, at = assets.encode(["Sung", "Kim"])  # a tagger's words: joined by spaces
    text = ["".join(vocab.decode(row.tolist())) for row in ids]
    assert text == ["\nSung Kim", "\nmiK gnuS"]
    assert [text[0][i] for i in at[0]] == ["g", "m"] and [text[1][i] for i in at[1]] == ["S", "K"]
    ids, at = assets.encode(["sung", "kim", "!"], "Sung  Kim!")  # a classifier's own text
    text = ["".join(vocab.decode(row.tolist())) for row in ids]
    assert text == ["\nSung  Kim!", "\n!miK  gnuS"] and at.tolist() == [[4, 9, 10], [10, 4, 1]]
    # a padded batch gives each sequence what it gets alone
    torch.manual_seed(0)
    emb = CharLMEmbedding(LMEncoder(len(vocab), 4, 6), LMEncoder(len(vocab), 4, 5)).eval()
    items = [assets.encode(["Sung", "Kim", "teaches"]), assets.encode(["Kim"])]
    lm_ids, lm_at = pad_char_lm(items)  # (2, N, S), (2, N, L)
    batch = emb(lm_ids, lm_at)  # (N, L, 11)
    for n, (ids, at) in enumerate(items):
        alone = emb(ids.unsqueeze(1), at.unsqueeze(1))  # (1, L_n, 11)
        torch.testing.assert_close(batch[n, : at.size(1)], alone[0])
    assert not any(p.requires_grad for p in emb.parameters())
