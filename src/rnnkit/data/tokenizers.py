"""Tokenizers: text <-> a list of string tokens. A :class:`~rnnkit.data.vocab.Vocab` maps them to ids.

Every tokenizer has ``tokenize(text) -> list[str]``, ``detokenize(tokens) -> str``,
``encode(text, vocab) -> list[int]``, ``fit(texts) -> self`` (a no-op for those
with nothing to learn) and a JSON round trip (``to_dict`` /
:func:`tokenizer_from_dict`). ``lossless`` says whether
``detokenize(tokenize(text)) == text`` for every text.

=================  =========================================  ========
name               tokens                                     lossless
=================  =========================================  ========
``char``           Unicode characters                         yes
``byte``           UTF-8 bytes, each shown as ``chr(byte)``   yes
``codepoint``      characters; natural ids are ``ord(c)``     below ``max_code_point``
``word``           whitespace-separated words, ``\\n`` kept    no
``regex``          matches of a pattern, ``\\n`` kept          no
``sentencepiece``  BPE or unigram pieces, trained by ``fit``  yes, but for ``▁``
``korean``         Kiwi morphemes (``form`` or ``form/TAG``)  no
=================  =========================================  ========

``ascii=True`` transliterates the text first with Unidecode (``"Dvořák"`` ->
``"Dvorak"``, ``"北京"`` -> ``"Bei Jing"``; the ``ascii`` extra), and
``ascii="strip_accents"`` drops combining accents only (``"Dvořák"`` ->
``"Dvorak"``, ``"北京"`` unchanged), as the PyTorch names tutorial's
``unicodeToAscii`` does, with no dependency.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from rnnkit.errors import CheckpointError, ConfigError

if TYPE_CHECKING:
    from rnnkit.data.vocab import Vocab

__all__ = [
    "Tokenizer",
    "CharTokenizer",
    "ByteTokenizer",
    "CodePointTokenizer",
    "WordTokenizer",
    "RegexTokenizer",
    "TOKENIZER_NAMES",
    "make_tokenizer",
    "tokenizer_from_dict",
]

_ASCII_MODES = (False, True, "unidecode", "strip_accents")


def _check_ascii(ascii: bool | str) -> bool | str:
    if ascii not in _ASCII_MODES or (ascii == 1 and ascii is not True):
        raise ConfigError(
            f"ascii must be False, True (Unidecode) or 'strip_accents', got {ascii!r}"
        )
    if ascii in (True, "unidecode"):
        _unidecode()  # fail now, not on the first text
    return ascii


@functools.lru_cache(maxsize=1)
def _unidecode():
    try:
        return importlib.import_module("unidecode").unidecode
    except ImportError:
        raise ConfigError(
            "ascii=True needs Unidecode: pip install 'rnnkit[ascii]' "
            "(or ascii='strip_accents', which needs nothing)"
        ) from None


def strip_accents(text: str) -> str:
    """Drop combining marks after NFD decomposition (``"Ślusàrski"`` -> ``"Slusarski"``)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


class Tokenizer:
    """Base class: subclasses set ``name`` and implement tokenize / detokenize.

    Args:
        ascii: False, True (transliterate with Unidecode) or ``"strip_accents"``;
            applied by :meth:`normalize` before tokenizing.
    """

    name = "base"
    lossless = False
    needs_fit = False

    def __init__(self, *, ascii: bool | str = False) -> None:
        self.ascii = _check_ascii(ascii)

    def normalize(self, text: str) -> str:
        """The text as the tokenizer sees it (after the ``ascii`` option)."""
        if not self.ascii:
            return text
        if self.ascii == "strip_accents":
            return strip_accents(text)
        return _unidecode()(text)

    def tokenize(self, text: str) -> list[str]:
        raise NotImplementedError

    def detokenize(self, tokens: Sequence[str]) -> str:
        raise NotImplementedError

    def detokenize_stream(self, tokens: Iterable[str], context: int = 8) -> Iterator[str]:
        """Yield the text of ``tokens`` piece by piece, one piece per token, as they arrive.

        Each piece costs O(1): only a window of the last ``context`` to ``2 * context``
        tokens is detokenised, which is enough for the joiners (spaces between words,
        sentencepiece's word starts). The pieces join to ``detokenize(tokens)`` for
        every tokenizer whose text of a sequence starts with the text of its prefix
        (all but the Korean one, whose morphemes may merge). Text ending inside a
        multi-byte character is held back (an empty piece) until the character ends,
        or to one last piece when the stream ends inside it.
        """
        window: list[str] = []
        text, shown = "", 0  # detokenize(window) and how much of it was yielded
        for token in tokens:
            window.append(token)
            text = self.detokenize(window)
            if text.endswith("\ufffd"):  # maybe an incomplete UTF-8 character
                yield ""
                continue
            yield text[shown:]
            shown = len(text)
            if len(window) > 2 * context:
                window = window[-context:]
                text = self.detokenize(window)
                shown = len(text)
        if len(text) > shown:  # the stream ended inside a character
            yield text[shown:]

    def fit(self, texts: Iterable[str]) -> Tokenizer:
        """Learn what the tokenizer needs from a corpus; returns self. A no-op here."""
        return self

    def encode(self, text: str, vocab: Vocab) -> list[int]:
        """``vocab.encode(self.tokenize(text))``: the ids of the text's tokens."""
        return vocab.encode(self.tokenize(text))

    def decode(self, ids: Iterable[int], vocab: Vocab, *, skip_specials: bool = True) -> str:
        """The text of ``ids``; the vocab's special tokens are left out unless asked for."""
        tokens = vocab.decode(ids)
        if skip_specials:
            specials = set(vocab.specials)
            tokens = [t for t in tokens if t not in specials]
        return self.detokenize(tokens)

    def natural_vocab(self) -> Vocab | None:
        """The vocab that comes with the tokenizer's own ids, or None when one is
        built from a corpus (:func:`~rnnkit.data.vocab.build_vocab`)."""
        return None

    def options(self) -> dict:
        """The constructor options that rebuild this tokenizer."""
        return {"ascii": self.ascii} if self.ascii else {}

    def to_dict(self) -> dict:
        return {"name": self.name, **self.options()}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.options().items() if k != "model")
        return f"{type(self).__name__}({args})"


class CharTokenizer(Tokenizer):
    """One token per Unicode character (code point), newlines included."""

    name = "char"
    lossless = True

    def tokenize(self, text: str) -> list[str]:
        return list(self.normalize(text))

    def detokenize(self, tokens: Sequence[str]) -> str:
        return "".join(tokens)


class CodePointTokenizer(Tokenizer):
    """Characters as tokens, and ``ord(c)`` as their natural id, as the names lecture does.

    The lecture feeds ``ord(c)`` to the network. The same holds here, inside the
    :class:`~rnnkit.data.vocab.Vocab` convention: :meth:`natural_vocab` has the
    four specials at ids 0-3 (``<pad>`` = 0), where U+0000-U+0003 would be (no
    text uses them), and every other character ``c`` below ``max_code_point`` at
    id ``ord(c)``. Characters at or above ``max_code_point``, and U+0000-U+0003,
    are ``<unk>`` (id 1). The embedding then needs ``max_code_point`` rows::

        ids:   0      1      2      3      4 ...  65   66 ...  max_code_point - 1
        token: <pad>  <unk>  <bos>  <eos>  \\x04   'A'  'B'     chr(max_code_point - 1)

    With the natural vocab, :meth:`encode` skips the dictionary lookups.

    Args:
        max_code_point: the size of the id space; 128 for ASCII, 256 (the
            default) for Latin-1, 0xD7A4 to reach every Hangul syllable. At most
            0xD800: the UTF-16 surrogates are not characters.
    """

    name = "codepoint"
    lossless = False  # characters past max_code_point come back as <unk>

    def __init__(self, max_code_point: int = 256, *, ascii: bool | str = False) -> None:
        super().__init__(ascii=ascii)
        if (
            not isinstance(max_code_point, int)
            or isinstance(max_code_point, bool)
            or not 5 <= max_code_point <= 0xD800
        ):
            raise ConfigError(f"max_code_point must be in [5, 0xD800], got {max_code_point!r}")
        self.max_code_point = max_code_point

    def tokenize(self, text: str) -> list[str]:
        return list(self.normalize(text))

    def detokenize(self, tokens: Sequence[str]) -> str:
        return "".join(tokens)

    def natural_vocab(self) -> Vocab:
        return _natural_vocab(self, self.max_code_point)

    def encode(self, text: str, vocab: Vocab | None = None) -> list[int]:
        """Ids of the characters; with ``vocab`` None or natural, ``ord(c)`` or ``<unk>`` (1)."""
        if not _is_natural(self, vocab):
            return vocab.encode(self.tokenize(text))
        codes = np.frombuffer(
            self.normalize(text).encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32
        )
        return np.where((codes >= 4) & (codes < self.max_code_point), codes, 1).tolist()

    def options(self) -> dict:
        return {"max_code_point": self.max_code_point, **super().options()}


class ByteTokenizer(Tokenizer):
    """The UTF-8 bytes of the text, each shown as the one-character string ``chr(byte)``.

    Any text round-trips, and 256 ids cover every language. As with
    :class:`CodePointTokenizer`, the natural id of a byte is its value, with
    bytes 0-3 (absent from text) giving their ids to the specials.
    """

    name = "byte"
    lossless = True

    def tokenize(self, text: str) -> list[str]:
        return list(self.normalize(text).encode("utf-8").decode("latin-1"))

    def detokenize(self, tokens: Sequence[str]) -> str:
        data = b"".join(
            t.encode("latin-1") if len(t) == 1 and ord(t) < 256 else t.encode("utf-8")
            for t in tokens
        )
        return data.decode("utf-8", errors="replace")

    def natural_vocab(self) -> Vocab:
        return _natural_vocab(self, 256)

    def encode(self, text: str, vocab: Vocab | None = None) -> list[int]:
        """Ids of the bytes; with ``vocab`` None or natural, the byte values (0-3 -> 1)."""
        if not _is_natural(self, vocab):
            return vocab.encode(self.tokenize(text))
        codes = np.frombuffer(self.normalize(text).encode("utf-8"), dtype=np.uint8)
        return np.where(codes >= 4, codes, 1).tolist()


def _natural_vocab(tokenizer: Tokenizer, size: int) -> Vocab:
    """Specials at 0-3, then ``chr(i)`` at id ``i`` for 4 <= i < size; built once per tokenizer."""
    vocab = getattr(tokenizer, "_natural", None)
    if vocab is None or len(vocab) != size:
        from rnnkit.data.vocab import Vocab

        vocab = tokenizer._natural = Vocab([chr(i) for i in range(4, size)])
    return vocab


def _is_natural(tokenizer: Tokenizer, vocab: Vocab | None) -> bool:
    """Whether ``vocab`` gives every token its natural id (checked once per vocab object)."""
    if vocab is None or vocab is getattr(tokenizer, "_checked", None):
        return True
    natural = tokenizer.natural_vocab()
    if vocab is natural or vocab.itos == natural.itos:
        tokenizer._checked = vocab
        return True
    return False


def _join_lines(tokens: Sequence[str], join) -> str:
    """Detokenize line by line: ``"\\n"`` tokens separate the lines."""
    lines, current = [], []
    for t in tokens:
        if t == "\n":
            lines.append(join(current))
            current = []
        else:
            current.append(t)
    lines.append(join(current))
    return "\n".join(lines)


class WordTokenizer(Tokenizer):
    """Words split on whitespace, newlines kept as tokens of their own."""

    name = "word"

    def __init__(self, lowercase: bool = False, *, ascii: bool | str = False) -> None:
        super().__init__(ascii=ascii)
        self.lowercase = bool(lowercase)

    def tokenize(self, text: str) -> list[str]:
        text = self.normalize(text)
        if self.lowercase:
            text = text.lower()
        tokens: list[str] = []
        for i, line in enumerate(text.split("\n")):
            if i:
                tokens.append("\n")
            tokens.extend(line.split())
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        return _join_lines(tokens, " ".join)

    def options(self) -> dict:
        return {"lowercase": self.lowercase, **super().options()}


class RegexTokenizer(Tokenizer):
    """Every match of ``pattern`` is a token (by default words and single punctuation
    marks: ``"Don't!"`` -> ``["Don", "'", "t", "!"]``); newlines are kept as tokens.

    Args:
        pattern: a :mod:`re` pattern; it must not match the empty string.
        lowercase: lowercase the text first.
    """

    name = "regex"
    DEFAULT_PATTERN = r"\w+|[^\w\s]"

    def __init__(
        self, pattern: str = DEFAULT_PATTERN, lowercase: bool = False, *, ascii: bool | str = False
    ) -> None:
        super().__init__(ascii=ascii)
        try:
            self._regex = re.compile(pattern)
        except (re.error, TypeError) as e:
            raise ConfigError(f"pattern {pattern!r} is not a regular expression: {e}") from None
        if self._regex.fullmatch(""):
            raise ConfigError(f"pattern {pattern!r} matches the empty string")
        self.pattern = pattern
        self.lowercase = bool(lowercase)

    def tokenize(self, text: str) -> list[str]:
        text = self.normalize(text)
        if self.lowercase:
            text = text.lower()
        tokens: list[str] = []
        for i, line in enumerate(text.split("\n")):
            if i:
                tokens.append("\n")
            tokens.extend(m.group() for m in self._regex.finditer(line))
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        return _join_lines(tokens, " ".join)

    def options(self) -> dict:
        return {"pattern": self.pattern, "lowercase": self.lowercase, **super().options()}


# name -> "module:Class"; the subword and Korean tokenizers live in rnnkit.data.subword.
_TOKENIZERS: dict[str, str] = {
    "char": "rnnkit.data.tokenizers:CharTokenizer",
    "byte": "rnnkit.data.tokenizers:ByteTokenizer",
    "codepoint": "rnnkit.data.tokenizers:CodePointTokenizer",
    "word": "rnnkit.data.tokenizers:WordTokenizer",
    "regex": "rnnkit.data.tokenizers:RegexTokenizer",
    "sentencepiece": "rnnkit.data.subword:SentencePieceTokenizer",
    "korean": "rnnkit.data.subword:KoreanTokenizer",
}
TOKENIZER_NAMES = tuple(_TOKENIZERS)


def _tokenizer_class(name: str) -> type[Tokenizer]:
    try:
        module, cls = _TOKENIZERS[name].split(":")
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZER_NAMES)}"
        ) from None
    return getattr(importlib.import_module(module), cls)


def make_tokenizer(name: str, **options) -> Tokenizer:
    """Build a tokenizer by name (one of :data:`TOKENIZER_NAMES`) with its options.

    Example:
        >>> make_tokenizer("word", lowercase=True).tokenize("To be,\\nor NOT")
        ['to', 'be,', '\\n', 'or', 'not']
    """
    cls = _tokenizer_class(name)
    try:
        return cls(**options)
    except TypeError as e:
        raise ConfigError(f"tokenizer {name!r}: {e}") from None


def tokenizer_from_dict(data: dict) -> Tokenizer:
    """Rebuild a tokenizer from :meth:`Tokenizer.to_dict`."""
    if not isinstance(data, dict) or "name" not in data:
        raise CheckpointError("tokenizer data lacks its 'name'")
    options = {k: v for k, v in data.items() if k != "name"}
    try:
        return make_tokenizer(data["name"], **options)
    except ConfigError as e:
        raise CheckpointError(f"tokenizer data cannot be loaded: {e}") from None


def __getattr__(name: str):
    # SentencePieceTokenizer and KoreanTokenizer live in rnnkit.data.subword, which
    # imports this module; they are importable from here too, lazily.
    if name in ("SentencePieceTokenizer", "KoreanTokenizer"):
        return getattr(importlib.import_module("rnnkit.data.subword"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
