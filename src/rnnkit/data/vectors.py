"""Pretrained word vectors in the text format of word2vec and GloVe.

One word a line, then its numbers, separated by spaces; word2vec's text files
start with a header line ``<count> <dimension>``, GloVe's do not::

    400000 100                 <- optional header (word2vec)
    the 0.418 0.24968 -0.41242 ...
    , 0.013441 0.23682 -0.16899 ...

The dimension is that of the first vector; every other line must have as many
numbers. The word is everything before the last ``dimension`` fields, so
GloVe 840B's few words with a space inside read correctly.
"""

from __future__ import annotations

import os

import torch
from torch import Tensor

from rnnkit.data._lines import iter_lines
from rnnkit.errors import ConfigError, DataError

__all__ = ["read_word_vectors", "vectors_for_vocab"]


def read_word_vectors(
    path: str | os.PathLike, *, limit: int | None = None, keep: set[str] | None = None
) -> tuple[list[str], Tensor]:
    """Read a word2vec/GloVe text file.

    Args:
        limit: read at most this many vectors from the top of the file (these
            files list the most frequent words first); None reads all.
        keep: a set of words to keep even past ``limit`` (the training words);
            with ``limit`` None every word is kept anyway.

    Returns:
        ``(words, vectors)``: M distinct words (the first occurrence wins) and an
        (M, E) float32 tensor.

    Raises:
        DataError: a line with another number of values than the first vector's,
            a value that is not a number, or no vector at all.
    """
    if limit is not None and limit < 0:
        raise ConfigError(f"limit must be >= 0 or None, got {limit}")
    words: list[str] = []
    rows: list[list[float]] = []
    seen: set[str] = set()
    dim: int | None = None
    read = 0
    for line, text in iter_lines(path):
        fields = text.rstrip().split(" ")
        if not text.strip():
            continue
        if dim is None and line == 1 and len(fields) == 2 and all(f.isdigit() for f in fields):
            continue  # word2vec header
        if dim is None:
            dim = len(fields) - 1
            if dim < 1:
                raise DataError(path, line, "a word followed by its vector", repr(text[:40]))
        if len(fields) < dim + 1:
            raise DataError(path, line, f"a word and {dim} numbers", f"{len(fields) - 1} values")
        word = " ".join(fields[: len(fields) - dim])
        read += 1
        if word in seen or (limit is not None and read > limit and word not in (keep or ())):
            continue
        try:
            values = [float(v) for v in fields[len(fields) - dim :]]
        except ValueError:
            raise DataError(path, line, f"{dim} numbers after the word", repr(text[:60])) from None
        seen.add(word)
        words.append(word)
        rows.append(values)
    if not rows:
        raise DataError(path, None, "at least one word vector", "none")
    return words, torch.tensor(rows, dtype=torch.float32)  # (M, E)


def vectors_for_vocab(itos: list[str], words: list[str], vectors: Tensor) -> tuple[Tensor, Tensor]:
    """Rows of ``vectors`` for a vocab: the word's own vector, else its lowercase's.

    Returns:
        ``(weight, found)``: (V, E) float32 with zeros where no vector was
        found, and (V,) bool marking the rows that have one.
    """
    index = {w: i for i, w in enumerate(words)}
    weight = vectors.new_zeros(len(itos), vectors.size(1))  # (V, E)
    found = torch.zeros(len(itos), dtype=torch.bool)
    for v, word in enumerate(itos):
        i = index.get(word, index.get(word.lower()))
        if i is not None:
            weight[v] = vectors[i]
            found[v] = True
    return weight, found
