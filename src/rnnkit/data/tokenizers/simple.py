"""Tokenizers that need no model: characters, bytes, code points, words and regex matches.

Each is also built by name: ``make_tokenizer("char")``, ``make_tokenizer("word", lowercase=True)``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from rnnkit.data.tokenizers.base import Tokenizer, _is_natural, _join_lines, _natural_vocab
from rnnkit.data.vocab import Vocab
from rnnkit.errors import ConfigError

__all__ = [
    "CharTokenizer",
    "ByteTokenizer",
    "CodePointTokenizer",
    "WordTokenizer",
    "RegexTokenizer",
]


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


_WORD = re.compile(r"\w").match  # a word's letters go on after a mark; punctuation does not


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch)[0] == "M"


def _glue_marks(matches) -> list[str]:
    """The matches' texts, a combining mark kept with the letters around it (see
    :class:`RegexTokenizer`)."""
    out: list[str] = []
    end = -1
    for m in matches:
        text = m.group()
        touches = out and m.start() == end
        if touches and (all(map(_is_mark, text)) or _is_mark(out[-1][-1]) and _WORD(text)):
            out[-1] += text
        else:
            out.append(text)
        end = m.end()
    return out


class RegexTokenizer(Tokenizer):
    r"""Every match of ``pattern`` is a token (by default words and single punctuation
    marks: ``"Don't!"`` -> ``["Don", "'", "t", "!"]``); newlines are kept as tokens.

    Combining marks (Unicode category M: Devanagari vowel signs and virama, a decomposed
    accent) are not ``\w`` to :mod:`re`, so a pattern would cut words at them; a match
    made of marks alone joins the token it touches on the left, and a word that touches
    a mark on its left joins that token too: ``"नमस्ते"`` is one token, not four.

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
            tokens.extend(_glue_marks(self._regex.finditer(line)))
        return tokens

    def detokenize(self, tokens: Sequence[str]) -> str:
        return _join_lines(tokens, " ".join)

    def options(self) -> dict:
        return {"pattern": self.pattern, "lowercase": self.lowercase, **super().options()}
