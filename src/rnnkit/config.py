"""Run configuration: dataclasses whose fields declare themselves.

Every setting is a dataclass field made by :func:`option`: its default, help text,
choices, bounds, flag name and help group travel with it as metadata (fairseq's
dataclass configs, Hugging Face's ``HfArgumentParser``). From those fields come
the ``rnnkit train TASK`` flags and their ``--help``, TOML and JSON loading, and
the checks of every value, so that no setting exists in one place only.

A run's configuration has three sections, each a dataclass composed from shared
parts; a task adds only its own fields (see ``rnnkit/tasks/*.py``)::

    RunConfig            task, format_version
      model: ModelConfig     RecurrentConfig -> TextModelConfig -> the task's
      data:  DataConfig      DataConfig -> TextDataConfig -> the task's
      train: TrainConfig     the training loop -> the task's objective (label smoothing, ...)

Sizes that come from the data (vocabulary, classes, tags, features) are *derived*:
the task writes them after reading the data; they have no flag and a TOML file
may not set them. A TOML file looks like::

    task = "lm"

    [model]
    cell = "lstm"
    hidden_size = 512

    [train]
    lr = 0.002
    time_budget = 120
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

from rnnkit.errors import ConfigError

__all__ = [
    "FORMAT_VERSION",
    "CELLS",
    "BIDIRECTIONAL",
    "option",
    "derived",
    "override",
    "with_defaults",
    "Section",
    "RecurrentConfig",
    "TextModelConfig",
    "DataConfig",
    "TextDataConfig",
    "TrainConfig",
    "RunConfig",
    "read_toml",
    "migrate",
]

#: 2: one config class per task (a section holds only its task's fields); 1: every
#: task's fields in every section (rnnkit 0.1.0). Format 1 is migrated when read.
FORMAT_VERSION = 2
SEED_MAX = 2**32 - 1  # seeds are 0..2^32 - 1, as numpy's and most libraries' are
CELLS = ("rnn", "lstm", "gru", "mingru", "minlstm")
GROUPS = ("data", "model", "training", "output")
#: the help of every task's ``bidirectional`` field (lm has none: it reads left to right)
BIDIRECTIONAL = "Read both ways: a forward and a backward stack, their outputs concatenated."


def option(
    default: Any = None,
    help: str = "",
    *,
    choices: tuple | None = None,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    flag: str | None = None,
    group: str | None = None,
    none: str | None = None,
) -> Any:
    """A config field with its metadata.

    Args:
        default: the value when nothing sets it (a list is copied per instance).
        help: one line for ``--help``.
        choices: the allowed values.
        low, high: bounds of a number (inclusive unless ``low_open`` / ``high_open``).
        flag: the command-line name when it is not the field's name in kebab case
            (``hidden`` for ``hidden_size``); the long name is accepted too.
        group: the ``--help`` group (data, model, training, output); default: the section's.
        none: what None means, for ``--help`` (``"off"``, ``"auto"``, ...).
    """
    metadata = {
        "help": help,
        "choices": choices,
        "low": low,
        "high": high,
        "low_open": low_open,
        "high_open": high_open,
        "flag": flag,
        "group": group,
        "none": none,
        "derived": False,
    }
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def derived(help: str, default: Any = 0) -> Any:
    """A size that the task writes from the data (no flag; not settable by a user);
    ``default`` None for a record the task writes from its inputs (``char_lm_models``)."""
    return field(default=default, metadata={"help": help, "derived": True})


def override(klass: type, name: str, default: Any, **metadata: Any) -> Any:
    """``klass``'s field ``name`` (help, bounds, flag) with another default, and any
    metadata changed (``choices=...``), for a task whose section redeclares it
    (``cell: str = override(TextModelConfig, "cell", "gru")``). ``off=N``: where the
    field's None is a rule rather than off, the number that the word ``off`` sets."""
    for f in fields(klass):
        if f.name == name:
            return field(default=default, metadata={**f.metadata, **metadata})
    raise TypeError(f"{klass.__name__} has no field {name!r}")


def with_defaults(klass: type, **defaults: Any) -> Any:
    """A section field of a task's config: ``klass`` with other defaults, which are
    also the defaults its flags show (``with_defaults(TrainConfig, lr=3e-3)``)."""
    for name in defaults:
        if name not in {f.name for f in fields(klass)}:
            raise TypeError(f"{klass.__name__} has no field {name!r}")
    return field(default_factory=lambda: klass(**defaults))


class Section:
    """A config section: its fields checked against their metadata, then :meth:`check`."""

    section: ClassVar[str] = ""

    def check(self) -> None:
        """Rules that tie two fields together; override (and call super) in a section."""

    def validate(self, source: str = "") -> None:
        hints = typing.get_type_hints(type(self))
        for f in fields(self):
            if f.metadata.get("derived"):
                continue
            value = getattr(self, f.name)
            _check_value(f, hints[f.name], value, f"{source}{self.section}.{f.name}")
        self.check()


# -- shared parts --------------------------------------------------------------------------
@dataclass
class RecurrentConfig(Section):
    """The recurrent stack every task's model is built around."""

    section: ClassVar[str] = "model"

    cell: str = option("lstm", "Recurrent cell.", choices=CELLS)
    num_layers: int = option(2, "Recurrent layers.", low=1, flag="layers")
    hidden_size: int = option(256, "Hidden size H.", low=1, flag="hidden")
    dropout: float = option(
        0.1, "Dropout on inputs, between layers and before the head.", low=0, high=1, high_open=True
    )
    layer_norm: bool = option(False, "Layer-normalised cells.")
    backend: str = option(
        "auto",
        "Fused torch kernels or the plain PyTorch cells (auto: torch when it can).",
        choices=("auto", "torch", "scratch"),
    )


@dataclass
class TextModelConfig(RecurrentConfig):
    """A recurrent stack over embedded tokens."""

    embedding_dim: int = option(64, "Embedding size E.", low=1, flag="embed")
    vocab_size: int = derived("tokens in the vocabulary")


@dataclass
class DataConfig(Section):
    """Where the training data come from."""

    section: ClassVar[str] = "data"

    data: str | None = option(None, "Training data (file or folder).", none="the embedded data")
    batch_size: int = option(32, "Sequences per batch.", low=1)


@dataclass
class TextDataConfig(DataConfig):
    """Text turned into tokens and ids."""

    valid: str | None = option(
        None, "Validation data.", none="a part of --data held out by the task"
    )
    tokenizer: str = option(
        "char",
        "How text becomes tokens.",
        choices=("char", "byte", "codepoint", "word", "regex", "sentencepiece", "korean"),
    )
    lowercase: bool = option(False, "Lowercase the text first (word and regex tokenizers).")
    min_freq: int = option(1, "Tokens seen fewer times in training become <unk>.", low=1)
    max_vocab: int | None = option(
        None, "Keep only the most frequent tokens (the rest: <unk>).", low=1, none="all"
    )

    def check(self) -> None:
        super().check()
        if self.lowercase and self.tokenizer not in ("word", "regex"):
            raise ConfigError(
                f"data.lowercase needs the word or regex tokenizer, got {self.tokenizer!r} "
                "(the others keep every character as it is)"
            )


@dataclass
class TrainConfig(Section):
    """The training loop (:class:`~rnnkit.training.trainer.Trainer`); knows nothing of tasks."""

    section: ClassVar[str] = "train"

    optimizer: str = option("adamw", "Optimiser.", choices=("adam", "adamw", "sgd"))
    lr: float = option(2e-3, "Peak learning rate.", low=0, low_open=True)
    weight_decay: float = option(0.0, "Weight decay.", low=0)
    schedule: str = option(
        "cosine",
        "Learning-rate schedule after the warmup.",
        choices=("constant", "cosine", "step", "plateau"),
    )
    warmup_steps: int = option(50, "Linear warmup steps.", low=0)
    min_lr_ratio: float = option(
        0.1, "cosine: ends at lr times this.", low=0, high=1, low_open=True
    )
    step_size: int = option(1000, "step: multiply the rate by --gamma every N steps.", low=1)
    gamma: float = option(
        0.5, "step, plateau: the factor of each cut.", low=0, high=1, low_open=True
    )
    plateau_patience: int = option(
        2, "plateau: evaluations without improvement before a cut.", low=1
    )
    clip_grad_norm: float | None = option(
        1.0, "Clip the gradient norm (0: off).", low=0, none="off"
    )
    grad_accumulation: int = option(1, "Batches per optimiser step.", low=1)
    epochs: int | None = option(
        None, "Passes over the training data.", low=1, none="1 unless another limit is set"
    )
    max_steps: int | None = option(None, "Stop after this many optimiser steps.", low=1)
    min_steps: int | None = option(
        None,
        "The epoch count stops training only after this many steps (small data: more epochs).",
        low=1,
        none="off",
    )
    time_budget: float | None = option(
        None,
        "Stop after this many seconds of training (evaluations not counted).",
        low=0,
        low_open=True,
    )
    eval_every: int = option(500, "Validate every N steps (on a slice).", low=1)
    eval_max_batches: int | None = option(
        50, "Batches of a periodic validation (the final one reads all).", low=1, none="all"
    )
    metric: str = option("loss", "Validation metric for early stopping and the best weights.")
    early_stopping: int | None = option(
        None, "Stop after N evaluations without improvement.", low=1, none="off"
    )
    keep_best: bool = option(False, "End with the best evaluated weights.", flag="keep-best")
    eval_at_start: bool = option(
        False,
        "Evaluate the starting weights too, so that keep-best can end with them.",
        flag="eval-at-start",
    )
    ema: float | None = option(
        0.995,
        "Evaluate and keep a moving average of the weights with this decay per step (0: off).",
        low=0,
        high=1,
        high_open=True,
        none="off",
    )
    checkpoint_every: int = option(500, "Checkpoint every N steps.", low=1)
    log_every: int = option(20, "Log the training loss every N steps.", low=1)
    seed: int = option(0, "Random seed (same seed, same run).", low=0, high=SEED_MAX)
    device: str = option(
        "auto",
        "Where to train (auto: cuda, then mps, then cpu).",
        choices=("auto", "cpu", "cuda", "mps"),
    )
    amp: bool | None = option(
        None,
        "Mixed precision: bf16 autocast on CUDA or a CPU with native bf16.",
        none="where the hardware has native bf16",
    )
    deterministic: bool = option(False, "Deterministic kernels only.")
    tensorboard: bool = option(False, "TensorBoard logs in RUN_DIR/tb.", group="output")
    mlflow: str | None = option(
        None,
        "Log to MLflow at this tracking URI (e.g. sqlite:///mlflow.db; the mlflow extra).",
        group="output",
    )
    init_from: str | None = option(
        None,
        "Start from this run's weights, model options and vocabulary (a new optimiser).",
        group="output",
    )


#: Fields added after runs of this format were written, with the value that keeps such a
#: run (its config.json lacks them) training, resuming and predicting as it did.
ADDED_LATER: dict[str, dict[str, Any]] = {
    "train": {"min_steps": None, "eval_at_start": False},
    "model": {"char_ngrams": 0},  # tag
}

#: The settings of the loop that ``--resume`` may change (limits and logging).
RESUMABLE = frozenset(
    {
        "epochs",
        "max_steps",
        "min_steps",
        "time_budget",
        "eval_every",
        "checkpoint_every",
        "log_every",
        "early_stopping",
        "tensorboard",
        "mlflow",
        "device",
    }
)


@dataclass
class RunConfig:
    """Everything a run directory needs to rebuild its model and data processing.

    A task's config subclasses it with its own sections (``LMConfig``,
    ``ClassifyConfig``, ...)::

        @dataclass
        class SumConfig(RunConfig):
            task: str = "sum"
            model: SumModel = with_defaults(SumModel)
            data: DataConfig = with_defaults(DataConfig, batch_size=16)
            train: TrainConfig = with_defaults(TrainConfig, ema=None)
    """

    task: str = ""
    model: RecurrentConfig = field(default_factory=RecurrentConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    format_version: int = FORMAT_VERSION

    SECTIONS: ClassVar[tuple[str, ...]] = ("model", "data", "train")

    @classmethod
    def section_types(cls) -> dict[str, type[Section]]:
        hints = typing.get_type_hints(cls)
        return {name: hints[name] for name in cls.SECTIONS}

    def validate(self, source: str = "") -> RunConfig:
        """Check every value against its field's metadata and the sections' rules."""
        prefix = f"{source}: " if source else ""
        for name in self.SECTIONS:
            getattr(self, name).validate(prefix)
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, source: str = "config", user: bool = True
    ) -> RunConfig:
        """Build from nested dicts, rejecting unknown keys with the closest valid name.

        ``user``: the values come from a person (a TOML file, options), who may not set
        derived sizes; a run's config.json (``user=False``) holds them.
        """
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a table of settings, got {type(data).__name__}")
        config = cls()
        top = {k: v for k, v in data.items() if k not in cls.SECTIONS}
        for key, value in top.items():
            if key == "task":
                if value != config.task:
                    raise ConfigError(f"{source}: task {value!r} is not {config.task!r}")
            elif key == "format_version":
                if value != FORMAT_VERSION:
                    raise ConfigError(
                        f"{source}: format_version {value!r} is not supported "
                        f"(this rnnkit reads {FORMAT_VERSION}, and migrates 1)"
                    )
            else:
                raise ConfigError(f"{source}: unknown setting {key!r}{_hint(key, ['task'])}")
        for name in cls.SECTIONS:
            values = data.get(name, {})
            if not isinstance(values, dict):
                raise ConfigError(f"{source}: [{name}] must be a table")
            config.set(name, values, source=f"{source}: [{name}]", user=user)
            if not user:  # a run written before a field existed keeps behaving as it did
                for key, value in ADDED_LATER.get(name, {}).items():
                    if key not in values and hasattr(getattr(config, name), key):
                        setattr(getattr(config, name), key, value)
        return config

    @classmethod
    def from_json(cls, text: str, *, source: str = "config.json") -> RunConfig:
        return cls.from_dict(_parse_json(text, source), source=source, user=False)

    def set(
        self, section: str, values: dict[str, Any], *, source: str = "", user: bool = True
    ) -> None:
        """Set fields of one section by name, type-checked; unknown names are refused."""
        target = getattr(self, section)
        known = {f.name: f for f in fields(target)}
        hints = typing.get_type_hints(type(target))
        where = f"{source}: " if source else ""
        for key, value in values.items():
            f = known.get(key)
            if f is None:
                raise ConfigError(
                    f"{where}unknown setting {key!r} for the {self.task} task{_hint(key, known)}"
                )
            if user and f.metadata.get("derived"):
                raise ConfigError(
                    f"{where}{key} is derived from the data ({f.metadata['help']}); "
                    "it cannot be set"
                )
            if isinstance(value, str) and value.lower() in ("off", "none") and "off" in f.metadata:
                value = f.metadata["off"]  # None means "by a rule" here: off is a number
            elif isinstance(value, str) and value.lower() in none_words(f, hints[key]):
                value = None  # "off", "all", "none": a task's default turned off
            setattr(target, key, _typed(hints[key], key, value, source or f"[{section}]"))

    def fields(self, *, settable: bool = True):
        """``(section name, dataclasses.Field, type)`` of every field, in order;
        ``settable``: without the derived sizes."""
        for name, klass in self.section_types().items():
            hints = typing.get_type_hints(klass)
            for f in fields(klass):
                if settable and f.metadata.get("derived"):
                    continue
                yield name, f, hints[f.name]


def read_toml(path: str | os.PathLike) -> dict[str, Any]:
    """The tables of a TOML run configuration (checked when given to a task's config)."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{os.fspath(path)}: no such config file") from None
    except IsADirectoryError:
        raise ConfigError(f"{os.fspath(path)}: a folder, not a config file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"{os.fspath(path)}: invalid TOML ({e})") from None


def migrate(data: dict[str, Any], config_class: type[RunConfig]) -> dict[str, Any]:
    """A config.json of an older format, brought to this one.

    Format 1 (rnnkit 0.1.0) wrote every task's fields in every section: the fields
    this task's config does not have are dropped (they held the defaults, unread).
    """
    version = data.get("format_version", 1)
    if version == FORMAT_VERSION:
        return data
    if version != 1:
        return data  # refused by from_dict with the versions this rnnkit reads
    out = {k: v for k, v in data.items() if k not in config_class.SECTIONS}
    for name, klass in config_class.section_types().items():
        known = {f.name for f in fields(klass)}
        section = data.get(name, {})
        out[name] = (
            {k: v for k, v in section.items() if k in known}
            if isinstance(section, dict)
            else section
        )
    out["format_version"] = FORMAT_VERSION
    return out


# -- checks --------------------------------------------------------------------------------
_UNIONS = (typing.Union, types.UnionType)


def none_words(f: dataclasses.Field, annotation) -> frozenset[str]:
    """The words that set an optional number to None: ``none`` and the field's own word
    for it (``--early-stopping off``, ``--eval-max-batches all``); a string field has
    none, since the word could be its value."""
    allowed = _allowed(annotation)
    if type(None) not in allowed or str in allowed or bool in allowed:
        return frozenset()
    word = f.metadata.get("none")
    own = {word.lower()} if isinstance(word, str) and word.isalpha() else set()
    return frozenset({"none", *own})


def _allowed(annotation) -> tuple:
    args = typing.get_args(annotation) if typing.get_origin(annotation) in _UNIONS else ()
    return args or (annotation,)


def _typed(annotation, key: str, value: Any, source: str) -> Any:
    """``value`` checked against a field's annotation (``int``, ``float | None``, ...);
    an int is taken where a float is expected, a bool never where a number is, and a
    string of digits where an int or a name is (``--text-column 2``)."""
    allowed = _allowed(annotation)
    if value is None and type(None) in allowed:
        return None
    if isinstance(value, str) and int in allowed and str in allowed:
        return int(value) if value.lstrip("-").isdigit() else value
    for expected in allowed:
        if expected is type(None) or not isinstance(expected, type):
            continue
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, expected) and not (expected is not bool and isinstance(value, bool)):
            return value
    if any(not isinstance(t, type) for t in allowed) and isinstance(value, list | str):
        return value  # list[str] and the like
    names = " or ".join(
        "None" if t is type(None) else getattr(t, "__name__", str(t)) for t in allowed
    )
    raise ConfigError(f"{source}: {key} must be {names}, got {value!r}")


def _check_value(f: dataclasses.Field, annotation, value: Any, name: str) -> None:
    m = f.metadata
    _typed(annotation, name.rsplit(".", 1)[-1], value, name.rsplit(".", 1)[0])
    if value is None:
        return
    if m.get("choices") is not None and value not in m["choices"]:
        raise ConfigError(
            f"{name} must be one of {', '.join(map(str, m['choices']))}; got {value!r}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{name} must be a finite number, got {value}")
    low, high = m.get("low"), m.get("high")
    if isinstance(value, int | float) and not isinstance(value, bool):
        too_low = low is not None and (value <= low if m["low_open"] else value < low)
        too_high = high is not None and (value >= high if m["high_open"] else value > high)
        if too_low or too_high:
            raise ConfigError(f"{name} must be {_range(m)}, got {value!r}")


def _range(m) -> str:
    low, high = (_number(m.get(k)) for k in ("low", "high"))
    if low is not None and high is not None:
        return f"in {'(' if m['low_open'] else '['}{low}, {high}{')' if m['high_open'] else ']'}"
    if low is not None:
        return f"{'>' if m['low_open'] else '>='} {low}"
    return f"{'<' if m['high_open'] else '<='} {high}"


def _number(x: float | None) -> str | None:
    """A bound as people write it: an int whole (4294967295), a float short (1e-05)."""
    return None if x is None else str(x) if isinstance(x, int) else f"{x:g}"


def _hint(key: str, known) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _parse_json(text: str, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(f"{source}:{e.lineno}: invalid JSON ({e.msg})") from None
