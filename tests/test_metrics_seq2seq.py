"""Seq2seq metrics: edit distance (checked against the textbook table), char accuracy,
exact match, BLEU and chrF; and the attention heat map."""

import builtins

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit.errors import ConfigError
from rnnkit.metrics import bleu, char_accuracy, chrf, edit_distance, exact_match, seq2seq_report
from rnnkit.plots import plot_attention


def _table_distance(a, b):
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        current = [i]
        for j, y in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcA ", max_size=70), st.text(alphabet="abcA ", max_size=70))
def test_edit_distance_equals_the_dynamic_programming_table(a, b):
    assert edit_distance(a, b) == _table_distance(a, b)


def test_edit_distance_examples():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3 and edit_distance("abc", "") == 3
    assert edit_distance("thisis", "This is") == 2


def test_char_accuracy_and_exact_match_are_corpus_level():
    hyps, refs = ["This is", "kim"], ["This is", "Kim."]
    assert char_accuracy(hyps, refs) == pytest.approx(1 - 2 / 11)
    assert exact_match(hyps, refs) == 0.5
    assert char_accuracy(["x" * 30], ["ab"]) < 0  # far longer outputs go below zero
    assert exact_match([], []) == 0.0
    with pytest.raises(ConfigError, match="2 hypotheses but 1"):
        char_accuracy(["a", "b"], ["a"])


def test_bleu_and_chrf_are_100_for_identical_text_and_lower_otherwise():
    refs = ["That you are so.", "Speak, if you can: what are you?"]
    assert bleu(refs, refs) == pytest.approx(100.0)
    assert chrf(refs, refs) == pytest.approx(100.0)
    worse = ["That youare so.", "Speak, if you can : what are you ?"]
    assert bleu(worse, refs) < 100
    assert chrf(worse, refs) == pytest.approx(100.0)  # chrF ignores whitespace...
    assert chrf(["that you are so.", refs[1]], refs) < 100  # ...but not case
    report = seq2seq_report(worse, refs)
    assert set(report) == {"char_accuracy", "exact_match", "bleu", "chrf", "n"}


def test_bleu_without_sacrebleu_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_sacrebleu(name, *args, **kwargs):
        if name == "sacrebleu":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sacrebleu)
    with pytest.raises(ConfigError, match=r"rnnkit\[seq2seq\]"):
        bleu(["a"], ["a"])
    assert set(seq2seq_report(["a"], ["a"], corpus_scores=False)) == {
        "char_accuracy",
        "exact_match",
        "n",
    }


def test_attention_heat_map_is_a_png_and_checks_its_shape(tmp_path):
    weights = [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1]]
    path = plot_attention(weights, ["a", "b", "c"], ["A", " "], tmp_path / "att.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(ConfigError, match="2 x 2"):
        plot_attention(weights, ["a", "b"], ["A", " "], tmp_path / "bad.png")
