import doctest

import pytest

from rnnkit.data import vocab as vocab_module
from rnnkit.data.vocab import SPECIALS, Vocab, build_vocab
from rnnkit.errors import ConfigError


def test_specials_come_first_with_pad_zero():
    v = build_vocab("abca")
    assert v.itos[: len(SPECIALS)] == list(SPECIALS)
    assert v.pad_id == 0


def test_order_is_frequency_then_first_appearance():
    v = build_vocab("cbbaaa d")
    assert v.itos[len(SPECIALS) :] == ["a", "b", "c", " ", "d"]


def test_min_freq_and_max_size():
    assert build_vocab("aaabbc", min_freq=2).itos[4:] == ["a", "b"]
    assert build_vocab("aaabbc", max_size=1).itos[4:] == ["a"]
    with pytest.raises(ConfigError, match="min_freq"):
        build_vocab("a", min_freq=0)


def test_unknown_tokens_map_to_unk():
    v = build_vocab("ab")
    assert v.encode("az") == [v.stoi["a"], v.unk_id]


def test_json_round_trip():
    v = build_vocab("hello, wörld")
    w = Vocab.from_json(v.to_json())
    assert w.itos == v.itos and w.specials == v.specials


def test_docstring_examples():
    assert doctest.testmod(vocab_module).failed == 0
