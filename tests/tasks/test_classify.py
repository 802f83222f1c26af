"""The contract every task meets, for sequence classification: train tiny, loss goes
down, save, load, same predictions, another seed differs, predict on empty, one and
many inputs; plus the CLI (train / evaluate / predict) and its errors."""

import json
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F

import rnnkit
from rnnkit.data.embedded.names import load_names
from rnnkit.errors import DataError
from rnnkit.tasks import get_task
from rnnkit.tasks.classify import ClassifyDataConfig, ClassifyModelConfig
from rnnkit.training.distributed import DistInfo

COUNTRIES = ("Japanese", "Korean", "Russian", "Italian")

TINY = dict(
    hidden_size=24,
    embedding_dim=12,
    num_layers=1,
    batch_size=16,
    lr=0.02,
    warmup_steps=0,
    eval_every=10,
    keep_best=False,  # the task's default keeps the best evaluated weights
    progress=False,
)


def _names_folder(path):
    """A PyTorch-tutorial style folder: <Country>.txt, one surname a line (from the
    embedded names, Italian capped to keep the run short)."""
    path.mkdir()
    for country in COUNTRIES:
        names = [n for n, c in load_names("train") if c == country][:60]
        (path / f"{country}.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("classify")
    data = _names_folder(root / "names")
    clf = rnnkit.train("classify", data=str(data), out=root / "run", max_steps=40, seed=1, **TINY)
    return clf, root / "run", data


def test_run_directory_holds_the_contract_files_and_the_confusion_plot(trained):
    _, out, _ = trained
    for name in (
        "config.json",
        "model.safetensors",
        "vocab.json",
        "tokenizer.json",
        "labels.json",
        "metrics.jsonl",
        "checkpoint/trainer_state.pt",
        "plots/confusion.png",
    ):
        assert (out / name).is_file(), name
    assert (out / "plots/confusion.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    config = json.loads((out / "config.json").read_text())
    assert config["model"]["cell"] == "gru" and config["model"]["bidirectional"] is True
    assert config["model"]["num_classes"] == len(COUNTRIES)


def test_predict_refuses_a_text_without_tokens_and_a_bare_string(trained):
    clf, _, _ = trained
    with pytest.raises(DataError, match=r"at least one token, got '' \(example 1\)"):
        clf.predict(["Kim", ""])
    with pytest.raises(rnnkit.ConfigError, match="list"):
        clf.predict("Kim")


def test_a_run_started_from_another_keeps_its_labels_and_reads_new_names(trained, tmp_path):
    """--init-from: the source's characters, labels and sizes, any names of its labels;
    a label it does not know names its example."""
    clf, out, _ = trained
    names = [("Kimura", "Japanese"), ("Quintavalle", "Italian"), ("Zhukov", "Russian")] * 4
    new = rnnkit.train(
        "classify", data=names, valid=names, out=tmp_path / "b", init_from=str(out),
        max_steps=1, lr=1e-12, progress=False,
    )  # fmt: skip
    assert new.label_names == clf.label_names and new.config.model.hidden_size == 24
    assert new.run.load_json("vocab.json") == clf.run.load_json("vocab.json")
    torch.testing.assert_close(
        new.predict_proba(["Kimura", "Zhukov"]), clf.predict_proba(["Kimura", "Zhukov"])
    )
    with pytest.raises(DataError, match=r"a label among \['Italian', 'Japanese'"):
        rnnkit.train(
            "classify", data=[*names, ("Dupont", "French")], valid=names,
            out=tmp_path / "c", init_from=str(out), max_steps=1, progress=False,
        )  # fmt: skip


def test_evaluate_reports_the_documented_keys(trained):
    clf, _, _ = trained
    metrics = clf.evaluate()
    assert set(metrics) == {"task", "accuracy", "macro_f1", "n", "per_class"}
    assert metrics["task"] == "classify"
    assert metrics["n"] == sum(c["support"] for c in metrics["per_class"].values())
    assert 15 <= metrics["n"] <= 30  # about 10% of up to 60 names per country
    assert set(metrics["per_class"]) == set(COUNTRIES)
    assert set(metrics["per_class"]["Korean"]) == {"precision", "recall", "f1", "support"}
    perfect = clf.evaluate([(r["input"], r["label"]) for r in clf.predict(["Kim", "Sato"])])
    assert perfect["accuracy"] == 1.0


def test_balanced_class_weights_and_attention_pooling_train(tmp_path):
    rows = [(n, c) for n, c in load_names("train") if c == "Japanese"]
    rows += [(n, c) for n, c in load_names("train") if c == "Greek"][:200]  # imbalanced
    tsv = tmp_path / "names.tsv"
    tsv.write_text("name\tcountry\n" + "".join(f"{n}\t{c}\n" for n, c in rows), encoding="utf-8")
    clf = rnnkit.train(
        "classify",
        data=str(tsv),
        text_column="name",
        label_column="country",
        class_weights="balanced",
        pooling="attention",
        out=tmp_path / "run",
        max_steps=10,
        **TINY,
    )
    assert clf.config.data.class_weights == "balanced" and clf.config.model.pooling == "attention"
    assert clf.evaluate()["n"] > 0


SENTENCES = [(f"the {w} was {v} today .", v) for w in ("cat", "dog", "fox", "owl")
             for v in ("calm", "loud", "away")] * 3  # fmt: skip
# every word of SENTENCES is seen at least 3 times; quokka once
WORDS = [*SENTENCES, ("a quokka was calm today .", "calm")]


@pytest.fixture(scope="module")
def by_tokens(tmp_path_factory, trained):
    """The options left to the tokens, resolved: {"characters": surnames read as
    characters (--tokenizer auto), "words": WORDS read as words}, and their folder."""
    _, _, names = trained
    root = tmp_path_factory.mktemp("by_tokens")
    runs = {
        "characters": rnnkit.train("classify", data=str(names), out=root / "c", max_steps=1,
                                   **TINY),
        "words": rnnkit.train("classify", data=WORDS, out=root / "w", max_steps=1, **TINY),
    }  # fmt: skip
    return runs, root


def test_the_dropouts_follow_the_tokens_unless_given(tmp_path, by_tokens):
    runs, root = by_tokens
    runs = {**runs, "given": rnnkit.train("classify", data=WORDS, out=tmp_path / "g",
                                          max_steps=1, dropout=0.1, word_dropout=0.0, **TINY)}  # fmt: skip
    chosen = {k: (clf.config.data.tokenizer, clf.config.model.dropout, clf.model.word_dropout.p)
              for k, clf in runs.items()}  # fmt: skip
    assert chosen == {"characters": ("char", 0.3, 0.0), "words": ("regex", 0.5, 0.2),
                      "given": ("regex", 0.1, 0.0)}  # fmt: skip
    saved = json.loads((root / "w" / "config.json").read_text())["model"]
    assert (saved["dropout"], saved["word_dropout"]) == (0.5, 0.2)  # recorded, not None


def test_the_embedding_width_follows_the_tokens_unless_given(tmp_path):
    widths = {}
    for tokenizer in ("char", "byte", "regex", "word", "korean", "sentencepiece"):
        model = ClassifyModelConfig()
        model.resolve_by_tokens(tokenizer)
        widths[tokenizer] = model.embedding_dim
    assert widths == {"char": 64, "byte": 64, "regex": 128, "word": 128, "korean": 128,
                      "sentencepiece": 128}  # fmt: skip
    given = ClassifyModelConfig(embedding_dim=16)
    given.resolve_by_tokens("regex")
    assert given.embedding_dim == 16
    clf = rnnkit.train("classify", data=WORDS, out=tmp_path / "w", max_steps=1, progress=False)
    assert clf.config.model.embedding_dim == 128 and clf.model.embedding.embedding_dim == 128
    assert clf.model.char_bag.embedding.embedding_dim == 128  # the bags' width too
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("today 0.5 0.5 0.5\n", encoding="utf-8")
    with pytest.warns(UserWarning, match="dimension 3; the word embedding takes it"):
        clf = rnnkit.train("classify", data=WORDS, out=tmp_path / "v", max_steps=1,
                           progress=False, vectors=str(vectors))  # fmt: skip
    assert clf.config.model.embedding_dim == 3  # the file's width, not the rule's


def test_words_get_the_texts_character_bag_which_reads_unseen_words(tmp_path, by_tokens):
    runs, root = by_tokens
    runs = {**runs, "given": rnnkit.train("classify", data=WORDS, out=tmp_path / "g",
                                          max_steps=1, char_ngrams=0, **TINY)}  # fmt: skip
    assert {k: clf.config.model.char_ngrams for k, clf in runs.items()} == {
        "characters": 0, "words": 4, "given": 0}  # fmt: skip
    assert runs["words"].model.char_bag is not None and runs["given"].model.char_bag is None
    saved = json.loads((root / "w" / "config.json").read_text())["model"]
    assert saved["char_ngrams"] == 4  # recorded, not None
    # two words never seen in training: the same <unk> id, told apart by their letters
    unseen = ["the zebra was calm today .", "the wombat was calm today ."]
    clf = runs["words"]
    assert clf.tokenizer.encode(unseen[0], clf.vocab) == clf.tokenizer.encode(unseen[1], clf.vocab)
    assert not torch.allclose(*clf.predict_proba(unseen))
    torch.testing.assert_close(*runs["given"].predict_proba(unseen))
    # evaluate reads the characters as predict does
    loaded = rnnkit.load(root / "w")
    labelled = [(t, "calm") for t in unseen] + SENTENCES[:6]
    predicted = [o["label"] for o in loaded.predict([t for t, _ in labelled])]
    hits = [p == y for p, (_, y) in zip(predicted, labelled)]
    assert loaded.evaluate(labelled)["accuracy"] == pytest.approx(sum(hits) / len(hits))


def test_words_seen_once_become_unk_unless_characters_or_given(tmp_path, by_tokens):
    runs, root = by_tokens
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("today 0.5 0.5\n", encoding="utf-8")  # quokka has no vector
    runs = {
        **runs,
        "given": rnnkit.train("classify", data=WORDS, out=tmp_path / "g", max_steps=1,
                              min_freq=1, **TINY),
        "vectors": rnnkit.train("classify", data=WORDS, out=tmp_path / "v", max_steps=1,
                                vectors=str(vectors), **{**TINY, "embedding_dim": 2}),
    }  # fmt: skip
    assert {k: clf.config.data.min_freq for k, clf in runs.items()} == {
        "characters": 1, "words": 2, "given": 1, "vectors": 1}  # fmt: skip
    assert "quokka" not in runs["words"].vocab.stoi and "quokka" in runs["given"].vocab.stoi
    assert "today" in runs["vectors"].vocab.stoi and "quokka" in runs["vectors"].vocab.stoi
    assert "fox" in runs["words"].vocab.stoi
    saved = json.loads((root / "w" / "config.json").read_text())["data"]
    assert saved["min_freq"] == 2  # recorded, not None
    floors = {}
    for tokenizer in ("korean", "sentencepiece", "byte", "codepoint"):
        data = ClassifyDataConfig(tokenizer=tokenizer)
        data.resolve_min_freq()
        floors[tokenizer] = data.min_freq
    assert floors == {"korean": 2, "sentencepiece": 1, "byte": 1, "codepoint": 1}


def test_label_smoothing_and_word_dropout_reach_the_training(tmp_path, trained):
    _, _, data = trained
    clf = rnnkit.train(
        "classify",
        data=str(data),
        out=tmp_path / "run",
        max_steps=2,
        label_smoothing=0.2,
        word_dropout=0.1,
        **TINY,
    )
    assert clf.model.word_dropout.p == 0.1
    task = get_task("classify")
    program = task.program(clf.model, task.setup(clf.config, clf.run)[1], clf.config, DistInfo())
    batch = program.batches(0)[0]
    clf.model.eval()  # no dropout: the loss is a function of the targets alone
    with torch.no_grad():
        logits = clf.model(batch.x, batch.lengths)
        smoothed = program.step(clf.model, batch, None).loss
    w = program.weight  # the task's default class weights
    expected = F.cross_entropy(logits, batch.labels, weight=w, label_smoothing=0.2)
    plain = F.cross_entropy(logits, batch.labels, weight=w)
    torch.testing.assert_close(smoothed, expected)
    assert not torch.isclose(smoothed, plain)
    with pytest.raises(rnnkit.errors.ConfigError, match="label_smoothing"):
        rnnkit.train("classify", data=str(data), out=tmp_path / "bad", label_smoothing=1.5, **TINY)
    with pytest.raises(rnnkit.errors.ConfigError, match="label_smoothing"):
        rnnkit.train("lm", out=tmp_path / "lm", label_smoothing=0.1, max_steps=1, progress=False)


def test_korean_text_classification_with_the_kiwi_tokenizer(tmp_path):
    pytest.importorskip("kiwipiepy")
    good = ["정말 재미있는 영화였어요", "배우들의 연기가 훌륭합니다", "최고의 영화, 또 보고 싶어요"]
    bad = ["너무 지루하고 재미없었다", "시간이 아까운 최악의 영화", "연기가 어색하고 별로였다"]
    rows = [(t, "1") for t in good] * 6 + [(t, "0") for t in bad] * 6
    tsv = tmp_path / "reviews_ko.tsv"
    tsv.write_text("document\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows), encoding="utf-8")
    clf = rnnkit.train(
        "classify",
        data=str(tsv),
        text_column="document",
        label_column="label",
        tokenizer="korean",
        out=tmp_path / "run",
        max_steps=30,
        **TINY,
    )
    assert "영화" in clf.vocab.stoi  # morphemes, not characters
    assert clf.evaluate()["accuracy"] == 1.0
    loaded = rnnkit.load(tmp_path / "run")
    assert loaded.predict(["최악의 영화"]) == clf.predict(["최악의 영화"])


def _rnnkit(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "rnnkit", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=240,
    )


def test_cli_train_evaluate_predict_and_a_bad_input(tmp_path):
    rows = [(n, c) for n, c in load_names("train") if c in ("Japanese", "Russian")][:120]
    tsv = tmp_path / "names.csv"
    tsv.write_text("country,name\n" + "".join(f"{c},{n}\n" for n, c in rows), encoding="utf-8")
    run = tmp_path / "run"
    done = _rnnkit(
        "train",
        "classify",
        "--data",
        tsv,
        "--text-column",
        "name",
        "--label-column",
        "0",
        "--header",
        "--hidden",
        16,
        "--embed",
        8,
        "--ngrams",
        2,
        "--ngram-buckets",
        500,
        "--max-steps",
        15,
        "--eval-every",
        15,
        "--out",
        run,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["run_dir"] == str(run)
    model = json.loads((run / "config.json").read_text())["model"]
    assert (model["ngrams"], model["ngram_buckets"]) == (2, 500)

    done = _rnnkit("evaluate", run, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    metrics = json.loads(done.stdout)
    assert metrics["task"] == "classify" and {"accuracy", "macro_f1", "n"} <= set(metrics)

    inputs = tmp_path / "inputs.txt"
    inputs.write_text("Ivanov\n\nSuzuki\n", encoding="utf-8")
    done = _rnnkit(
        "predict", run, "Nakamura", "Schmidt", "--data", inputs, "--top-k", 2, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["input"] for r in lines] == ["Nakamura", "Schmidt", "Ivanov", "Suzuki"]
    assert all(len(r["top_k"]) == 2 for r in lines)

    bad = tmp_path / "bad.csv"
    bad.write_text("country,name\nJapanese,Sato\nRussian\n", encoding="utf-8")
    done = _rnnkit("evaluate", run, "--data", bad, cwd=tmp_path)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "bad.csv:3" in done.stderr


def test_balanced_class_weights_and_their_square_root():
    from rnnkit.tasks.classify import balanced_weights

    labels = [0] * 6 + [1] * 2 + [2] * 1  # n = 9, K = 4 (class 3 never seen)
    assert balanced_weights(labels, 4) == pytest.approx([9 / 24, 9 / 8, 9 / 4, 0.0])
    root = balanced_weights(labels, 4, power=0.5)
    assert root == pytest.approx([(9 / 24) ** 0.5, (9 / 8) ** 0.5, 1.5, 0.0])


def test_the_ngram_bag_is_the_default_and_can_be_turned_off(tmp_path, trained):
    clf, _, data = trained
    assert clf.model.ngram_bag.max_n == 3
    off = rnnkit.train(
        "classify", data=str(data), out=tmp_path / "off", max_steps=1, ngrams=0, **TINY
    )
    assert off.model.ngram_bag is None
    assert rnnkit.load(tmp_path / "off").model.ngram_bag is None
    with pytest.raises(rnnkit.errors.ConfigError, match="ngrams"):
        rnnkit.train("classify", data=str(data), out=tmp_path / "bad", ngrams=-1, **TINY)
    with pytest.raises(rnnkit.errors.ConfigError, match="ngrams"):
        rnnkit.train("lm", out=tmp_path / "lm", ngrams=3, max_steps=1, progress=False)


def test_class_weights_none_turns_off_the_task_default(tmp_path, trained):
    _, _, data = trained
    task = get_task("classify")
    for choice, weighted in (("sqrt", True), ("none", False)):
        clf = rnnkit.train(
            "classify",
            data=str(data),
            out=tmp_path / choice,
            max_steps=1,
            class_weights=choice,
            **TINY,
        )
        _, prepared = task.setup(clf.config, clf.run)
        assert (prepared.class_weights is not None) == weighted


def test_auto_tokenizer_reads_names_by_characters_and_sentences_by_words(tmp_path, trained):
    from rnnkit.tasks.classify import auto_tokenizer

    _, run, _ = trained
    assert json.loads((run / "config.json").read_text())["data"]["tokenizer"] == "char"
    sentences = [("the market fell again today", "news"), ("my cat sleeps all day long", "pets")]
    assert auto_tokenizer([t for t, _ in sentences]) == "regex"
    assert auto_tokenizer(["Nakamura", "Ivanov", "de la Cruz"]) == "char"
    clf = rnnkit.train("classify", data=sentences * 8, out=tmp_path / "words", max_steps=2,
                       **TINY)  # fmt: skip
    assert clf.config.data.tokenizer == "regex" and "market" in clf.vocab.stoi
    saved = json.loads((tmp_path / "words" / "config.json").read_text())
    assert saved["data"]["tokenizer"] == "regex"  # the choice is recorded
