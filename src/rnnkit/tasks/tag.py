"""Sequence tagging (many-to-many): part-of-speech tags, named entities, chunks.

Data: the embedded synthetic ``ner`` corpus (default; see
:mod:`rnnkit.data.embedded.synthetic_ner`), or CoNLL / CoNLL-U files (``format``, by the
file extension when None; ``tag_column``: a CoNLL column number, or ``upos`` /
``xpos`` for CoNLL-U). Without ``valid``, every tenth sentence of ``data`` is
held out (fixed, whatever the seed).

``scheme`` says what the tags are: ``BIO``, ``BIOES`` or ``IO`` spans (entity-level
precision, recall and F1, see :mod:`rnnkit.span_metrics`), or ``none`` (POS
tags: token accuracy, macro scores per tag). Given explicitly, every training and
validation tag is checked against it and a tag that breaks it is refused with its
file and line; ``auto`` (the default) takes it from the training tags without
checking (so IOB1 files such as the original CoNLL-2003 are read as spans, the
way conlleval reads them).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from rnnkit.config import (
    BIDIRECTIONAL,
    RunConfig,
    TextDataConfig,
    TextModelConfig,
    TrainConfig,
    derived,
    option,
    override,
    with_defaults,
)
from rnnkit.data.batching import BucketBatchSampler, TaggedBatch, collate_tagged
from rnnkit.data.conll import TaggedSentence
from rnnkit.data.datasets import TaggedDataset
from rnnkit.data.embedded.synthetic_ner import TOKEN_PATTERN
from rnnkit.data.tokenizers import Tokenizer, make_tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab, build_vocab
from rnnkit.errors import DataError
from rnnkit.models.exportable import TaggerGraph, example_ids
from rnnkit.models.tagger import SequenceTagger
from rnnkit.span_metrics import SPAN_SCHEMES, bio_spans, tagging_report
from rnnkit.tasks.base import (
    Assets,
    EpochBatches,
    ExportGraph,
    Predictor,
    SampledBatches,
    Splits,
    Task,
    check_texts,
    register,
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
    token_offsets,
)
from rnnkit.tasks.tag_data import (
    detect_scheme,
    extend_with_vectors,
    read_splits,
    read_tagged,
    tagged_dataset,
    tagged_from_memory,
)
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import StepOutput

__all__ = [
    "TagConfig",
    "TagModelConfig",
    "TagDataConfig",
    "TagTrainConfig",
    "TagAssets",
    "TaggingTask",
    "TaggerPredictor",
    "TagData",
    "TagProgram",
    "read_tagged",
    "read_splits",
    "detect_scheme",
    "evaluate_tagger",
]

EVAL_BATCH_SIZE = 256
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


CRF_MAX_TAGS = 128  # TagModelConfig.crf: a CRF head up to this many tags, a softmax above


# -- config --------------------------------------------------------------------------------
@dataclass
class TagModelConfig(TextModelConfig):
    num_layers: int = override(TextModelConfig, "num_layers", 1)
    # Chosen on the dev parts of UD English-GUM, Korean-GSD and WNUT 2017 (docs/tag.md):
    # 256 per direction (Flair's size) beat 128 on GUM (+0.4) and WNUT (+2.1 F1) and
    # tied on GSD, with 300 s of training; 100-d words and a 50+50 character BiLSTM
    # beat 64-d and 25+25 on GUM and GSD.
    hidden_size: int = override(TextModelConfig, "hidden_size", 256)
    dropout: float = override(TextModelConfig, "dropout", 0.5)
    embedding_dim: int = override(TextModelConfig, "embedding_dim", 100)
    bidirectional: bool = option(True, BIDIRECTIONAL)
    # The CRF's forward algorithm and Viterbi cost K^2 a word: free at 17-45 tags, but with
    # GSD's 534 XPOS tags it trained a tenth of the steps and read 2.4 points lower on the
    # dev part than a softmax (docs/tag.md)
    crf: bool | None = option(
        None,
        "A CRF head (Viterbi decoding) instead of a softmax per token.",
        none=f"when the tag set has at most {CRF_MAX_TAGS} tags",
    )
    char_embedding_dim: int = option(
        50,
        "Character embedding size: the spelling BiLSTM's input, the n-gram bag's width.",
        low=1,
        flag="char-embed",
    )
    char_hidden_size: int = option(
        50,
        "The character BiLSTM's size per direction (0: none; the n-gram bag stays).",
        low=0,
        flag="char-hidden",
    )
    # 1..4-grams: on the dev parts (300 s), GUM valid UPOS 0.9520 -> 0.9593, WNUT dev
    # entity F1 0.2586 -> 0.3280 (docs/benchmarks.md has the trial)
    char_ngrams: int = option(
        4,
        "Add each word's bag of hashed character 1..N-grams (fastText subwords; 0: off).",
        low=0,
    )
    char_ngram_buckets: int = option(2**16, "Rows of the character n-gram bag's table.", low=1)
    word_dropout: float = option(
        0.05,
        "A training word becomes <unk> with this probability.",
        low=0,
        high=1,
        high_open=True,
    )
    char_lm: str | None = char_lm_option()
    fine_tune_char_lm: bool = fine_tune_option()
    num_classes: int = derived("tags in the training data")
    char_vocab_size: int = derived("characters in the training words")
    char_lm_models: dict | None = char_lm_models_field()


@dataclass
class TagDataConfig(TextDataConfig):
    tokenizer: str = override(
        TextDataConfig,
        "tokenizer",
        "regex",
        choices=("regex", "word", "korean"),
        help="How predict's input texts become words.",
    )
    # POS tags rarely change with a word's case, entity tags often do: on the dev parts
    # (300 s) lowercased words gained GUM valid UPOS 0.9529 -> 0.9571 (mean of two seeds)
    # and lost WNUT 2017 dev entity F1 0.3171 -> 0.2933 (docs/tag.md)
    lowercase: bool | None = override(
        TextDataConfig,
        "lowercase",
        None,
        help="Lowercase the words before the vocabulary (their characters keep their case).",
        none="for tags that are not spans (scheme none: POS), not for entity spans",
    )
    format: str | None = option(
        None,
        "The data files' format.",
        choices=("conll", "conllu"),
        none="by the file extension (.conllu: CoNLL-U)",
    )
    tag_column: int | str | None = option(
        None,
        "CoNLL: the tag column (a number, -1: the last); CoNLL-U: upos or xpos.",
        none="-1 (CoNLL), upos (CoNLL-U)",
    )
    scheme: str = option(
        "auto",
        "The tags spell spans (BIO, BIOES, IO; checked) or not (none: POS); auto: detected.",
        choices=("auto", "BIO", "BIOES", "IO", "none"),
    )
    vectors: str | None = option(
        None, "A word2vec/GloVe text file that initialises the word embedding."
    )
    bucket: bool = option(True, "Length-bucketed batches (else plain shuffled ones).")

    def check(self) -> None:  # the words are lowercased by the task, any tokenizer
        pass


POS_EMA = 0.998  # TagTrainConfig.ema for tags that are not spans


@dataclass
class TagTrainConfig(TrainConfig):
    # The moving average of the weights, by the kind of tags (300 s on the dev parts, one
    # thread, docs/tag.md): 0.998 gained valid UPOS on GUM with three seeds of three
    # (+0.11, +0.15, +0.33) and on GSD with two of three (+0.34, -0.35, +0.25), and lost
    # WNUT 2017 dev entity F1 with both seeds tried (-1.2, -1.4).
    ema: float | None = override(
        TrainConfig,
        "ema",
        None,
        none=f"{POS_EMA} for tags that are not spans (POS), 0 (off) for entity spans",
        off=0.0,  # --ema off, as other tasks take it (None is the rule here)
    )


@dataclass
class TagConfig(RunConfig):
    """A sequence tagger: a BiLSTM-CRF over words and their characters."""

    task: str = "tag"
    model: TagModelConfig = with_defaults(TagModelConfig)
    data: TagDataConfig = with_defaults(TagDataConfig)
    train: TagTrainConfig = with_defaults(
        TagTrainConfig,
        epochs=30,
        min_steps=3000,  # a 1,000-sentence treebank gets about 100 epochs, not 30
        amp=False,  # bf16 measured for lm only
        lr=1e-2,
        eval_every=200,
        metric="auto",  # entity F1 for span tags, accuracy for POS tags (prepare)
        early_stopping=5,
        keep_best=True,
    )

    @classmethod
    def from_dict(cls, data, *, source: str = "config", user: bool = True) -> TagConfig:
        config = super().from_dict(data, source=source, user=user)
        if not user and config.train.ema is None:
            config.train.ema = 0.0  # a run saved before the rule: its null was off
        if not user and config.model.crf is None:
            config.model.crf = True  # runs are saved resolved; the old default was a CRF
        return config


# -- data ----------------------------------------------------------------------------------
@dataclass
class TagAssets(Assets):
    tokenizer: Tokenizer
    vocab: Vocab
    char_vocab: Vocab
    tag_names: list[str]
    scheme: str  # resolved: BIO, BIOES, IO or none
    vectors: Tensor | None = None  # (V, E) initial embedding rows where found (not saved)
    vectors_found: Tensor | None = None  # (V,) bool
    char_lm: CharLMAssets | None = None  # --char-lm: the LMs' tokenizers and vocabularies

    def to_files(self) -> dict[str, Any]:
        files = {
            "tokenizer.json": self.tokenizer.to_dict(),
            "vocab.json": self.vocab.to_dict(),
            "chars.json": self.char_vocab.to_dict(),
            "tags.json": {"tags": self.tag_names, "scheme": self.scheme},
        }
        if self.char_lm is not None:
            files[CHAR_LM_FILE] = self.char_lm.to_dict()
        return files

    @classmethod
    def from_files(cls, read: Callable[[str], Any]) -> TagAssets:
        tags = read("tags.json")
        if not isinstance(tags, dict) or not isinstance(tags.get("tags"), list):
            raise ValueError("tags.json lacks its 'tags' list")
        scheme = tags.get("scheme", "none")
        if scheme not in (*SPAN_SCHEMES, "none"):
            raise ValueError(f"tags.json has an unknown scheme {scheme!r}")
        return cls(
            tokenizer_from_dict(read("tokenizer.json")),
            Vocab.from_dict(read("vocab.json")),
            Vocab.from_dict(read("chars.json")),
            list(tags["tags"]),
            scheme,
        )

    def sizes(self) -> dict[str, int]:
        return {
            "vocab_size": len(self.vocab),
            "char_vocab_size": len(self.char_vocab),
            "num_classes": len(self.tag_names),
        }


@dataclass
class TagData:
    assets: TagAssets
    train: TaggedDataset
    valid: TaggedDataset


# -- batches, evaluation, training ---------------------------------------------------------
def _unwrap(model: nn.Module) -> SequenceTagger:
    return getattr(model, "module", model)  # DDP keeps the tagger in .module


def _emissions(model: nn.Module, batch: TaggedBatch) -> Tensor:
    b = batch
    return model(b.x, b.lengths, b.chars, b.char_lengths, b.lm_ids, b.lm_at)  # (N, L, K)


def _with_char_lm(dataset: TaggedDataset, sentences, assets: TagAssets) -> TaggedDataset:
    """The dataset with each sentence's character LM inputs (its words joined by spaces)."""
    if assets.char_lm is None:
        return dataset
    tokens = [s.tokens if hasattr(s, "tokens") else s for s in sentences]
    return CharLMDataset(dataset, [assets.char_lm.encode(t) for t in tokens])


@torch.no_grad()
def _run_tagger(
    model: nn.Module,
    dataset: TaggedDataset,
    *,
    pad_id: int,
    with_loss: bool,
    batch_size: int = EVAL_BATCH_SIZE,
    max_batches: int | None = None,
) -> tuple[dict[int, list[int]], float, int]:
    """Predicted tag ids of each sentence scored (by index), the loss sum and its tokens."""
    tagger = _unwrap(model)
    device = next(tagger.parameters()).device
    was_training = tagger.training
    tagger.eval()
    order = sorted(range(len(dataset)), key=lambda i: dataset.lengths[i])  # little padding
    chunks = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    if max_batches is not None:
        chunks = chunks[:max_batches]
    predicted: dict[int, list[int]] = {}
    total, tokens = 0.0, 0
    try:
        for indices, batch in zip(
            chunks, EpochBatches(dataset, chunks, partial(collate_tagged, pad_id=pad_id))
        ):
            batch = batch.to(device)
            emissions = _emissions(tagger, batch)  # (N, L, K)
            if with_loss:
                n = int(batch.mask.sum())
                total += tagger.loss(emissions, batch.tags, batch.mask).item() * n
                tokens += n
            predicted.update(zip(indices, tagger.decode(emissions, batch.mask)))
    finally:
        tagger.train(was_training)
    return predicted, total, tokens


def evaluate_tagger(
    model: nn.Module,
    dataset: TaggedDataset,
    scheme: str,
    *,
    gold: Sequence[Sequence[str]] | None = None,
    pad_id: int = 0,
    with_loss: bool = True,
    max_batches: int | None = None,
) -> dict:
    """The metrics of :func:`~rnnkit.span_metrics.tagging_report`, with ``loss`` (nats
    per token) when ``with_loss``.

    ``gold``: the true tags as strings (default: the dataset's tag ids by name);
    with ``max_batches``, only the sentences of the first batches (shortest first)
    are scored.
    """
    names = dataset.tag_names
    predicted, total, tokens = _run_tagger(
        model, dataset, pad_id=pad_id, with_loss=with_loss, max_batches=max_batches
    )
    scored = sorted(predicted)
    if gold is None:
        truth = [[names[k] for k in dataset.tags[i].tolist()] for i in scored]
    else:
        truth = [list(gold[i]) for i in scored]
    report = tagging_report(truth, [[names[k] for k in predicted[i]] for i in scored], scheme)
    if with_loss:
        report = {"loss": total / max(tokens, 1), **report}
    return report


class TagProgram:
    """The :class:`~rnnkit.training.trainer.TrainingProgram` of a tagger: length-bucketed
    batches (plain shuffled ones with ``bucket=False``) reshuffled each epoch; the CRF's
    negative log-likelihood (or the cross-entropy) per real token."""

    def __init__(self, data: TagData, config: RunConfig, device: torch.device, dist: DistInfo):
        self.data = data
        self.device = device
        self.dist = dist
        self.pad_id = data.assets.vocab.pad_id
        batch_size = config.data.batch_size
        sampler = BucketBatchSampler(
            data.train.lengths,
            batch_size,
            bucket_size=None if config.data.bucket else batch_size,
            seed=config.train.seed,
            num_replicas=dist.world_size if dist.enabled else 1,
            rank=dist.rank if dist.enabled else 0,
        )
        self.batches = SampledBatches(
            sampler, data.train, lambda items: collate_tagged(items, self.pad_id)
        )

    def step(self, model: nn.Module, batch: TaggedBatch, state) -> StepOutput:
        batch = batch.to(self.device, non_blocking=True)
        emissions = _emissions(model, batch)  # (N, L, K)
        loss = _unwrap(model).loss(emissions, batch.tags, batch.mask)
        return StepOutput(loss, int(batch.mask.sum()), None)

    def evaluate(self, model: nn.Module, max_batches: int | None = None) -> dict[str, float]:
        report = evaluate_tagger(
            model,
            self.data.valid,
            self.data.assets.scheme,
            pad_id=self.pad_id,
            max_batches=max_batches,
        )
        return {k: report[k] for k in ("loss", "accuracy", "precision", "recall", "f1", "n")}


def _tokenizer_options(name: str) -> dict:
    return {"pattern": TOKEN_PATTERN} if name == "regex" else {}


class TaggerPredictor(Predictor):
    """A trained tagger: the tags and entity spans of texts, and metrics on tagged data.

    Example:
        >>> tagger = rnnkit.load("runs/tag-ner")  # doctest: +SKIP
        >>> tagger.predict(["Sung Kim teaches at HKUST"])  # doctest: +SKIP
        [{'input': 'Sung Kim teaches at HKUST',
          'tokens': ['Sung', 'Kim', 'teaches', 'at', 'HKUST'],
          'tags': ['B-PER', 'I-PER', 'O', 'O', 'B-ORG'],
          'spans': [{'type': 'PER', 'start': 0, 'end': 2, 'text': 'Sung Kim'},
                    {'type': 'ORG', 'start': 4, 'end': 5, 'text': 'HKUST'}]}]
    """

    task = "tag"
    input_schema: ClassVar[dict] = {
        "anyOf": [
            {"type": "string", "minLength": 1, "description": "a text, split into words"},
            {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
                "description": "words",
            },
        ],
        "examples": ["Sung Kim teaches at HKUST", ["Sung", "Kim", "teaches"]],
    }
    output_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "input": {"anyOf": [{"type": "string"}, {"type": "array"}]},
            "tokens": {"type": "array", "items": {"type": "string"}},
            "tags": {"type": "array", "items": {"type": "string"}},
            "spans": {
                "type": "array",
                "description": "entity spans (span schemes only); token offsets, end exclusive",
                "items": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "start": {"type": "integer", "minimum": 0},
                        "end": {"type": "integer", "minimum": 1},
                        "text": {"type": "string"},
                    },
                    "required": ["type", "start", "end", "text"],
                },
            },
        },
        "required": ["input", "tokens", "tags"],
    }

    def __init__(self, model, config, run=None, *, assets: TagAssets) -> None:
        super().__init__(model, config, run, assets=assets)
        self.tokenizer = assets.tokenizer
        self.vocab = assets.vocab
        self.char_vocab = assets.char_vocab
        self.tag_names = list(assets.tag_names)
        self.scheme = assets.scheme
        self._korean: Tokenizer | None = None

    def tokenize(self, text: str) -> list[str]:
        """The run's tokenizer, or the Korean one (Kiwi morphemes) for text with Hangul."""
        if _HANGUL.search(text) and self.tokenizer.name != "korean":
            if self._korean is None:
                self._korean = make_tokenizer("korean")
            return [t for t in self._korean.tokenize(text) if t != "\n"]
        return [t for t in self.tokenizer.tokenize(text) if t != "\n"]

    def _dataset(self, sentences: Sequence[Sequence[str]]) -> TaggedDataset:
        """Sentences of tokens (tags unknown: every tag id 0)."""
        lowercase = self.config.data.lowercase
        words = [self.vocab.encode(t.lower() if lowercase else t for t in s) for s in sentences]
        chars = [[self.char_vocab.encode(t) for t in s] for s in sentences]
        zeros = [[0] * len(s) for s in sentences]
        return _with_char_lm(
            TaggedDataset(words, zeros, chars, self.tag_names), sentences, self.assets
        )

    def tag(self, sentences: Sequence[Sequence[str]]) -> list[list[str]]:
        """The tags of sentences already split into tokens."""
        for i, s in enumerate(sentences):
            if isinstance(s, str) or len(s) == 0 or not all(isinstance(t, str) and t for t in s):
                raise DataError(
                    None, None, "a non-empty list of non-empty tokens", f"input {i}: {s!r}"
                )
        if len(sentences) == 0:
            return []
        predicted, _, _ = _run_tagger(
            self.model, self._dataset(sentences), pad_id=self.vocab.pad_id, with_loss=False
        )
        return [[self.tag_names[k] for k in predicted[i]] for i in range(len(sentences))]

    def view(self) -> dict:
        return {"kind": "spans"}

    def predict(self, texts: Sequence[str | Sequence[str]], **options) -> list[dict]:
        """One dict per input: ``input``, ``tokens``, ``tags`` and (BIO/BIOES/IO tags)
        ``spans``, each ``{"type", "start", "end", "text"}`` with token offsets, ``end``
        exclusive. An input is a text (tokenized as the run says; Korean text by
        Kiwi) or a list of tokens."""
        self.options("predict", options)
        texts = check_texts(texts, tokens=True)
        tokens = [self.tokenize(t) if isinstance(t, str) else list(t) for t in texts]
        for i, ts in enumerate(tokens):
            if not ts:
                raise DataError(
                    None, None, "a text with at least one token", f"input {i}: {texts[i]!r}"
                )
        out = []
        for text, ts, tags in zip(texts, tokens, self.tag(tokens)):
            result = {"input": text, "tokens": ts, "tags": tags}
            if self.scheme in SPAN_SCHEMES:
                offsets = token_offsets(text, ts) if isinstance(text, str) else None
                result["spans"] = [
                    {
                        "type": span.type,
                        "start": span.start,
                        "end": span.end,
                        "text": text[offsets[span.start][0] : offsets[span.end - 1][1]]
                        if offsets
                        else " ".join(ts[span.start : span.end]),
                    }
                    for span in bio_spans(tags, self.scheme)
                ]
            out.append(result)
        return out

    def evaluate(
        self,
        data: str | os.PathLike | Sequence[TaggedSentence | tuple] | None = None,
        **options,
    ) -> dict:
        """``{"task", "scheme", "accuracy", "precision", "recall", "f1", "n", "per_type"}`` on
        the CoNLL/CoNLL-U file ``data``, on a list of sentences (:class:`TaggedSentence`
        or ``(tokens, tags)``), or on the run's validation split. A true tag the model
        never saw is scored (as an error), not refused; data none of whose tags the model
        knows is refused (its tags are another tag set: the wrong file or column)."""
        self.options("evaluate", options)
        sentences, source = self.records(data)
        pairs = [(s.tokens, s.tags) if hasattr(s, "tokens") else tuple(s) for s in sentences]
        for i, (tokens, tags) in enumerate(pairs):
            if len(tokens) != len(tags) or not tokens:
                got = f"sentence {i}: {len(tokens)} tokens, {len(tags)} tags"
                raise DataError(None, None, "one tag per token, at least one token", got)
        seen = {t for _, tags in pairs for t in tags}
        if seen and seen.isdisjoint(self.tag_names):
            known = ", ".join(self.tag_names[:8]) + (", ..." if len(self.tag_names) > 8 else "")
            raise DataError(
                source,
                None,
                f"some of the tags the model knows ({known})",
                f"none of them: {', '.join(sorted(seen)[:8])}" + (", ..." if len(seen) > 8 else ""),
            )
        report = evaluate_tagger(
            self.model,
            self._dataset([t for t, _ in pairs]),
            self.scheme,
            gold=[g for _, g in pairs],
            pad_id=self.vocab.pad_id,
            with_loss=False,
        )
        return {"task": "tag", "scheme": self.scheme, **report}


# -- the task ------------------------------------------------------------------------------
@register
class TaggingTask(Task):
    name = "tag"
    summary = "sequence tagging: a tag per word (NER, POS; BiLSTM-CRF)"
    Config = TagConfig
    Predictor = TaggerPredictor
    Assets = TagAssets
    higher_is_better = frozenset({"accuracy", "precision", "recall", "f1", "auto"})
    asset_options = (*Task.asset_options, "scheme")
    search_space = {
        "lr": ("log", 1e-3, 3e-2),
        "hidden_size": ("int", 64, 256, 32),
        "dropout": ("float", 0.1, 0.6),
        "word_dropout": ("float", 0.0, 0.2),
        "char_hidden_size": ("choice", [0, 25, 50]),
    }

    def read_splits(self, config: RunConfig) -> Splits:
        return read_splits(config)

    def read_file(self, path, config: RunConfig) -> Sequence[TaggedSentence]:
        return read_tagged(path, config)

    def from_memory(self, items, config: RunConfig, which: str) -> Sequence[TaggedSentence]:
        return tagged_from_memory(items, config, which)

    def fit_assets(self, config: RunConfig, splits: Splits) -> TagAssets:
        d = config.data
        scheme = detect_scheme(splits.train) if d.scheme == "auto" else d.scheme
        if d.lowercase is None:  # config.json records what it resolved to
            d.lowercase = scheme == "none"
        tokenizer = make_tokenizer(d.tokenizer, **_tokenizer_options(d.tokenizer))
        words = (t.lower() if d.lowercase else t for s in splits.train for t in s.tokens)
        vocab = build_vocab(words, min_freq=d.min_freq, max_size=d.max_vocab)
        vectors = found = None
        if d.vectors is not None:
            vocab, vectors, found = extend_with_vectors(vocab, d.vectors, config)
        char_vocab = TaggedDataset.char_vocab_of(splits.train)
        tag_names = sorted({t for s in [*splits.train, *splits.valid] for t in s.tags})
        char_lm = fit_char_lm(config)
        return TagAssets(tokenizer, vocab, char_vocab, tag_names, scheme, vectors, found, char_lm)

    def load_assets(self, run, config: RunConfig) -> TagAssets:
        assets = super().load_assets(run, config)
        assets.char_lm = load_char_lm_assets(run, config)
        return assets

    def prepare(self, config: RunConfig, splits: Splits, assets: TagAssets) -> TagData:
        a, lowercase = assets, config.data.lowercase
        if config.train.metric == "auto":  # the task's own metric; config.json records it
            config.train.metric = "f1" if a.scheme in SPAN_SCHEMES else "accuracy"
        if config.train.ema is None:  # config.json records what it resolved to
            config.train.ema = 0.0 if a.scheme in SPAN_SCHEMES else POS_EMA
        if config.model.crf is None:  # config.json records what it resolved to
            config.model.crf = len(a.tag_names) <= CRF_MAX_TAGS
        train = tagged_dataset(
            splits.train, a.vocab, a.char_vocab, a.tag_names, lowercase, splits.train_source
        )
        valid = tagged_dataset(
            splits.valid, a.vocab, a.char_vocab, a.tag_names, lowercase, splits.valid_source
        )
        train = _with_char_lm(train, splits.train, a)
        valid = _with_char_lm(valid, splits.valid, a)
        return TagData(assets, train, valid)

    def build_model(self, config: RunConfig) -> SequenceTagger:
        m = config.model
        return SequenceTagger(
            m.vocab_size,
            m.num_classes,
            m.embedding_dim,
            m.hidden_size,
            m.num_layers,
            m.cell,
            m.dropout,
            bidirectional=m.bidirectional,
            char_vocab_size=m.char_vocab_size,
            char_embedding_dim=m.char_embedding_dim,
            char_hidden_size=m.char_hidden_size,
            char_ngrams=m.char_ngrams,
            char_ngram_buckets=m.char_ngram_buckets,
            crf=m.crf,
            word_dropout=m.word_dropout,
            layer_norm=m.layer_norm,
            backend=m.backend,
            char_lm=build_char_lm(config),
        )

    def export_graphs(self, predictor: Predictor) -> list[ExportGraph]:
        """``model.onnx``: padded word ids (and characters) -> emissions, with the CRF's
        transitions as outputs read from the graph's initializers."""
        refuse_char_lm_export(predictor)
        m = predictor.config.model
        x, lengths = example_ids(m.vocab_size, [6, 3])  # (N, L)
        inputs = {"x": x, "lengths": lengths}
        axes = {"x": {0: "batch", 1: "length"}, "lengths": {0: "batch"}}
        if predictor.model.spells:  # (N, L, C): one padded row of chars a word
            flat, char_lengths = example_ids(m.char_vocab_size, [5, 2, 4] * 4, seed=1)
            inputs["chars"] = flat.view(2, 6, 5)
            inputs["char_lengths"] = char_lengths.view(2, 6) * (x != 0)
            axes |= {"chars": {0: "batch", 1: "length", 2: "chars"}}
            axes |= {"char_lengths": {0: "batch", 1: "length"}}
        outputs = ["emissions"]
        if predictor.model.crf is not None:
            outputs += ["transitions", "start_transitions", "end_transitions"]
        doc = "x (N, L), lengths (N,)[, chars (N, L, C), char_lengths (N, L)] -> emissions"
        graph = TaggerGraph(predictor.model)
        return [ExportGraph("model", graph, inputs, outputs, axes, doc)]

    def export_info(self, predictor: Predictor) -> dict[str, Any]:
        vocab = predictor.vocab
        return {
            "tags": predictor.tag_names,
            "scheme": predictor.assets.scheme,
            "decode": "crf (Viterbi)" if predictor.model.crf is not None else "argmax",
            "pad_id": vocab.pad_id,
            "lowercase": bool(predictor.config.data.lowercase),
        }

    def program(
        self, model: nn.Module, data: TagData, config: RunConfig, dist: DistInfo
    ) -> TagProgram:
        a = data.assets
        if not config.train.init_from:
            copy_char_lm_weights(model, a.char_lm)
        if a.vectors is not None and not config.train.init_from:
            rows = a.vectors_found.clone()
            rows[a.vocab.pad_id] = False  # <pad> stays zero
            with torch.no_grad():
                weight = _unwrap(model).embedding.weight  # (V, E)
                weight[rows] = a.vectors[rows].to(weight.device, weight.dtype)
        return TagProgram(data, config, next(model.parameters()).device, dist)
