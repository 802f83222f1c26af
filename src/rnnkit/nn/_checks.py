"""Argument checks shared by the modules of :mod:`rnnkit.nn`.

Each check raises :class:`rnnkit.errors.ConfigError` naming the argument, its
value and what was expected, the way torch's RNN constructor does.
"""

from __future__ import annotations

import numbers
import warnings

from rnnkit.errors import ConfigError

__all__: list[str] = []

BACKENDS = ("auto", "torch", "scratch")


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int >= 1, else raise ConfigError."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{name} must be a positive int, got {value!r}")
    return value


def check_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be a bool, got {value!r}")
    return value


def check_probability(name: str, value: object) -> float:
    """Return ``value`` as a float if it is a number in [0, 1]."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not 0.0 <= float(value) <= 1.0
    ):
        raise ConfigError(f"{name} must be a number in [0, 1], got {value!r}")
    return float(value)


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    if value not in choices:
        expected = ", ".join(repr(c) for c in choices)
        raise ConfigError(f"{name} must be one of {expected}, got {value!r}")
    return value  # type: ignore[return-value]


def warn_single_layer_dropout(dropout: float, num_layers: int) -> None:
    """Warn (as torch does) that dropout between layers needs two layers or more."""
    if dropout > 0 and num_layers == 1:
        warnings.warn(
            "dropout is applied between recurrent layers only, so dropout > 0 expects "
            f"num_layers > 1, but got dropout={dropout} and num_layers={num_layers}",
            UserWarning,
            stacklevel=3,
        )
