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
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.config import RunConfig
from rnnkit.data import embedded as builtin
from rnnkit.data.batching import BucketBatchSampler, LabelledBatch, collate_labelled
from rnnkit.data.datasets import LabelledDataset
from rnnkit.data.readers import read_label_folder, read_labelled, take
from rnnkit.data.tokenizers import Tokenizer, make_tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab, build_vocab
from rnnkit.errors import CheckpointError, ConfigError, DataError
from rnnkit.metrics import classification_report, confusion_matrix
from rnnkit.models.classifier import SequenceClassifier
from rnnkit.tasks.base import Predictor, Task, register
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import StepOutput

__all__ = [
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

Examples = Sequence[tuple[str, str]]


@dataclass
class ClassifyData:
    tokenizer: Tokenizer
    vocab: Vocab
    label_names: list[str]
    train: LabelledDataset
    valid: LabelledDataset
    train_source: str
    valid_source: str
    class_weights: list[float] | None = None  # one per class, for the training loss


def _column(value: int | str | None, default: int) -> int | str:
    """A column from the config: a name, or a number (``"2"`` from the command line is 2)."""
    if value is None:
        return default
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


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


def read_splits(config: RunConfig) -> tuple[Examples, Examples, str, str]:
    """(train examples, valid examples, their sources): the embedded names, or files."""
    d = config.data
    if d.data is None:
        train, train_source = builtin.load("names", "train"), "names (train split)"
    else:
        train, train_source = read_examples(d.data, config), d.data
    if d.valid is not None:
        return train, read_examples(d.valid, config), train_source, d.valid
    if d.data is None:
        return train, builtin.load("names", "valid"), train_source, "names (valid split)"
    train_idx, valid_idx = _held_out(train)
    if not valid_idx:
        raise DataError(d.data, None, "at least 2 examples of a label to hold out", "fewer")
    held = f"{d.data} (stratified {VALID_FRACTION:.0%})"
    return take(train, train_idx), take(train, valid_idx), d.data, held


def _dataset(
    examples: Examples, tokenizer: Tokenizer, vocab: Vocab, label_names: list[str], source: str
) -> LabelledDataset:
    try:
        return LabelledDataset.from_examples(examples, tokenizer, vocab, label_names)
    except DataError as e:
        if e.path is None and source:
            raise DataError(source, e.line, e.expected, e.got) from None
        raise


def balanced_weights(labels: Sequence[int], num_classes: int, power: float = 1.0) -> list[float]:
    """scikit-learn's ``"balanced"`` weights, n / (K * n_k), raised to ``power``
    (0.5: the square root, halfway to no weights); 0 for a class never seen."""
    counts = Counter(labels)
    n = len(labels)
    return [
        (n / (num_classes * counts[k])) ** power if counts[k] else 0.0 for k in range(num_classes)
    ]


class _Batches(Sequence):
    """The collated batches of one epoch, built lazily from lists of indices."""

    def __init__(self, dataset: LabelledDataset, indices: list[list[int]], pad_id: int) -> None:
        self.dataset, self.indices, self.pad_id = dataset, indices, pad_id

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> LabelledBatch:
        return collate_labelled([self.dataset[j] for j in self.indices[i]], self.pad_id)


def _eval_batches(dataset: LabelledDataset, pad_id: int, batch_size: int) -> _Batches:
    order = sorted(range(len(dataset)), key=lambda i: dataset.lengths[i])  # little padding
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return _Batches(dataset, chunks, pad_id)


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
            logits = model(batch.x, batch.lengths)  # (N, K)
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
        self, data: ClassifyData, config: RunConfig, device: torch.device, dist: DistInfo
    ) -> None:
        self.data = data
        self.device = device
        self.dist = dist
        self.pad_id = data.vocab.pad_id
        self.sampler = BucketBatchSampler(
            data.train.lengths,
            config.data.batch_size,
            seed=config.train.seed,
            num_replicas=dist.world_size if dist.enabled else 1,
            rank=dist.rank if dist.enabled else 0,
        )
        self.weight = (
            torch.tensor(data.class_weights, dtype=torch.float32, device=device)
            if data.class_weights is not None
            else None
        )
        self.label_smoothing = config.train.label_smoothing
        self._epoch: int | None = None
        self._batches: _Batches | None = None
        self.confusion: list[list[int]] | None = None  # of the last full evaluation

    def batches(self, epoch: int) -> _Batches:
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._batches = _Batches(self.data.train, list(self.sampler), self.pad_id)
            self._epoch = epoch
        return self._batches

    def step(self, model: nn.Module, batch: LabelledBatch, state) -> StepOutput:
        batch = batch.to(self.device, non_blocking=True)
        logits = model(batch.x, batch.lengths)  # (N, K)
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


@register
class ClassificationTask(Task):
    name = "classify"

    def __init__(self) -> None:
        self._program: ClassifyProgram | None = None  # the last program built, for its plot

    def prepare(self, config: RunConfig, run: RunDirectory | None = None) -> ClassifyData:
        if config.model.kind != "rnn":
            raise ConfigError(
                f"classify trains recurrent models only, got --model {config.model.kind}"
            )
        train_ex, valid_ex, train_source, valid_source = read_splits(config)
        d = config.data
        if run is not None:
            tokenizer, vocab, label_names = load_assets(run)
        else:
            options = {"lowercase": d.lowercase} if d.tokenizer == "word" else {}
            tokenizer = make_tokenizer(d.tokenizer, **options)
            texts = [text for text, _ in train_ex]
            if tokenizer.needs_fit:
                tokenizer.fit(texts)
            vocab = tokenizer.natural_vocab() or build_vocab(
                itertools.chain.from_iterable(tokenizer.tokenize(t) for t in texts),
                min_freq=d.min_freq,
                max_size=d.max_vocab,
            )
            label_names = sorted({label for _, label in train_ex})
        if len(label_names) < 2:
            raise DataError(train_source, None, "at least 2 labels", f"{label_names}")
        train = _dataset(train_ex, tokenizer, vocab, label_names, train_source)
        valid = _dataset(valid_ex, tokenizer, vocab, label_names, valid_source)
        weights = None
        if d.class_weights not in (None, "none"):
            power = 0.5 if d.class_weights == "sqrt" else 1.0
            weights = balanced_weights(train.labels, len(label_names), power)
        config.model.vocab_size = len(vocab)
        config.model.num_classes = len(label_names)
        return ClassifyData(
            tokenizer, vocab, label_names, train, valid, train_source, valid_source, weights
        )

    def save_assets(self, run: RunDirectory, data: ClassifyData) -> None:
        run.save_json("tokenizer.json", data.tokenizer.to_dict())
        run.save_json("vocab.json", data.vocab.to_dict())
        run.save_json("labels.json", {"labels": data.label_names})

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
            layer_norm=m.layer_norm,
            backend=m.backend,
        )

    def program(
        self, model: nn.Module, data: ClassifyData, config: RunConfig, dist: DistInfo
    ) -> ClassifyProgram:
        self._program = ClassifyProgram(data, config, next(model.parameters()).device, dist)
        return self._program

    def predictor(
        self, model: nn.Module, config: RunConfig, run: RunDirectory
    ) -> ClassifierPredictor:
        tokenizer, vocab, label_names = load_assets(run)
        if len(vocab) != config.model.vocab_size or len(label_names) != config.model.num_classes:
            raise CheckpointError(
                f"{run.path}: vocab.json/labels.json ({len(vocab)} tokens, {len(label_names)} "
                f"labels) do not fit the model ({config.model.vocab_size}, "
                f"{config.model.num_classes})"
            )
        program, self._program = self._program, None
        if program is not None and program.confusion is not None and program.dist.is_main:
            from rnnkit.plots import plot_confusion_matrix

            plot_confusion_matrix(
                program.confusion,
                label_names,
                run.file("plots/confusion.png"),
                title=f"classify: {program.data.valid_source}",
            )
        return ClassifierPredictor(
            model, config, run, tokenizer=tokenizer, vocab=vocab, label_names=label_names
        )


def load_assets(run: RunDirectory) -> tuple[Tokenizer, Vocab, list[str]]:
    labels = run.load_json("labels.json")
    if not isinstance(labels, dict) or not isinstance(labels.get("labels"), list):
        raise CheckpointError(f"{run.path}: labels.json lacks its 'labels' list")
    tokenizer = tokenizer_from_dict(run.load_json("tokenizer.json"))
    return tokenizer, Vocab.from_dict(run.load_json("vocab.json")), list(labels["labels"])


class ClassifierPredictor(Predictor):
    """A trained sequence classifier: the top-k labels of texts, and metrics on labelled data.

    Example:
        >>> clf = rnnkit.load("runs/classify-names")  # doctest: +SKIP
        >>> clf.predict(["Nakamura"], top_k=2)  # doctest: +SKIP
        [{'input': 'Nakamura', 'label': 'Japanese', 'probability': 0.97,
          'top_k': [{'label': 'Japanese', 'probability': 0.97}, {'label': 'Korean', ...}]}]
    """

    task = "classify"

    def __init__(
        self,
        model,
        config,
        run=None,
        *,
        tokenizer: Tokenizer,
        vocab: Vocab,
        label_names: Sequence[str],
    ) -> None:
        super().__init__(model, config, run)
        self.tokenizer = tokenizer
        self.vocab = vocab
        self.label_names = list(label_names)

    @torch.no_grad()
    def predict_proba(self, texts: Sequence[str]) -> Tensor:
        """Class probabilities, (N, K) on the CPU, in the order of :attr:`label_names`."""
        if isinstance(texts, str):
            raise ConfigError("predict takes a list of texts, got one string; wrap it in a list")
        ids = [self.tokenizer.encode(text, self.vocab) for text in texts]
        for i, seq in enumerate(ids):
            if not seq:
                raise DataError(
                    None, None, "a text with at least one token", f"input {i}: {texts[i]!r}"
                )
        K = len(self.label_names)
        out = torch.empty(len(ids), K)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), EVAL_BATCH_SIZE):
            chunk = order[start : start + EVAL_BATCH_SIZE]
            batch = collate_labelled([(torch.tensor(ids[i]), 0) for i in chunk], self.vocab.pad_id)
            batch = batch.to(self.device)
            out[chunk] = self.model(batch.x, batch.lengths).float().softmax(-1).cpu()  # (n, K)
        return out

    def predict(self, texts: Sequence[str], top_k: int = 1) -> list[dict]:
        """One dict per text: ``input``, the best ``label`` and its ``probability``, and
        ``top_k``, the ``top_k`` best ``{"label", "probability"}`` in order."""
        if not isinstance(top_k, int) or top_k < 1:
            raise ConfigError(f"top_k must be a positive integer, got {top_k!r}")
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

    def evaluate(
        self, examples: Examples | None = None, *, data: str | os.PathLike | None = None
    ) -> dict:
        """``{"task", "accuracy", "macro_f1", "n", "per_class"}`` on ``examples`` (``(text,
        label)`` pairs), on the file or folder ``data``, or on the run's validation split."""
        if examples is None and data is not None:
            examples = read_examples(data, self.config)
        source = os.fspath(data) if data is not None else "examples"
        if examples is None:
            _, examples, _, source = read_splits(self.config)
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
        dataset = _dataset(examples, self.tokenizer, self.vocab, self.label_names, source)
        metrics, _, per_class = evaluate_classifier(self.model, dataset, pad_id=self.vocab.pad_id)
        return {
            "task": "classify",
            "accuracy": metrics["accuracy"],
            "macro_f1": metrics["macro_f1"],
            "n": metrics["n"],
            "per_class": per_class,
        }
