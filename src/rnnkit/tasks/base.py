"""The task protocol: the template every task fills in, the registry, and the two entry
points :func:`train` and :func:`load` (exported as ``rnnkit.train`` and ``rnnkit.load``).

A task is one module. It declares its config (``Config``, a :class:`RunConfig`
subclass whose fields carry their flags and help), its predictor (``Predictor``,
with JSON schemas of its inputs and outputs and the options of ``predict`` and
``evaluate``) and which metrics are better when higher; it fills in the steps
below. The command line, the config files, the run directory and the contract
tests are generated from those declarations: a new task touches no other file.

::

    read_splits(config)             -> Splits (train and valid records, their sources)
    fit_assets(config, splits)      -> assets (tokenizers, vocabularies, labels, scalers)
        or load_assets(run, config)     (a resumed run: from its JSON files, sizes checked)
    prepare(config, splits, assets) -> data (tensors, datasets)
    build_model(config)             -> nn.Module
    program(model, data, config, dist) -> TrainingProgram (epoch batches, loss, evaluation)
    after_fit(predictor, program)   -> plots
    Predictor(model, config, run, assets).predict(inputs, **options) / .evaluate(data, **options)

Tasks register with :func:`register`; another package adds one through the
``rnnkit.tasks`` entry-point group (``name = "package.module:TaskClass"``).
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import sys
import time
import typing
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, fields
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import torch
from torch import nn

from rnnkit.config import RESUMABLE, RunConfig, Section, _parse_json, migrate, read_toml
from rnnkit.errors import CheckpointError, ConfigError, DataError, RnnkitError
from rnnkit.training import distributed
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import Trainer, TrainingProgram, resolve_device, seed_everything

if typing.TYPE_CHECKING:
    from rnnkit.data.vocab import Vocab

__all__ = [
    "Task",
    "Predictor",
    "Splits",
    "Assets",
    "NoOptions",
    "ExportGraph",
    "EpochBatches",
    "SampledBatches",
    "make_text_tokenizer",
    "register",
    "get_task",
    "task_names",
    "TASKS",
    "ENTRY_POINT_GROUP",
    "train",
    "load",
    "load_config",
    "read_source",
    "source_name",
    "rows_of",
    "fields_of",
    "MEMORY",
]

TASKS: dict[str, type[Task]] = {}
ENTRY_POINT_GROUP = "rnnkit.tasks"
BUILTIN_TASKS = ("lm", "classify", "tag", "forecast", "seq2seq")


def register(cls: type[Task]) -> type[Task]:
    """Class decorator: make a task reachable by its ``name``."""
    if not cls.name or cls.Config is None or cls.Predictor is None:
        raise TypeError(f"{cls.__name__} needs a name, a Config and a Predictor to be a task")
    TASKS[cls.name] = cls
    return cls


_entry_points_loaded = False


def task_names() -> list[str]:
    """The registered tasks: the built-in ones, then those of the ``rnnkit.tasks`` entry points."""
    global _entry_points_loaded
    import rnnkit.tasks  # noqa: F401  (registers the built-in tasks)

    if not _entry_points_loaded:
        _entry_points_loaded = True
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            try:
                cls = ep.load()
            except Exception as e:  # a broken plugin must not break rnnkit
                print(f"rnnkit: warning: task entry point {ep.name!r} failed: {e}", file=sys.stderr)
                continue
            if ep.name not in TASKS:
                register(cls)
    return [*[n for n in BUILTIN_TASKS if n in TASKS], *sorted(set(TASKS) - set(BUILTIN_TASKS))]


def get_task(name: str) -> Task:
    names = task_names()
    if name not in TASKS:
        close = difflib.get_close_matches(name, names, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown task {name!r}{hint}; choose one of {', '.join(names)}")
    return TASKS[name]()


# -- data in memory ---------------------------------------------------------------------------
#: ``config.data.data`` (or ``valid``) of a run trained on data passed in memory:
#: ``memory:<SHA-256 of the records>``; resuming needs the same records again.
MEMORY = "memory:"


def is_path(value: Any) -> bool:
    """A path (or None); a string with a line break is text passed in memory (``lm``)."""
    if isinstance(value, str):
        return "\n" not in value
    return value is None or isinstance(value, os.PathLike)


def records_digest(records: Any) -> str:
    """A SHA-256 of records made of strings, numbers, lists and tables."""
    import hashlib
    import json

    def plain(x):
        if hasattr(x, "values") and hasattr(x, "columns") and hasattr(x, "dates"):
            return [list(x.columns), x.dates, x.values.tolist()]  # a NumericTable
        if hasattr(x, "tokens") and hasattr(x, "tags"):
            return [list(x.tokens), list(x.tags)]  # a TaggedSentence
        return x

    text = json.dumps(records, default=plain, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rows_of(items: Any, which: str) -> list:
    """Records passed in memory as a list: a pandas DataFrame becomes dicts of its rows
    (pandas itself is not needed), any other iterable is listed."""
    if hasattr(items, "to_dict") and hasattr(items, "columns"):
        return items.to_dict("records")
    if isinstance(items, str | bytes | dict) or not hasattr(items, "__iter__"):
        raise ConfigError(
            f"{which} must be a path or a list of records, got {type(items).__name__}"
        )
    rows = list(items)
    if not rows:
        raise DataError(which, None, "at least one record", "none")
    return rows


def fields_of(row: Any, names: Sequence[str], which: str, i: int, what: str) -> list:
    """The fields ``names`` of a record: a tuple/list in that order, or a dict by name."""
    if isinstance(row, dict):
        missing = [n for n in names if n not in row]
        if missing:
            raise DataError(
                f"{which}[{i}]", None, f"{what}: the keys {list(names)}", repr(row)[:80]
            )
        return [row[n] for n in names]
    if isinstance(row, tuple | list) and len(row) == len(names):
        return list(row)
    raise DataError(f"{which}[{i}]", None, what, repr(row)[:80])


def source_name(value: str, which: str) -> str:
    """A source's name for messages: the path, or ``data`` / ``valid`` for records in memory."""
    return which if value.startswith(MEMORY) else value


def read_source(config: RunConfig, which: str, read_file: Callable[[str], Any]) -> Any:
    """The records of ``config.data.<which>``: the file read by ``read_file``, or the
    records passed in memory (``rnnkit.train(..., data=records)``)."""
    value = getattr(config.data, which)
    if not (isinstance(value, str) and value.startswith(MEMORY)):
        return read_file(value)
    memory = config.__dict__.get("memory", {})
    if which not in memory:
        raise ConfigError(
            f"this run's {which} were passed in memory; pass the same records again "
            f"({which}=...) to use or resume it"
        )
    return memory[which]


# -- the parts a task declares -------------------------------------------------------------
@dataclass
class Splits:
    """The training and validation records of a task, and where they came from."""

    train: Sequence[Any]
    valid: Sequence[Any]
    train_source: str
    valid_source: str


class Assets:
    """What turns raw input into tensors (tokenizers, vocabularies, labels, a scaler).

    A task's assets are a dataclass with :meth:`to_files` / :meth:`from_files` (JSON
    documents by file name, saved in the run directory) and :meth:`sizes`, the
    derived model sizes they fix (``{"vocab_size": len(vocab)}``), which
    :meth:`Task.load_assets` checks against the run's config.
    """

    def to_files(self) -> dict[str, Any]:
        raise NotImplementedError

    @classmethod
    def from_files(cls, read: Callable[[str], Any]) -> Assets:
        raise NotImplementedError

    def sizes(self) -> dict[str, int]:
        return {}


@dataclass
class NoOptions(Section):
    """A predictor method without options."""

    section: ClassVar[str] = "options"


@dataclass
class ExportGraph:
    """One network of a trained run, ready for ``rnnkit export`` (one ``NAME.onnx``).

    ``module`` runs the padded, masked path (no PackedSequence, no Python loop over
    time: see :mod:`rnnkit.models.exportable`); it is called as
    ``module(*inputs.values())`` and returns the tensors named by ``outputs``.
    ``axes`` names the free axes of inputs and outputs (``{"x": {0: "batch",
    1: "length"}}``); an axis named alike in two tensors has one size.
    """

    name: str
    module: nn.Module
    inputs: dict[str, torch.Tensor]
    outputs: list[str]
    axes: dict[str, dict[int, str]]
    doc: str = ""


def check_texts(inputs, what: str = "texts", tokens: bool = False) -> list:
    """The inputs of ``predict`` as a list, each a text (``tokens``: or a list of token
    strings), or a ConfigError for one string or no sequence, a DataError naming the
    first input that is neither (None, a number, bytes)."""
    if isinstance(inputs, str):
        raise ConfigError(f"predict takes a list of {what}, got one string; wrap it in a list")
    if not isinstance(inputs, Sequence):
        raise ConfigError(f"predict takes a list of {what}, got {type(inputs).__name__}")
    for i, item in enumerate(inputs):
        if isinstance(item, str):
            continue
        if tokens and isinstance(item, (list, tuple)) and all(isinstance(t, str) for t in item):
            continue
        raise DataError(
            None,
            None,
            "a text" + (" or a list of token strings" if tokens else ""),
            f"input {i}: {type(item).__name__} {item!r}"[:120],
        )
    return list(inputs)


def require_tokens(vocab: Vocab, min_freq: int, what: str = "the training text") -> Vocab:
    """``vocab`` when it holds a token besides its specials: a language model or a
    seq2seq side with none could only learn ``<unk>`` (a ``min_freq`` above every count)."""
    if len(vocab) == len(vocab.specials):
        raise ConfigError(
            f"data.min_freq {min_freq}: no token of {what} occurs that often, so the "
            f"vocabulary would hold only {', '.join(vocab.specials)}"
        )
    return vocab


def make_text_tokenizer(data: Any, name: str | None = None, **options: Any):
    """The tokenizer a text data config asks for (``name``: another side's, e.g. a
    seq2seq target), lowercasing where the config says so."""
    from rnnkit.data.tokenizers import make_tokenizer

    if data.lowercase and name is None:
        options["lowercase"] = True
    return make_tokenizer(name or data.tokenizer, **options)


class EpochBatches(Sequence):
    """The batches of one epoch, collated lazily from lists of indices into ``dataset``."""

    def __init__(self, dataset, indices: list[list[int]], collate: Callable[[list], Any]) -> None:
        self.dataset, self.indices, self.collate = dataset, indices, collate

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int):
        return self.collate([self.dataset[j] for j in self.indices[i]])


class SampledBatches:
    """``batches(epoch)`` of a program from a sampler with ``set_epoch`` (the same
    batches for the same epoch, which exact resume needs)."""

    def __init__(self, sampler, dataset, collate: Callable[[list], Any]) -> None:
        self.sampler, self.dataset, self.collate = sampler, dataset, collate
        self._epoch: int | None = None
        self._batches: EpochBatches | None = None

    def __call__(self, epoch: int) -> EpochBatches:
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._batches = EpochBatches(self.dataset, list(self.sampler), self.collate)
            self._epoch = epoch
        return self._batches


class Predictor:
    """A trained model ready for use.

    Every predictor has ``predict(inputs, **options)`` (a list of inputs, each as
    :attr:`input_schema` says, to a list of outputs, each as :attr:`output_schema`
    says) and ``evaluate(data=None, **options)`` (a path, a list of records, or None
    for the run's own held-out split, to one dict of metrics). The options are the
    fields of :attr:`PredictOptions` and :attr:`EvaluateOptions`, dataclasses like a
    config's sections: the command line, the HTTP server and the checks come from them.
    """

    task: ClassVar[str] = ""
    input_schema: ClassVar[dict] = {}
    output_schema: ClassVar[dict] = {}
    PredictOptions: ClassVar[type[Section]] = NoOptions
    EvaluateOptions: ClassVar[type[Section]] = NoOptions

    def __init__(
        self, model: nn.Module, config: RunConfig, run: RunDirectory | None = None, *, assets
    ) -> None:
        self.model = model.eval()
        self.config = config
        self.run = run
        self.assets = assets

    @property
    def device(self):
        from rnnkit.generate import module_device

        return module_device(self.model)

    def view(self) -> dict:
        """How a user interface shows this model's outputs (the playground at ``/`` of
        ``rnnkit serve`` reads it; a new task picks one of these kinds and is shown
        without new page code):

        - ``{"kind": "generate"}``: a prompt, its continuation streamed as it is sampled;
        - ``{"kind": "spans"}``: ``tokens`` with typed ``spans`` highlighted;
        - ``{"kind": "bars", "items": FIELD}``: a list of ``{"label", "probability"}``;
        - ``{"kind": "series", "target_index": I}``: the input rows' column I, the
          forecast ``values`` and the ``baselines`` on one chart;
        - ``{"kind": "alignment"}``: ``output`` beside ``input``, ``attention`` as a heatmap;
        - ``{"kind": "json"}`` (the default): the output as JSON.

        ``"options"`` gives the page's first values of the predict options.
        """
        return {"kind": "json"}

    def examples(self) -> list:
        """Inputs to try (the playground fills its input box with the first)."""
        return list(self.input_schema.get("examples", []))

    @classmethod
    def schema(cls) -> dict:
        """The JSON schemas of one input, one output and the options (for servers, UIs, docs)."""
        return {
            "task": cls.task,
            "input": cls.input_schema,
            "output": cls.output_schema,
            "predict_options": _options_schema(cls.PredictOptions),
            "evaluate_options": _options_schema(cls.EvaluateOptions),
        }

    @classmethod
    def options(cls, kind: str, given: dict[str, Any]) -> Section:
        """``given`` checked as the options of ``predict`` or ``evaluate``."""
        klass = cls.PredictOptions if kind == "predict" else cls.EvaluateOptions
        known = {f.name for f in fields(klass)}
        for key in given:
            if key not in known:
                have = ", ".join(sorted(known)) or "none"
                raise ConfigError(
                    f"{key!r} is not an option of {kind} for a {cls.task!r} run (options: {have})"
                )
        options = klass(**given)
        options.validate()
        return options

    def predict(self, inputs: Sequence, **options) -> list[dict]:
        raise NotImplementedError

    def evaluate(self, data=None, **options) -> dict:
        raise NotImplementedError

    def records(self, data) -> tuple[Sequence, str]:
        """The records ``evaluate`` scores: of the file ``data``, the list ``data``, or the
        run's validation split (None); with a name for messages."""
        task = get_task(self.task)
        if data is None:
            splits = task.read_splits(self.config)
            return splits.valid, splits.valid_source
        if is_path(data):  # a string with a line break is text (lm), as in train
            return task.read_file(data, self.config), os.fspath(data)
        if type(task).from_memory is Task.from_memory:  # a task without checks of its own
            if not isinstance(data, Sequence):
                raise ConfigError(f"data must be a path, a list of records or None, got {data!r}")
            return data, "records"
        return task.from_memory(data, self.config, "data"), "data"  # checked as train's are

    def parse_input(self, text: str) -> Any:
        """One input from a command-line argument (default: the text itself)."""
        return text

    def read_inputs(self, path: str | os.PathLike) -> list:
        """The inputs in a file given to ``predict --data`` (default: its non-blank lines)."""
        from rnnkit.data.readers import read_text

        return [line.strip() for line in read_text(path).splitlines() if line.strip()]

    def __repr__(self) -> str:
        where = f", run={str(self.run.path)!r}" if self.run else ""
        return f"{type(self).__name__}(task={self.task!r}{where})"


def _options_schema(klass: type[Section]) -> dict:
    props = {}
    hints = typing.get_type_hints(klass)
    for f in fields(klass):
        kinds = [t for t in typing.get_args(hints[f.name]) or (hints[f.name],)]
        types_ = [
            {
                int: "integer",
                float: "number",
                bool: "boolean",
                str: "string",
                type(None): "null",
            }.get(t, "string")
            for t in kinds
        ]
        prop: dict[str, Any] = {"type": types_[0] if len(types_) == 1 else types_}
        prop["description"] = f.metadata.get("help", "")
        prop["default"] = None if f.default is dataclasses.MISSING else f.default
        if f.metadata.get("choices"):
            prop["enum"] = list(f.metadata["choices"])
        if f.metadata.get("low") is not None:
            key = "exclusiveMinimum" if f.metadata["low_open"] else "minimum"
            prop[key] = f.metadata["low"]
        if f.metadata.get("high") is not None:
            key = "exclusiveMaximum" if f.metadata["high_open"] else "maximum"
            prop[key] = f.metadata["high"]
        props[f.name] = prop
    return {"type": "object", "properties": props, "additionalProperties": False}


class Task:
    """One kind of problem: how its data are read, its model built, its metrics computed.

    Subclasses set the class attributes and fill in the methods that raise
    ``NotImplementedError``; the rest has working defaults.
    """

    name: ClassVar[str] = ""
    #: the task's :class:`RunConfig` subclass
    Config: ClassVar[type[RunConfig]] = None
    #: the task's :class:`Predictor` subclass
    Predictor: ClassVar[type[Predictor]] = None
    #: the task's :class:`Assets` subclass (None: a task without assets)
    Assets: ClassVar[type[Assets] | None] = None
    #: validation metrics where higher is better; every other metric is minimised
    higher_is_better: ClassVar[Collection[str]] = frozenset()
    #: one line for ``rnnkit train --help``
    summary: ClassVar[str] = ""
    #: ``rnnkit tune``'s space, by config field: ``("log", low, high)``, ``("float", low,
    #: high)``, ``("int", low, high[, step])`` or ``("choice", [values])``
    search_space: ClassVar[dict[str, tuple]] = {}
    #: text after the flags in ``rnnkit train TASK --help`` (a drawing, an example)
    epilog: ClassVar[str] = ""
    #: the data options its assets are fitted by (tokenizer, vocabulary, scaler): a run
    #: started ``--init-from`` another takes that run's assets, so it cannot change them
    asset_options: ClassVar[tuple[str, ...]] = (
        "tokenizer", "target_tokenizer", "lowercase", "min_freq", "max_vocab", "vectors",
    )  # fmt: skip

    # -- data --------------------------------------------------------------------------
    def read_splits(self, config: RunConfig) -> Splits:
        """The training and validation records (``config.data``: files, or embedded data)."""
        raise NotImplementedError

    def read_file(self, path: str | os.PathLike, config: RunConfig) -> Sequence:
        """The records of one file, read as ``config`` says (``evaluate --data``)."""
        raise NotImplementedError

    def from_memory(self, items: Any, config: RunConfig, which: str) -> Sequence:
        """Records passed in memory (``data=`` or ``valid=`` of ``rnnkit.train``), checked
        and in the form :meth:`read_file` gives; a malformed one is a DataError naming
        its index."""
        raise ConfigError(f"the {self.name} task takes its data from files only")

    def fit_assets(self, config: RunConfig, splits: Splits) -> Assets | None:
        """Fit tokenizers and vocabularies on the training records."""
        return None

    def save_assets(self, run: RunDirectory, assets: Assets | None) -> None:
        if assets is not None:
            for name, document in assets.to_files().items():
                run.save_json(name, document)

    def load_assets(self, run: RunDirectory, config: RunConfig) -> Assets | None:
        """The run's assets, checked against the sizes its config.json records."""
        if self.Assets is None:
            return None
        read: list[str] = []

        def load(name: str):
            read.append(name)
            return run.load_json(name)

        try:
            assets = self.Assets.from_files(load)
        except (RnnkitError, KeyError, TypeError, ValueError, RuntimeError, OSError) as e:
            if isinstance(e, RnnkitError) and str(e).startswith(str(run.path)):
                raise  # it names its file already
            where = run.file(read[-1]) if read else run.path
            reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            raise CheckpointError(f"{where}: not a valid asset of this run ({reason})") from None
        for name, size in assets.sizes().items():
            expected = getattr(config.model, name)
            if size != expected:
                raise CheckpointError(
                    f"{run.path}: the saved assets give {name} {size}, but config.json's model "
                    f"has {expected}; the run's files do not belong together"
                )
        return assets

    def prepare(self, config: RunConfig, splits: Splits, assets: Assets | None) -> Any:
        """Turn the records into what the program trains on (datasets, tensors)."""
        raise NotImplementedError

    def setup(self, config: RunConfig, run: RunDirectory | None = None) -> tuple[Any, Any]:
        """Read, fit (or load from ``run``) and prepare; writes the derived sizes into
        ``config.model``. Returns ``(assets, data)``."""
        splits = self.read_splits(config)
        if run is not None:
            assets = self.load_assets(run, config)
        else:
            assets = self.fit_assets(config, splits)
            for name, size in (assets.sizes() if assets is not None else {}).items():
                setattr(config.model, name, size)
        return assets, self.prepare(config, splits, assets)

    # -- model and training ------------------------------------------------------------
    def build_model(self, config: RunConfig) -> nn.Module:
        raise NotImplementedError

    def program(
        self, model: nn.Module, data: Any, config: RunConfig, dist: DistInfo
    ) -> TrainingProgram:
        """The batches, loss and evaluation; under DDP, this rank's shard of the batches."""
        raise NotImplementedError

    def after_fit(self, predictor: Predictor, program: TrainingProgram, run: RunDirectory) -> None:
        """Called on the main process after training (plots, reports)."""

    def fit_classical(
        self, config: RunConfig, assets: Any, data: Any, run: RunDirectory
    ) -> Predictor | None:
        """Fit a model estimated in closed form (an n-gram's counts) rather than trained
        by the Trainer; None when ``config`` asks for a neural model."""
        return None

    def export_graphs(self, predictor: Predictor) -> list[ExportGraph]:
        """The networks of a trained run for ONNX (``rnnkit export``); the default refuses."""
        raise ConfigError(f"the {self.name} task declares no export (Task.export_graphs)")

    def export_info(self, predictor: Predictor) -> dict[str, Any]:
        """What a user without rnnkit needs to feed the graphs and read their outputs
        (labels, special token ids, ...), written into ``export.json``."""
        return {}

    def load_predictor(
        self, config: RunConfig, run: RunDirectory, device: torch.device
    ) -> Predictor:
        """Rebuild the model of ``config`` with the run's weights (safetensors only)."""
        assets = self.load_assets(run, config)
        check_memory(self, config, training=False, source=str(run.file("config.json")))
        model = self.build_model(config)
        run.load_weights(model)
        return self.Predictor(model.to(device), config, run, assets=assets)


# -- memory ---------------------------------------------------------------------------------
def _machine_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not on this system (Windows)
        return None


def check_memory(task: Task, config: RunConfig, *, training: bool, source: str = "") -> None:
    """Refuse a model that cannot fit in this machine's memory, before allocating it.

    The model is built on the ``meta`` device (shapes, no storage) to count its
    parameters; training needs about four copies of them (weights, gradients, two
    Adam moments) plus the activations of a batch, estimated from the batch size,
    the hidden size and the layers."""
    memory = _machine_memory()
    if memory is None:
        return
    try:
        with torch.device("meta"):
            model = task.build_model(config)
        params = sum(p.numel() for p in model.parameters())
    except (RuntimeError, TypeError) as e:
        if "overflow" in str(e).lower():
            raise ConfigError(
                f"{source + ': ' if source else ''}this model is too large to exist: its "
                "weight sizes overflow "
                f"({str(e).splitlines()[0]})"
            ) from None
        return  # a model that the meta device cannot build
    except (RnnkitError, ValueError, NotImplementedError):
        return  # a model that is not a network (n-grams)
    need = params * 4 * (4 if training else 1)
    if training:
        m, d = config.model, config.data
        length = getattr(d, "bptt", None) or getattr(d, "lookback", None) or 64
        width = getattr(m, "hidden_size", 0) * getattr(m, "num_layers", 1)
        need += getattr(d, "batch_size", 1) * length * width * 4 * 16
    if need > memory:
        raise ConfigError(
            f"{source + ': ' if source else ''}this model has {params:,} parameters; "
            f"{'training' if training else 'loading'} it needs about {need / 2**30:,.1f} GiB, "
            f"more than this machine's {memory / 2**30:,.1f} GiB of memory"
        )


# -- configs from options ------------------------------------------------------------------
def load_config(run: RunDirectory) -> RunConfig:
    """A run's config.json as its task's config (older formats migrated)."""
    path = run.file("config.json")
    try:
        data = _parse_json(path.read_text("utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as e:
        raise CheckpointError(f"{path}: cannot read ({e})") from None
    except RnnkitError as e:
        raise CheckpointError(str(e)) from None
    if not isinstance(data, dict) or not isinstance(data.get("task"), str):
        raise CheckpointError(f"{path}: not a run configuration (no task)")
    try:
        task = get_task(data["task"])
        config = task.Config.from_dict(migrate(data, task.Config), source=str(path), user=False)
        return config.validate(str(path))
    except ConfigError as e:
        raise CheckpointError(str(e)) from None


def _sections(config: RunConfig, options: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Flat options (``hidden_size=256``) sorted into the config's sections; None is unset."""
    owner = {f.name: section for section, f, _ in config.fields()}
    out: dict[str, dict[str, Any]] = {s: {} for s in config.SECTIONS}
    for key, value in options.items():
        if value is None:
            continue
        if key not in owner:
            raise ConfigError(f"the {config.task} task has no setting {key!r}{_whose(key, owner)}")
        out[owner[key]][key] = value
    return out


def check_options(task: str, options: dict[str, Any]) -> None:
    """``options`` checked as :func:`train` checks a new run's, before anything trains
    (``rnnkit tune`` fixes them for each of its trials)."""
    cfg = get_task(task).Config()
    given = {k: v for k, v in options.items() if k not in ("data", "valid") or is_path(v)}
    for section, values in _sections(cfg, given).items():
        cfg.set(section, values)
    cfg.validate()


def _whose(key: str, known) -> str:
    """A hint for an unknown setting: the tasks that have it, or the closest name."""
    others = [n for n in task_names() if key in {f.name for _, f, _ in TASKS[n].Config().fields()}]
    if others:
        return f"; it is a setting of {', '.join(others)}"
    close = difflib.get_close_matches(key, list(known), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def train(
    task: str = "lm",
    *,
    config: RunConfig | dict | str | os.PathLike | None = None,
    out: str | os.PathLike | None = None,
    resume: str | os.PathLike | None = None,
    progress: bool = True,
    callbacks: Sequence[Callable] = (),
    **options: Any,
) -> Predictor:
    """Train a model for ``task`` and return its predictor.

    Args:
        task: a registered task name (``rnnkit train --help`` lists them).
        config: the task's :class:`RunConfig`, a dict of sections, or the path of a
            TOML file; ``options`` override it.
        out: the run directory (default ``runs/<task>-<timestamp>``).
        resume: a run directory to continue from its last checkpoint, in that folder;
            only the training limits and logging (``max_steps``, ``time_budget``, ...)
            may change, so ``config`` and another ``out`` are refused.
        progress: show progress on stderr.
        callbacks: called as ``callback(event, trainer, record)`` (see
            :class:`~rnnkit.training.trainer.Trainer`).
        options: any field of the task's config by name, e.g. ``hidden_size=256``.

    Example:
        >>> lm = rnnkit.train("lm", data="input.txt", max_steps=200)  # doctest: +SKIP
        >>> print(lm.generate("ROMEO:", max_new=100, temperature=0.8))  # doctest: +SKIP
    """
    task_obj = get_task(task)
    memory = {k: options.pop(k) for k in ("data", "valid") if not is_path(options.get(k))}
    if resume is not None:
        run = RunDirectory.open(resume)
        cfg = load_config(run)
        if cfg.task != task:
            raise ConfigError(f"{resume} is a {cfg.task!r} run, not {task!r}")
        if config is not None:  # it would be ignored: the run keeps its own config
            raise ConfigError(
                "a config cannot be given when resuming: the run keeps its own, and only "
                "its limits (max_steps, time_budget, ...) change, as options"
            )
        if out is not None and Path(out).resolve() != run.path.resolve():
            raise ConfigError(
                f"resuming continues {resume} in its own folder; out names another ({out})"
            )
        _attach_memory(task_obj, cfg, memory, resume=True)
        sections = _sections(cfg, options)
        fixed = {k for s in ("model", "data") for k in sections[s]}
        fixed |= set(sections["train"]) - RESUMABLE
        if fixed:
            raise ConfigError(
                f"cannot change {', '.join(sorted(fixed))} when resuming; start a new run instead"
            )
        cfg.set("train", sections["train"])
        cfg.validate()
        check_memory(task_obj, cfg, training=True, source=str(run.file("config.json")))
        if distributed.is_main_process():
            run.lock()
    else:
        cfg = _new_config(task_obj, config)
        sections = _sections(cfg, options)
        for section, values in sections.items():
            cfg.set(section, values)
        given = _given(task_obj, config, sections)
        source = None
        if cfg.train.init_from:  # config.json records where the weights came from
            cfg.train.init_from = str(Path(cfg.train.init_from).resolve())
            source = _inherit(task_obj, cfg, given)
        plan_limits(cfg, given["train"])
        for name in ("data", "valid"):
            if getattr(cfg.data, name, None) is not None:
                setattr(cfg.data, name, str(Path(getattr(cfg.data, name)).resolve()))
        _attach_memory(task_obj, cfg, memory, resume=False)
        cfg.validate()
        run = None
        if distributed.is_main_process():  # under torchrun, rank 0 makes the run directory
            run = RunDirectory.create(
                out or Path("runs") / f"{task}-{time.strftime('%Y%m%d-%H%M%S')}"
            ).lock()
    try:
        if resume is not None:
            assets, data = task_obj.setup(cfg, run=run)
            if distributed.is_main_process():
                run.save_config(cfg)  # the new limits, in this release's format
        else:
            assets, data = task_obj.setup(cfg, run=source)  # --init-from: its assets
            check_memory(task_obj, cfg, training=True)
            if run is not None:
                task_obj.save_assets(run, assets)
                run.save_config(cfg)
        classical = task_obj.fit_classical(cfg, assets, data, run) if run is not None else None
        if classical is not None:
            return classical
        return _fit(task_obj, cfg, assets, data, run, resume=resume is not None,
                    progress=progress, callbacks=callbacks)  # fmt: skip
    except BaseException:
        if run is not None and resume is None and not run.has_checkpoint():
            run.discard()  # a start that failed leaves nothing behind
        raise
    finally:
        if run is not None:
            run.unlock()


def _attach_memory(task: Task, cfg: RunConfig, memory: dict, *, resume: bool) -> None:
    """Records passed in memory: checked by the task, kept beside the config (not in
    config.json, which records their SHA-256 as ``memory:<hash>``)."""
    records = {}
    for which, items in memory.items():
        if not hasattr(cfg.data, which):
            raise ConfigError(f"the {cfg.task} task has no setting {which!r}")
        records[which] = task.from_memory(items, cfg, which)
        digest = MEMORY + records_digest(records[which])
        recorded = getattr(cfg.data, which)
        if resume and recorded != digest:
            raise ConfigError(
                f"the {which} passed differ from those the run was trained on "
                f"({recorded or 'a file'}); pass the same {which} to resume it"
            )
        setattr(cfg.data, which, digest)
    cfg.__dict__["memory"] = records


def plan_limits(cfg: RunConfig, given: set[str]) -> None:
    """The limits a user gave decide over the task's defaults:

    - a time budget is a plan: given without ``epochs`` or ``max_steps``, the task's
      default epoch count is dropped, so that training (and the cosine schedule, which
      spans the tightest limit) runs for the budget; the task's default early stopping
      is dropped too (a cosine gains most as it anneals, at the end of the plan; the
      measurement is in docs/benchmarks.md), and the best weights on the task's metric
      are kept; ``early_stopping`` given still stops the run (see the trainer's
      patience rule);
    - ``epochs`` given means that many epochs: the task's ``min_steps`` (which gives a
      small data set more epochs than its default count) is dropped.
    """
    t = cfg.train
    if t.time_budget is not None and not given & {"epochs", "max_steps"}:
        t.epochs = None
        if "early_stopping" not in given:
            t.early_stopping = None
    if "epochs" in given and "min_steps" not in given:
        t.min_steps = None


def _given(task: Task, config, sections: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """The settings a user gave, by section: as options, in a TOML/dict config, or (for
    a RunConfig object) those that differ from the task's defaults."""
    given = {section: set(values) for section, values in sections.items()}
    if isinstance(config, RunConfig):
        default = task.Config()
        for section in given:
            mine, theirs = getattr(config, section), getattr(default, section)
            given[section] |= {f.name for f in fields(mine)
                               if getattr(mine, f.name) != getattr(theirs, f.name)}  # fmt: skip
    elif config is not None:
        document = config if isinstance(config, dict) else read_toml(config)
        for section in given:
            given[section] |= set(document.get(section, {}))
    return given


def _inherit(task: Task, cfg: RunConfig, given: dict[str, set[str]]) -> RunDirectory:
    """``--init-from RUN``: the new run continues RUN's model. It takes RUN's model and
    data options, except those given and the data themselves, and (in :meth:`Task.setup`)
    RUN's assets, so that each weight keeps its meaning: the same vocabulary behind the
    embedding rows, the same labels behind the outputs, the same scaler. Returns RUN."""
    source = RunDirectory.open(cfg.train.init_from)
    theirs = load_config(source)
    if theirs.task != cfg.task:
        raise ConfigError(f"--init-from {source.path} is a {theirs.task!r} run, not {cfg.task!r}")
    for name in sorted(given["data"] & set(task.asset_options)):
        mine, before = getattr(cfg.data, name), getattr(theirs.data, name, None)
        if mine != before:
            raise ConfigError(
                f"--init-from {source.path} keeps that run's vocabulary, labels and scaling, "
                f"fitted with {name} {before!r}; it cannot change to {mine!r}"
            )
    for section in ("model", "data"):
        mine = getattr(cfg, section)
        for f in fields(getattr(theirs, section)):
            if f.name not in given[section] and f.name not in ("data", "valid"):
                setattr(mine, f.name, getattr(getattr(theirs, section), f.name))
    return source


def _new_config(task: Task, config) -> RunConfig:
    if config is None:
        return task.Config()
    if isinstance(config, RunConfig):
        if not isinstance(config, task.Config):
            raise ConfigError(f"a {type(config).__name__} is not a config of the {task.name} task")
        return config
    if isinstance(config, dict):
        return task.Config.from_dict(config)
    return task.Config.from_dict(read_toml(config), source=os.fspath(config))


def _fit(
    task_obj: Task,
    cfg: RunConfig,
    assets: Any,
    data: Any,
    run: RunDirectory | None,
    *,
    resume: bool,
    progress: bool,
    callbacks: Sequence[Callable] = (),
) -> Predictor:
    """Build the model, train it (data-parallel under torchrun) and return the predictor."""
    device = resolve_device(cfg.train.device)
    info = distributed.setup(device)
    if info.enabled and device.type == "cuda":
        device = torch.device("cuda", info.local_rank)
    # --deterministic holds for this run only: the process gets its own settings back
    determinism = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
    )
    try:
        run = RunDirectory(distributed.broadcast_path(run.path if run else None, info))
        seed_everything(cfg.train.seed, deterministic=cfg.train.deterministic)
        model = task_obj.build_model(cfg).to(device)
        if cfg.train.init_from and not resume:
            source = RunDirectory.open(cfg.train.init_from)
            try:
                source.load_weights(model, device=device)
            except CheckpointError as e:
                raise ConfigError(
                    f"--init-from {cfg.train.init_from}: {e}; leave out the model options "
                    "that change its shape (the run takes that run's own)"
                ) from None
        program = task_obj.program(model, data, cfg, info)
        callbacks = list(callbacks)
        if cfg.train.tensorboard and info.is_main:
            from rnnkit.training.callbacks import TensorBoardLogger

            callbacks.append(TensorBoardLogger(run.file("tb")))
        if cfg.train.mlflow and info.is_main:
            from rnnkit.training.callbacks import MLflowLogger

            callbacks.append(MLflowLogger(cfg.train.mlflow))
        trainer = Trainer(
            model,
            cfg.train,
            program,
            run=run,
            callbacks=callbacks,
            progress=progress,
            dist=info,
            higher_is_better=task_obj.higher_is_better,
        )
        if resume:
            trainer.resume(run)
        trainer.fit()
        predictor = task_obj.Predictor(model, cfg, run, assets=assets)
        if info.is_main:
            from rnnkit.plots import plot_loss_curves

            plot_loss_curves(run.read_metrics(), run.file("plots/loss.png"), title=f"{cfg.task}")
            task_obj.after_fit(predictor, program, run)
        distributed.barrier(info)
    finally:
        torch.use_deterministic_algorithms(determinism[0], warn_only=determinism[1])
        torch.backends.cudnn.benchmark = determinism[2]
        distributed.cleanup(info)
    return predictor


def load(run_dir: str | os.PathLike, *, device: str = "cpu") -> Predictor:
    """Load a run directory and return the predictor of its task.

    Weights come from safetensors and the rest from JSON: loading runs no code.
    """
    run = RunDirectory.open(run_dir)
    cfg = load_config(run)
    try:
        return get_task(cfg.task).load_predictor(cfg, run, resolve_device(device))
    except DataError as e:
        raise CheckpointError(f"{run_dir}: {e}") from None
