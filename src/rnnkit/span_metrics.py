"""Span (entity, chunk) metrics for sequence tagging: BIO, BIOES and IO tags.

A tagger is judged at the level of the spans its tags spell, not of the tags::

    tokens:  Sung   Kim    teaches  at  HKUST   in   Hong   Kong
    tags:    B-PER  I-PER  O        O   B-ORG   O    B-LOC  I-LOC
    spans:   [PER 0:2   ]               [ORG 4:5]    [LOC 6:8    ]      (end exclusive)

A predicted span counts as correct only when its type, its first and its last
token all equal those of a true span (exact match). Precision is correct /
predicted spans, recall correct / true spans, F1 their harmonic mean; the micro
figures pool every type, ``per_type`` gives each type's own.

How spans are read from tags (``strict=False``, the default) follows
``conlleval``, the CoNLL-2000/2003 scorer, rule for rule, which is also what
seqeval does in its default mode:

- a chunk starts at ``B-X``; at ``I-X`` after ``O`` or after a tag of another
  type; and (BIOES) at ``S-X``, or at ``I-X``/``E-X`` after ``E-``/``S-``;
- a chunk ends before ``O``, before ``B-``, before a tag of another type and
  (BIOES) after ``E-`` or ``S-``.

So an ``I-X`` without a ``B-X`` before it (``O I-PER I-PER``) **starts a new
chunk**: it is counted as the span ``PER`` over those tokens, which is how
conlleval scores IOB1 data such as the original CoNLL-2003 files. For BIO tags
these rules are conlleval's exactly. ``conlleval.pl`` itself knows no ``S-``
and lets a ``B-`` follow an ``E-`` of the same type without a break; for BIOES
we use seqeval's extension of its rules (above), which splits those spans.

``strict=True`` counts only well-formed spans, as seqeval's strict mode
(``mode="strict"`` with the IOB2 or IOBES scheme): ``B-X I-X*`` in BIO, ``S-X``
or ``B-X I-X* E-X`` in BIOES. An ``I-X`` without a ``B-X`` (or a BIOES span with
no ``E-X``) is then no span at all; a predicted tag sequence that breaks the
scheme loses those spans instead of being repaired. IO has no strict form: it
reads the same in both modes (runs of ``I-X``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import NamedTuple

from rnnkit.errors import ConfigError

__all__ = [
    "SPAN_SCHEMES",
    "Span",
    "split_tag",
    "bio_spans",
    "span_prf",
    "token_accuracy",
    "tagging_report",
]

#: tag schemes whose tags spell spans; "none" (POS tags) has no spans
SPAN_SCHEMES = ("BIO", "BIOES", "IO")


class Span(NamedTuple):
    """A typed span of tokens ``[start, end)`` (end exclusive, as a Python slice)."""

    type: str
    start: int
    end: int


def split_tag(tag: str) -> tuple[str, str]:
    """``"B-PER"`` -> ``("B", "PER")``; ``"O"`` -> ``("O", "")``.

    A tag without a ``-`` other than ``O`` keeps itself as prefix and has no
    type, as in conlleval (such tags never form a span).
    """
    prefix, sep, kind = tag.partition("-")
    return (prefix, kind) if sep else (tag, "")


def _chunk_ends(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    if prev in ("E", "S"):
        return True
    if prev in ("B", "I") and tag in ("B", "S", "O"):
        return True
    return prev not in ("O", ".") and prev_type != kind


def _chunk_starts(prev: str, tag: str, prev_type: str, kind: str) -> bool:
    if tag in ("B", "S"):
        return True
    if prev in ("E", "S", "O") and tag in ("I", "E"):
        return True
    return tag not in ("O", ".") and prev_type != kind


def _lenient_spans(tags: Sequence[str]) -> list[Span]:
    spans: list[Span] = []
    prev, prev_type, begin = "O", "", None
    for i, tag in enumerate([*tags, "O"]):  # the sentence end closes an open chunk
        prefix, kind = split_tag(tag)
        if begin is not None and _chunk_ends(prev, prefix, prev_type, kind):
            spans.append(Span(prev_type, begin, i))
            begin = None
        if i < len(tags) and _chunk_starts(prev, prefix, prev_type, kind):
            begin = i
        prev, prev_type = prefix, kind
    return spans


def _strict_spans(tags: Sequence[str], scheme: str) -> list[Span]:
    spans: list[Span] = []
    begin, open_type = None, ""
    for i, tag in enumerate(tags):
        prefix, kind = split_tag(tag)
        inside = begin is not None and kind == open_type
        if scheme == "BIO":
            if prefix == "I" and inside:
                continue
            if begin is not None:
                spans.append(Span(open_type, begin, i))
            begin, open_type = (i, kind) if prefix == "B" else (None, "")
        else:  # BIOES
            if prefix in ("I", "E") and inside:
                if prefix == "E":
                    spans.append(Span(kind, begin, i + 1))
                    begin, open_type = None, ""
                continue
            begin, open_type = None, ""  # an open span without its E- is dropped
            if prefix == "S":
                spans.append(Span(kind, i, i + 1))
            elif prefix == "B":
                begin, open_type = i, kind
    if scheme == "BIO" and begin is not None:
        spans.append(Span(open_type, begin, len(tags)))
    return spans


def bio_spans(tags: Sequence[str], scheme: str = "BIO", *, strict: bool = False) -> list[Span]:
    """The spans the tags of one sentence spell, in order (see the module docstring).

    Args:
        tags: one tag per token (``"B-PER"``, ``"I-PER"``, ``"O"``, ...).
        scheme: ``"BIO"``, ``"BIOES"`` or ``"IO"``; only ``strict`` reads it
            (the conlleval rules read every scheme alike).
        strict: keep only well-formed spans (seqeval's strict mode).

    Example:
        >>> bio_spans(["B-PER", "I-PER", "O", "I-LOC"])
        [Span(type='PER', start=0, end=2), Span(type='LOC', start=3, end=4)]
        >>> bio_spans(["B-PER", "I-PER", "O", "I-LOC"], strict=True)
        [Span(type='PER', start=0, end=2)]
    """
    if scheme not in SPAN_SCHEMES:
        raise ConfigError(f"scheme must be one of {', '.join(SPAN_SCHEMES)}; got {scheme!r}")
    if strict and scheme in ("BIO", "BIOES"):
        return _strict_spans(tags, scheme)
    return _lenient_spans(tags)


def _prf(correct: int, predicted: int, support: int) -> dict[str, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}


def _check_pairs(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> None:
    if len(y_true) != len(y_pred):
        raise ConfigError(f"{len(y_true)} true sentences but {len(y_pred)} predicted")
    for i, (t, p) in enumerate(zip(y_true, y_pred)):
        if len(t) != len(p):
            raise ConfigError(f"sentence {i}: {len(t)} true tags but {len(p)} predicted")


def span_prf(
    y_true: Sequence[Sequence[str]],
    y_pred: Sequence[Sequence[str]],
    scheme: str = "BIO",
    *,
    strict: bool = False,
) -> dict:
    """Entity-level micro precision, recall and F1 by exact span match, and per type.

    Args:
        y_true, y_pred: the tags of each sentence (lists of equal lengths).

    Returns:
        ``{"precision", "recall", "f1", "true_spans", "predicted_spans",
        "correct_spans", "per_type": {type: {precision, recall, f1, support}}}``;
        a ratio with a zero denominator is 0.0.
    """
    _check_pairs(y_true, y_pred)
    true_n: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    correct_n: Counter[str] = Counter()
    for t, p in zip(y_true, y_pred):
        true_spans = bio_spans(t, scheme, strict=strict)
        pred_spans = bio_spans(p, scheme, strict=strict)
        true_n.update(s.type for s in true_spans)
        pred_n.update(s.type for s in pred_spans)
        correct_n.update(s.type for s in set(true_spans) & set(pred_spans))
    total = _prf(sum(correct_n.values()), sum(pred_n.values()), sum(true_n.values()))
    per_type = {
        kind: _prf(correct_n[kind], pred_n[kind], true_n[kind])
        for kind in sorted(set(true_n) | set(pred_n))
    }
    return {
        "precision": total["precision"],
        "recall": total["recall"],
        "f1": total["f1"],
        "true_spans": total["support"],
        "predicted_spans": sum(pred_n.values()),
        "correct_spans": sum(correct_n.values()),
        "per_type": per_type,
    }


def token_accuracy(y_true: Sequence[Sequence[str]], y_pred: Sequence[Sequence[str]]) -> float:
    """Share of tokens whose predicted tag equals the true one (0.0 for no token)."""
    _check_pairs(y_true, y_pred)
    n = sum(len(t) for t in y_true)
    right = sum(a == b for t, p in zip(y_true, y_pred) for a, b in zip(t, p))
    return right / n if n else 0.0


def tagging_report(
    y_true: Sequence[Sequence[str]],
    y_pred: Sequence[Sequence[str]],
    scheme: str = "BIO",
    *,
    strict: bool = False,
) -> dict:
    """The metrics of a tagger: ``{"accuracy", "precision", "recall", "f1", "n", "per_type"}``.

    ``n`` is the number of tokens. With a span scheme (BIO, BIOES, IO),
    precision, recall and F1 are entity-level (:func:`span_prf`) and ``per_type``
    is per entity type. With ``scheme="none"`` (POS tags) they are token-level
    macro averages over the tags seen in either sequence, and ``per_type`` is
    per tag; the micro token-level figures would all equal ``accuracy``.
    """
    accuracy = token_accuracy(y_true, y_pred)
    n = sum(len(t) for t in y_true)
    if scheme in SPAN_SCHEMES:
        spans = span_prf(y_true, y_pred, scheme, strict=strict)
        return {
            "accuracy": accuracy,
            "precision": spans["precision"],
            "recall": spans["recall"],
            "f1": spans["f1"],
            "n": n,
            "per_type": spans["per_type"],
        }
    if scheme != "none":
        raise ConfigError(f"scheme must be BIO, BIOES, IO or none; got {scheme!r}")
    true_n: Counter[str] = Counter(a for t in y_true for a in t)
    pred_n: Counter[str] = Counter(b for p in y_pred for b in p)
    correct_n: Counter[str] = Counter(
        a for t, p in zip(y_true, y_pred) for a, b in zip(t, p) if a == b
    )
    per_tag = {
        tag: _prf(correct_n[tag], pred_n[tag], true_n[tag])
        for tag in sorted(set(true_n) | set(pred_n))
    }
    scores = list(per_tag.values())

    def mean(key: str) -> float:
        return sum(s[key] for s in scores) / len(scores) if scores else 0.0

    return {
        "accuracy": accuracy,
        "precision": mean("precision"),
        "recall": mean("recall"),
        "f1": mean("f1"),
        "n": n,
        "per_type": per_tag,
    }
