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

``ascii=True`` transliterates the text first with anyascii (ISC; ``"Dvořák"`` ->
``"Dvorak"``, ``"北京"`` -> ``"BeiJing"``), and
``ascii="strip_accents"`` drops combining accents only (``"Dvořák"`` ->
``"Dvorak"``, ``"北京"`` unchanged), as the PyTorch names tutorial's
``unicodeToAscii`` does, with no dependency.

The package, imported one way only (``base`` <- the tokenizers <- this registry)::

    base.py      Tokenizer, the ascii option, the helpers the others share
    simple.py    char, byte, codepoint, word, regex
    subword.py   sentencepiece
    korean.py    korean
    __init__.py  make_tokenizer / tokenizer_from_dict: name -> class
"""

from __future__ import annotations

from rnnkit.data.tokenizers.base import Tokenizer, strip_accents
from rnnkit.data.tokenizers.korean import KoreanTokenizer
from rnnkit.data.tokenizers.simple import (
    ByteTokenizer,
    CharTokenizer,
    CodePointTokenizer,
    RegexTokenizer,
    WordTokenizer,
)
from rnnkit.data.tokenizers.subword import SentencePieceTokenizer
from rnnkit.errors import CheckpointError, ConfigError

__all__ = [
    "Tokenizer",
    "CharTokenizer",
    "ByteTokenizer",
    "CodePointTokenizer",
    "WordTokenizer",
    "RegexTokenizer",
    "SentencePieceTokenizer",
    "KoreanTokenizer",
    "strip_accents",
    "TOKENIZER_NAMES",
    "make_tokenizer",
    "tokenizer_from_dict",
]

_TOKENIZERS: dict[str, type[Tokenizer]] = {
    cls.name: cls
    for cls in (
        CharTokenizer,
        ByteTokenizer,
        CodePointTokenizer,
        WordTokenizer,
        RegexTokenizer,
        SentencePieceTokenizer,
        KoreanTokenizer,
    )
}
TOKENIZER_NAMES = tuple(_TOKENIZERS)


def make_tokenizer(name: str, **options) -> Tokenizer:
    """Build a tokenizer by name (one of :data:`TOKENIZER_NAMES`) with its options.

    Example:
        >>> make_tokenizer("word", lowercase=True).tokenize("To be,\\nor NOT")
        ['to', 'be,', '\\n', 'or', 'not']
    """
    try:
        cls = _TOKENIZERS[name]
    except (KeyError, TypeError):
        raise ConfigError(
            f"unknown tokenizer {name!r}; choose one of {', '.join(TOKENIZER_NAMES)}"
        ) from None
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
