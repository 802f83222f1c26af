"""CoNLL and CoNLL-U readers: tagged sentences, one token a line.

CoNLL (the 2000 chunking and 2003 NER shared tasks): a token and one or more
tag columns separated by whitespace, a blank line between sentences,
``-DOCSTART-`` lines between documents::

    EU      NNP  B-NP  B-ORG        <- token  POS  chunk  NER (tag_column=-1)
    rejects VBZ  B-VP  O
    German  JJ   B-NP  B-MISC
                                    <- sentence boundary

BIO spans, which ``validate_scheme="BIO"`` checks (``I-X`` only after ``B-X``
or ``I-X``)::

    tokens:  U.N.   official  Ekeus   heads  for  Baghdad
    tags:    B-ORG  O         B-PER   O      O    B-LOC
    spans:   [ORG]            [PER]                [LOC]

In BIOES a one-token span is ``S-X`` and a longer one ``B-X I-X ... E-X``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from rnnkit.data._lines import Issues, ReadResult, iter_lines
from rnnkit.errors import ConfigError, DataError

__all__ = ["TaggedSentence", "read_conll", "read_conllu", "check_tag_scheme", "SCHEMES"]

SCHEMES = ("BIO", "BIOES")
_CONLLU_FIELDS = ("id", "form", "lemma", "upos", "xpos", "feats", "head", "deprel", "deps", "misc")
_WORD_ID = re.compile(r"[1-9][0-9]*")
_RANGE_ID = re.compile(r"[1-9][0-9]*-[1-9][0-9]*")
_EMPTY_ID = re.compile(r"[0-9]+\.[1-9][0-9]*")


@dataclass
class TaggedSentence:
    """One sentence: its tokens and one tag per token.

    Attributes:
        tokens: the L tokens (CoNLL-U: the FORM of each syntactic word).
        tags: the L tags of the chosen column.
        line: the file line of the first token.
        columns: every column of the file as lists of L strings (CoNLL: the
            token first; CoNLL-U: the ten fields, ID first).
    """

    tokens: list[str]
    tags: list[str]
    line: int | None = None
    columns: tuple[list[str], ...] = field(default=(), repr=False)

    def __len__(self) -> int:
        return len(self.tokens)


def check_tag_scheme(tags: list[str], scheme: str) -> tuple[int, str, str] | None:
    """The first tag that breaks ``scheme`` ("BIO" or "BIOES"), or None.

    Returns:
        ``(index, expected, got)`` describing the offending tag.
    """
    if scheme not in SCHEMES:
        raise ConfigError(f"validate_scheme must be None, 'BIO' or 'BIOES', got {scheme!r}")
    prefixes = "BI" if scheme == "BIO" else "BIES"
    open_label = None  # the type of the span the previous tag leaves open
    for i, tag in enumerate(tags):
        prev = tags[i - 1] if i else "start of sentence"
        if tag == "O":
            prefix, label = "O", None
        else:
            prefix, sep, label = tag.partition("-")
            if not sep or prefix not in prefixes or not label:
                return i, f"O or {'/'.join(prefixes)}-TYPE ({scheme})", repr(tag)
        if scheme == "BIO":
            if prefix == "I" and open_label != label:
                return i, f"B-{label} or I-{label} before {tag} (BIO)", f"{tag} after {prev}"
            open_label = label
        else:
            continues = prefix in "IE"
            if open_label is not None and not (continues and label == open_label):
                return i, f"I-{open_label} or E-{open_label} after {prev} (BIOES)", tag
            if open_label is None and continues:
                return i, f"B-{label} before {tag} (BIOES)", f"{tag} after {prev}"
            open_label = label if prefix in "BI" else None
    if scheme == "BIOES" and open_label is not None:
        return len(tags) - 1, f"E-{open_label} to close the span (BIOES)", f"{tags[-1]} at the end"
    return None


def read_conll(
    path: str | os.PathLike,
    *,
    tag_column: int = -1,
    delimiter: str | None = None,
    validate_scheme: str | None = None,
    lenient: bool = False,
) -> ReadResult[TaggedSentence]:
    """Read a CoNLL file: a token and tag columns per line, blank lines between sentences.

    Args:
        tag_column: which column holds the tags (0-based, negative from the end;
            not 0, the token). The others stay in ``sentence.columns``.
        delimiter: None splits on any run of whitespace (CoNLL-2003); ``"\\t"``
            allows spaces inside a token.
        validate_scheme: None, ``"BIO"`` or ``"BIOES"``: refuse a tag that breaks
            the scheme, naming its line.
        lenient: skip a malformed sentence (counted in ``result.skipped``, with one
            warning) instead of raising.

    Raises:
        DataError: a line with another number of columns than the file's first,
            fewer than two columns, an empty token or tag, an invalid BIO/BIOES
            transition, bad UTF-8, or no sentence at all.
    """
    if validate_scheme is not None and validate_scheme not in SCHEMES:
        raise ConfigError(
            f"validate_scheme must be None, 'BIO' or 'BIOES', got {validate_scheme!r}"
        )
    issues = Issues(path, lenient)
    sentences: list[TaggedSentence] = []
    width = first = column = None
    rows: list[list[str]] = []
    row_lines: list[int] = []
    broken = False

    def close() -> None:
        nonlocal rows, row_lines, broken
        if rows and not broken:
            columns = tuple(list(c) for c in zip(*rows))
            sentence = TaggedSentence(
                list(columns[0]), list(columns[column]), row_lines[0], columns
            )
            bad = check_tag_scheme(sentence.tags, validate_scheme) if validate_scheme else None
            if bad is None:
                sentences.append(sentence)
            else:
                i, expected, got = bad
                issues.report(DataError(path, row_lines[i], expected, got))
        rows, row_lines, broken = [], [], False

    for line, text in iter_lines(path, issues):
        if _blank(text):
            close()
            continue
        if text.startswith("-DOCSTART-"):
            close()
            continue
        fields = text.split(delimiter) if delimiter else text.split()
        if width is None:
            width, first = len(fields), line
            if width < 2:
                raise DataError(path, line, "a token and at least one tag column", text[:40])
            if not -width <= tag_column < width or tag_column % width == 0:
                raise ConfigError(
                    f"tag_column must name one of the {width - 1} tag columns of {path} "
                    f"(1..{width - 1} or -1..-{width - 1}), got {tag_column}"
                )
            column = tag_column % width
        if broken:
            continue
        if len(fields) != width:
            issues.report(
                DataError(
                    path, line, f"{width} columns, as line {first} has", f"{len(fields)} columns"
                )
            )
            broken = True
            continue
        if not all(fields):
            issues.report(DataError(path, line, "a non-empty token and tags", repr(text)))
            broken = True
            continue
        rows.append(fields)
        row_lines.append(line)
    close()
    issues.finish(len(sentences), "sentence")
    return ReadResult(
        sentences, source=path, lines=[s.line for s in sentences], skipped=issues.skipped
    )


def read_conllu(
    path: str | os.PathLike,
    *,
    tag: str = "upos",
    lenient: bool = False,
) -> ReadResult[TaggedSentence]:
    """Read a CoNLL-U file (Universal Dependencies): ten tab-separated fields a word.

    Comment lines (``# text = ...``) are skipped. A multiword token's range line
    (``1-2  del``) is skipped and its syntactic words (``1 de``, ``2 el``) kept;
    empty nodes (``8.1``) are skipped. Word IDs must count 1, 2, 3, ... within a
    sentence.

    Args:
        tag: ``"upos"`` (universal part of speech) or ``"xpos"`` (the treebank's own).

    Raises:
        DataError: another number of fields than ten, an empty FORM or tag, an
            ID out of sequence or malformed, bad UTF-8, or no sentence at all.
    """
    if tag not in ("upos", "xpos"):
        raise ConfigError(f"tag must be 'upos' or 'xpos', got {tag!r}")
    column = _CONLLU_FIELDS.index(tag)
    issues = Issues(path, lenient)
    sentences: list[TaggedSentence] = []
    rows: list[list[str]] = []
    row_lines: list[int] = []
    broken = False

    def close() -> None:
        nonlocal rows, row_lines, broken
        if rows and not broken:
            columns = tuple(list(c) for c in zip(*rows))
            sentences.append(
                TaggedSentence(list(columns[1]), list(columns[column]), row_lines[0], columns)
            )
        rows, row_lines, broken = [], [], False

    def refuse(line: int, expected: str, got: str) -> None:
        nonlocal broken
        issues.report(DataError(path, line, expected, got))
        broken = True

    for line, text in iter_lines(path, issues):
        if _blank(text):
            close()
            continue
        if text.startswith("#") or broken:
            continue
        fields = text.split("\t")
        if len(fields) != 10:
            refuse(line, "10 tab-separated fields (CoNLL-U)", f"{len(fields)} fields")
            continue
        word_id = fields[0]
        if _RANGE_ID.fullmatch(word_id) or _EMPTY_ID.fullmatch(word_id):
            continue  # a multiword token's surface form, or an empty node
        if not _WORD_ID.fullmatch(word_id):
            refuse(line, "a word ID (1, 2, ...), a range (1-2) or an empty node (1.1)", word_id)
            continue
        if int(word_id) != len(rows) + 1:
            refuse(line, f"word ID {len(rows) + 1}", word_id)
            continue
        if not fields[1] or not fields[column]:
            refuse(line, f"a non-empty FORM and {tag.upper()}", repr(text[:60]))
            continue
        rows.append(fields)
        row_lines.append(line)
    close()
    issues.finish(len(sentences), "sentence")
    return ReadResult(
        sentences, source=path, lines=[s.line for s in sentences], skipped=issues.skipped
    )


def _blank(text: str) -> bool:
    """A sentence break: an empty line, or one of spaces and stray byte-order marks
    (U+FEFF; WNUT 2017's dev file ends with such a line)."""
    return not text.replace("\ufeff", "").strip()
