"""The tokenizer base class and what every tokenizer shares: the ``ascii`` option, the
natural-vocab check and line-by-line detokenizing.

Every module of :mod:`rnnkit.data.tokenizers` imports this one; it imports none of
them (only :mod:`rnnkit.data.vocab`), so the package has no import cycle.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence

from rnnkit.data.vocab import Vocab
from rnnkit.errors import ConfigError

__all__ = ["Tokenizer", "strip_accents"]

# "unidecode": the name of True before 0.2.0 (Unidecode, GPL, is no longer used at run time)
_ASCII_MODES = (False, True, "unidecode", "strip_accents")


def _check_ascii(ascii: bool | str) -> bool | str:
    if ascii not in _ASCII_MODES or (ascii == 1 and ascii is not True):
        raise ConfigError(
            f"ascii must be False, True (transliterate with anyascii) or 'strip_accents', "
            f"got {ascii!r}"
        )
    return ascii


def _transliterate(text: str) -> str:
    from anyascii import anyascii  # ISC licence, no dependencies

    return anyascii(text)


def strip_accents(text: str) -> str:
    """Drop combining marks after NFD decomposition (``"Ślusàrski"`` -> ``"Slusarski"``)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


class Tokenizer:
    """Base class: subclasses set ``name`` and implement tokenize / detokenize.

    Args:
        ascii: False, True (transliterate to ASCII with anyascii) or
            ``"strip_accents"``; applied by :meth:`normalize` before tokenizing.
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
        return _transliterate(text)

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


def _natural_vocab(tokenizer: Tokenizer, size: int) -> Vocab:
    """Specials at 0-3, then ``chr(i)`` at id ``i`` for 4 <= i < size; built once per tokenizer."""
    vocab = getattr(tokenizer, "_natural", None)
    if vocab is None or len(vocab) != size:
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
