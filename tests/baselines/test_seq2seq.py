"""The restoration baselines: copy, and dictionary segmentation with remembered spellings."""

import pytest

from rnnkit.baselines.seq2seq import CopyBaseline, DictionarySegmenter
from rnnkit.errors import ConfigError, DataError

TARGETS = [
    "And I love you.",
    "This is Kim, and I love Rome.",
    "Is this the way to Rome?",
    "And the way is long.",
    "the way is long",  # a prose line: lowercase start
]
SOURCES = ["".join(t.lower().split()) for t in TARGETS]


def test_copy_baseline_gives_the_input_back_and_scores_it():
    copy = CopyBaseline().fit(SOURCES, TARGETS)
    assert copy.predict(SOURCES) == SOURCES
    scores = copy.score(["abc"], ["a bc"])
    assert scores == {"char_accuracy": 0.75, "exact_match": 0.0, "n": 1}


def test_segmenter_splits_by_word_frequency_and_spells_words_as_seen_inside_lines():
    seg = DictionarySegmenter().fit(SOURCES, TARGETS)
    assert seg.segment("thewayislong") == ["the", "way", "is", "long"]
    # "and" is seen capitalised only at line starts, "I" and "Rome" always capitalised
    assert seg.predict(["iloverome.", "isthistheway"]) == ["I love Rome.", "Is this the way"]
    assert seg.predict(["andthewayislong"]) == ["And the way is long"]  # line start
    assert seg.capitalize_first_ is True
    assert seg.score(SOURCES[:4], TARGETS[:4])["exact_match"] == 1.0


def test_unknown_chunks_stay_whole_rather_than_split_into_letters():
    seg = DictionarySegmenter().fit(SOURCES, TARGETS)
    assert seg.predict(["iloveverona"]) == ["I love verona"]


def test_first_letter_follows_the_majority_of_training_lines():
    seg = DictionarySegmenter().fit([], ["the way is long", "is this the way"])
    assert seg.capitalize_first_ is False
    assert seg.predict(["thewayislong"]) == ["the way is long"]


def test_misuse_is_refused():
    with pytest.raises(ConfigError, match="not fitted"):
        DictionarySegmenter().predict(["abc"])
    with pytest.raises(ConfigError, match="one string"):
        DictionarySegmenter().fit("abc", TARGETS)
    with pytest.raises(DataError, match="at least one word"):
        DictionarySegmenter().fit([], ["", "  "])
    with pytest.raises(ConfigError, match="max_word_length"):
        DictionarySegmenter(max_word_length=0).fit(SOURCES, TARGETS)


def test_docstring_examples_run():
    import doctest

    from rnnkit.baselines import seq2seq

    result = doctest.testmod(seq2seq)
    assert result.attempted >= 3 and result.failed == 0
