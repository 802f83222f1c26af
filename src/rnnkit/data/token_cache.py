"""A text file of any size as a memory-mapped stream of token ids.

A language model reads its corpus as one stream of ids. Held as Python strings
and lists, a corpus costs about 18 bytes a character; here the file is read in
blocks of whole lines, tokenised block by block, and its ids written once to a
cache file in the narrowest unsigned integer type the vocabulary allows (2 bytes a
token up to 65,536 tokens). The stream is then a :func:`numpy.memmap` of that file:
the operating system pages it in as training reads it::

    corpus.txt --(blocks of lines)--> tokenizer --> ids --> CACHE/<key>.uint16
                                                               |
                          np.memmap (copy-on-write) --> torch tensor (T,) uint16

The key is the SHA-256 of the bytes read, the tokenizer and the vocabulary, so a
changed corpus or tokenizer never reuses stale ids. The cache lives in
``$RNNKIT_CACHE`` (default ``~/.cache/rnnkit/tokens``), never inside a run.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from rnnkit.data._lines import open_binary
from rnnkit.errors import DataError

__all__ = ["TextSpan", "split_span", "encode_span", "cache_dir", "BLOCK_BYTES"]

BLOCK_BYTES = 1 << 20  # blocks of about 1 MB, cut after a newline
# Part of every key: raised when a tokenizer's output changes under the same options (2:
# the regex tokenizer keeps combining marks with their letters), so no stale ids are read.
CACHE_VERSION = 2


def cache_dir() -> Path:
    root = os.environ.get("RNNKIT_CACHE") or Path.home() / ".cache" / "rnnkit"
    return Path(root) / "tokens"


@dataclass(frozen=True)
class TextSpan:
    """The bytes ``[start, end)`` of a UTF-8 text file (``end`` None: to the end), read
    in blocks of whole lines. ``start`` and ``end`` fall just after a newline."""

    path: str
    start: int = 0
    end: int | None = None

    def __str__(self) -> str:
        return self.path

    def blocks(self, size: int | None = None) -> Iterator[str]:
        """The text, block by block (of about ``size`` bytes, default :data:`BLOCK_BYTES`,
        cut after a newline); bad UTF-8 is a DataError naming the line."""
        size = size or BLOCK_BYTES
        with open_binary(self.path) as f:
            f.seek(self.start)
            left = None if self.end is None else self.end - self.start
            line, carry, first = 1 + self._lines_before(), b"", self.start == 0
            while True:
                raw = f.read(size if left is None else min(size, left))
                if left is not None:
                    left -= len(raw)
                if not raw:
                    break
                raw, cut = carry + raw, None
                more = left is None or left > 0
                if more and raw.rfind(b"\n") >= 0:
                    cut = raw.rfind(b"\n") + 1
                    raw, carry = raw[:cut], raw[cut:]
                elif more:  # a line longer than a block: cut it between two characters
                    cut = len(raw) - _incomplete_tail(raw)
                    raw, carry = raw[:cut], raw[cut:]
                else:
                    carry = b""
                text = self._decode(raw, line)
                if first and text.startswith("\ufeff"):  # a byte order mark is not text
                    text = text[1:]
                first = False
                line += raw.count(b"\n")
                yield text
            if carry:
                yield self._decode(carry, line)

    def _lines_before(self) -> int:
        if self.start == 0:
            return 0
        with open_binary(self.path) as f:
            return _count_newlines(f, self.start)

    def _decode(self, raw: bytes, line: int) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            at = raw.count(b"\n", 0, e.start)
            raise DataError(
                self.path,
                line + at,
                "UTF-8 text",
                f"byte 0x{raw[e.start]:02x} at byte offset {self.start + e.start}",
            ) from None

    def digest(self) -> str:
        h = hashlib.sha256()
        with open_binary(self.path) as f:
            f.seek(self.start)
            left = None if self.end is None else self.end - self.start
            while left is None or left > 0:
                raw = f.read(BLOCK_BYTES if left is None else min(BLOCK_BYTES, left))
                if not raw:
                    break
                h.update(raw)
                if left is not None:
                    left -= len(raw)
        return h.hexdigest()


def _incomplete_tail(raw: bytes) -> int:
    """How many bytes at the end of ``raw`` start a UTF-8 character they do not finish."""
    for k in range(1, min(4, len(raw)) + 1):
        b = raw[-k]
        if b & 0xC0 != 0x80:  # not a continuation byte: ASCII or the lead of a character
            need = (
                2 if b >> 5 == 0b110 else 3 if b >> 4 == 0b1110 else 4 if b >> 3 == 0b11110 else 1
            )
            return k if need > k else 0
    return 0


def _count_newlines(f, upto: int) -> int:
    f.seek(0)
    count, read = 0, 0
    while read < upto:
        raw = f.read(min(BLOCK_BYTES, upto - read))
        if not raw:
            break
        count += raw.count(b"\n")
        read += len(raw)
    return count


def split_span(path: str | os.PathLike, fraction: float = 0.9) -> tuple[TextSpan, TextSpan]:
    """The file cut after the last newline before ``fraction`` of its bytes: the first
    part to train on, the rest to validate on."""
    path = os.fspath(path)
    with open_binary(path) as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            raise DataError(path, None, "some text", "an empty file")
        at = int(size * fraction)
        back = max(0, at - BLOCK_BYTES)
        f.seek(back)
        raw = f.read(at - back)
    cut = back + raw.rfind(b"\n") + 1 if b"\n" in raw else at
    if cut <= 0 or cut >= size:  # no newline to cut after: cut between two characters
        cut = at - _incomplete_tail(raw)
    return TextSpan(path, 0, cut), TextSpan(path, cut, None)


def _dtype(vocab_size: int) -> np.dtype:
    for dtype in (np.uint8, np.uint16, np.uint32):
        if vocab_size <= np.iinfo(dtype).max + 1:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def encode_span(span: TextSpan, tokenizer, vocab, *, root: Path | None = None) -> torch.Tensor:
    """The ids of ``span`` as a memory-mapped 1-D tensor (narrow dtype), from the cache
    or tokenised once into it."""
    dtype = _dtype(len(vocab))
    about = json.dumps([tokenizer.to_dict(), vocab.itos], sort_keys=True, ensure_ascii=False)
    key = hashlib.sha256(f"{span.digest()}|{about}|{CACHE_VERSION}".encode()).hexdigest()[:32]
    root = root or cache_dir()
    path = root / f"{key}.{dtype.name}"
    if not path.is_file():
        root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{key}.", suffix=".tmp", dir=root)
        try:
            with os.fdopen(fd, "wb") as f:
                for block in span.blocks():
                    np.asarray(tokenizer.encode(block, vocab), dtype=dtype).tofile(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    count = path.stat().st_size // dtype.itemsize
    if count == 0:
        return torch.zeros(0, dtype=torch.long)
    ids = np.memmap(path, dtype=dtype, mode="c", shape=(count,))  # copy-on-write: never written
    return torch.from_numpy(ids)
