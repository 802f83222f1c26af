"""The embedded synthetic NER corpus: deterministic, fixed splits, well-formed BIO, and the
properties its documentation claims (unseen names in test, words of several types)."""

import hashlib
import os
import subprocess
import sys
from collections import Counter, defaultdict

import pytest

from rnnkit.data import embedded
from rnnkit.data.conll import check_tag_scheme
from rnnkit.data.embedded.synthetic_ner import (
    SPLIT_SIZES,
    TYPES,
    generate_ner,
    load_ner,
    tokenize_words,
)
from rnnkit.errors import ConfigError
from rnnkit.span_metrics import bio_spans


def test_the_same_seed_gives_the_same_sentences_and_another_seed_others():
    first = generate_ner(30, seed=5)
    again = generate_ner(30, seed=5)
    other = generate_ner(30, seed=6)
    assert [(s.tokens, s.tags) for s in first] == [(s.tokens, s.tags) for s in again]
    assert [s.tokens for s in first] != [s.tokens for s in other]


def _digest(sentences) -> str:
    return hashlib.sha256(repr([(s.tokens, s.tags) for s in sentences]).encode()).hexdigest()


def test_the_corpus_does_not_depend_on_the_hash_seed():
    # a Faker list built from a set once made the sentences change with PYTHONHASHSEED
    code = (
        "from rnnkit.data.embedded.synthetic_ner import generate_ner; import hashlib; "
        "print(hashlib.sha256(repr([(s.tokens, s.tags) for s in generate_ner(300, 7)])"
        ".encode()).hexdigest())"
    )
    seed = "2" if os.environ.get("PYTHONHASHSEED") == "1" else "1"  # not this process's
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
        check=True,
    )
    assert done.stdout.strip() == _digest(generate_ner(300, 7))


def test_splits_have_their_sizes_and_come_through_embedded_load():
    for split, size in SPLIT_SIZES.items():
        assert len(load_ner(split)) == size
    assert [s.tokens for s in embedded.load("ner", "test")] == [s.tokens for s in load_ner("test")]
    assert len(load_ner(None)) == sum(SPLIT_SIZES.values())
    with pytest.raises(ConfigError, match="split"):
        load_ner("dev")


def test_tags_are_well_formed_bio_of_the_documented_types():
    counts = Counter()
    for s in load_ner("valid"):
        assert len(s.tokens) == len(s.tags) > 0
        assert check_tag_scheme(s.tags, "BIO") is None, s
        counts.update(span.type for span in bio_spans(s.tags))
    assert set(counts) == set(TYPES)
    assert min(counts.values()) > 100


def test_tokens_are_what_the_predict_tokenizer_makes_of_the_sentence():
    for s in load_ner("valid")[:200]:
        assert tokenize_words(" ".join(s.tokens)) == s.tokens


def test_test_split_holds_unseen_names_and_words_of_several_types():
    train = load_ner("train")
    seen = {w for s in train for w in s.tokens}
    spans = [(s.tokens[a:b]) for s in load_ner("test") for _, a, b in bio_spans(s.tags)]
    unseen = sum(any(w not in seen for w in words) for words in spans) / len(spans)
    assert 0.2 < unseen < 0.7
    types_of = defaultdict(set)
    for s in train:
        for span in bio_spans(s.tags):
            if span.end - span.start == 1:
                types_of[s.tokens[span.start]].add(span.type)
    assert sum(len(t) >= 2 for t in types_of.values()) > 50  # one word, several types


def test_mutating_a_loaded_split_does_not_change_the_next_load():
    first = load_ner("valid")
    first[0].tokens[0] = "CHANGED"
    assert load_ner("valid")[0].tokens[0] != "CHANGED"


def test_docstring_examples_run():
    import doctest

    from rnnkit.data.embedded import synthetic_ner

    result = doctest.testmod(synthetic_ner)
    assert result.attempted >= 2 and result.failed == 0
