"""Run configuration: dataclasses that rebuild the model, the data processing and the training.

Read from TOML (standard library), written as JSON into the run directory. Keys
that no dataclass knows are rejected with the closest valid name. Sizes that come
from the data (``vocab_size``) are written by the task after reading the data,
never typed by the user.

A TOML file looks like::

    task = "lm"

    [model]
    cell = "lstm"
    hidden_size = 512

    [train]
    lr = 0.002
    time_budget = 120
"""

from __future__ import annotations

import difflib
import json
import os
import sys
import types
import typing
from dataclasses import asdict, dataclass, fields
from typing import Any

from rnnkit.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = [
    "FORMAT_VERSION",
    "ModelConfig",
    "DataConfig",
    "TrainConfig",
    "RunConfig",
    "TASK_DEFAULTS",
    "TASK_OPTIONS",
    "check_task_options",
    "load_toml",
]

FORMAT_VERSION = 1
CELLS = ("rnn", "lstm", "gru", "mingru", "minlstm")


@dataclass
class ModelConfig:
    """The network: embedding -> recurrent stack -> task head."""

    kind: str = "rnn"  # lm: "rnn", "window" (Bengio et al. 2003) or "ngram" (Kneser-Ney)
    order: int = 7  # kind="ngram": the longest n-gram
    context: int = 5  # kind="window": tokens in the window
    cell: str = "lstm"
    num_layers: int = 2
    hidden_size: int = 256
    embedding_dim: int = 64
    dropout: float = 0.1
    bidirectional: bool = False
    layer_norm: bool = False
    tie_weights: bool = False
    backend: str = "auto"
    pooling: str = "last"  # classify: last | max | mean | attention
    ngrams: int = 0  # classify: a hashed bag of the 1..n-grams of tokens beside the RNN; 0: off
    ngram_buckets: int = 2**16  # classify: rows of that bag's hashed table
    vocab_size: int = 0  # written by the task from the data
    num_classes: int = 0  # classify: written by the task from the data
    attention: str = "general"  # seq2seq: none | additive | dot | general
    beam: int = 1  # seq2seq: beam width of predict and evaluate (1: greedy)
    max_target_length: int = 0  # seq2seq: decoding guard in tokens; 0: from the training targets
    target_vocab_size: int = 0  # seq2seq: written by the task from the data
    # forecast: "direct" (one head for all T_out steps) or "recursive" (one step, rolled)
    strategy: str = "direct"
    # forecast: "last" | "last_scale" | "none"; None: "last" for levels, "none" for changes
    window_norm: str | None = None
    # forecast: add a linear map from the window to the outputs (LSTNet's highway)
    highway: bool = False
    patch: int | None = None  # forecast: rows per recurrent step; None: ceil(lookback / 14)
    num_features: int = 0  # forecast: written by the task from the data
    # tag: a CRF head (Viterbi decoding) instead of a softmax per token
    crf: bool = False
    char_embedding_dim: int = 25  # tag: character embedding of the word-spelling BiLSTM
    char_hidden_size: int = 25  # tag: its size per direction; 0: no character encoder
    word_dropout: float = 0.0  # tag: a training word -> <unk>; classify: a token's embedding -> 0
    char_vocab_size: int = 0  # tag: written by the task from the data

    def validate(self) -> None:
        _choice("model.kind", self.kind, ("rnn", "window", "ngram"))
        _positive("model.order", self.order)
        _positive("model.context", self.context)
        _choice("model.cell", self.cell, CELLS)
        _choice("model.backend", self.backend, ("auto", "torch", "scratch"))
        _choice("model.pooling", self.pooling, ("last", "max", "mean", "attention"))
        _choice("model.attention", self.attention, ("none", "additive", "dot", "general"))
        _positive("model.beam", self.beam)
        if self.max_target_length < 0:
            raise ConfigError(f"model.max_target_length must be >= 0, got {self.max_target_length}")
        _choice("model.strategy", self.strategy, ("direct", "recursive"))
        if self.window_norm is not None:
            _choice("model.window_norm", self.window_norm, ("last", "last_scale", "none"))
        if self.patch is not None:
            _positive("model.patch", self.patch)
        for name in ("num_layers", "hidden_size", "embedding_dim"):
            _positive(f"model.{name}", getattr(self, name))
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout must be in [0, 1), got {self.dropout}")
        _positive("model.char_embedding_dim", self.char_embedding_dim)
        if not isinstance(self.char_hidden_size, int) or self.char_hidden_size < 0:
            raise ConfigError(
                f"model.char_hidden_size must be >= 0 (0: off), got {self.char_hidden_size!r}"
            )
        if not 0.0 <= self.word_dropout < 1.0:
            raise ConfigError(f"model.word_dropout must be in [0, 1), got {self.word_dropout}")
        if not isinstance(self.ngrams, int) or self.ngrams < 0:
            raise ConfigError(f"model.ngrams must be >= 0 (0: off), got {self.ngrams!r}")
        _positive("model.ngram_buckets", self.ngram_buckets)


@dataclass
class DataConfig:
    """Where the data come from and how they become tensors."""

    data: str | None = None  # None: the task's embedded default
    valid: str | None = None  # None: the default split of `data`
    tokenizer: str = "char"
    lowercase: bool = False
    min_freq: int = 1
    max_vocab: int | None = None
    bptt: int = 64
    batch_size: int = 32
    text_column: int | str | None = None  # classify: a name or 0-based number; None: 0
    label_column: int | str | None = None  # classify: None: 1
    header: bool | None = None  # classify: None: yes when a column is given by name
    class_weights: str | None = None  # classify: "balanced" (n / (K * n_k)), "sqrt" of it, "none"
    target_tokenizer: str | None = None  # seq2seq: the target side's; None: as `tokenizer`
    # forecast: a numeric CSV (data) or an embedded series: "msft" (default) or "taylor"
    series: str | None = None
    features: str | list | None = None  # forecast: "Open,High,Low,Close"; None: all columns
    target: str | None = None  # forecast: the column predicted; None: the last feature
    date_column: str | None = None  # forecast: None: a column named Date/date/...; "none": no dates
    lookback: int = 24  # forecast: L, rows a window looks back
    horizon: int = 1  # forecast: T_out, rows predicted after the window
    scaler: str = "standard"  # forecast: standard | minmax | none, fit on the train rows only
    transform: str = "levels"  # forecast: levels | returns | diff
    season: int | None = None  # forecast: rows per season; None: from the dates (1 without)
    valid_fraction: float = 0.15  # forecast: the last rows before the test rows
    test_fraction: float = 0.15  # forecast: the last rows of the series
    format: str | None = None  # tag: "conll" or "conllu"; None: by the file extension
    tag_column: int | str | None = None  # tag: CoNLL column (-1: last) or CoNLL-U upos | xpos
    scheme: str = "auto"  # tag: BIO | BIOES | IO | none; auto: from the training tags
    vectors: str | None = None  # tag: word2vec/GloVe text file that initialises the embedding
    bucket: bool = True  # tag: length-bucketed batches; False: plain shuffled batches

    def validate(self) -> None:
        if self.class_weights is not None:
            _choice("data.class_weights", self.class_weights, ("balanced", "sqrt", "none"))
        _positive("data.bptt", self.bptt)
        _positive("data.batch_size", self.batch_size)
        _positive("data.min_freq", self.min_freq)
        if self.series is not None:
            _choice("data.series", self.series, ("msft", "taylor"))
        _positive("data.lookback", self.lookback)
        _positive("data.horizon", self.horizon)
        _choice("data.scaler", self.scaler, ("standard", "minmax", "none"))
        _choice("data.transform", self.transform, ("levels", "returns", "diff"))
        if self.season is not None:
            _positive("data.season", self.season)
        if self.format is not None:
            _choice("data.format", self.format, ("conll", "conllu"))
        _choice("data.scheme", self.scheme, ("auto", "BIO", "BIOES", "IO", "none"))
        for name in ("valid_fraction", "test_fraction"):
            if not 0.0 < getattr(self, name) < 1.0:
                raise ConfigError(f"data.{name} must be in (0, 1), got {getattr(self, name)}")
        if self.valid_fraction + self.test_fraction >= 0.9:
            raise ConfigError(
                f"data.valid_fraction + data.test_fraction must leave at least 10% for "
                f"training, got {self.valid_fraction} + {self.test_fraction}"
            )


@dataclass
class TrainConfig:
    """The training loop; knows nothing of tasks."""

    optimizer: str = "adamw"
    lr: float = 2e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"  # constant | cosine | step | plateau
    warmup_steps: int = 50
    min_lr_ratio: float = 0.1  # cosine ends at lr * min_lr_ratio
    step_size: int = 1000  # "step": multiply by gamma every step_size steps
    gamma: float = 0.5  # "step" and "plateau" factor
    plateau_patience: int = 2  # "plateau": evaluations without improvement before a cut
    clip_grad_norm: float | None = 1.0
    grad_accumulation: int = 1  # batches per optimiser step
    epochs: int | None = None
    max_steps: int | None = None
    time_budget: float | None = None  # seconds of training (evaluations and checkpoints excluded)
    eval_every: int = 500
    eval_max_batches: int | None = 50  # periodic validation on a slice; the final one is full
    metric: str = "loss"  # validation metric for early stopping, best weights and plateau
    early_stopping: int | None = None  # patience, in evaluations
    keep_best: bool = False  # end with the best evaluated weights (implied by early_stopping)
    # evaluate and keep an exponential moving average of the weights (decay per step,
    # warmed up; None or 0: off)
    ema: float | None = 0.995
    checkpoint_every: int = 500
    log_every: int = 20
    seed: int = 0
    device: str = "auto"
    # mixed precision: bf16 autocast on CUDA or a CPU with native bf16 (fp16 + scaler on
    # older GPUs when True); None ("auto"): bf16 where native, else float32 silently
    amp: bool | None = None
    deterministic: bool = False
    tensorboard: bool = False  # TensorBoard logs in RUN_DIR/tb (the `tb` extra)
    init_from: str | None = None  # a run directory whose weights start this run
    teacher_forcing: float = 1.0  # seq2seq: probability of feeding the true previous token
    label_smoothing: float = 0.0  # classify: cross-entropy against (1 - e) one-hot + e / K

    def validate(self) -> None:
        _choice("train.optimizer", self.optimizer, ("adam", "adamw", "sgd"))
        _choice("train.schedule", self.schedule, ("constant", "cosine", "step", "plateau"))
        _choice("train.device", self.device, ("auto", "cpu", "cuda", "mps"))
        if self.lr <= 0:
            raise ConfigError(f"train.lr must be > 0, got {self.lr}")
        for name in ("epochs", "max_steps", "time_budget", "early_stopping", "eval_max_batches"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigError(f"train.{name} must be > 0, got {value}")
        for name in (
            "eval_every",
            "checkpoint_every",
            "log_every",
            "grad_accumulation",
            "step_size",
            "plateau_patience",
        ):
            _positive(f"train.{name}", getattr(self, name))
        if self.warmup_steps < 0:
            raise ConfigError(f"train.warmup_steps must be >= 0, got {self.warmup_steps}")
        if self.ema is not None and not 0.0 <= self.ema < 1.0:
            raise ConfigError(f"train.ema must be in [0, 1) (0: off), got {self.ema}")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ConfigError(
                f"train.label_smoothing must be in [0, 1), got {self.label_smoothing}"
            )
        if not 0.0 <= self.teacher_forcing <= 1.0:
            raise ConfigError(
                f"train.teacher_forcing must be in [0, 1], got {self.teacher_forcing}"
            )
        for name in ("gamma", "min_lr_ratio"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(f"train.{name} must be in (0, 1], got {getattr(self, name)}")


#: Defaults that differ by task; the dataclasses' own defaults are the language model's.
#: A section left out of ``RunConfig(task=...)``, of a TOML file or of a config.json
#: starts from these, then takes the values given.
TASK_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "classify": {
        "model": {
            "cell": "gru",
            "bidirectional": True,
            "num_layers": 1,
            "hidden_size": 256,
            "embedding_dim": 64,
            "dropout": 0.3,
            "pooling": "max",
            "ngrams": 3,
        },
        "data": {"batch_size": 64, "class_weights": "sqrt"},
        "train": {
            "epochs": 25,
            "amp": False,  # bf16 and the moving average measured for lm only
            "ema": None,
            "label_smoothing": 0.1,
            "lr": 3e-3,
            "eval_every": 100,
            "metric": "macro_f1",
            "keep_best": True,
        },
    },
    "tag": {
        "model": {
            "cell": "lstm",
            "bidirectional": True,
            "num_layers": 1,
            "hidden_size": 128,
            "embedding_dim": 64,
            "dropout": 0.5,
            "crf": True,
            "char_embedding_dim": 25,
            "char_hidden_size": 25,
            "word_dropout": 0.05,
        },
        "data": {"batch_size": 32, "tokenizer": "regex"},
        "train": {
            "epochs": 30,
            "amp": False,  # bf16 and the moving average measured for lm only
            "ema": None,
            "lr": 1e-2,
            "eval_every": 200,
            "metric": "f1",
            "early_stopping": 5,
            "keep_best": True,
        },
    },
    "seq2seq": {
        "model": {
            "cell": "gru",
            "bidirectional": True,
            "num_layers": 1,
            "hidden_size": 256,
            "embedding_dim": 64,
            "dropout": 0.0,
            "attention": "general",
        },
        "data": {"batch_size": 64},
        "train": {
            "epochs": 10,
            "amp": False,  # bf16 and the moving average measured for lm only
            "ema": None,
            "lr": 3e-3,
            "warmup_steps": 100,
            "eval_every": 500,
            "eval_max_batches": 4,  # 512 held-out lines decoded greedily per evaluation
            "metric": "char_accuracy",
            "keep_best": True,
        },
    },
    "forecast": {
        "model": {
            "cell": "gru",
            "num_layers": 1,
            "hidden_size": 64,
            "dropout": 0.2,
            "highway": True,
        },
        "data": {"batch_size": 64},
        "train": {
            "epochs": 40,
            "amp": False,  # bf16 and the moving average measured for lm only
            "ema": None,
            "lr": 3e-3,
            "warmup_steps": 0,
            "eval_every": 100,
            "metric": "mse",  # in the data's units, on the valid windows
            "keep_best": True,
        },
    },
}


#: Settings that only some tasks read (the others would silently ignore them): given
#: by name to another task, :func:`check_task_options` rejects them.
TASK_OPTIONS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(("order", "context", "bptt", "tie_weights", "lowercase"), ("lm",)),
    **dict.fromkeys(("min_freq", "max_vocab"), ("lm", "classify", "tag", "seq2seq")),
    "bidirectional": ("classify", "tag", "forecast", "seq2seq"),
    **dict.fromkeys(
        (
            "pooling",
            "ngrams",
            "ngram_buckets",
            "text_column",
            "label_column",
            "class_weights",
            "label_smoothing",
        ),
        ("classify",),
    ),
    "word_dropout": ("tag", "classify"),
    "header": ("classify", "seq2seq"),
    **dict.fromkeys(
        (
            "format",
            "tag_column",
            "scheme",
            "crf",
            "char_embedding_dim",
            "char_hidden_size",
            "vectors",
            "bucket",
        ),
        ("tag",),
    ),
    **dict.fromkeys(
        (
            "series",
            "features",
            "target",
            "date_column",
            "lookback",
            "horizon",
            "scaler",
            "transform",
            "season",
            "valid_fraction",
            "test_fraction",
            "strategy",
            "window_norm",
            "highway",
            "patch",
        ),
        ("forecast",),
    ),
    **dict.fromkeys(
        ("target_tokenizer", "attention", "teacher_forcing", "beam", "max_target_length"),
        ("seq2seq",),
    ),
}


def check_task_options(task: str, names) -> None:
    """Raise ConfigError for a setting in ``names`` that ``task`` does not read
    (``horizon`` given to ``lm``), naming the tasks that do."""
    flags = {"char_embedding_dim": "char-embed", "char_hidden_size": "char-hidden"}
    for name in names:
        owners = TASK_OPTIONS.get(name)
        if owners is not None and task not in owners:
            flag = flags.get(name, name.replace("_", "-"))
            raise ConfigError(
                f"{name} (--{flag}) is a setting of {', '.join(owners)} only; "
                f"the {task} task does not use it"
            )


@dataclass
class RunConfig:
    """Everything a run directory needs to rebuild its model and data processing."""

    task: str = "lm"
    model: ModelConfig = None  # None: the task's defaults (TASK_DEFAULTS)
    data: DataConfig = None
    train: TrainConfig = None
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        for name, klass in (("model", ModelConfig), ("data", DataConfig), ("train", TrainConfig)):
            if getattr(self, name) is None:
                setattr(self, name, klass(**_task_defaults(self.task, name)))

    def validate(self) -> RunConfig:
        self.model.validate()
        self.data.validate()
        self.train.validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "config") -> RunConfig:
        """Build from nested dicts, rejecting unknown keys with the closest valid name."""
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: expected a table of settings, got {type(data).__name__}")
        sections = {"model": ModelConfig, "data": DataConfig, "train": TrainConfig}
        top = {k: v for k, v in data.items() if k not in sections}
        kwargs = _checked(cls, top, source, skip=set(sections))
        version = kwargs.get("format_version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ConfigError(
                f"{source}: format_version {version} is not supported "
                f"(this rnnkit reads {FORMAT_VERSION})"
            )
        for name, klass in sections.items():
            section = data.get(name, {})
            if not isinstance(section, dict):
                raise ConfigError(f"{source}: [{name}] must be a table")
            given = _checked(klass, section, f"{source}: [{name}]")
            kwargs[name] = klass(**{**_task_defaults(kwargs.get("task", "lm"), name), **given})
        return cls(**kwargs)

    @classmethod
    def from_json(cls, text: str, *, source: str = "config.json") -> RunConfig:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise ConfigError(f"{source}:{e.lineno}: invalid JSON ({e.msg})") from None
        return cls.from_dict(data, source=source)

    def replace(self, section: str, **changes: Any) -> None:
        """Set fields of one section in place, checking the names."""
        target = getattr(self, section)
        _checked(type(target), changes, f"[{section}]")
        for k, v in changes.items():
            setattr(target, k, v)


def load_toml(path: str | os.PathLike) -> RunConfig:
    """Read a TOML run configuration."""
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{os.fspath(path)}: no such config file") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{os.fspath(path)}: invalid TOML ({e})") from None
    return RunConfig.from_dict(data, source=os.fspath(path))


def _checked(klass, values: dict[str, Any], source: str, skip: set[str] = frozenset()) -> dict:
    known = {f.name: f for f in fields(klass) if f.name not in skip}
    hints = typing.get_type_hints(klass)
    out = {}
    for key, value in values.items():
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ConfigError(f"{source}: unknown setting {key!r}{hint}")
        out[key] = _typed(hints[key], key, value, source)
    return out


def _typed(annotation, key: str, value: Any, source: str) -> Any:
    """``value`` checked against a field's annotation (``int``, ``float | None``, ...);
    an int is taken where a float is expected, a bool never where a number is."""
    allowed = typing.get_args(annotation) if typing.get_origin(annotation) in _UNIONS else ()
    allowed = allowed or (annotation,)
    if value is None and type(None) in allowed:
        return None
    for expected in allowed:
        if expected is type(None) or not isinstance(expected, type):
            continue
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, expected) and not (expected is not bool and isinstance(value, bool)):
            return value
    if any(not isinstance(t, type) for t in allowed):  # list[str] and the like: as given
        return value
    names = " or ".join("None" if t is type(None) else t.__name__ for t in allowed)
    raise ConfigError(f"{source}: {key} must be {names}, got {value!r}")


_UNIONS = (typing.Union, types.UnionType)


def _task_defaults(task: str, section: str) -> dict[str, Any]:
    return dict(TASK_DEFAULTS.get(task, {}).get(section, {}))


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}; got {value!r}")


def _positive(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{name} must be a positive integer, got {value!r}")
