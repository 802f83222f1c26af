"""Reading the tag task's data: CoNLL / CoNLL-U files as the config says, the tag
scheme (given and checked, or detected), the fixed held-out split, and the
vocabulary extended by pretrained word vectors.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path

from torch import Tensor

from rnnkit.config import RunConfig
from rnnkit.data import embedded
from rnnkit.data.conll import TaggedSentence, check_tag_scheme, read_conll, read_conllu
from rnnkit.data.datasets import TaggedDataset
from rnnkit.data.readers import ReadResult
from rnnkit.data.vectors import read_word_vectors, vectors_for_vocab
from rnnkit.data.vocab import Vocab
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.base import Splits, fields_of, read_source, rows_of, source_name

__all__ = [
    "VALID_EVERY",
    "MAX_PRETRAINED_WORDS",
    "read_tagged",
    "read_splits",
    "detect_scheme",
    "tagged_dataset",
    "extend_with_vectors",
]

VALID_EVERY = 10  # without --valid, sentence i is held out when i % 10 == 9
MAX_PRETRAINED_WORDS = 100_000  # --vectors: words beyond the training ones, from the top


def _format(path: str | os.PathLike, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    return "conllu" if os.fspath(path).lower().endswith(".conllu") else "conll"


def read_tagged(path: str | os.PathLike, config: RunConfig) -> ReadResult[TaggedSentence]:
    """The sentences of a CoNLL or CoNLL-U file as ``config.data`` says to read them."""
    d = config.data
    column = d.tag_column
    explicit = d.scheme if d.scheme in ("BIO", "BIOES") else None
    if _format(path, d.format) == "conllu":
        if column is not None and str(column) not in ("upos", "xpos"):
            raise ConfigError(f"--tag-column for CoNLL-U is upos or xpos, got {column!r}")
        sentences = read_conllu(path, tag=str(column or "upos"))
        if sentences and all(t == "_" for s in sentences for t in s.tags):
            field = str(column or "upos")
            raise DataError(
                path,
                sentences[0].line,
                f"{field.upper()} tags",
                f"'_' (unspecified) for every token: the file has no {field}"
                + ("; --tag-column upos reads the universal tags" if field == "xpos" else ""),
            )
        if explicit or d.scheme == "IO":
            for s in sentences:
                _check_scheme(s, d.scheme, path, s.line)
        return sentences
    if column is None:
        column = -1
    elif isinstance(column, str):
        if not column.lstrip("-").isdigit():
            raise ConfigError(
                f"--tag-column for CoNLL is a column number (-1: the last), got {column!r}"
            )
        column = int(column)
    sentences = read_conll(path, tag_column=column, validate_scheme=explicit)
    if d.scheme == "IO":
        for s in sentences:
            _check_scheme(s, "IO", path, s.line)
    return sentences


def _check_scheme(sentence: TaggedSentence, scheme: str, path, line: int | None) -> None:
    """Refuse a tag that breaks ``scheme``; CoNLL-U lines are counted from the sentence."""
    if scheme == "IO":
        for i, tag in enumerate(sentence.tags):
            if tag != "O" and not (tag.startswith("I-") and len(tag) > 2):
                where = None if line is None else line + i
                raise DataError(path, where, "O or I-TYPE (IO)", repr(tag))
        return
    bad = check_tag_scheme(sentence.tags, scheme)
    if bad is not None:
        i, expected, got = bad
        raise DataError(path, line, expected, f"{got} (token {i + 1} of the sentence)")


def detect_scheme(sentences: Sequence[TaggedSentence]) -> str:
    """``BIOES`` when tags are O or B/I/E/S-TYPE with an E- or S-; ``BIO`` with B/I only;
    ``IO`` with I- only; else ``none``."""
    prefixes = set()
    for s in sentences:
        for tag in s.tags:
            if tag == "O":
                continue
            prefix, sep, kind = tag.partition("-")
            if not sep or not kind or prefix not in ("B", "I", "E", "S"):
                return "none"
            prefixes.add(prefix)
    if not prefixes:
        return "none"
    if prefixes & {"E", "S"}:
        return "BIOES"
    return "BIO" if "B" in prefixes else "IO"


def _held_out(sentences: ReadResult) -> tuple[ReadResult, ReadResult]:
    train, valid = [], []
    for i, s in enumerate(sentences):
        (valid if i % VALID_EVERY == VALID_EVERY - 1 else train).append(s)
    return tuple(
        ReadResult(part, source=sentences.source, lines=[s.line for s in part])
        for part in (train, valid)
    )


def read_splits(config: RunConfig) -> Splits:
    """The sentences to train and validate on: the embedded ``ner``, or files."""
    d = config.data
    read = lambda path: read_tagged(path, config)  # noqa: E731
    if d.data is None:
        train, train_source = embedded.load("ner", "train"), "ner (train split)"
    else:
        train, train_source = read_source(config, "data", read), source_name(d.data, "data")
    if d.valid is not None:
        valid = read_source(config, "valid", read)
        return Splits(train, valid, train_source, source_name(d.valid, "valid"))
    if d.data is None:
        return Splits(train, embedded.load("ner", "valid"), train_source, "ner (valid split)")
    train, valid = _held_out(train)
    if not valid or not train:
        raise DataError(
            train_source, None, f"at least {VALID_EVERY} sentences to hold out 10%", "fewer"
        )
    return Splits(train, valid, train_source, f"{train_source} (every {VALID_EVERY}th sentence)")


def tagged_from_memory(items, config: RunConfig, which: str) -> ReadResult[TaggedSentence]:
    """``(tokens, tags)`` pairs or dicts with ``tokens`` and ``tags``, checked as a file's
    sentences are (one tag per token, the scheme when one is given)."""
    out = []
    for i, row in enumerate(rows_of(items, which)):
        if isinstance(row, TaggedSentence):
            row = (row.tokens, row.tags)
        tokens, tags = fields_of(row, ["tokens", "tags"], which, i, "a (tokens, tags) pair")
        ok = isinstance(tokens, list | tuple) and isinstance(tags, list | tuple)
        if not ok or not tokens or len(tokens) != len(tags):
            raise DataError(
                f"{which}[{i}]", None, "as many tags as tokens, at least one", repr(row)[:80]
            )
        if not all(isinstance(t, str) and t and not t.isspace() for t in [*tokens, *tags]):
            raise DataError(f"{which}[{i}]", None, "non-empty strings", repr(row)[:80])
        sentence = TaggedSentence(list(tokens), list(tags))
        if config.data.scheme in ("BIO", "BIOES", "IO"):
            _check_scheme(sentence, config.data.scheme, f"{which}[{i}]", None)
        out.append(sentence)
    return ReadResult(out, source=which, lines=[None] * len(out))


def tagged_dataset(
    sentences, vocab: Vocab, char_vocab: Vocab, tag_names: list[str], lowercase: bool, source: str
) -> TaggedDataset:
    """:meth:`TaggedDataset.from_sentences`, its errors naming ``source``."""
    try:
        return TaggedDataset.from_sentences(
            sentences, vocab, char_vocab, tag_names, lowercase=lowercase
        )
    except DataError as e:
        if e.path is None and source:
            raise DataError(source, e.line, e.expected, e.got) from None
        raise


def extend_with_vectors(vocab: Vocab, path: str, config: RunConfig) -> tuple[Vocab, Tensor, Tensor]:
    """The training vocab extended by the top pretrained words; the vectors of its rows.

    The coverage (training words with a vector, the word's own or its lowercase's) is
    reported as a warning: one line on the command line's stderr.
    """
    path = str(Path(path).resolve())
    config.data.vectors = path
    words, vectors = read_word_vectors(path, limit=MAX_PRETRAINED_WORDS, keep=set(vocab.itos))
    trained = len(vocab)  # the training words come first, after the specials
    known = set(vocab.itos)
    extra = [w for w in dict.fromkeys(w.lower() if config.data.lowercase else w for w in words)]
    extra = [w for w in extra if w not in known]
    vocab = Vocab([*vocab.itos[len(vocab.specials) :], *extra], specials=vocab.specials)
    dim = vectors.size(1)
    if config.model.embedding_dim != dim:
        warnings.warn(
            f"--vectors {path} has dimension {dim}; the word embedding takes it "
            f"(instead of {config.model.embedding_dim})",
            stacklevel=2,
        )
        config.model.embedding_dim = dim
    weight, found = vectors_for_vocab(vocab.itos, words, vectors)
    first = len(vocab.specials)
    covered, total = int(found[first:trained].sum()), trained - first
    added = len(vocab) - trained
    warnings.warn(
        f"--vectors {path}: {covered:,} of the {total:,} training words have a vector "
        f"({covered / max(total, 1):.1%}); {added:,} pretrained word{'s' * (added != 1)} added",
        stacklevel=2,
    )
    return vocab, weight, found
