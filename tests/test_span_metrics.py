"""Entity-level metrics: spans read as conlleval reads them, equal to seqeval's counting in
its default mode and in its strict mode, on fixed examples and on random tag sequences."""

import random

import pytest

from rnnkit.errors import ConfigError
from rnnkit.span_metrics import Span, bio_spans, span_prf, tagging_report, token_accuracy

seqeval_metrics = pytest.importorskip("seqeval.metrics")
from seqeval.metrics.sequence_labeling import get_entities  # noqa: E402
from seqeval.scheme import IOB2, IOBES  # noqa: E402

# (true, predicted): sentences chosen to hit every rule, including broken predictions
BIO_TRUE = [
    ["B-PER", "I-PER", "O", "B-LOC", "O", "B-ORG", "I-ORG", "I-ORG"],
    ["O", "B-PER", "O", "O", "B-LOC", "I-LOC"],
    ["B-ORG", "B-ORG", "O", "B-MISC"],
    ["O", "O", "O"],
]
BIO_PRED = [
    ["B-PER", "I-PER", "O", "I-LOC", "O", "B-ORG", "I-ORG", "O"],  # I- without B-; cut short
    ["O", "I-PER", "O", "O", "B-LOC", "I-PER"],  # I- after O; type change inside a span
    ["B-ORG", "I-ORG", "O", "B-MISC"],  # two spans merged
    ["I-LOC", "I-LOC", "O"],  # a span that is not there, I- only
]
BIOES_TRUE = [
    ["S-PER", "O", "B-LOC", "I-LOC", "E-LOC", "O", "S-ORG"],
    ["B-ORG", "E-ORG", "S-ORG", "O"],
    ["O", "B-PER", "E-PER"],
]
BIOES_PRED = [
    ["S-PER", "O", "B-LOC", "I-LOC", "I-LOC", "O", "S-ORG"],  # no E-: broken in strict mode
    ["B-ORG", "E-ORG", "E-ORG", "O"],  # E- without B-
    ["O", "I-PER", "E-PER"],  # I- without B-
]


def _seqeval(y_true, y_pred, **kwargs) -> dict:
    report = {
        name: getattr(seqeval_metrics, f"{name}_score")(y_true, y_pred, **kwargs)
        for name in ("precision", "recall", "f1")
    }
    per_type = seqeval_metrics.classification_report(
        y_true, y_pred, output_dict=True, zero_division=0, **kwargs
    )
    report["per_type"] = {
        k: {m: v[m.replace("f1", "f1-score")] for m in ("precision", "recall", "f1", "support")}
        for k, v in per_type.items()
        if not k.endswith("avg")
    }
    return report


def _assert_same(ours: dict, theirs: dict) -> None:
    for key in ("precision", "recall", "f1"):
        assert ours[key] == pytest.approx(theirs[key]), key
    # seqeval lists only the types of the true spans
    ours_types = {k: v for k, v in ours["per_type"].items() if v["support"]}
    assert set(ours_types) == set(theirs["per_type"])
    for kind, scores in ours_types.items():
        for key, value in scores.items():
            assert value == pytest.approx(theirs["per_type"][kind][key]), (kind, key)


def test_bio_scores_equal_seqeval_default_mode():
    ours = span_prf(BIO_TRUE, BIO_PRED, "BIO")
    _assert_same(ours, _seqeval(BIO_TRUE, BIO_PRED))
    assert (ours["true_spans"], ours["predicted_spans"]) == (8, 9)


def test_bio_scores_equal_seqeval_strict_mode():
    ours = span_prf(BIO_TRUE, BIO_PRED, "BIO", strict=True)
    _assert_same(ours, _seqeval(BIO_TRUE, BIO_PRED, mode="strict", scheme=IOB2))
    lenient = span_prf(BIO_TRUE, BIO_PRED, "BIO")
    assert ours["predicted_spans"] < lenient["predicted_spans"]  # the I- starts are dropped


def test_bioes_scores_equal_seqeval_in_both_modes():
    _assert_same(span_prf(BIOES_TRUE, BIOES_PRED, "BIOES"), _seqeval(BIOES_TRUE, BIOES_PRED))
    _assert_same(
        span_prf(BIOES_TRUE, BIOES_PRED, "BIOES", strict=True),
        _seqeval(BIOES_TRUE, BIOES_PRED, mode="strict", scheme=IOBES),
    )


def test_an_i_without_a_b_starts_a_span_unless_strict():
    tags = ["O", "I-PER", "I-PER", "O", "B-LOC"]
    assert bio_spans(tags) == [Span("PER", 1, 3), Span("LOC", 4, 5)]
    assert bio_spans(tags, strict=True) == [Span("LOC", 4, 5)]
    # a type change inside a span: conlleval closes one span and opens the next
    assert bio_spans(["B-PER", "I-LOC"]) == [Span("PER", 0, 1), Span("LOC", 1, 2)]
    assert bio_spans(["B-PER", "I-LOC"], strict=True) == [Span("PER", 0, 1)]


def test_bioes_single_and_adjacent_spans():
    tags = ["S-PER", "S-PER", "B-LOC", "E-LOC", "B-LOC", "E-LOC"]
    expected = [Span("PER", 0, 1), Span("PER", 1, 2), Span("LOC", 2, 4), Span("LOC", 4, 6)]
    assert bio_spans(tags, "BIOES") == expected
    assert bio_spans(tags, "BIOES", strict=True) == expected
    assert bio_spans(["B-LOC", "I-LOC", "O"], "BIOES", strict=True) == []  # no E-LOC


def _conlleval_chunks(tags):
    """A literal transcription of conlleval.pl's endOfChunk / startOfChunk (for B, I, O)."""

    def split(tag):
        return tuple(tag.split("-", 1)) if "-" in tag else (tag, "")

    chunks, start = [], None
    prev, prev_type = "O", ""
    for i, tag in enumerate([*tags, "O"]):
        t, kind = split(tag)
        end = (prev, t) in {("B", "B"), ("B", "O"), ("I", "B"), ("I", "O")}
        end |= prev not in ("O", ".") and prev_type != kind
        begin = (prev, t) in {("B", "B"), ("I", "B"), ("O", "B"), ("O", "I")}
        begin |= t not in ("O", ".") and prev_type != kind
        if end and start is not None:
            chunks.append((prev_type, start, i))
            start = None
        if begin and i < len(tags):
            start = i
        prev, prev_type = t, kind
    return chunks


def _random_tags(rng, prefixes, length):
    return [
        "O" if rng.random() < 0.3 else f"{rng.choice(prefixes)}-{rng.choice(['PER', 'LOC'])}"
        for _ in range(length)
    ]


def test_random_bio_sequences_read_as_conlleval_and_seqeval_read_them():
    rng = random.Random(0)
    for _ in range(500):
        tags = _random_tags(rng, "BI", rng.randint(1, 9))
        ours = [tuple(s) for s in bio_spans(tags)]
        assert ours == _conlleval_chunks(tags), tags
        assert ours == [(k, a, b + 1) for k, a, b in get_entities(tags)], tags


def test_random_sequences_score_as_seqeval_in_both_modes():
    rng = random.Random(1)
    for scheme, prefixes, seqeval_scheme in (("BIO", "BI", IOB2), ("BIOES", "BIES", IOBES)):
        y_true = [_random_tags(rng, prefixes, 8) for _ in range(60)]
        y_pred = [_random_tags(rng, prefixes, 8) for _ in range(60)]
        _assert_same(span_prf(y_true, y_pred, scheme), _seqeval(y_true, y_pred))
        _assert_same(
            span_prf(y_true, y_pred, scheme, strict=True),
            _seqeval(y_true, y_pred, mode="strict", scheme=seqeval_scheme),
        )


def test_a_span_off_by_one_token_is_not_correct():
    true = [["B-PER", "I-PER", "O"]]
    assert span_prf(true, [["B-PER", "I-PER", "O"]])["f1"] == 1.0
    shifted = span_prf(true, [["B-PER", "O", "O"]])
    assert shifted["correct_spans"] == 0 and shifted["f1"] == 0.0
    assert token_accuracy(true, [["B-PER", "O", "O"]]) == pytest.approx(2 / 3)


def test_report_for_pos_tags_is_token_level():
    true = [["DET", "NOUN", "VERB"], ["PRON", "VERB"]]
    pred = [["DET", "NOUN", "NOUN"], ["PRON", "VERB"]]
    report = tagging_report(true, pred, "none")
    assert report["accuracy"] == pytest.approx(4 / 5) and report["n"] == 5
    assert set(report["per_type"]) == {"DET", "NOUN", "PRON", "VERB"}
    verb = report["per_type"]["VERB"]
    assert (verb["precision"], verb["recall"], verb["support"]) == (1.0, 0.5, 2)
    f1s = [v["f1"] for v in report["per_type"].values()]
    assert report["f1"] == pytest.approx(sum(f1s) / 4)


def test_mismatched_lengths_and_unknown_schemes_are_refused():
    with pytest.raises(ConfigError, match="sentence 0"):
        span_prf([["O", "O"]], [["O"]])
    with pytest.raises(ConfigError, match="2 true sentences"):
        token_accuracy([["O"], ["O"]], [["O"]])
    with pytest.raises(ConfigError, match="scheme"):
        bio_spans(["O"], "IOB1")
    with pytest.raises(ConfigError, match="scheme"):
        tagging_report([["O"]], [["O"]], "BILOU")


def test_docstring_examples_run():
    import doctest

    from rnnkit import span_metrics

    assert doctest.testmod(span_metrics).failed == 0


def test_the_tag_page_examples_show_what_they_print():
    import re
    from pathlib import Path

    page = Path(__file__).parent.parent / "docs" / "tag.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    (block,) = [b for b in blocks if "span_metrics" in b]
    namespace: dict = {}
    checked = 0
    for line in block.splitlines():
        code, _, shown = line.partition("  # ")
        if not shown:
            exec(code, namespace)
            continue
        assert repr(eval(code, namespace)) == shown.strip(), line
        checked += 1
    assert checked == 3
