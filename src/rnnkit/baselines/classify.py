"""The honest baseline for text classification: TF-IDF over character n-grams and a
logistic regression (scikit-learn, imported when the baseline is fitted).

Character 1-4-grams of a surname (``Nakamura`` -> ``n``, ``na``, ``nak``, ``naka``,
..., with word boundaries marked by the ``char_wb`` analyser) carry most of what
an RNN learns about names; a neural model that does not beat this has learned
nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence

from rnnkit.errors import ConfigError

__all__ = ["TfidfLogisticRegression"]


def _sklearn():
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise ConfigError(
            "the classification baseline needs scikit-learn: pip install 'rnnkit[dev]'"
        ) from None
    return TfidfVectorizer, LogisticRegression


class TfidfLogisticRegression:
    """TF-IDF character n-grams (and optionally word n-grams) -> multinomial logistic regression.

    Args:
        ngram_range: the (min, max) character n-gram lengths.
        analyzer: ``"char_wb"`` (n-grams inside words, padded with spaces) or ``"char"``.
        lowercase: fold case before counting.
        C: inverse regularisation strength of the logistic regression.
        class_weight: None, or ``"balanced"`` to weight classes by n / (K * n_k).
        max_iter: iterations of the solver.
        word_ngram_range: also word (min, max) n-grams, their TF-IDF features beside the
            characters' (None: characters only).

    Attributes (after :meth:`fit`):
        classes_: the labels, sorted.
        vectorizer_, model_: the fitted scikit-learn objects.

    Example:
        >>> clf = TfidfLogisticRegression().fit(["Kim", "Park", "Sato", "Ito"],
        ...                                     ["Korean", "Korean", "Japanese", "Japanese"])
        >>> clf.predict(["Kimura"])  # doctest: +SKIP
        ['Japanese']
    """

    def __init__(
        self,
        ngram_range: tuple[int, int] = (1, 4),
        analyzer: str = "char_wb",
        lowercase: bool = True,
        C: float = 10.0,
        class_weight: str | None = None,
        max_iter: int = 2000,
        word_ngram_range: tuple[int, int] | None = None,
    ) -> None:
        self.ngram_range = ngram_range
        self.word_ngram_range = word_ngram_range
        self.analyzer = analyzer
        self.lowercase = lowercase
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfLogisticRegression:
        if len(texts) != len(labels):
            raise ConfigError(f"{len(texts)} texts but {len(labels)} labels")
        if len(set(labels)) < 2:
            raise ConfigError(f"need at least 2 classes to fit, got {sorted(set(labels))}")
        TfidfVectorizer, LogisticRegression = _sklearn()
        self.vectorizer_ = TfidfVectorizer(
            analyzer=self.analyzer,
            ngram_range=tuple(self.ngram_range),
            lowercase=self.lowercase,
            sublinear_tf=True,
        )
        if self.word_ngram_range is not None:
            from sklearn.pipeline import FeatureUnion

            words = TfidfVectorizer(
                analyzer="word",
                ngram_range=tuple(self.word_ngram_range),
                lowercase=self.lowercase,
                sublinear_tf=True,
            )
            self.vectorizer_ = FeatureUnion([("chars", self.vectorizer_), ("words", words)])
        features = self.vectorizer_.fit_transform(list(texts))
        self.model_ = LogisticRegression(
            C=self.C, class_weight=self.class_weight, max_iter=self.max_iter
        )
        self.model_.fit(features, list(labels))
        self.classes_ = [str(c) for c in self.model_.classes_]
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise ConfigError("this TfidfLogisticRegression is not fitted yet; call fit first")

    def predict_proba(self, texts: Sequence[str]) -> list[list[float]]:
        """Per text, the probability of each of :attr:`classes_`."""
        self._check_fitted()
        if len(texts) == 0:
            return []
        return self.model_.predict_proba(self.vectorizer_.transform(list(texts))).tolist()

    def predict(self, texts: Sequence[str]) -> list[str]:
        """The most likely label of each text."""
        self._check_fitted()
        if len(texts) == 0:
            return []
        return [str(c) for c in self.model_.predict(self.vectorizer_.transform(list(texts)))]

    def score(self, texts: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
        """``{"accuracy", "macro_f1", "n"}`` on labelled texts (rnnkit's metrics, as the
        neural models report them)."""
        from rnnkit.metrics import accuracy, macro_f1

        index = {c: k for k, c in enumerate(self.classes_)}
        unknown = sorted(set(labels) - set(index))
        for label in unknown:
            index[label] = len(index)  # never predicted: counts as an error
        y_true = [index[y] for y in labels]
        y_pred = [index[y] for y in self.predict(texts)]
        return {
            "accuracy": accuracy(y_true, y_pred),
            "macro_f1": macro_f1(y_true, y_pred, len(index)),
            "n": len(y_true),
        }
