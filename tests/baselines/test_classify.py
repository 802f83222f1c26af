"""The TF-IDF char n-gram logistic regression baseline: fit / predict / score."""

import pytest

from rnnkit.errors import ConfigError

pytest.importorskip("sklearn")

from rnnkit.baselines.classify import TfidfLogisticRegression  # noqa: E402

TEXTS = ["Yamamoto", "Nakamura", "Tanaka", "Kobayashi", "Ivanov", "Smirnov", "Petrov", "Sokolov"]
LABELS = ["Japanese"] * 4 + ["Russian"] * 4


def test_fit_learns_the_endings_and_stores_fitted_attributes():
    clf = TfidfLogisticRegression()
    assert clf.fit(TEXTS, LABELS) is clf
    assert clf.classes_ == ["Japanese", "Russian"]
    assert clf.predict(["Yamada", "Volkov"]) == ["Japanese", "Russian"]


def test_predict_proba_rows_sum_to_one_and_empty_input_gives_empty():
    clf = TfidfLogisticRegression().fit(TEXTS, LABELS)
    probs = clf.predict_proba(["Kato", "Orlov"])
    assert [round(sum(row), 6) for row in probs] == [1.0, 1.0]
    assert clf.predict([]) == [] and clf.predict_proba([]) == []


def test_score_reports_accuracy_and_macro_f1_with_unknown_labels_as_errors():
    clf = TfidfLogisticRegression().fit(TEXTS, LABELS)
    score = clf.score(["Yamada", "Volkov", "Kim"], ["Japanese", "Russian", "Korean"])
    assert score["n"] == 3
    assert score["accuracy"] == pytest.approx(2 / 3)
    # Korean is never predicted (F1 0) and "Kim" costs another class some precision
    from sklearn.metrics import f1_score

    expected = f1_score(
        ["Japanese", "Russian", "Korean"], clf.predict(["Yamada", "Volkov", "Kim"]), average="macro"
    )
    assert score["macro_f1"] == pytest.approx(expected)


def test_hyperparameters_are_stored_unchanged_and_unfitted_use_is_refused():
    clf = TfidfLogisticRegression(ngram_range=(2, 3), C=1.0)
    assert clf.ngram_range == (2, 3) and clf.C == 1.0
    with pytest.raises(ConfigError, match="not fitted"):
        clf.predict(["x"])
    with pytest.raises(ConfigError, match="2 classes"):
        clf.fit(["a", "b"], ["x", "x"])


def test_word_ngrams_add_features_beside_the_characters():
    texts = ["the cat sat", "a cat ran", "stocks fell today", "markets fell sharply"]
    labels = ["pets", "pets", "money", "money"]
    chars = TfidfLogisticRegression().fit(texts, labels)
    both = TfidfLogisticRegression(word_ngram_range=(1, 2)).fit(texts, labels)
    n_chars = len(chars.vectorizer_.get_feature_names_out())
    names = both.vectorizer_.get_feature_names_out()
    assert len(names) > n_chars and "words__cat sat" in names
    assert both.predict(["the cat", "stocks fell"]) == ["pets", "money"]
