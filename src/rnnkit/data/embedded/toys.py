"""The lecture toys (note 004): strings small enough that an RNN learns them by heart.

``hihello``
    Lab 11-2: the input ``hihell`` predicts ``ihello``, one character ahead.
``charseq``
    Lab 11-2 too: ``' if you want you'`` (the leading space is the lecture's: it is
    the first input, so the first prediction is the ``i`` of ``if``), the same
    next-character task on a longer string.
``long_sentence``
    Lab 11-3: a sentence (after Saint-Exupery) too long for one sequence, cut
    into sliding windows of ``seq_length`` characters (the lecture's 10).

Each toy is next-character prediction: the input is the text without its last
character, the target the text without its first. :func:`sliding_windows` cuts
a long text the way Lab 11-3 does, each window shifted by one character
(``_`` is a space)::

    text:    i f   y o u   w a n t   y o u ...
    x[0]    [i f _ y o u _ w a n]              y[0]  [f _ y o u _ w a n t]
    x[1]      [f _ y o u _ w a n t]            y[1]    [_ y o u _ w a n t _]
    x[2]        [_ y o u _ w a n t _]          y[2]      [y o u _ w a n t _ y]
"""

from __future__ import annotations

from rnnkit.errors import ConfigError

__all__ = ["TOYS", "load_toy", "next_char_pair", "sliding_windows"]

TOYS: dict[str, str] = {
    "hihello": "hihello",
    "charseq": " if you want you",
    "long_sentence": (
        "if you want to build a ship, don't drum up people together to collect wood"
        " and don't assign them tasks and work, but rather teach them to long for the"
        " endless immensity of the sea."
    ),
}


def load_toy(name: str) -> str:
    """The text of the toy ``name`` (one of :data:`TOYS`)."""
    if name not in TOYS:
        raise ConfigError(f"unknown lecture toy {name!r}; choose one of {', '.join(TOYS)}")
    return TOYS[name]


def next_char_pair(text: str) -> tuple[str, str]:
    """``(text[:-1], text[1:])``: each character's target is the next one."""
    if len(text) < 2:
        raise ConfigError(f"next-character prediction needs >= 2 characters, got {text!r}")
    return text[:-1], text[1:]


def sliding_windows(text: str, seq_length: int) -> list[tuple[str, str]]:
    """Windows ``(text[i : i + seq_length], text[i + 1 : i + seq_length + 1])`` for
    every start ``i``, as drawn in the module docstring."""
    if isinstance(seq_length, bool) or not isinstance(seq_length, int) or seq_length < 1:
        raise ConfigError(f"seq_length must be a positive integer, got {seq_length!r}")
    if len(text) <= seq_length:
        raise ConfigError(
            f"a text of {len(text)} characters has no window of {seq_length} plus a target"
        )
    return [
        (text[i : i + seq_length], text[i + 1 : i + seq_length + 1])
        for i in range(len(text) - seq_length)
    ]
