"""The tagging baselines: most frequent tag per word, and a CRF on hand-made features."""

import doctest

import pytest

from rnnkit.baselines import tagging
from rnnkit.baselines.tagging import FeatureCRF, MostFrequentTag, word_features, word_shape
from rnnkit.data.embedded.synthetic_ner import load_ner
from rnnkit.errors import ConfigError

X = [["Kim", "met", "Lee", "in", "Seoul"], ["Lee", "left", "Seoul"], ["Park", "met", "Kim"]]
Y = [["B-PER", "O", "B-PER", "O", "B-LOC"], ["B-LOC", "O", "B-LOC"], ["B-PER", "O", "B-PER"]]


def test_word_shape_and_features():
    assert word_shape("McKee") == "XxXxx"
    assert word_shape("1996-08-22") == "dd-dd-dd"
    assert word_shape("HKUST") == "XX"
    f = word_features(["Sung", "Kim", "teaches"], 0)
    assert f["word"] == "Sung" and f["+1:lower"] == "kim" and f["-1:edge"] is True
    assert "+3:lower" not in f and f["+2:lower"] == "teaches"


def test_most_frequent_tag_takes_each_words_majority_and_backs_off_by_shape():
    mft = MostFrequentTag().fit(X, Y)
    assert mft.word_tag_["Lee"] == "B-PER"  # first of a 1-1 tie
    assert mft.word_tag_["Seoul"] == "B-LOC"
    # unseen words: the tag of the once-seen words of their shape (Xxx: "Park" -> B-PER;
    # xx: "in", "left" -> O), else the lowercase's tag, else the most frequent tag overall
    assert mft.predict([["Choi", "went", "LEE", "2019"]]) == [["B-PER", "O", "B-PER", "B-PER"]]
    assert mft.default_tag_ == "B-PER" and mft.tags_ == ["B-LOC", "B-PER", "O"]
    score = mft.score(X, Y)
    assert set(score) == {"accuracy", "precision", "recall", "f1", "n"} and score["n"] == 11
    assert score["accuracy"] == pytest.approx(10 / 11)  # "Lee" as B-LOC is missed


def test_baselines_refuse_bad_use():
    with pytest.raises(ConfigError, match="not fitted"):
        MostFrequentTag().predict(X)
    with pytest.raises(ConfigError, match="sentence 1"):
        MostFrequentTag().fit(X, [Y[0], Y[1][:2], Y[2]])
    with pytest.raises(ConfigError, match="not fitted"):
        FeatureCRF().predict(X)


def test_feature_crf_learns_context_the_word_baseline_cannot():
    pytest.importorskip("sklearn_crfsuite")
    train = load_ner("train")[:200]
    valid = load_ner("valid")[:100]
    Xt, Yt = [s.tokens for s in train], [s.tags for s in train]
    Xv, Yv = [s.tokens for s in valid], [s.tags for s in valid]
    crf = FeatureCRF(max_iterations=30).fit(Xt, Yt)
    mft = MostFrequentTag().fit(Xt, Yt)
    crf_score, mft_score = crf.score(Xv, Yv), mft.score(Xv, Yv)
    assert crf_score["f1"] > mft_score["f1"] + 0.2
    assert [len(t) for t in crf.predict(Xv[:3])] == [len(x) for x in Xv[:3]]
    assert crf.predict([]) == []


def test_docstring_examples_run():
    assert doctest.testmod(tagging).failed == 0
