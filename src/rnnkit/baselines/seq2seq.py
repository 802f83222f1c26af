"""Baselines for restoring spaces and capitals: copy the input, or segment it with a dictionary.

Both follow the baselines' habits (hyperparameters stored unchanged, fitted
attributes ending in ``_``, ``fit`` returning self) and share ``fit(sources,
targets)`` / ``predict(sources)`` / ``score(sources, targets)`` with the
seq2seq model, so every comparison runs through one path.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from rnnkit.errors import ConfigError, DataError
from rnnkit.metrics import seq2seq_report

__all__ = ["CopyBaseline", "DictionarySegmenter"]


def _check_texts(name: str, texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ConfigError(f"{name} must be a list of strings, got one string; wrap it in a list")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise ConfigError(f"{name}[{i}] must be a string, got {type(text).__name__}")
    return texts


class _Seq2SeqBaseline:
    def predict(self, sources: Sequence[str]) -> list[str]:
        raise NotImplementedError

    def score(
        self, sources: Sequence[str], targets: Sequence[str], *, corpus_scores: bool = False
    ) -> dict:
        """``char_accuracy``, ``exact_match`` and ``n`` of the predictions for ``sources``
        (and ``bleu`` and ``chrf`` with ``corpus_scores``, which need sacrebleu)."""
        return seq2seq_report(self.predict(sources), targets, corpus_scores=corpus_scores)


class CopyBaseline(_Seq2SeqBaseline):
    """Gives each source back unchanged: what a model scores without learning anything.

    Example:
        >>> CopyBaseline().fit([], []).predict(["thisissungkim."])
        ['thisissungkim.']
    """

    def fit(self, sources: Sequence[str], targets: Sequence[str]) -> CopyBaseline:
        """Nothing to learn; checks the arguments and returns self."""
        _check_texts("sources", sources)
        _check_texts("targets", targets)
        return self

    def predict(self, sources: Sequence[str]) -> list[str]:
        return _check_texts("sources", sources)


class DictionarySegmenter(_Seq2SeqBaseline):
    """Restore the spaces and capitals of a lowercased, space-free line with a dictionary.

    ``fit`` counts the words (whitespace-separated tokens, punctuation attached, as
    in ``"lord,"``) of the training targets. ``predict`` splits each source by
    dynamic programming into the sequence of words with the highest product of
    unigram probabilities (Norvig's ``segment``); a chunk never seen costs
    ``log(10 / (n * 10 ** len(chunk)))``, so unknown words are possible but short.
    Each word is then written as it was most often seen in training away from the
    start of a line (``"i"`` -> ``"I"``, ``"romeo"`` -> ``"Romeo"``), and the first
    letter of the line is capitalised when most training lines start with one
    (Shakespeare's verse does).

    Args:
        max_word_length: the longest chunk tried as one word, known or not (characters).

    Example:
        >>> seg = DictionarySegmenter().fit([], ["I love you.", "This is Kim."])
        >>> seg.predict(["thisiskim.iloveyou."])
        ['This is Kim. I love you.']
    """

    def __init__(self, max_word_length: int = 24) -> None:
        self.max_word_length = max_word_length

    def fit(self, sources: Sequence[str], targets: Sequence[str]) -> DictionarySegmenter:
        """Count the words of ``targets`` (``sources`` are unused: the task defines them)."""
        _check_texts("sources", sources)
        targets = _check_texts("targets", targets)
        if not isinstance(self.max_word_length, int) or self.max_word_length < 1:
            raise ConfigError(
                f"max_word_length must be a positive integer, got {self.max_word_length!r}"
            )
        counts: Counter[str] = Counter()
        inner: dict[str, Counter[str]] = {}  # lowercased word -> its spellings inside lines
        initial: dict[str, Counter[str]] = {}  # ... as the first word of a line
        starts_upper = 0
        for line in targets:
            words = line.split()
            if not words:
                continue
            starts_upper += words[0][:1].isupper()
            for position, word in enumerate(words):
                key = word.lower()
                counts[key] += 1
                table = initial if position == 0 else inner
                table.setdefault(key, Counter())[word] += 1
        if not counts:
            raise DataError(None, None, "training targets with at least one word", "none")
        self.total_ = sum(counts.values())
        log_total = math.log(self.total_)
        self.log_probs_ = {w: math.log(c) - log_total for w, c in counts.items()}
        self.spellings_ = {w: (inner.get(w) or initial[w]).most_common(1)[0][0] for w in counts}
        self.capitalize_first_ = starts_upper * 2 > len([t for t in targets if t.split()])
        return self

    def _log_prob(self, chunk: str) -> float:
        known = self.log_probs_.get(chunk)
        if known is not None:
            return known
        return math.log(10.0) - math.log(self.total_) - len(chunk) * math.log(10.0)

    def segment(self, text: str) -> list[str]:
        """The most probable split of ``text`` into (lowercase) words."""
        if not hasattr(self, "log_probs_"):
            raise ConfigError("DictionarySegmenter is not fitted; call fit first")
        text = "".join(text.lower().split())
        L = len(text)
        best = [0.0] + [-math.inf] * L  # best[i]: log-probability of the best split of text[:i]
        back = [0] * (L + 1)
        for i in range(1, L + 1):
            for j in range(max(0, i - self.max_word_length), i):
                score = best[j] + self._log_prob(text[j:i])
                if score > best[i]:
                    best[i], back[i] = score, j
        words, i = [], L
        while i > 0:
            words.append(text[back[i] : i])
            i = back[i]
        return words[::-1]

    def predict(self, sources: Sequence[str]) -> list[str]:
        out = []
        for source in _check_texts("sources", sources):
            words = [self.spellings_.get(w, w) for w in self.segment(source)]
            line = " ".join(words)
            if self.capitalize_first_ and line:
                line = line[0].upper() + line[1:]
            out.append(line)
        return out
