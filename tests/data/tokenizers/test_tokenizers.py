import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit.data.tokenizers import (
    TOKENIZER_NAMES,
    ByteTokenizer,
    CharTokenizer,
    CodePointTokenizer,
    RegexTokenizer,
    SentencePieceTokenizer,
    WordTokenizer,
    make_tokenizer,
    tokenizer_from_dict,
)
from rnnkit.data.vocab import build_vocab
from rnnkit.errors import CheckpointError, ConfigError

FIXTURES = Path(__file__).parents[2] / "fixtures"
FEW = settings(max_examples=40, deadline=None)
TEXT = st.text(max_size=60)


@pytest.fixture(scope="module")
def sentencepiece() -> SentencePieceTokenizer:
    corpus = (FIXTURES / "tiny.txt").read_text(encoding="utf-8")
    return SentencePieceTokenizer(vocab_size=420, model_type="bpe").fit([corpus, "한국어 문장"])


def _round_trip(tokenizer):
    return tokenizer_from_dict(json.loads(json.dumps(tokenizer.to_dict())))


def test_every_name_is_known_and_unknown_names_are_config_errors():
    assert set(TOKENIZER_NAMES) == {
        "char", "byte", "codepoint", "word", "regex", "sentencepiece", "korean"
    }  # fmt: skip
    with pytest.raises(ConfigError, match="unknown tokenizer 'bpe'; choose one of char"):
        make_tokenizer("bpe")
    with pytest.raises(ConfigError, match="tokenizer 'char'.*unexpected keyword"):
        make_tokenizer("char", lowercase=True)
    with pytest.raises(CheckpointError, match="lacks its 'name'"):
        tokenizer_from_dict({"lowercase": True})


@given(TEXT)
@FEW
def test_char_and_byte_tokenizers_are_lossless(text):
    for tokenizer in (CharTokenizer(), ByteTokenizer()):
        assert tokenizer.detokenize(tokenizer.tokenize(text)) == text
        assert _round_trip(tokenizer).tokenize(text) == tokenizer.tokenize(text)


@given(st.text(st.characters(min_codepoint=4, max_codepoint=0x7FF), max_size=60))
@FEW
def test_codepoint_ids_are_ord_below_the_cap_and_round_trip(text):
    tokenizer = CodePointTokenizer(max_code_point=0x800)
    vocab = tokenizer.natural_vocab()
    ids = tokenizer.encode(text)
    assert ids == [ord(c) for c in text] == vocab.encode(tokenizer.tokenize(text))
    assert tokenizer.decode(ids, vocab) == text


def test_codepoint_vocab_fits_the_vocab_conventions():
    tokenizer = make_tokenizer("codepoint", max_code_point=128)
    vocab = tokenizer.natural_vocab()
    assert len(vocab) == 128 and vocab.pad_id == 0 and vocab.unk_id == 1
    assert vocab.stoi["A"] == 65
    assert tokenizer.encode("Aé\x00", vocab) == [65, 1, 1]  # past the cap, or a special's slot
    assert _round_trip(tokenizer).max_code_point == 128
    loaded = type(vocab).from_json(vocab.to_json())
    assert tokenizer.encode("Hi", loaded) == [72, 105]
    with pytest.raises(ConfigError, match="max_code_point"):
        CodePointTokenizer(max_code_point=0x110000)


def test_byte_ids_are_byte_values():
    tokenizer = ByteTokenizer()
    assert tokenizer.encode("Aé") == [65, 0xC3, 0xA9]
    assert tokenizer.tokenize("é") == ["\xc3", "\xa9"]
    vocab = tokenizer.natural_vocab()
    assert len(vocab) == 256 and vocab.encode(tokenizer.tokenize("Aé")) == [65, 0xC3, 0xA9]


def test_word_and_regex_tokenizers_keep_newlines_and_lowercase():
    assert WordTokenizer(lowercase=True).tokenize("To be,\nor NOT") == [
        "to",
        "be,",
        "\n",
        "or",
        "not",
    ]
    regex = RegexTokenizer(lowercase=True)
    assert regex.tokenize("Don't stop!\nGo") == ["don", "'", "t", "stop", "!", "\n", "go"]
    assert regex.detokenize(regex.tokenize("a b\nc")) == "a b\nc"
    assert _round_trip(RegexTokenizer(r"[a-z]+")).tokenize("ab1cd") == ["ab", "cd"]
    with pytest.raises(ConfigError, match="matches the empty string"):
        RegexTokenizer(r"\w*")
    with pytest.raises(ConfigError, match="not a regular expression"):
        RegexTokenizer("(")


@given(st.lists(st.text(st.characters(categories=["L", "N"]), min_size=1, max_size=8), max_size=10))
@FEW
def test_word_tokenizer_round_trips_single_spaced_words(words):
    text = " ".join(words)
    tokenizer = WordTokenizer()
    assert tokenizer.detokenize(tokenizer.tokenize(text)) == text


def test_ascii_options_transliterate_or_strip_accents():
    assert CharTokenizer(ascii="strip_accents").tokenize("Šve") == ["S", "v", "e"]
    assert WordTokenizer(ascii=True).tokenize("Dvořák 北京") == ["Dvorak", "BeiJing"]  # anyascii
    assert _round_trip(WordTokenizer(ascii=True)).ascii is True
    with pytest.raises(ConfigError, match="ascii must be"):
        CharTokenizer(ascii="yes")


def test_sentencepiece_uses_rnnkit_specials_and_its_own_ids(sentencepiece):
    vocab = sentencepiece.natural_vocab()
    assert vocab.itos[:4] == ["<pad>", "<unk>", "<bos>", "<eos>"]
    assert vocab.itos[-1] == "\n"
    text = "First Citizen:\nSpeak, speak."
    assert sentencepiece.encode(text) == vocab.encode(sentencepiece.tokenize(text))
    other = build_vocab(sentencepiece.tokenize(text))
    assert other.decode(sentencepiece.encode(text, other)) == sentencepiece.tokenize(text)


@given(st.text(st.characters(exclude_characters="\u2581", exclude_categories=["Cs"]), max_size=60))
@FEW
def test_sentencepiece_is_lossless_with_byte_fallback(sentencepiece, text):
    assert sentencepiece.detokenize(sentencepiece.tokenize(text)) == text
    assert sentencepiece.decode(sentencepiece.encode(text), sentencepiece.natural_vocab()) == text


def test_sentencepiece_json_is_self_contained_and_deterministic(sentencepiece, fixtures):
    data = json.loads(json.dumps(sentencepiece.to_dict()))
    assert data["name"] == "sentencepiece" and len(data["model"]) > 1000
    loaded = tokenizer_from_dict(data)
    text = "You are all resolved rather to die than to famish?"
    assert loaded.tokenize(text) == sentencepiece.tokenize(text)
    corpus = (fixtures / "tiny.txt").read_text(encoding="utf-8")
    again = SentencePieceTokenizer(vocab_size=420, model_type="bpe").fit([corpus, "한국어 문장"])
    assert again.to_dict()["model"] == data["model"]


def test_sentencepiece_unigram_and_errors(fixtures):
    corpus = (fixtures / "tiny.txt").read_text(encoding="utf-8")
    unigram = make_tokenizer("sentencepiece", vocab_size=300, byte_fallback=False).fit(corpus)
    assert len(unigram.natural_vocab()) <= 301
    with pytest.raises(ConfigError, match="call fit"):
        SentencePieceTokenizer().tokenize("x")
    with pytest.raises(ConfigError, match="sentencepiece training failed"):
        SentencePieceTokenizer(vocab_size=100).fit(corpus)  # too small for 256 byte pieces
    with pytest.raises(ConfigError, match="model_type"):
        SentencePieceTokenizer(model_type="wordpiece")
    with pytest.raises(CheckpointError, match="cannot be loaded"):
        tokenizer_from_dict({"name": "sentencepiece", "model": "bm90IGEgbW9kZWw="})


STREAM_TEXT = st.text(
    st.characters(exclude_characters="\u2581", exclude_categories=["Cs"]), max_size=80
)


@given(text=STREAM_TEXT, context=st.integers(1, 4))
@FEW
def test_streamed_pieces_join_to_the_whole_detokenized_text(sentencepiece, text, context):
    """One piece per token (plus a last one when a character is cut), and no text lost."""
    for tok in (CharTokenizer(), ByteTokenizer(), WordTokenizer(), sentencepiece):
        tokens = tok.tokenize(text)
        pieces = list(tok.detokenize_stream(iter(tokens), context=context))
        assert "".join(pieces) == tok.detokenize(tokens), type(tok).__name__
        assert len(tokens) <= len(pieces) <= len(tokens) + 1


def test_a_multibyte_character_is_held_until_its_last_byte():
    tokens = ByteTokenizer().tokenize("a한")  # "a" and three bytes
    assert list(ByteTokenizer().detokenize_stream(tokens)) == ["a", "", "", "한"]
    assert list(ByteTokenizer().detokenize_stream(tokens[:3])) == ["a", "", "", "\ufffd"]


def test_regex_words_keep_their_combining_marks():
    """Combining marks are not \\w to re: Hindi words were cut at each vowel sign and
    virama (नमस्ते: four tokens), a decomposed é into e and its accent."""
    tokenizer = RegexTokenizer()
    assert tokenizer.tokenize("नमस्ते दुनिया।") == ["नमस्ते", "दुनिया", "।"]
    assert tokenizer.tokenize("e\u0301te\u0301! Don't") == ["e\u0301te\u0301", "!", "Don", "'", "t"]
    assert RegexTokenizer(r"\S+").tokenize("नमस्ते दुनिया") == ["नमस्ते", "दुनिया"]
