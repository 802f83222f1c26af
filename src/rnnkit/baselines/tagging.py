"""Classical baselines for sequence tagging, with one fit / predict / score interface.

- :class:`MostFrequentTag`: each word gets the tag it had most often in
  training (then its lowercase's; an unseen word gets the most frequent tag of
  unseen-looking words of its shape, see below). The floor every tagger must
  clear: it knows words, not context.
- :class:`FeatureCRF`: a linear-chain CRF over hand-made word features (the
  word, its lowercase, prefixes and suffixes up to 3, its shape, capitals and
  digits, and the same for the neighbours at -2..+2), trained with L-BFGS by
  `sklearn-crfsuite <https://pypi.org/project/sklearn-crfsuite/>`_ (imported
  when fitted; ``pip install 'rnnkit[dev]'``). The classical CRF a BiLSTM-CRF
  must beat.

``X`` is a list of sentences, each a list of tokens; ``y`` a list of tag lists.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from rnnkit.errors import ConfigError

__all__ = ["MostFrequentTag", "FeatureCRF", "word_shape", "word_features"]


def word_shape(word: str) -> str:
    """Capitals -> X, small letters -> x, digits -> d, runs squeezed to 2: ``"McKee"`` -> ``"XxXx"``,
    ``"1996-08-22"`` -> ``"dd-dd-dd"``."""
    shape = re.sub(r"[^\W\d_]", lambda m: "X" if m.group().isupper() else "x", word)
    shape = re.sub(r"\d", "d", shape)
    return re.sub(r"(.)\1{2,}", r"\1\1", shape)


def _check_xy(X: Sequence[Sequence[str]], y: Sequence[Sequence[str]]) -> None:
    if len(X) != len(y):
        raise ConfigError(f"{len(X)} sentences but {len(y)} tag sequences")
    for i, (tokens, tags) in enumerate(zip(X, y)):
        if len(tokens) != len(tags):
            raise ConfigError(f"sentence {i}: {len(tokens)} tokens but {len(tags)} tags")


def _score(tagger, X, y, scheme: str) -> dict:
    from rnnkit.span_metrics import tagging_report

    report = tagging_report([list(t) for t in y], tagger.predict(X), scheme)
    return {k: report[k] for k in ("accuracy", "precision", "recall", "f1", "n")}


class MostFrequentTag:
    """Each word's most frequent training tag.

    A word seen in training gets its most frequent tag (ties: the tag seen
    first); else its lowercase's; else the most frequent tag of the words of
    its :func:`word_shape` seen only once in training (the words most like unseen
    ones), else the most frequent tag overall.

    Attributes (after :meth:`fit`):
        tags_: the tags, sorted; ``word_tag_``, ``shape_tag_``: the look-up tables;
        ``default_tag_``: the most frequent tag.

    Example:
        >>> mft = MostFrequentTag().fit([["Kim", "met", "Lee"]], [["B-PER", "O", "B-PER"]])
        >>> mft.predict([["Lee", "met", "Park"]])
        [['B-PER', 'O', 'B-PER']]
    """

    def fit(self, X: Sequence[Sequence[str]], y: Sequence[Sequence[str]]) -> MostFrequentTag:
        _check_xy(X, y)
        if not X:
            raise ConfigError("need at least one sentence to fit")
        by_word: dict[str, Counter] = defaultdict(Counter)
        by_lower: dict[str, Counter] = defaultdict(Counter)
        overall: Counter[str] = Counter()
        for tokens, tags in zip(X, y):
            for word, tag in zip(tokens, tags):
                by_word[word][tag] += 1
                by_lower[word.lower()][tag] += 1
                overall[tag] += 1
        by_shape: dict[str, Counter] = defaultdict(Counter)
        for word, counts in by_word.items():
            if sum(counts.values()) == 1:
                by_shape[word_shape(word)].update(counts)
        self.word_tag_ = {w: c.most_common(1)[0][0] for w, c in by_word.items()}
        self.lower_tag_ = {w: c.most_common(1)[0][0] for w, c in by_lower.items()}
        self.shape_tag_ = {s: c.most_common(1)[0][0] for s, c in by_shape.items()}
        self.default_tag_ = overall.most_common(1)[0][0]
        self.tags_ = sorted(overall)
        return self

    def _tag(self, word: str) -> str:
        tag = self.word_tag_.get(word) or self.lower_tag_.get(word.lower())
        return tag or self.shape_tag_.get(word_shape(word), self.default_tag_)

    def predict(self, X: Sequence[Sequence[str]]) -> list[list[str]]:
        if not hasattr(self, "word_tag_"):
            raise ConfigError("this MostFrequentTag is not fitted yet; call fit first")
        return [[self._tag(w) for w in tokens] for tokens in X]

    def score(self, X, y, scheme: str = "BIO") -> dict[str, float]:
        """``{"accuracy", "precision", "recall", "f1", "n"}`` as the tag task reports them."""
        _check_xy(X, y)
        return _score(self, X, y, scheme)


def _token_features(word: str, prefix: str) -> dict[str, object]:
    lower = word.lower()
    return {
        f"{prefix}lower": lower,
        f"{prefix}shape": word_shape(word),
        f"{prefix}title": word.istitle(),
        f"{prefix}upper": word.isupper(),
        f"{prefix}digit": any(c.isdigit() for c in word),
        f"{prefix}suf3": lower[-3:],
        f"{prefix}suf2": lower[-2:],
    }


def word_features(tokens: Sequence[str], i: int, window: int = 2) -> dict[str, object]:
    """The hand-made features of token ``i``: itself, affixes and shape, and its
    neighbours' features within ``window`` (prefixed ``-1:``, ``+1:``, ...)."""
    word = tokens[i]
    features: dict[str, object] = {
        "bias": 1.0,
        "word": word,
        "pre1": word[:1],
        "pre2": word[:2],
        "pre3": word[:3],
        "suf1": word[-1:],
        "len": min(len(word), 8),
        **_token_features(word, ""),
    }
    for offset in range(-window, window + 1):
        if offset == 0:
            continue
        j = i + offset
        if 0 <= j < len(tokens):
            features.update(_token_features(tokens[j], f"{offset:+d}:"))
        else:
            features[f"{offset:+d}:edge"] = True
    return features


class FeatureCRF:
    """A linear-chain CRF on hand-made features (sklearn-crfsuite, L-BFGS).

    Args:
        c1, c2: L1 and L2 regularisation.
        max_iterations: L-BFGS iterations.
        window: neighbours on each side whose features each token sees.

    Attributes (after :meth:`fit`):
        model_: the fitted ``sklearn_crfsuite.CRF``.
    """

    def __init__(
        self, c1: float = 0.1, c2: float = 0.1, max_iterations: int = 100, window: int = 2
    ) -> None:
        self.c1 = c1
        self.c2 = c2
        self.max_iterations = max_iterations
        self.window = window

    def _features(self, X):
        return [[word_features(tokens, i, self.window) for i in range(len(tokens))] for tokens in X]

    def fit(self, X: Sequence[Sequence[str]], y: Sequence[Sequence[str]]) -> FeatureCRF:
        _check_xy(X, y)
        try:
            import sklearn_crfsuite
        except ImportError:
            raise ConfigError(
                "the feature CRF baseline needs sklearn-crfsuite: pip install 'rnnkit[dev]'"
            ) from None
        self.model_ = sklearn_crfsuite.CRF(
            algorithm="lbfgs",
            c1=self.c1,
            c2=self.c2,
            max_iterations=self.max_iterations,
            all_possible_transitions=True,
        )
        self.model_.fit(self._features(X), [list(tags) for tags in y])
        return self

    def predict(self, X: Sequence[Sequence[str]]) -> list[list[str]]:
        if not hasattr(self, "model_"):
            raise ConfigError("this FeatureCRF is not fitted yet; call fit first")
        if len(X) == 0:
            return []
        return [list(tags) for tags in self.model_.predict(self._features(X))]

    def score(self, X, y, scheme: str = "BIO") -> dict[str, float]:
        """``{"accuracy", "precision", "recall", "f1", "n"}`` as the tag task reports them."""
        _check_xy(X, y)
        return _score(self, X, y, scheme)
