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


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from rnnkit.errors import CheckpointError  # noqa: E402


@given(st.lists(st.text(min_size=1, max_size=5), max_size=40), st.integers(1, 3))
@settings(max_examples=50, deadline=None)
def test_vocab_json_round_trip_keeps_every_id(tokens, min_freq):
    vocab = build_vocab(tokens, min_freq=min_freq)
    loaded = Vocab.from_json(vocab.to_json())
    assert loaded == vocab and loaded.itos == vocab.itos
    assert loaded.encode(tokens) == vocab.encode(tokens)
    assert all(t in loaded or loaded.encode([t]) == [loaded.unk_id] for t in tokens)


def test_order_is_deterministic_across_builds():
    tokens = list("the quick brown fox jumps over the lazy dog")
    assert build_vocab(tokens).itos == build_vocab(list(tokens)).itos


def test_check_fits_refuses_another_embedding_size():
    vocab = build_vocab("abc")
    vocab.check_fits(len(vocab))
    with pytest.raises(
        CheckpointError, match=r"the vocab has 7 tokens but the model's embedding has 9 rows"
    ):
        vocab.check_fits(9)


def test_broken_vocab_data_is_a_checkpoint_error():
    with pytest.raises(CheckpointError, match="not JSON"):
        Vocab.from_json("{")
    with pytest.raises(CheckpointError, match="must start with the specials"):
        Vocab.from_dict({"specials": ["<pad>"], "itos": ["a", "<pad>"]})
    with pytest.raises(CheckpointError, match="unique"):
        Vocab.from_dict({"specials": ["<pad>"], "itos": ["<pad>", "a", "a"]})


def test_special_ids():
    vocab = build_vocab("ab")
    assert (vocab.pad_id, vocab.unk_id, vocab.bos_id, vocab.eos_id) == (0, 1, 2, 3)
