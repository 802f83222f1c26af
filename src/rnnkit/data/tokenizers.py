"""Tokenizers: text <-> a list of string tokens. A :class:`~rnnkit.data.vocab.Vocab` maps them to ids.

Every tokenizer has ``tokenize(text) -> list[str]``, ``detokenize(tokens) -> str``
and a JSON round trip (``to_dict`` / :func:`tokenizer_from_dict`).
"""

from __future__ import annotations

from rnnkit.errors import CheckpointError, ConfigError

__all__ = ["Tokenizer", "CharTokenizer", "WordTokenizer", "make_tokenizer", "tokenizer_from_dict"]


class Tokenizer:
    """Base class: subclasses set ``name`` and implement tokenize / detokenize."""

    name = "base"

    def tokenize(self, text: str) -> list[str]:
        raise NotImplementedError

    def detokenize(self, tokens: list[str]) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict:
        return {"name": self.name}

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class CharTokenizer(Tokenizer):
    """One token per Unicode character (code point), newlines included."""

    name = "char"

    def tokenize(self, text: str) -> list[str]:
        return list(text)

    def detokenize(self, tokens: list[str]) -> str:
        return "".join(tokens)


class WordTokenizer(Tokenizer):
    """Words split on whitespace, newlines kept as tokens of their own."""

    name = "word"

    def __init__(self, lowercase: bool = False) -> None:
        self.lowercase = lowercase

    def tokenize(self, text: str) -> list[str]:
        if self.lowercase:
            text = text.lower()
        tokens: list[str] = []
        for i, line in enumerate(text.split("\n")):
            if i:
                tokens.append("\n")
            tokens.extend(line.split())
        return tokens

    def detokenize(self, tokens: list[str]) -> str:
        return " ".join(tokens).replace(" \n ", "\n").replace(" \n", "\n").replace("\n ", "\n")

    def to_dict(self) -> dict:
        return {"name": self.name, "lowercase": self.lowercase}

    def __repr__(self) -> str:
        return f"WordTokenizer(lowercase={self.lowercase})"


_TOKENIZERS: dict[str, type[Tokenizer]] = {"char": CharTokenizer, "word": WordTokenizer}


def make_tokenizer(name: str, **options) -> Tokenizer:
    """Build a tokenizer by name."""
    try:
        cls = _TOKENIZERS[name]
    except KeyError:
        raise ConfigError(
            f"unknown tokenizer {name!r}; choose one of {', '.join(sorted(_TOKENIZERS))}"
        ) from None
    return cls(**options)


def tokenizer_from_dict(data: dict) -> Tokenizer:
    """Rebuild a tokenizer from :meth:`Tokenizer.to_dict`."""
    if not isinstance(data, dict) or "name" not in data:
        raise CheckpointError("tokenizer data lacks its 'name'")
    options = {k: v for k, v in data.items() if k != "name"}
    return make_tokenizer(data["name"], **options)
