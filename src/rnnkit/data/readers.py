"""Readers: files -> Python data, strictly. Every malformed input raises
:class:`~rnnkit.errors.DataError` naming the file, the line (or byte offset)
and what was expected.
"""

from __future__ import annotations

import os
from pathlib import Path

from rnnkit.errors import DataError

__all__ = ["read_text"]


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
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(path, None, "an existing file", "no such file") from None
    except IsADirectoryError:
        raise DataError(path, None, "a file", "a directory") from None
    except OSError as e:
        raise DataError(path, None, "a readable file", e.strerror or str(e)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        raise DataError(
            path, line, "UTF-8 text", f"byte 0x{raw[e.start]:02x} at byte offset {e.start}"
        ) from None
    if text.startswith("\ufeff"):  # a UTF-8 byte order mark is not text
        text = text[1:]
    if not text.strip():
        raise DataError(path, None, "some text", "an empty file" if not text else "only whitespace")
    return text
