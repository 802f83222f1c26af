"""The errors rnnkit raises on purpose.

Every error a user can cause (a malformed file, a bad option, a broken run
directory) is an :class:`RnnkitError`. The CLI prints ``str(error)`` as one
line on stderr and exits with code 2; anything else is a bug.
"""

from __future__ import annotations

import os

__all__ = ["RnnkitError", "DataError", "ConfigError", "CheckpointError"]


class RnnkitError(Exception):
    """Base class of every error rnnkit raises for bad input or usage."""

    exit_code = 2


class DataError(RnnkitError, ValueError):
    """A data file (or in-memory data) is not what a reader expected.

    Printed as ``path:line: expected ..., got ...``. ``line`` is 1-based; it may
    be None when the problem concerns the whole file (for example, an empty
    file), and ``offset`` names a byte offset where a line cannot be known
    (invalid UTF-8).
    """

    def __init__(
        self,
        path: str | os.PathLike | None,
        line: int | None = None,
        expected: str = "",
        got: str | None = None,
        *,
        offset: int | None = None,
    ) -> None:
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.expected = expected
        self.got = got
        self.offset = offset
        super().__init__(self._message())

    def _message(self) -> str:
        where = self.path if self.path is not None else "<data>"
        if self.line is not None:
            where += f":{self.line}"
        elif self.offset is not None:
            where += f": byte {self.offset}"
        msg = f"{where}: expected {self.expected}" if self.expected else where
        if self.got is not None:
            got = self.got if len(self.got) <= 80 else self.got[:77] + "..."
            msg += f", got {got}"
        return msg

    def __reduce__(self):  # keep pickling (multiprocessing) working
        return (
            _rebuild_data_error,
            (self.path, self.line, self.expected, self.got, self.offset),
        )


def _rebuild_data_error(path, line, expected, got, offset):
    return DataError(path, line, expected, got, offset=offset)


class ConfigError(RnnkitError, ValueError):
    """An option or configuration value is invalid; the message names it and its value."""


class CheckpointError(RnnkitError):
    """A run directory is missing, incomplete, of another format or unsafe to load."""
