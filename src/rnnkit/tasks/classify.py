"""Sequence classification (many-to-one): a surname -> its country, a review -> its label.

Data: the embedded ``names`` (default), a TSV/CSV file of ``text<TAB>label`` rows
(``text_column``, ``label_column``, ``header``), or a folder of ``<label>.txt``
files with one example per line (the PyTorch names tutorial's layout). Without
``valid``, a fixed stratified 10% of ``data`` is held out (the same for every seed).
"""

from __future__ import annotations

import hashlib
import itertools
import os
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import (
    BIDIRECTIONAL,
    RunConfig,
    Section,
    TextDataConfig,
    TextModelConfig,
    TrainConfig,
    derived,
    option,
    override,
    with_defaults,
)
from rnnkit.data import embedded
from rnnkit.data.batching import BucketBatchSampler, LabelledBatch, collate_labelled
from rnnkit.data.datasets import LabelledDataset
from rnnkit.data.readers import read_label_folder, read_labelled, take
from rnnkit.data.tokenizers import Tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab, build_vocab
from rnnkit.errors import ConfigError, DataError
from rnnkit.metrics import classification_report, confusion_matrix
from rnnkit.models.classifier import SequenceClassifier
from rnnkit.models.exportable import ClassifierGraph, example_ids
from rnnkit.tasks.base import (
    Assets,
    EpochBatches,
    ExportGraph,
    Predictor,
    SampledBatches,
    Splits,
    Task,
    check_texts,
    fields_of,
    make_text_tokenizer,
    read_source,
    register,
    rows_of,
    source_name,
)
from rnnkit.tasks.char_lm import (
    CHAR_LM_FILE,
    CharLMAssets,
    CharLMDataset,
    build_char_lm,
    char_lm_models_field,
    char_lm_option,
    copy_char_lm_weights,
    fine_tune_option,
    fit_char_lm,
    load_char_lm_assets,
    refuse_char_lm_export,
)
from rnnkit.tasks.tag_data import extend_with_vectors
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import StepOutput

__all__ = [
    "ClassifyConfig",
    "ClassifyModelConfig",
    "ClassifyDataConfig",
    "ClassifyTrainConfig",
    "ClassifyAssets",
    "ClassificationTask",
    "ClassifierPredictor",
    "ClassifyData",
    "ClassifyProgram",
    "read_examples",
    "read_splits",
    "evaluate_classifier",
]

EVAL_BATCH_SIZE = 256
VALID_FRACTION = 0.1
#: Tokenizers whose tokens are characters (or bytes): few types, each in every text.
CHARACTER_TOKENIZERS = ("char", "byte", "codepoint")
#: Tokenizers whose vocabulary is built from the words (or morphemes) seen in training.
WORD_TOKENIZERS = ("word", "regex", "korean")

Examples = Sequence[tuple[str, str]]


# -- config --------------------------------------------------------------------------------
@dataclass
class ClassifyModelConfig(TextModelConfig):
    cell: str = override(TextModelConfig, "cell", "gru")
    num_layers: int = override(TextModelConfig, "num_layers", 1)
    # None: chosen by the tokens once the tokenizer is (resolve_by_tokens)
    dropout: float | None = override(
        TextModelConfig, "dropout", None, none="0.3 for characters, 0.5 for words"
    )
    embedding_dim: int | None = override(
        TextModelConfig, "embedding_dim", None, none="64 for characters, 128 for words"
    )
    bidirectional: bool = option(True, BIDIRECTIONAL)
    pooling: str = option(
        "max",
        "How the outputs become one vector per sequence.",
        choices=("last", "max", "mean", "attention"),
    )
    ngrams: int = option(
        3, "Add a hashed bag of the tokens' 1..N-grams (fastText-style; 0: off).", low=0
    )
    ngram_buckets: int = option(2**16, "Rows of each n-gram bag's hashed table.", low=1)
    char_ngrams: int | None = option(
        None,
        "Add a hashed bag of the text's character 1..N-grams (0: off).",
        low=0,
        none="4 for words, morphemes and subwords; 0 for characters",
    )
    word_dropout: float | None = option(
        None,
        "Zero a training token's whole embedding with this probability.",
        low=0,
        high=1,
        high_open=True,
        none="0 for characters, 0.2 for words",
    )
    char_lm: str | None = char_lm_option()
    fine_tune_char_lm: bool = fine_tune_option()
    num_classes: int = derived("labels in the training data")
    char_lm_models: dict | None = char_lm_models_field()

    def resolve_by_tokens(self, tokenizer: str) -> None:
        """Fill the options left to the tokens. Characters (names, codes: every
        character counts, and a few dozen of them recur in every text): dropout 0.3, no
        token dropout, 64-d embeddings and no character bag (the token n-gram bag counts
        the characters already). Words, morphemes or subwords (thousands of types, many
        seen once or in one document): dropout 0.5 and 0.2 token dropout, so that the
        model leans on no single topic word, 128-d embeddings (the width of each bag's
        vectors too), and the text's character 1..4-grams, which read the words unseen
        in training too. Chosen on documents held out of GUM's dev file
        (docs/classify.md)."""
        chars = tokenizer in CHARACTER_TOKENIZERS
        if self.embedding_dim is None:
            self.embedding_dim = 64 if chars else 128
        if self.dropout is None:
            self.dropout = 0.3 if chars else 0.5
        if self.word_dropout is None:
            self.word_dropout = 0.0 if chars else 0.2
        if self.char_ngrams is None:
            self.char_ngrams = 0 if chars else 4


@dataclass
class ClassifyDataConfig(TextDataConfig):
    batch_size: int = override(TextDataConfig, "batch_size", 64)
    # None: chosen by the tokens once the tokenizer is (resolve_min_freq)
    min_freq: int | None = override(
        TextDataConfig,
        "min_freq",
        None,
        none="2 for words and morphemes without --vectors, else 1",
    )
    tokenizer: str = override(
        TextDataConfig,
        "tokenizer",
        "auto",
        choices=("auto", "char", "byte", "codepoint", "word", "regex", "sentencepiece", "korean"),
        help="How text becomes tokens (auto: characters for texts of one or two words, such "
        "as names; else words and punctuation, regex, or Kiwi morphemes for Korean).",
    )
    text_column: int | str | None = option(
        None, "Text column of a TSV/CSV (a name, or a 0-based number).", none="0"
    )
    label_column: int | str | None = option(
        None, "Label column of a TSV/CSV (a name, or a 0-based number).", none="1"
    )
    header: bool | None = option(
        None, "The first row names the columns.", none="yes when a column is given by name"
    )
    class_weights: str = option(
        "sqrt",
        "Weight the loss by n / (K * n_k) for imbalanced labels, its square root, or not.",
        choices=("balanced", "sqrt", "none"),
    )
    vectors: str | None = option(
        None, "A word2vec/GloVe text file that initialises the token embedding."
    )

    def check(self) -> None:
        if self.tokenizer != "auto":  # auto is resolved, and checked, on the training texts
            super().check()

    def resolve_min_freq(self) -> None:
        """Fill the vocabulary's floor left to the tokens. Characters keep every type,
        and sentencepiece keeps its own pieces (1). Words and morphemes seen once become
        ``<unk>`` (2): a word seen in one training sentence tells the label of that
        sentence, not of new texts, and ``<unk>`` gets trained for the unseen words of
        test time. With ``--vectors`` every type stays, since its pretrained row carries
        what one sighting cannot. Chosen on documents held out of GUM's dev file
        (docs/classify.md)."""
        if self.min_freq is None:
            words = self.tokenizer in WORD_TOKENIZERS and self.vectors is None
            self.min_freq = 2 if words else 1


def auto_tokenizer(texts: Sequence[str]) -> str:
    """The tokenizer ``--tokenizer auto`` picks from the training texts: ``char`` when
    the median text has at most two words (names, codes), else ``korean`` (Kiwi
    morphemes, when installed) for mostly Hangul texts, else ``regex`` (words and
    punctuation)."""
    import re
    import statistics

    sample = list(texts[:: max(1, len(texts) // 2000)])  # at most about 2,000 texts
    if statistics.median(len(t.split()) for t in sample) <= 2:
        return "char"
    hangul = sum(bool(re.search("[\uac00-\ud7af]", t)) for t in sample)
    if hangul > len(sample) / 2:
        try:
            import kiwipiepy  # noqa: F401

            return "korean"
        except ImportError:
            pass
    return "regex"


@dataclass
class ClassifyTrainConfig(TrainConfig):
    label_smoothing: float = option(
        0.1, "Smooth the one-hot targets by this much.", low=0, high=1, high_open=True
    )


@dataclass
class ClassifyConfig(RunConfig):
    """A sequence classifier: a biGRU over characters with a hashed n-gram bag."""

    task: str = "classify"
    model: ClassifyModelConfig = with_defaults(ClassifyModelConfig)
    data: ClassifyDataConfig = with_defaults(ClassifyDataConfig)
    train: ClassifyTrainConfig = with_defaults(
        ClassifyTrainConfig,
        epochs=25,
        min_steps=2000,  # a small labelled set gets more epochs than 25
        amp=False,  # bf16 and the moving average measured for lm only
        ema=None,
        lr=3e-3,
        eval_every=100,
        metric="macro_f1",
        keep_best=True,
    )


# -- data ----------------------------------------------------------------------------------
@dataclass
class ClassifyAssets(Assets):
    tokenizer: Tokenizer
    vocab: Vocab
    label_names: list[str]
    vectors: Tensor | None = None  # (V, E) initial embedding rows where found (not saved)
    vectors_found: Tensor | None = None  # (V,) bool
    char_lm: CharLMAssets | None = None  # --char-lm: the LMs' tokenizers and vocabularies

    def to_files(self) -> dict[str, Any]:
        files = {
            "tokenizer.json": self.tokenizer.to_dict(),
            "vocab.json": self.vocab.to_dict(),
            "labels.json": {"labels": self.label_names},
        }
        if self.char_lm is not None:
            files[CHAR_LM_FILE] = self.char_lm.to_dict()
        return files

    @classmethod
    def from_files(cls, read: Callable[[str], Any]) -> ClassifyAssets:
        labels = read("labels.json")
        if not isinstance(labels, dict) or not isinstance(labels.get("labels"), list):
            raise ValueError("labels.json lacks its 'labels' list")
        tokenizer = tokenizer_from_dict(read("tokenizer.json"))
        return cls(tokenizer, Vocab.from_dict(read("vocab.json")), list(labels["labels"]))

    def sizes(self) -> dict[str, int]:
        return {"vocab_size": len(self.vocab), "num_classes": len(self.label_names)}


@dataclass
class ClassifyData:
    assets: ClassifyAssets
    train: LabelledDataset
    valid: LabelledDataset
    valid_source: str
    class_weights: list[float] | None = None  # one per class, for the training loss


def _column(value: int | str | None, default: int) -> int | str:
    """A column from the config: a name, or a number."""
    return default if value is None else value


def read_examples(path: str | os.PathLike, config: RunConfig) -> Examples:
    """``(text, label)`` examples of a TSV/CSV file or a folder of ``<label>.txt`` files."""
    if Path(path).is_dir():
        return read_label_folder(path)
    d = config.data
    return read_labelled(
        path,
        text_column=_column(d.text_column, 0),
        label_column=_column(d.label_column, 1),
        header=d.header,
    )


def _held_out(examples: Examples) -> tuple[list[int], list[int]]:
    """Indices of a fixed stratified split: about 10% of each label for validation.

    Within a label the examples are ordered by the SHA-256 of their text and
    position, so the split depends on the data only (not on the seed).
    """
    by_label: dict[str, list[int]] = {}
    for i, (_, label) in enumerate(examples):
        by_label.setdefault(label, []).append(i)
    train, valid = [], []
    for indices in by_label.values():
        ordered = sorted(
            indices, key=lambda i: hashlib.sha256(f"{i}:{examples[i][0]}".encode()).hexdigest()
        )
        n_valid = round(len(ordered) * VALID_FRACTION) if len(ordered) >= 2 else 0
        n_valid = max(n_valid, 1) if len(ordered) >= 2 else 0
        valid += ordered[:n_valid]
        train += ordered[n_valid:]
    return sorted(train), sorted(valid)


def read_splits(config: RunConfig) -> Splits:
    """The ``(text, label)`` examples to train and validate on: the embedded names, or files."""
    d = config.data
    read = lambda path: read_examples(path, config)  # noqa: E731
    if d.data is None:
        train, train_source = embedded.load("names", "train"), "names (train split)"
    else:
        train, train_source = read_source(config, "data", read), source_name(d.data, "data")
    if d.valid is not None:
        return Splits(
            train, read_source(config, "valid", read), train_source, source_name(d.valid, "valid")
        )
    if d.data is None:
        return Splits(train, embedded.load("names", "valid"), train_source, "names (valid split)")
    train_idx, valid_idx = _held_out(train)
    if not valid_idx:
        raise DataError(d.data, None, "at least 2 examples of a label to hold out", "fewer")
    held = f"{train_source} (stratified {VALID_FRACTION:.0%})"
    return Splits(take(train, train_idx), take(train, valid_idx), train_source, held)


def _dataset(
    examples: Examples, assets: ClassifyAssets, source: str, config: RunConfig
) -> LabelledDataset:
    """The examples as the model reads them: token ids, and the texts' characters when
    the model has a character bag, and character LM inputs when it reads LMs."""
    try:
        dataset = LabelledDataset.from_examples(
            examples,
            assets.tokenizer,
            assets.vocab,
            assets.label_names,
            spell=bool(config.model.char_ngrams),
        )
    except DataError as e:
        if e.path is None and source:
            raise DataError(source, e.line, e.expected, e.got) from None
        raise
    if assets.char_lm is None:
        return dataset
    return CharLMDataset(dataset, [_char_lm_inputs(text, assets) for text, _ in examples])


def _char_lm_inputs(text: str, assets: ClassifyAssets) -> tuple[Tensor, Tensor]:
    """The character LMs' inputs of a text: the LMs read the text itself, and each token
    is where the tokenizer found it (see :meth:`CharLMAssets.encode`)."""
    return assets.char_lm.encode(assets.tokenizer.tokenize(text), text)


def _logits(model: nn.Module, batch: LabelledBatch) -> Tensor:
    args = (batch.chars, batch.char_lengths, batch.lm_ids, batch.lm_at)
    return model(batch.x, batch.lengths, *args)  # (N, K)


def _collate(dataset: LabelledDataset, pad_id: int) -> Callable[[Sequence], LabelledBatch]:
    """The collate function of a dataset's items (with its characters, if it kept them)."""
    spelled = getattr(dataset, "chars", None) is not None  # a CharLMDataset passes it on
    return lambda items: collate_labelled(items, pad_id, spelled=spelled)


def balanced_weights(labels: Sequence[int], num_classes: int, power: float = 1.0) -> list[float]:
    """scikit-learn's ``"balanced"`` weights, n / (K * n_k), raised to ``power``
    (0.5: the square root, halfway to no weights); 0 for a class never seen."""
    counts = Counter(labels)
    n = len(labels)
    return [
        (n / (num_classes * counts[k])) ** power if counts[k] else 0.0 for k in range(num_classes)
    ]


def _eval_batches(dataset: LabelledDataset, pad_id: int, batch_size: int) -> EpochBatches:
    order = sorted(range(len(dataset)), key=lambda i: dataset.lengths[i])  # little padding
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return EpochBatches(dataset, chunks, _collate(dataset, pad_id))


@torch.no_grad()
def evaluate_classifier(
    model: nn.Module,
    dataset: LabelledDataset,
    *,
    pad_id: int = 0,
    batch_size: int = EVAL_BATCH_SIZE,
    max_batches: int | None = None,
) -> tuple[dict[str, float], list[list[int]], dict]:
    """Loss (nats/example), accuracy, macro-F1 and n; the confusion matrix; per-class scores."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    y_true: list[int] = []
    y_pred: list[int] = []
    total = 0.0
    try:
        batches = _eval_batches(dataset, pad_id, batch_size)
        count = len(batches) if max_batches is None else min(max_batches, len(batches))
        for i in range(count):
            batch = batches[i].to(device)
            logits = _logits(model, batch)  # (N, K)
            total += F.cross_entropy(logits.float(), batch.labels, reduction="sum").item()
            y_true += batch.labels.tolist()
            y_pred += logits.argmax(-1).tolist()
    finally:
        model.train(was_training)
    K = len(dataset.label_names)
    report = classification_report(y_true, y_pred, dataset.label_names)
    metrics = {
        "loss": total / max(len(y_true), 1),
        "accuracy": report["accuracy"],
        "macro_f1": report["macro_f1"],
        "n": len(y_true),
    }
    return metrics, confusion_matrix(y_true, y_pred, K), report["per_class"]


class ClassifyProgram:
    """The :class:`~rnnkit.training.trainer.TrainingProgram` of a sequence classifier:
    length-bucketed batches reshuffled each epoch, (weighted) cross-entropy."""

    def __init__(
        self,
        data: ClassifyData,
        assets: ClassifyAssets,
        config: RunConfig,
        device: torch.device,
        dist: DistInfo,
    ) -> None:
        self.data = data
        self.device = device
        self.dist = dist
        self.pad_id = assets.vocab.pad_id
        sampler = BucketBatchSampler(
            data.train.lengths,
            config.data.batch_size,
            seed=config.train.seed,
            num_replicas=dist.world_size if dist.enabled else 1,
            rank=dist.rank if dist.enabled else 0,
        )
        self.batches = SampledBatches(sampler, data.train, _collate(data.train, self.pad_id))
        self.weight = (
            torch.tensor(data.class_weights, dtype=torch.float32, device=device)
            if data.class_weights is not None
            else None
        )
        self.label_smoothing = config.train.label_smoothing
        self.confusion: list[list[int]] | None = None  # of the last full evaluation

    def step(self, model: nn.Module, batch: LabelledBatch, state) -> StepOutput:
        batch = batch.to(self.device, non_blocking=True)
        logits = _logits(model, batch)  # (N, K)
        loss = F.cross_entropy(
            logits.float(), batch.labels, weight=self.weight, label_smoothing=self.label_smoothing
        )
        return StepOutput(loss, batch.labels.numel(), None)

    def evaluate(self, model: nn.Module, max_batches: int | None = None) -> dict[str, float]:
        metrics, confusion, _ = evaluate_classifier(
            model, self.data.valid, pad_id=self.pad_id, max_batches=max_batches
        )
        if max_batches is None:
            self.confusion = confusion
        return metrics


@dataclass
class ClassifyPredictOptions(Section):
    section: ClassVar[str] = "options"
    top_k: int = option(1, "Give the K most likely labels.", low=1)


class ClassifierPredictor(Predictor):
    """A trained sequence classifier: the top-k labels of texts, and metrics on labelled data.

    Example:
        >>> clf = rnnkit.load("runs/classify-names")  # doctest: +SKIP
        >>> clf.predict(["Nakamura"], top_k=2)  # doctest: +SKIP
        [{'input': 'Nakamura', 'label': 'Japanese', 'probability': 0.97,
          'top_k': [{'label': 'Japanese', 'probability': 0.97}, {'label': 'Korean', ...}]}]
    """

    task = "classify"
    input_schema: ClassVar[dict] = {
        "type": "string",
        "minLength": 1,
        "description": "a text",
        "examples": ["Nakamura", "Schmidt"],
    }
    output_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "input": {"type": "string"},
            "label": {"type": "string"},
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "top_k": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "label": {"type": "string"},
                        "probability": {"type": "number", "minimum": 0, "maximum": 1},
                    },
                    "required": ["label", "probability"],
                },
                "description": "the K most likely labels, most likely first",
            },
        },
        "required": ["input", "label", "probability", "top_k"],
    }
    PredictOptions = ClassifyPredictOptions

    def __init__(self, model, config, run=None, *, assets: ClassifyAssets) -> None:
        super().__init__(model, config, run, assets=assets)
        self.tokenizer = assets.tokenizer
        self.vocab = assets.vocab
        self.label_names = list(assets.label_names)

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str]) -> Tensor:
        """Class probabilities, (N, K) on the CPU, in the order of :attr:`label_names`."""
        texts = check_texts(texts)
        examples = [(text, self.label_names[0]) for text in texts]  # the label is unread
        dataset = _dataset(examples, self.assets, "", self.config)
        batches = _eval_batches(dataset, self.vocab.pad_id, EVAL_BATCH_SIZE)
        out = torch.empty(len(texts), len(self.label_names))
        for chunk, batch in zip(batches.indices, batches):
            out[chunk] = _logits(self.model, batch.to(self.device)).float().softmax(-1).cpu()
        return out

    def view(self) -> dict:
        return {
            "kind": "bars",
            "items": "top_k",
            "options": {"top_k": min(5, len(self.label_names))},
        }

    def predict(self, texts: Sequence[str], **options) -> list[dict]:
        """One dict per text: ``input``, the best ``label`` and its ``probability``, and
        ``top_k``, the ``top_k`` best ``{"label", "probability"}`` in order."""
        top_k = self.options("predict", options).top_k
        texts = check_texts(texts)
        if len(texts) == 0:
            return []
        probs = self.predict_proba(texts)
        values, indices = probs.topk(min(top_k, probs.size(1)), dim=-1)  # (N, k)
        out = []
        for text, ps, ks in zip(texts, values.tolist(), indices.tolist()):
            ranked = [{"label": self.label_names[k], "probability": p} for p, k in zip(ps, ks)]
            out.append(
                {
                    "input": text,
                    "label": ranked[0]["label"],
                    "probability": ranked[0]["probability"],
                    "top_k": ranked,
                }
            )
        return out

    def evaluate(self, data: str | os.PathLike | Examples | None = None, **options) -> dict:
        """``{"task", "accuracy", "macro_f1", "n", "per_class"}`` on the file or folder
        ``data``, on a list of ``(text, label)`` pairs, or on the run's validation split."""
        self.options("evaluate", options)
        examples, source = self.records(data)
        known = set(self.label_names)
        for i, (_, label) in enumerate(examples):
            if label not in known:
                lines = getattr(examples, "lines", None)
                raise DataError(
                    source,
                    lines[i] if lines is not None else None,
                    f"a label the model knows ({', '.join(self.label_names[:10])}"
                    f"{', ...' if len(known) > 10 else ''})",
                    repr(label),
                )
        dataset = _dataset(examples, self.assets, source, self.config)
        metrics, _, per_class = evaluate_classifier(self.model, dataset, pad_id=self.vocab.pad_id)
        return {
            "task": "classify",
            "accuracy": metrics["accuracy"],
            "macro_f1": metrics["macro_f1"],
            "n": metrics["n"],
            "per_class": per_class,
        }


# -- the task ------------------------------------------------------------------------------
@register
class ClassificationTask(Task):
    name = "classify"
    summary = "text classification: a label per text (surnames -> country)"
    Config = ClassifyConfig
    Predictor = ClassifierPredictor
    Assets = ClassifyAssets
    higher_is_better = frozenset({"accuracy", "macro_f1"})
    search_space = {
        "lr": ("log", 1e-3, 1e-2),
        "hidden_size": ("int", 64, 512, 64),
        "dropout": ("float", 0.0, 0.5),
        "embedding_dim": ("choice", [32, 64, 128]),
        "pooling": ("choice", ["max", "mean", "last"]),
    }

    def read_splits(self, config: RunConfig) -> Splits:
        return read_splits(config)

    def read_file(self, path, config: RunConfig) -> Examples:
        return read_examples(path, config)

    def from_memory(self, items, config: RunConfig, which: str) -> list[tuple[str, str]]:
        """``(text, label)`` pairs, or dicts with the keys ``text`` and ``label`` (or the
        names given as ``text_column`` / ``label_column``); a DataFrame's rows."""
        d = config.data
        keys = [
            d.text_column if isinstance(d.text_column, str) else "text",
            d.label_column if isinstance(d.label_column, str) else "label",
        ]
        out = []
        for i, row in enumerate(rows_of(items, which)):
            text, label = fields_of(row, keys, which, i, "a (text, label) pair")
            if not isinstance(text, str) or not text.strip():
                raise DataError(f"{which}[{i}]", None, "a non-empty text", repr(text)[:60])
            if label is None or not str(label).strip():
                raise DataError(f"{which}[{i}]", None, "a label", repr(label))
            out.append((text, str(label)))
        return out

    def fit_assets(self, config: RunConfig, splits: Splits) -> ClassifyAssets:
        d = config.data
        texts = [text for text, _ in splits.train]
        if d.tokenizer == "auto":  # config.json records the choice
            d.tokenizer = auto_tokenizer(texts)
            TextDataConfig.check(d)  # e.g. --lowercase with characters
        config.model.resolve_by_tokens(d.tokenizer)  # config.json records them too
        d.resolve_min_freq()
        tokenizer = make_text_tokenizer(d)
        if tokenizer.needs_fit:
            tokenizer.fit(texts)
        vocab = tokenizer.natural_vocab() or build_vocab(
            itertools.chain.from_iterable(tokenizer.tokenize(t) for t in texts),
            min_freq=d.min_freq,
            max_size=d.max_vocab,
        )
        label_names = sorted({label for _, label in splits.train})
        if len(label_names) < 2:
            raise DataError(splits.train_source, None, "at least 2 labels", f"{label_names}")
        vectors = found = None
        if d.vectors is not None:
            if tokenizer.natural_vocab() is not None:
                raise ConfigError(
                    f"--vectors needs a tokenizer with a vocabulary built from the data "
                    f"(word, regex, char, korean), not {d.tokenizer!r}"
                )
            vocab, vectors, found = extend_with_vectors(vocab, d.vectors, config)
        if config.model.char_lm and d.tokenizer in ("byte", "sentencepiece"):
            raise ConfigError(
                f"--char-lm finds each token in its text: the {d.tokenizer!r} tokenizer's "
                "tokens are not pieces of the text (use char, codepoint, word or regex)"
            )
        char_lm = fit_char_lm(config)
        return ClassifyAssets(tokenizer, vocab, label_names, vectors, found, char_lm)

    def load_assets(self, run: RunDirectory, config: RunConfig) -> ClassifyAssets:
        assets = super().load_assets(run, config)
        assets.char_lm = load_char_lm_assets(run, config)
        return assets

    def prepare(self, config: RunConfig, splits: Splits, assets: ClassifyAssets) -> ClassifyData:
        train = _dataset(splits.train, assets, splits.train_source, config)
        valid = _dataset(splits.valid, assets, splits.valid_source, config)
        weights = None
        if config.data.class_weights != "none":
            power = 0.5 if config.data.class_weights == "sqrt" else 1.0
            weights = balanced_weights(train.labels, len(assets.label_names), power)
        return ClassifyData(assets, train, valid, splits.valid_source, weights)

    def build_model(self, config: RunConfig) -> SequenceClassifier:
        m = config.model
        return SequenceClassifier(
            m.vocab_size,
            m.num_classes,
            m.embedding_dim,
            m.hidden_size,
            m.num_layers,
            m.cell,
            m.dropout,
            bidirectional=m.bidirectional,
            pooling=m.pooling,
            word_dropout=m.word_dropout,
            ngrams=m.ngrams,
            ngram_buckets=m.ngram_buckets,
            char_ngrams=m.char_ngrams,
            layer_norm=m.layer_norm,
            backend=m.backend,
            char_lm=build_char_lm(config),
        )

    def export_graphs(self, predictor: Predictor) -> list[ExportGraph]:
        """``model.onnx``: padded ids and lengths (and, with a character bag, each text's
        code points) -> logits over the labels."""
        refuse_char_lm_export(predictor)
        x, lengths = example_ids(predictor.config.model.vocab_size, [7, 4, 1])
        inputs = {"x": x, "lengths": lengths}
        axes = {"x": {0: "batch", 1: "length"}, "lengths": {0: "batch"}}
        if predictor.model.char_bag is not None:  # (N, C): the text's code points
            inputs["chars"], inputs["char_lengths"] = example_ids(0x250, [30, 12, 3], seed=1)
            axes |= {"chars": {0: "batch", 1: "chars"}, "char_lengths": {0: "batch"}}
        doc = "x (N, L) ids padded with pad_id, lengths (N,)[, chars (N, C), char_lengths (N,)]"
        graph = ClassifierGraph(predictor.model)
        return [ExportGraph("model", graph, inputs, ["logits"], axes, doc + " -> logits (N, K)")]

    def export_info(self, predictor: Predictor) -> dict[str, Any]:
        info = {"labels": predictor.label_names, "pad_id": predictor.assets.vocab.pad_id}
        if predictor.model.char_bag is not None:
            info["chars"] = (
                "the Unicode code points of each text, its runs of whitespace read as one "
                "space, padded with 0"
            )
        return info

    def program(
        self, model: nn.Module, data: ClassifyData, config: RunConfig, dist: DistInfo
    ) -> ClassifyProgram:
        a = data.assets
        if not config.train.init_from:
            copy_char_lm_weights(model, a.char_lm)
            if a.vectors is not None:
                rows = a.vectors_found.clone()
                rows[a.vocab.pad_id] = False  # <pad> stays zero
                with torch.no_grad():
                    weight = getattr(model, "module", model).embedding.weight  # (V, E)
                    weight[rows] = a.vectors[rows].to(weight.device, weight.dtype)
        return ClassifyProgram(data, a, config, next(model.parameters()).device, dist)

    def after_fit(self, predictor, program: ClassifyProgram, run: RunDirectory) -> None:
        if program.confusion is not None:
            from rnnkit.plots import plot_confusion_matrix

            plot_confusion_matrix(
                program.confusion,
                predictor.label_names,
                run.file("plots/confusion.png"),
                title=f"classify: {program.data.valid_source}",
            )
