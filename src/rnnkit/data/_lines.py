"""Shared plumbing of the readers: UTF-8 lines with their numbers, CSV rows,
columns by name or number, and the bookkeeping of lenient reading.

Private to :mod:`rnnkit.data`; the public readers are in :mod:`~rnnkit.data.readers`
and :mod:`~rnnkit.data.conll`.
"""

from __future__ import annotations

import csv
import os
import stat
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Generic, TypeVar

from rnnkit.errors import ConfigError, DataError

T = TypeVar("T")


class ReadResult(list, Generic[T]):
    """A list of records as a reader returns it, with where they came from.

    Attributes:
        source: the file (or folder) read.
        lines: the 1-based line number of each record, in the same order, so that
            a later step can name the row it refuses.
        skipped: the :class:`~rnnkit.errors.DataError` of each malformed row that
            ``lenient=True`` skipped (empty when reading strictly).
    """

    def __init__(self, records=(), *, source=None, lines=None, skipped=None) -> None:
        super().__init__(records)
        self.source: str | None = None if source is None else os.fspath(source)
        self.lines: list[int | None] = list(lines) if lines is not None else [None] * len(self)
        self.skipped: list[DataError] = list(skipped or [])

    @property
    def num_skipped(self) -> int:
        return len(self.skipped)


class Issues:
    """Collects malformed rows: raises the first one, or (lenient) counts them all."""

    def __init__(self, path: str | os.PathLike, lenient: bool) -> None:
        self.path = path
        self.lenient = lenient
        self.skipped: list[DataError] = []

    def report(self, error: DataError) -> None:
        if not self.lenient:
            raise error
        self.skipped.append(error)

    def finish(self, count: int, what: str) -> None:
        """Refuse a file with no records; warn once about what was skipped."""
        if count == 0:
            got = "none"
            if self.skipped:
                got += f" ({len(self.skipped)} malformed skipped; first: {self.skipped[0]})"
            raise DataError(self.path, None, f"at least one {what}", got)
        if self.skipped:
            warnings.warn(
                f"{os.fspath(self.path)}: skipped {len(self.skipped)} malformed "
                f"{what}{'s' if len(self.skipped) > 1 else ''} (lenient=True); "
                f"first: {self.skipped[0]}",
                stacklevel=3,
            )


class _BadLine(Exception):
    """A line that is not UTF-8; carries its DataError through csv's iterator."""

    def __init__(self, error: DataError) -> None:
        self.error = error


def open_binary(path: str | os.PathLike):
    """``path`` opened for reading bytes; a DataError naming it when it is missing, a
    folder, unreadable, or not a regular file (a named pipe would block the open, and
    ``/dev/zero`` would never end: the readers read a file more than once)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        mode = None  # open() below names the problem
    if mode is not None and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(mode) else "a device or socket"
        raise DataError(path, None, "a regular file (write the text to a file first)", kind)
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise DataError(path, None, "an existing file", "no such file") from None
    except IsADirectoryError:
        raise DataError(path, None, "a file", "a directory") from None
    except OSError as e:
        raise DataError(path, None, "a readable file", e.strerror or str(e)) from None
    except ValueError:  # open() refuses a path with a NUL byte before any OSError
        raise DataError(repr(str(path)), None, "a file path", "a NUL byte in it") from None


def iter_lines(
    path: str | os.PathLike, issues: Issues | None = None, *, keepends: bool = False
) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text)`` for each line of a UTF-8 file, streaming.

    A line that is not UTF-8 raises a DataError naming its line and byte offset
    (or, lenient, is reported to ``issues`` and skipped). A leading byte order
    mark is dropped. Without ``keepends`` the line ending (``\\n`` or ``\\r\\n``) is
    removed.
    """
    path = Path(path)
    with open_binary(path) as f:
        offset = 0
        for number, raw in enumerate(f, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as e:
                at = offset + e.start
                error = DataError(
                    path,
                    number,
                    "UTF-8 text",
                    f"byte 0x{raw[e.start]:02x} at byte offset {at}",
                    offset=at,
                )
                if issues is None:
                    raise error from None
                issues.report(error)
                offset += len(raw)
                continue
            if number == 1 and text.startswith("\ufeff"):
                text = text[1:]
            offset += len(raw)
            if not keepends:
                text = text.rstrip("\n").removesuffix("\r")
            yield number, text


def delimiter_for(path: str | os.PathLike, delimiter: str | None) -> str:
    """``delimiter``, or by extension: ``,`` for ``.csv``, a tab for anything else."""
    if delimiter is not None:
        if len(delimiter) != 1:
            raise ConfigError(f"delimiter must be one character, got {delimiter!r}")
        return delimiter
    return "," if Path(path).suffix.lower() == ".csv" else "\t"


def _lift_field_limit() -> None:
    """csv refuses fields over 131,072 characters by default; a document may be any
    length the rest of the pipeline accepts."""
    limit = sys.maxsize
    while True:
        try:
            csv.field_size_limit(limit)
            return
        except OverflowError:  # a C long is 32 bits on some platforms
            limit //= 2


def iter_rows(
    path: str | os.PathLike,
    issues: Issues,
    *,
    delimiter: str,
    quoting: bool,
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(first line number, fields)`` for each non-blank row of a delimited file.

    With ``quoting`` the stdlib :mod:`csv` rules apply (``"a, b"`` is one field, a
    quoted field may span lines, ``""`` is a quote) and a broken quote is a
    DataError; without it every line is one row and quotes are plain text.
    Blank lines are refused (or, lenient, skipped and counted).
    """
    if not quoting:
        for number, text in iter_lines(path, issues):
            if not text.strip():
                issues.report(DataError(path, number, "a row of fields", "a blank line"))
                continue
            yield number, text.split(delimiter)
        return
    lines = (text for _, text in iter_lines(path, issues, keepends=True))
    _lift_field_limit()
    reader = csv.reader(lines, delimiter=delimiter, quotechar='"', strict=True)
    last = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            issues.report(DataError(path, last + 1, "well-formed CSV quoting", str(e)))
            last = reader.line_num
            continue
        start, last = last + 1, reader.line_num
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            issues.report(DataError(path, start, "a row of fields", "a blank line"))
            continue
        yield start, fields


def resolve_columns(
    path: str | os.PathLike,
    columns: Sequence[int | str],
    header: Sequence[str] | None,
    width: int,
) -> list[int]:
    """Turn column names (looked up in ``header``) or numbers (negative from the end) into indices."""
    out = []
    for column in columns:
        if isinstance(column, str):
            if header is None:
                raise DataError(
                    path, None, f"a header row to find the column {column!r} (pass header=True)"
                )
            names = [h.strip() for h in header]
            if column not in names:
                raise DataError(
                    path, 1, f"a column named {column!r}", f"the columns {', '.join(names)}"
                )
            out.append(names.index(column))
        elif isinstance(column, int) and not isinstance(column, bool):
            if not -width <= column < width:
                need = column + 1 if column >= 0 else -column
                raise DataError(
                    path,
                    1,
                    f"at least {need} columns (column {column} is read)",
                    f"{width} (is the delimiter right?)",
                )
            out.append(column % width)
        else:
            raise ConfigError(f"a column is a name or a number, got {column!r}")
    return out
