"""The data of the seq2seq task: the embedded restoration pairs and parallel TSV files.

The embedded default is the lecture's restoration task: give back a Shakespeare
line from the line lowercased with its spaces removed::

    source  thatyouareso.
    target  That you are so.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence

from rnnkit.config import RunConfig
from rnnkit.data import embedded
from rnnkit.data.readers import ReadResult, read_pairs, take
from rnnkit.errors import ConfigError, DataError
from rnnkit.tasks.base import Splits, fields_of, read_source, rows_of, source_name

__all__ = [
    "MAX_LINE_LENGTH",
    "VALID_FRACTION",
    "restoration_source",
    "restoration_pairs",
    "read_pairs_file",
    "read_splits",
]

VALID_FRACTION = 0.1
MAX_LINE_LENGTH = 80  # the embedded task: longer lines are left out

Pairs = Sequence[tuple[str, str]]


# -- data ----------------------------------------------------------------------------------
def restoration_source(line: str) -> str:
    """The lecture's input: the line lowercased, without spaces (any whitespace)."""
    return "".join(line.lower().split())


def _hash_key(i: int, text: str) -> str:
    return hashlib.sha256(f"{i}:{text}".encode()).hexdigest()


def restoration_pairs(split: str) -> list[tuple[str, str]]:
    """``(restoration_source(line), line)`` for the lines of the embedded Shakespeare.

    Speaker names (the first line of each block) and lines longer than
    :data:`MAX_LINE_LENGTH` characters are left out. ``"train"`` takes the lines of
    the Shakespeare train split; ``"valid"`` and ``"test"`` come from the lines of
    its valid split (the last plays), each line placed by the SHA-256 of its text
    (a line said twice goes to the same side), the same every time: half of them
    are ``"test"``, an eighth ``"valid"`` (small, since every evaluation decodes
    it whole), and the rest is left unused.
    """
    if split not in ("train", "valid", "test"):
        raise ConfigError(f"split must be 'train', 'valid' or 'test', got {split!r}")
    text = embedded.load("shakespeare", "train" if split == "train" else "valid")
    lines = []
    for block in text.split("\n\n"):
        for line in block.split("\n")[1:]:  # the first line names the speaker
            line = line.strip()
            if line and len(line) <= MAX_LINE_LENGTH:
                lines.append(line)
    if split != "train":
        keep = (lambda b: b % 2 == 1) if split == "test" else (lambda b: b % 8 == 0)
        lines = [x for x in lines if keep(int(_hash_key(0, x)[:2], 16))]
    return [(restoration_source(line), line) for line in lines]


def read_pairs_file(path: str | os.PathLike, config: RunConfig) -> ReadResult:
    """``(source, target)`` pairs of a parallel TSV (columns 0 and 1)."""
    return read_pairs(path, header=config.data.header)


def _held_out(pairs: Pairs) -> tuple[list[int], list[int]]:
    order = sorted(range(len(pairs)), key=lambda i: _hash_key(i, "\t".join(pairs[i])))
    n_valid = max(1, round(len(pairs) * VALID_FRACTION)) if len(pairs) >= 2 else 0
    return sorted(order[n_valid:]), sorted(order[:n_valid])


def read_splits(config: RunConfig) -> Splits:
    """The ``(source, target)`` pairs to train and validate on: the embedded restoration
    task, or files."""
    d = config.data
    read = lambda path: read_pairs_file(path, config)  # noqa: E731
    if d.data is None:
        train, train_source = restoration_pairs("train"), "shakespeare restoration (train)"
    else:
        train, train_source = read_source(config, "data", read), source_name(d.data, "data")
    if d.valid is not None:
        valid = read_source(config, "valid", read)
        return Splits(train, valid, train_source, source_name(d.valid, "valid"))
    if d.data is None:
        return Splits(
            train, restoration_pairs("valid"), train_source, "shakespeare restoration (valid)"
        )
    train_idx, valid_idx = _held_out(train)
    if not valid_idx:
        raise DataError(train_source, None, "at least 2 pairs, to hold some out", f"{len(train)}")
    held = f"{train_source} (held-out {VALID_FRACTION:.0%})"
    return Splits(take(train, train_idx), take(train, valid_idx), train_source, held)


def pairs_from_memory(items, config: RunConfig, which: str) -> list[tuple[str, str]]:
    """``(source, target)`` pairs, or dicts with ``source`` and ``target``."""
    out = []
    for i, row in enumerate(rows_of(items, which)):
        src, tgt = fields_of(row, ["source", "target"], which, i, "a (source, target) pair")
        for side, text in (("source", src), ("target", tgt)):
            if not isinstance(text, str) or not text.strip():
                raise DataError(f"{which}[{i}]", None, f"a non-empty {side} text", repr(text)[:60])
        out.append((src, tgt))
    return out
