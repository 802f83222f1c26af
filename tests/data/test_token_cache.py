"""A text file as a memory-mapped stream of ids: the same ids as tokenising it in
memory, in the narrowest dtype, cached by content and tokenizer."""

import pytest
import torch

import rnnkit
from rnnkit.data import token_cache
from rnnkit.data.token_cache import TextSpan, encode_span, split_span
from rnnkit.data.tokenizers import make_tokenizer
from rnnkit.data.vocab import build_vocab
from rnnkit.errors import DataError


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(token_cache, "BLOCK_BYTES", 97)  # many blocks, cut after lines


def _vocab(text, tokenizer):
    return tokenizer.natural_vocab() or build_vocab(tokenizer.tokenize(text))


@pytest.mark.parametrize("name", ["char", "word", "byte", "codepoint"])
def test_the_streamed_ids_equal_tokenising_the_whole_text(fixtures, name):
    path = fixtures / "tiny.txt"
    text = path.read_text("utf-8")
    tokenizer = make_tokenizer(name)
    vocab = _vocab(text, tokenizer)
    ids = encode_span(TextSpan(str(path)), tokenizer, vocab)
    assert ids.tolist() == tokenizer.encode(text, vocab)


def test_the_ids_take_the_narrowest_type_and_the_cache_is_reused(fixtures, tmp_path):
    text = (fixtures / "tiny.txt").read_text("utf-8")
    tokenizer = make_tokenizer("char")
    small = _vocab(text, tokenizer)
    ids = encode_span(TextSpan(str(fixtures / "tiny.txt")), tokenizer, small)
    assert ids.dtype == torch.uint8
    (cached,) = (tmp_path / "cache" / "tokens").iterdir()
    assert cached.stat().st_size == ids.numel()  # one byte a token, on disk
    stamp = cached.stat().st_mtime_ns
    again = encode_span(TextSpan(str(fixtures / "tiny.txt")), tokenizer, small)
    assert torch.equal(ids, again) and cached.stat().st_mtime_ns == stamp  # read, not rewritten
    big = build_vocab([str(i) for i in range(300)] + list(text))
    assert encode_span(TextSpan(str(fixtures / "tiny.txt")), tokenizer, big).dtype == torch.uint16


def test_a_changed_file_is_tokenised_again(tmp_path):
    path = tmp_path / "t.txt"
    path.write_text("abc\nabc\n")
    tokenizer = make_tokenizer("char")
    vocab = build_vocab("abc\n")
    first = encode_span(TextSpan(str(path)), tokenizer, vocab).tolist()
    path.write_text("cba\ncba\n")
    assert encode_span(TextSpan(str(path)), tokenizer, vocab).tolist() != first


def test_bad_utf8_names_its_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"fine\n" * 50 + b"bad \xff here\n")
    tokenizer = make_tokenizer("char")
    with pytest.raises(DataError, match=r"t.txt:51: expected UTF-8 text, got byte 0xff"):
        encode_span(TextSpan(str(path)), tokenizer, build_vocab("fine\n"))


def test_the_split_is_cut_after_a_line_at_nine_tenths(fixtures):
    path = fixtures / "tiny.txt"
    text = path.read_text("utf-8")
    train, valid = split_span(path)
    cut = text.rfind("\n", 0, int(len(text) * 0.9)) + 1  # the in-memory rule, on ASCII
    assert train.end == valid.start == cut
    assert "".join(train.blocks()) + "".join(valid.blocks()) == text


def test_evaluate_on_a_file_too_short_to_score_names_the_file(tmp_path, fixtures):
    lm = rnnkit.train("lm", data=str(fixtures / "tiny.txt"), out=tmp_path / "run", max_steps=1,
                      hidden_size=8, embedding_dim=4, num_layers=1, progress=False)  # fmt: skip
    one = tmp_path / "one_char.txt"
    one.write_text("a")
    with pytest.raises(DataError, match=r"one_char.txt: expected at least 2 tokens"):
        lm.evaluate(str(one))


@pytest.mark.parametrize("newline", ["", "\n"])
def test_text_without_a_newline_for_a_block_is_cut_between_characters(tmp_path, newline):
    """Korean (3 bytes a syllable) on one line longer than a block, or the whole file one
    line: the blocks and the train/valid split cut between characters, never inside one
    (both were read as bad UTF-8)."""
    path = tmp_path / "k.txt"
    text = "한국어 문장" * 40 + newline  # 96-byte blocks (97 - 1) cut syllables
    path.write_text(text, "utf-8")
    tokenizer = make_tokenizer("char")
    vocab = _vocab(text, tokenizer)
    assert encode_span(TextSpan(str(path)), tokenizer, vocab).tolist() == tokenizer.encode(
        text, vocab
    )
    train, valid = split_span(path)
    assert 0 < train.end == valid.start < len(text.encode())
    assert "".join(train.blocks()) + "".join(valid.blocks()) == text
    for span in (train, valid):
        encode_span(span, tokenizer, vocab)  # no DataError
