"""The contract every task meets, for sequence tagging: train tiny, loss goes down, save,
load, same predictions, another seed differs, predict on empty, one and many inputs; the
tag schemes, CoNLL-U POS tags, pretrained vectors, Korean input; plus the CLI
(train / evaluate / predict) and its errors."""

import json
import warnings

import pytest
import torch

import rnnkit
from rnnkit.cli import main
from rnnkit.data.conll import read_conll
from rnnkit.data.embedded.synthetic_ner import load_ner
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.tag import CRF_MAX_TAGS, POS_EMA, TaggingTask

TINY = dict(
    hidden_size=24,
    embedding_dim=16,
    char_embedding_dim=8,
    char_hidden_size=8,
    batch_size=16,
    lr=0.05,
    dropout=0.0,
    warmup_steps=0,
    eval_every=20,
    keep_best=False,  # the task's default keeps the best evaluated weights
    progress=False,
)


def _write_conll(path, sentences, pos=False):
    lines = []
    for s in sentences:
        for token, tag in zip(s.tokens, s.tags):
            lines.append(f"{token} {'NNP' if pos else ''}{' ' if pos else ''}{tag}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("tag")
    train = _write_conll(root / "train.conll", load_ner("train")[:300], pos=True)
    valid = _write_conll(root / "dev.conll", load_ner("valid")[:80])
    tagger = rnnkit.train(
        "tag", data=str(train), valid=str(valid), out=root / "run", max_steps=60, seed=1, **TINY
    )
    return tagger, root / "run", root


def test_run_directory_holds_the_contract_files(trained):
    tagger, out, _ = trained
    for name in ("config.json", "model.safetensors", "vocab.json", "chars.json", "tags.json",
                 "tokenizer.json", "metrics.jsonl", "checkpoint/trainer_state.pt"):  # fmt: skip
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["crf"] is True and config["model"]["bidirectional"] is True
    # entity spans: words keep their case ("Kim" and "kim" are two rows), recorded as such
    assert config["data"]["lowercase"] is False
    assert any(w != w.lower() for w in tagger.vocab.itos)
    assert config["train"]["metric"] == "f1"  # span tags: "auto" is entity F1, recorded
    assert config["train"]["ema"] == 0.0  # span tags: no moving average, recorded
    tags = json.loads((out / "tags.json").read_text())
    assert tags["scheme"] == "BIO"  # detected from the training tags
    assert config["model"]["num_classes"] == len(tags["tags"]) == 9  # O + B/I of 4 types
    assert tagger.tag_names == tags["tags"]


def test_a_run_started_from_another_fine_tunes_it_on_new_sentences(trained, tmp_path):
    """--init-from with the task's defaults: the source's words, characters and tags,
    entity F1 resolved as the metric (the tagger resolved it beside its vocabulary, so a
    run that takes the source's vocabulary did not, and failed at its first evaluation)."""
    tagger, out, root = trained
    more = _write_conll(tmp_path / "more.conll", load_ner("train")[300:360])
    new = rnnkit.train(
        "tag", data=str(more), valid=str(root / "dev.conll"), out=tmp_path / "b",
        init_from=str(out), max_steps=2, progress=False,
    )  # fmt: skip
    assert new.config.train.metric == "f1" and new.tag_names == tagger.tag_names
    assert new.run.load_json("vocab.json") == tagger.run.load_json("vocab.json")
    assert new.config.model.hidden_size == TINY["hidden_size"]
    assert "f1" in rnnkit.load(tmp_path / "b").evaluate(str(root / "dev.conll"))


def test_predict_refuses_empty_input_a_bare_string_and_top_k(trained):
    tagger, _, _ = trained
    with pytest.raises(DataError, match="input 1"):
        tagger.predict(["Kim", "  "])
    with pytest.raises(ConfigError, match="list"):
        tagger.predict("Kim")
    with pytest.raises(ConfigError, match="top_k"):
        tagger.predict(["Kim"], top_k=2)
    with pytest.raises(DataError, match="non-empty tokens"):
        tagger.predict([["Kim", ""]])


def test_evaluate_reports_the_documented_keys_and_scores_exact_spans(trained):
    tagger, _, _ = trained
    metrics = tagger.evaluate()
    assert set(metrics) == {"task", "scheme", "accuracy", "precision", "recall", "f1", "n",
                            "per_type"}  # fmt: skip
    assert metrics["task"] == "tag" and metrics["scheme"] == "BIO"
    assert metrics["n"] == sum(len(s) for s in load_ner("valid")[:80])
    assert set(metrics["per_type"]) <= {"PER", "LOC", "ORG", "DATE"}
    # the model's own output as the truth scores perfectly; one broken span does not
    predicted = tagger.predict([s.tokens for s in load_ner("test")[:20]])
    gold = [(p["tokens"], p["tags"]) for p in predicted]
    assert tagger.evaluate(gold)["f1"] == 1.0 and tagger.evaluate(gold)["accuracy"] == 1.0
    i = next(i for i, (_, tags) in enumerate(gold) if "I-" in "".join(tags))
    j = next(k for k, tag in enumerate(gold[i][1]) if tag.startswith("I-"))
    gold[i] = (gold[i][0], [*gold[i][1][:j], "O", *gold[i][1][j + 1 :]])
    assert tagger.evaluate(gold)["f1"] < 1.0
    # a tag the model never saw is scored, not refused ...
    unseen = tagger.evaluate([(["Paris", "."], ["B-CITY", "O"])])
    assert unseen["recall"] == 0.0 and unseen["accuracy"] <= 0.5
    # ... but data none of whose tags it knows (POS tags for an NER model) is refused
    with pytest.raises(DataError, match=r"data: expected some of the tags the model knows "
                       r"\(.*B-PER.*\), got none of them: ADP, NOUN, PROPN"):  # fmt: skip
        tagger.evaluate([(["in", "Paris", "today"], ["ADP", "PROPN", "NOUN"])])


def test_an_explicit_scheme_checks_every_tag_and_auto_takes_the_tags_as_they_are(
    tmp_path, fixtures
):
    bad = fixtures / "ner_bad_bio.conll"  # I-LOC after O at line 8
    with pytest.raises(DataError, match=r"ner_bad_bio.conll:8: expected B-LOC or I-LOC"):
        rnnkit.train("tag", data=str(bad), scheme="BIO", out=tmp_path / "a", max_steps=1, **TINY)
    with pytest.raises(DataError, match=r"ner.conll:3: expected O or I-TYPE"):
        rnnkit.train("tag", data=str(fixtures / "ner.conll"), valid=str(fixtures / "ner.conll"),
                     scheme="IO", out=tmp_path / "b", max_steps=1, **TINY)  # fmt: skip
    lenient = rnnkit.train(
        "tag", data=str(bad), valid=str(bad), out=tmp_path / "d", max_steps=1, **TINY
    )
    assert lenient.scheme == "BIO"  # detected; the I-LOC after O is read as conlleval reads it
    with pytest.raises(ConfigError, match="scheme"):
        rnnkit.train("tag", scheme="IOB1", out=tmp_path / "c", **TINY)
    with pytest.raises(ConfigError, match="tokenizer"):
        rnnkit.train("tag", tokenizer="char", out=tmp_path / "e", **TINY)
    with pytest.raises(ConfigError, match="upos or xpos"):
        rnnkit.train("tag", data=str(fixtures / "tiny.conllu"), tag_column=3, **TINY)


def test_conllu_pos_tags_train_without_spans(tmp_path):
    words = {"DET": ["the", "a"], "NOUN": ["dog", "cat", "tree"], "VERB": ["sees", "likes"]}
    rows = []
    for i in range(40):
        sentence = [("DET", words["DET"][i % 2]), ("NOUN", words["NOUN"][i % 3]),
                    ("VERB", words["VERB"][i % 2]), ("DET", "the"), ("NOUN", words["NOUN"][i % 2])]  # fmt: skip
        sentence[0] = ("DET", sentence[0][1].capitalize())  # "The", "A": first words
        rows += [f"{k + 1}\t{w}\t{w}\t{p}\t_\t_\t0\tdep\t_\t_" for k, (p, w) in enumerate(sentence)]
        rows.append("")
    data = tmp_path / "pos.conllu"
    data.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tagger = rnnkit.train("tag", data=str(data), out=tmp_path / "run", max_steps=30, **TINY)
    metrics = tagger.evaluate()
    assert metrics["scheme"] == "none" and set(metrics["per_type"]) == {"DET", "NOUN", "VERB"}
    assert metrics["accuracy"] > 0.9
    assert tagger.config.train.metric == "accuracy"  # POS tags: the best weights by accuracy
    # POS tags: the words' vocabulary is lowercased (their characters keep their case)
    assert tagger.config.data.lowercase is True
    assert "the" in tagger.vocab.stoi and "The" not in tagger.vocab.stoi
    assert "T" in tagger.char_vocab.stoi
    loaded = rnnkit.load(tmp_path / "run")  # config.json records the resolved value
    assert loaded.config.data.lowercase is True
    (words,) = loaded._dataset([["THE", "the"]]).words  # looked up lowercased at predict too
    assert words[0] == words[1] == loaded.vocab.stoi["the"]
    assert TaggingTask().export_info(loaded)["lowercase"] is True  # an export says so
    # POS tags: the moving average of the weights is evaluated and kept, recorded
    assert tagger.config.train.ema == loaded.config.train.ema == POS_EMA
    assert loaded.run.load_trainer_state()["ema"]  # the checkpoint holds the average
    old = json.loads((tmp_path / "run" / "config.json").read_text())
    old["train"]["ema"] = None  # a run saved before the rule: null was off, and stays off
    (tmp_path / "run" / "config.json").write_text(json.dumps(old))
    assert rnnkit.load(tmp_path / "run").config.train.ema == 0.0
    (result,) = tagger.predict(["the cat likes a tree"])
    assert "spans" not in result and result["tags"][0] == "DET"


def test_a_tag_set_over_the_crf_limit_gets_a_softmax_head_unless_asked(tmp_path):
    """The CRF costs K^2 a word: up to CRF_MAX_TAGS tags it is the head, above them a
    softmax, recorded in config.json; ``crf=True`` keeps it at any size."""
    many = [f"T{k}" for k in range(CRF_MAX_TAGS + 1)]  # one tag over the limit
    data = [([f"w{k}", f"w{k + 1}"], [many[k], many[k + 1]]) for k in range(len(many) - 1)]
    data += [([f"w{k}"], [t]) for k, t in enumerate(many)]  # every tag in training
    wide = rnnkit.train("tag", data=data, valid=data, out=tmp_path / "a", max_steps=1, **TINY)
    assert wide.config.model.num_classes == CRF_MAX_TAGS + 1
    assert wide.model.crf is None and wide.config.model.crf is False
    assert json.loads((tmp_path / "a" / "config.json").read_text())["model"]["crf"] is False
    assert rnnkit.load(tmp_path / "a").model.crf is None  # loads as it trained
    asked = rnnkit.train("tag", data=data, valid=data, out=tmp_path / "b", max_steps=1,
                         crf=True, **TINY)  # fmt: skip
    assert asked.model.crf is not None and asked.config.model.crf is True
    few = [(w, [t if t in many[:CRF_MAX_TAGS] else "T0" for t in tags]) for w, tags in data]
    narrow = rnnkit.train("tag", data=few, valid=few, out=tmp_path / "c", max_steps=1, **TINY)
    assert narrow.config.model.num_classes == CRF_MAX_TAGS
    assert narrow.model.crf is not None and narrow.config.model.crf is True
    old = json.loads((tmp_path / "c" / "config.json").read_text())
    old["model"]["crf"] = None  # not written by any run; read as the old default, a CRF
    (tmp_path / "c" / "config.json").write_text(json.dumps(old))
    assert rnnkit.load(tmp_path / "c").model.crf is not None


def test_pretrained_vectors_initialise_the_embedding(tmp_path, fixtures):
    rows = ["5 6", "EU " + " ".join(["0.5"] * 6), "zebra " + " ".join(["0.25"] * 6)]
    rows += [f"w{i} " + " ".join([str(i / 10)] * 6) for i in range(3)]
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("\n".join(rows) + "\n", encoding="utf-8")
    data = str(fixtures / "ner.conll")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tagger = rnnkit.train("tag", data=data, valid=data, vectors=str(vectors),
                              out=tmp_path / "run", max_steps=3, **TINY)  # fmt: skip
    assert any("dimension 6" in str(w.message) for w in caught)
    assert tagger.config.model.embedding_dim == 6
    weight = tagger.model.embedding.weight
    assert "zebra" in tagger.vocab.stoi  # a pretrained word beyond the training words
    # never seen in training: still its pretrained vector after training
    torch.testing.assert_close(weight[tagger.vocab.stoi["zebra"]], torch.full((6,), 0.25))
    assert not torch.equal(weight[tagger.vocab.stoi["EU"]], torch.full((6,), 0.5))  # trained
    bad = tmp_path / "bad.txt"
    bad.write_text("a 1 2 3\nb 1 2\n", encoding="utf-8")
    with pytest.raises(DataError, match="bad.txt:2: expected a word and 3 numbers"):
        rnnkit.train("tag", data=data, valid=data, vectors=str(bad), out=tmp_path / "b", **TINY)


def test_korean_input_goes_through_the_korean_tokenizer(trained):
    pytest.importorskip("kiwipiepy")
    from rnnkit.data.tokenizers import make_tokenizer

    tagger, _, _ = trained
    text = "김성훈 교수는 홍콩과기대에서 가르친다"
    (result,) = tagger.predict([text])
    assert result["tokens"] == make_tokenizer("korean").tokenize(text)
    assert "는" in result["tokens"]  # a particle split from its noun
    assert len(result["tags"]) == len(result["tokens"])


def _rnnkit(capsys, *args):
    """Run the CLI in this process (no interpreter start-up): (exit code, stdout, stderr)."""
    capsys.readouterr()
    try:
        main([str(a) for a in args])
        code = 0
    except SystemExit as e:
        code = e.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_train_evaluate_predict_and_a_bad_input(tmp_path, fixtures, capsys):
    train = _write_conll(tmp_path / "train.conll", load_ner("train")[:60])
    run = tmp_path / "run"
    code, out, err = _rnnkit(capsys, "train", "tag", "--data", train, "--valid",
                             fixtures / "ner.conll", "--format", "conll", "--tag-column", "-1",
                             "--scheme", "BIO", "--crf", "--hidden", 16, "--embed", 8,
                             "--char-hidden", 4, "--max-steps", 6, "--eval-every", 6,
                             "--out", run)  # fmt: skip
    assert code == 0, err
    final = json.loads(out)
    assert final["run_dir"] == str(run) and "valid_f1" in final

    code, out, err = _rnnkit(capsys, "evaluate", run, "--data", fixtures / "ner.conll")
    assert code == 0, err
    metrics = json.loads(out)
    assert metrics["task"] == "tag" and {"accuracy", "precision", "recall", "f1", "n"} <= set(
        metrics
    )
    assert metrics["n"] == sum(len(s) for s in read_conll(fixtures / "ner.conll"))

    code, out, err = _rnnkit(capsys, "predict", run, "Sung Kim teaches at HKUST")
    assert code == 0, err
    (line,) = [json.loads(x) for x in out.splitlines()]
    assert line["tokens"] == ["Sung", "Kim", "teaches", "at", "HKUST"]
    assert len(line["tags"]) == 5 and isinstance(line["spans"], list)

    code, _, err = _rnnkit(capsys, "evaluate", run, "--data", fixtures / "ner_bad_columns.conll")
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "ner_bad_columns.conll:4" in err
    code, _, err = _rnnkit(capsys, "predict", run, "Kim", "--top-k", 2)
    assert code == 2 and "No such option '--top-k'" in err  # a tagger declares no top_k


def test_the_embedded_corpus_is_the_default(tmp_path):
    tagger = rnnkit.train("tag", out=tmp_path / "run", max_steps=1, crf=False, bucket=False,
                          **{**TINY, "hidden_size": 8, "char_hidden_size": 4})  # fmt: skip
    assert tagger.config.data.data is None and tagger.config.model.crf is False
    assert tagger.run.read_metrics()[-1]["valid_n"] == sum(len(s) for s in load_ner("valid"))
    assert tagger.scheme == "BIO" and len(tagger.tag_names) == 9


def test_a_treebank_without_xpos_is_refused_not_trained_on_one_tag(tmp_path, fixtures):
    """Many UD treebanks leave XPOS '_': `--tag-column xpos` trained on that one tag and
    read 100% accuracy."""
    text = (fixtures / "tiny.conllu").read_text("utf-8")
    lines = []
    for line in text.splitlines():
        cols = line.split("\t")
        if len(cols) == 10:
            cols[4] = "_"
        lines.append("\t".join(cols))
    data = tmp_path / "noxpos.conllu"
    data.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(DataError, match=r"noxpos.conllu:\d+: expected XPOS tags, got '_' "
                       r"\(unspecified\) for every token: the file has no xpos; --tag-column upos"):  # fmt: skip
        rnnkit.train("tag", data=str(data), tag_column="xpos", out=tmp_path / "run", max_steps=1)
    assert not (tmp_path / "run").exists()
