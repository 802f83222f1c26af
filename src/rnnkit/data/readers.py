"""Readers: files -> plain Python data, strictly.

Every malformed input raises :class:`~rnnkit.errors.DataError` naming the file,
the line (or the byte offset of bad UTF-8) and what was expected. No row is
dropped silently: with ``lenient=True`` a malformed row is skipped, kept in the
result's ``skipped`` list and summarised in one :func:`warnings.warn`; a file
that yields no example at all is refused either way.

Files are read line by line (streaming); the results are lists that remember
each record's line (:class:`ReadResult`), so that a later step can still name
the row it refuses.

=================================  ===========================================
reader                             returns
=================================  ===========================================
:func:`read_text`                  ``str`` (a file, or a folder of ``.txt``)
:func:`read_labelled`              ``[(text, label), ...]`` from TSV/CSV
:func:`read_label_folder`          ``[(text, label), ...]`` from ``<label>.txt``
:func:`read_pairs`                 ``[(src, tgt), ...]`` from parallel TSV
:func:`read_numeric_csv`           :class:`NumericTable`
:func:`~rnnkit.data.conll.read_conll`   ``[TaggedSentence, ...]``
:func:`~rnnkit.data.conll.read_conllu`  ``[TaggedSentence, ...]``
=================================  ===========================================
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np

from rnnkit.data._lines import (
    Issues,
    ReadResult,
    delimiter_for,
    iter_lines,
    iter_rows,
    open_binary,
    resolve_columns,
)
from rnnkit.data.conll import TaggedSentence, read_conll, read_conllu
from rnnkit.errors import DataError

T = TypeVar("T")

__all__ = [
    "ReadResult",
    "NumericTable",
    "TaggedSentence",
    "read_text",
    "read_labelled",
    "read_label_folder",
    "read_pairs",
    "read_numeric_csv",
    "check_dates",
    "read_conll",
    "read_conllu",
    "take",
]


def take(records: Sequence[T], indices: Sequence[int]) -> list[T]:
    """The records at ``indices``; a :class:`ReadResult` stays one, keeping its
    source and the line of each record taken (so later errors still name the row)."""
    out = [records[i] for i in indices]
    if isinstance(records, ReadResult):
        return ReadResult(out, source=records.source, lines=[records.lines[i] for i in indices])
    return out


def read_text(path: str | os.PathLike) -> str:
    """Read a UTF-8 text file, or every ``*.txt`` file of a folder in name order.

    Raises:
        DataError: the path does not exist, a file is not valid UTF-8 (the
            message gives the line and byte offset), or there is no text.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.txt") if p.is_file())
        if not files:
            raise DataError(path, None, "a text file or a folder with .txt files", "no .txt file")
        return "".join(_read_utf8(f) for f in files)
    return _read_utf8(path)


def _read_utf8(path: Path) -> str:
    with open_binary(path) as f:
        raw = f.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            path,
            line,
            "UTF-8 text",
            f"byte 0x{raw[e.start]:02x} at byte offset {e.start}",
            offset=e.start,
        ) from None
    if text.startswith("\ufeff"):  # a UTF-8 byte order mark is not text
        text = text[1:]
    if not text.strip():
        raise DataError(path, None, "some text", "an empty file" if not text else "only whitespace")
    return text


def _table(
    path: str | os.PathLike,
    columns: Sequence[int | str],
    issues: Issues,
    *,
    header: bool | None,
    delimiter: str | None,
    quoting: bool | None,
) -> Iterator[tuple[int, list[str], list[str]]]:
    """Yield ``(line, selected fields stripped, their column names)`` per data row.

    Every row must have as many fields as the first (the header, when there is one).
    """
    delimiter = delimiter_for(path, delimiter)
    quoting = delimiter == "," if quoting is None else quoting
    rows = iter_rows(path, issues, delimiter=delimiter, quoting=quoting)
    if header is None and any(isinstance(c, str) for c in columns):
        header = True
    elif header is None:
        rows = list(rows)
        header = _looks_like_header(rows, columns)
        if header:
            shown = ", ".join(repr(rows[0][1][c].strip()) for c in columns)
            warnings.warn(
                f"{os.fspath(path)}:{rows[0][0]}: the first row ({shown}) looks like column "
                "names and is read as a header; pass --no-header to train on it",
                stacklevel=3,
            )
    width = first = None
    index: list[int] = []
    names: list[str] = []
    for line, fields in rows:
        if width is None:
            width, first = len(fields), line
            head = [f.strip() for f in fields] if header else None
            index = resolve_columns(path, columns, head, width)
            names = [head[i] for i in index] if head else [f"column {i}" for i in index]
            twice = [i for i in set(index) if index.count(i) > 1]
            if twice:  # a label read as its own text, say
                raise DataError(
                    path,
                    line,
                    f"a different column for each of {', '.join(map(repr, columns))}",
                    f"column {twice[0]} for two of them",
                )
            if header:
                continue
        if len(fields) != width:
            what = "the header" if header else f"line {first}"
            issues.report(
                DataError(
                    path,
                    line,
                    f"{width} fields separated by {delimiter!r}, as {what} has",
                    f"{len(fields)} fields",
                )
            )
            continue
        yield line, [fields[i].strip() for i in index], names


#: first-row values that name a column rather than hold data
HEADER_WORDS = frozenset(
    [
        "text",
        "texts",
        "sentence",
        "sentences",
        "document",
        "documents",
        "doc",
        "review",
        "reviews",
        "content",
        "comment",
        "comments",
        "title",
        "body",
        "source",
        "target",
        "src",
        "tgt",
        "input",
        "output",
        "question",
        "answer",
        "query",
        "label",
        "labels",
        "class",
        "classes",
        "category",
        "categories",
        "sentiment",
        "tag",
        "tags",
        "y",
        "x",
        "id",
        "name",
        "names",
    ]
)


def _looks_like_header(rows: list, columns: Sequence[int]) -> bool:
    """Whether the first row names the columns: each selected value is a column word
    (``text``, ``label``, ...), or each is a short name and the last (the label) never
    occurs again in a column whose values repeat."""
    if len(rows) < 2:
        return False
    width = len(rows[0][1])
    if any(not -width <= c < width for c in columns):
        return False
    first = [rows[0][1][c].strip() for c in columns]
    if all(v.lower() in HEADER_WORDS for v in first):
        return True
    if not all(v.replace("_", "").replace(" ", "").isalpha() and len(v) <= 30 for v in first):
        return False
    labels = [r[1][columns[-1]].strip() for r in rows[1:] if len(r[1]) == width]
    repeats = len(labels) >= 4 and len(set(labels)) <= len(labels) / 2
    return repeats and first[-1] not in labels


def _non_empty(path, line: int, values: list[str], names: list[str], issues: Issues) -> bool:
    for value, name in zip(values, names):
        if not value:
            issues.report(DataError(path, line, f"a non-empty value in {name}", "an empty field"))
            return False
    return True


def read_labelled(
    path: str | os.PathLike,
    *,
    text_column: int | str = 0,
    label_column: int | str = 1,
    header: bool | None = None,
    delimiter: str | None = None,
    quoting: bool | None = None,
    lenient: bool = False,
) -> ReadResult[tuple[str, str]]:
    """Read ``(text, label)`` examples from a TSV or CSV file.

    Args:
        text_column, label_column: a column name (looked up in the header) or a
            number (0-based, negative from the end).
        header: whether the first row names the columns; None: yes when a column
            is given by name.
        delimiter: None picks ``,`` for ``.csv`` and a tab for anything else.
        quoting: whether ``"..."`` quotes a field (stdlib :mod:`csv` rules); None:
            yes for commas, no for tabs, where a stray quote in a review would
            otherwise swallow the lines after it.
        lenient: skip malformed rows (counted in ``result.skipped``, with one
            warning) instead of raising on the first.

    Example:
        >>> rows = read_labelled("tests/fixtures/reviews_ko.tsv",
        ...                      text_column="document", label_column="label")
        >>> rows[0][1], rows.lines[0]
        ('1', 2)

    Raises:
        DataError: a row with another number of fields than the header (or first
            row), an empty text or label, broken quoting, bad UTF-8, an unknown
            column name, or no example at all.
    """
    issues = Issues(path, lenient)
    records, lines = [], []
    for line, (text, label), names in _table(
        path,
        [text_column, label_column],
        issues,
        header=header,
        delimiter=delimiter,
        quoting=quoting,
    ):
        if _non_empty(path, line, [text, label], names, issues):
            records.append((text, label))
            lines.append(line)
    issues.finish(len(records), "example")
    return ReadResult(records, source=path, lines=lines, skipped=issues.skipped)


def read_pairs(
    path: str | os.PathLike,
    *,
    src_column: int | str = 0,
    tgt_column: int | str = 1,
    header: bool | None = None,
    delimiter: str | None = "\t",
    quoting: bool | None = None,
    lenient: bool = False,
) -> ReadResult[tuple[str, str]]:
    """Read ``(source, target)`` pairs from a parallel TSV (one pair a line).

    Extra columns (the attribution column of Tatoeba/Anki files) are allowed
    when every line has them. Options as :func:`read_labelled`.

    Raises:
        DataError: another number of fields than the first line, an empty side,
            bad UTF-8, or no pair at all.
    """
    issues = Issues(path, lenient)
    records, lines = [], []
    for line, (src, tgt), names in _table(
        path,
        [src_column, tgt_column],
        issues,
        header=header,
        delimiter=delimiter,
        quoting=quoting,
    ):
        if _non_empty(path, line, [src, tgt], names, issues):
            records.append((src, tgt))
            lines.append(line)
    issues.finish(len(records), "pair")
    return ReadResult(records, source=path, lines=lines, skipped=issues.skipped)


def read_label_folder(
    path: str | os.PathLike, *, suffix: str = ".txt", lenient: bool = False
) -> ReadResult[tuple[str, str]]:
    """Read a folder of ``<label>.txt`` files, one example per line.

    This is the layout of the PyTorch "classifying names" tutorial
    (``names/Korean.txt``, ``names/Scottish.txt``, ...). Files are read in name
    order; the label is the file name without ``suffix``; ``result.lines[i]`` is
    the line of example ``i`` in its own file and ``result.files[i]`` that file.

    Raises:
        DataError: the folder is missing or has no ``*.txt`` file, a blank line,
            bad UTF-8, or a label file without examples.
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(folder, None, "a folder of <label>.txt files", "no such folder")
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(suffix))
    if not files:
        raise DataError(folder, None, f"a folder of <label>{suffix} files", f"no {suffix} file")
    issues = Issues(folder, lenient)
    records, lines, sources = [], [], []
    for file in files:
        label = file.name[: -len(suffix)] if suffix else file.name
        count = 0
        for line, text in iter_lines(file, issues):
            text = text.strip()
            if not text:
                issues.report(DataError(file, line, "one example per line", "a blank line"))
                continue
            records.append((text, label))
            lines.append(line)
            sources.append(os.fspath(file))
            count += 1
        if count == 0:
            issues.report(DataError(file, None, f"at least one example of {label!r}", "none"))
    issues.finish(len(records), "example")
    result = ReadResult(records, source=folder, lines=lines, skipped=issues.skipped)
    result.files = sources
    return result


@dataclass
class NumericTable:
    """Numeric columns of a CSV, as :func:`read_numeric_csv` returns them.

    Attributes:
        values: float64 array, shape (T, F): one row per data line, one column
            per name in ``columns``.
        columns: the F column names.
        dates: the date column's text of each row (strictly increasing), or None.
        lines: the file line of each row, so that a later step can name it.
        source: the file read.
        skipped: rows that ``lenient=True`` skipped, as DataErrors.
    """

    values: np.ndarray
    columns: list[str]
    dates: list[str] | None
    lines: list[int]
    source: str | None = None
    skipped: list[DataError] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.values)

    def column(self, name: str) -> np.ndarray:
        """The values of one column, shape (T,)."""
        if name not in self.columns:
            raise DataError(self.source, None, f"a column named {name!r}", ", ".join(self.columns))
        return self.values[:, self.columns.index(name)]


def read_numeric_csv(
    path: str | os.PathLike,
    columns: Sequence[str] | None = None,
    *,
    date_column: str | None = None,
    date_format: str | None = None,
    delimiter: str | None = None,
    lenient: bool = False,
) -> NumericTable:
    """Read numeric columns (by header name) of a CSV or TSV, in file order.

    Args:
        columns: the names of the columns to read; None: every column but the date.
        date_column: a column of dates that must strictly increase down the file
            (a time series read backwards or with a repeated day is refused).
        date_format: a :func:`~datetime.datetime.strptime` format for the dates;
            None reads ISO 8601 (``2024-01-31``).

    Raises:
        DataError: a missing column name, another number of fields than the
            header, a value that is not a number (``1,234`` included), NaN or
            infinity, an unreadable or non-increasing date, bad UTF-8, or no row.
    """
    issues = Issues(path, lenient)
    delim = delimiter_for(path, delimiter)
    rows = iter_rows(path, issues, delimiter=delim, quoting=delim == ",")
    try:
        _, head_fields = next(rows)
    except StopIteration:
        issues.finish(0, "header row")
        raise AssertionError("unreachable") from None  # finish(0, ...) raises
    head = [f.strip() for f in head_fields]
    width = len(head)
    if columns is None:
        columns = [h for h in head if h != date_column]
    columns = list(columns)
    wanted = columns + ([date_column] if date_column is not None else [])
    index = resolve_columns(path, wanted, head, width)
    value_index = index[: len(columns)]
    date_index = index[-1] if date_column is not None else None
    values: list[list[float]] = []
    dates: list[str] | None = [] if date_column is not None else None
    lines: list[int] = []
    last_date: tuple[datetime, str, int] | None = None
    for line, fields in rows:
        if len(fields) != width:
            issues.report(
                DataError(
                    path,
                    line,
                    f"{width} fields separated by {delim!r}, as the header has",
                    f"{len(fields)} fields",
                )
            )
            continue
        row = _numbers(path, line, [fields[i] for i in value_index], columns, issues)
        if row is None:
            continue
        if date_index is not None:
            text = fields[date_index].strip()
            when = _parse_date(path, line, text, date_column, date_format, issues)
            if when is None:
                continue
            if not _check_after(path, line, when, text, last_date, issues):
                continue
            last_date = (when, text, line)
            dates.append(text)
        values.append(row)
        lines.append(line)
    issues.finish(len(values), "row of numbers")
    array = np.asarray(values, dtype=np.float64).reshape(len(values), len(columns))  # (T, F)
    return NumericTable(array, columns, dates, lines, os.fspath(path), issues.skipped)


def _numbers(path, line, texts, names, issues: Issues) -> list[float] | None:
    row = []
    for text, name in zip(texts, names):
        text = text.strip()
        try:
            value = float(text)
        except ValueError:
            got = "an empty field" if not text else repr(text)
            issues.report(DataError(path, line, f"a number in column {name!r}", got))
            return None
        if not math.isfinite(value):
            issues.report(DataError(path, line, f"a finite number in column {name!r}", repr(text)))
            return None
        row.append(value)
    return row


def check_dates(dates: Sequence[str], source: str, lines: Sequence[int] | None = None) -> None:
    """Dates given in memory (a forecast's input rows, a series passed as columns)
    checked as a file's date column is: ISO dates, strictly increasing. A DataError
    names ``source`` and the row (``lines[i]``, else its index)."""
    issues, last = Issues(source, lenient=False), None
    for i, text in enumerate(dates):
        line = lines[i] if lines is not None else i
        when = _parse_date(source, line, str(text), "date", None, issues)
        _check_after(source, line, when, text, last)
        last = (when, text, line)


def _check_after(path, line, when: datetime, text, last: tuple | None, issues=None) -> bool:
    """Whether ``when`` comes after the ``last`` (date, text, line); else a DataError."""
    if last is None or when > last[0]:
        return True
    error = DataError(
        path, line, f"a date after {last[1]} (line {last[2]}): dates must increase", repr(text)
    )
    if issues is None:
        raise error
    issues.report(error)
    return False


def _parse_date(path, line, text, name, date_format, issues: Issues) -> datetime | None:
    try:
        when = (
            datetime.fromisoformat(text)
            if date_format is None
            else datetime.strptime(text, date_format)
        )
        if when.tzinfo is not None:  # compare aware times in UTC, beside naive ones
            when = when.astimezone(UTC).replace(tzinfo=None)
    except (ValueError, OverflowError):
        fmt = "an ISO date (YYYY-MM-DD)" if date_format is None else f"a date as {date_format!r}"
        issues.report(DataError(path, line, f"{fmt} in column {name!r}", repr(text)))
        return None
    return when
