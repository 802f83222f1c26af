"""Sequence to sequence: an encoder-decoder with attention, trained batched, decoded
greedily or by beam search.

Data: a parallel TSV of ``source<TAB>target`` lines (extra columns are allowed;
``--tokenizer`` for the source side, ``--target-tokenizer`` for the target side,
by default the same), or the embedded default, the lecture's restoration task:
give back a Shakespeare line from the line lowercased with its spaces removed::

    source  thatyouareso.
    target  That you are so.

Without ``valid``, a fixed 10% of ``data`` is held out (by the SHA-256 of each
pair and its position, the same for every seed).
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.beam import BEAM_MAX, beam_search, greedy_search
from rnnkit.config import (
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
from rnnkit.data.batching import BucketBatchSampler, PairBatch, collate_pairs, pad_batch
from rnnkit.data.datasets import PairDataset
from rnnkit.data.tokenizers import Tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab, build_vocab
from rnnkit.errors import ConfigError, DataError
from rnnkit.metrics import char_accuracy, exact_match, seq2seq_report
from rnnkit.models.exportable import DecoderStep, EncoderGraph, example_ids, state_names
from rnnkit.models.seq2seq import SEQ2SEQ_CELLS, Seq2Seq
from rnnkit.tasks.base import (
    Assets,
    ExportGraph,
    Predictor,
    SampledBatches,
    Splits,
    Task,
    check_texts,
    make_text_tokenizer,
    register,
    require_tokens,
)
from rnnkit.tasks.seq2seq_data import (
    Pairs,
    pairs_from_memory,
    read_pairs_file,
    read_splits,
    restoration_pairs,
    restoration_source,
)
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import StepOutput

__all__ = [
    "Seq2SeqConfig",
    "Seq2SeqModelConfig",
    "Seq2SeqDataConfig",
    "Seq2SeqTrainConfig",
    "Seq2SeqAssets",
    "Seq2SeqTask",
    "Seq2SeqPredictor",
    "Seq2SeqData",
    "Seq2SeqProgram",
    "restoration_source",
    "restoration_pairs",
    "read_splits",
    "decode",
    "LENGTH_BUCKETS",
    "length_bucket",
    "scores_by_length",
    "LENGTH_MARGIN",
    "length_ratio",
    "target_caps",
]

EVAL_BATCH_SIZE = 128
HEAT_MAPS = 3  # attention heat maps drawn after training
#: Decoding's per-source cap is ceil(max_length_ratio x source tokens) + this many tokens.
LENGTH_MARGIN = 10
# a decoding step at a time: an untrained model that never says </s> would run this long
MAX_TARGET_LENGTH = 10_000
#: The upper edges of ``evaluate``'s source-length buckets, in source tokens (characters
#: for the default char tokenizer): 1-20, 21-40, 41-80, 81-160, 161-320, 321+.
LENGTH_BUCKETS = (20, 40, 80, 160, 320)


# -- config --------------------------------------------------------------------------------
@dataclass
class Seq2SeqModelConfig(TextModelConfig):
    cell: str = override(TextModelConfig, "cell", "gru", choices=SEQ2SEQ_CELLS)
    num_layers: int = override(TextModelConfig, "num_layers", 1)
    dropout: float = override(TextModelConfig, "dropout", 0.0)
    bidirectional: bool = option(True, "Read the source both ways (the encoder).")
    attention: str = option(
        "general",
        "The decoder's attention over the source (none: the final states only).",
        choices=("none", "additive", "dot", "general"),
    )
    beam: int = option(1, "Beam width of predict and evaluate (1: greedy).", low=1, high=BEAM_MAX)
    max_target_length: int = option(
        0,
        "Decoding stops after this many tokens (0: a cap from each source's length).",
        low=0,
        high=MAX_TARGET_LENGTH,
    )
    target_vocab_size: int = derived("tokens in the target vocabulary")
    max_length_ratio: float = derived(
        "with max_target_length 0, decoding stops after ceil(ratio x source tokens) + "
        f"{LENGTH_MARGIN} tokens: 1.25 x what the training pairs need",
        0.0,
    )

    def check(self) -> None:
        super().check()
        if self.bidirectional and self.hidden_size % 2:
            raise ConfigError(
                f"a bidirectional encoder splits --hidden between its two directions: "
                f"it must be even, got {self.hidden_size}"
            )


@dataclass
class Seq2SeqDataConfig(TextDataConfig):
    batch_size: int = override(TextDataConfig, "batch_size", 64)
    lowercase: bool = override(
        TextDataConfig, "lowercase", False, help="Lowercase the source (word and regex tokenizers)."
    )
    target_tokenizer: str | None = option(
        None,
        "The target side's tokenizer.",
        choices=("char", "byte", "codepoint", "word", "sentencepiece", "korean"),
        none="as --tokenizer",
    )
    header: bool | None = option(None, "The first row names the columns.", none="no")


@dataclass
class Seq2SeqTrainConfig(TrainConfig):
    teacher_forcing: float = option(
        1.0, "Probability of feeding the true previous token in training.", low=0, high=1
    )


@dataclass
class Seq2SeqConfig(RunConfig):
    """An encoder-decoder with attention (restores spaces and capitals by default)."""

    task: str = "seq2seq"
    model: Seq2SeqModelConfig = with_defaults(Seq2SeqModelConfig)
    data: Seq2SeqDataConfig = with_defaults(Seq2SeqDataConfig)
    train: Seq2SeqTrainConfig = with_defaults(
        Seq2SeqTrainConfig,
        epochs=10,
        amp=False,  # bf16 and the moving average measured for lm only
        ema=None,
        lr=3e-3,
        warmup_steps=100,
        eval_every=500,
        eval_max_batches=4,  # 512 held-out lines decoded greedily per evaluation
        metric="char_accuracy",
        keep_best=True,
    )


# -- data ----------------------------------------------------------------------------------
@dataclass
class Seq2SeqAssets(Assets):
    src_tokenizer: Tokenizer
    src_vocab: Vocab
    tgt_tokenizer: Tokenizer
    tgt_vocab: Vocab

    def to_files(self) -> dict[str, Any]:
        return {
            "tokenizer.json": self.src_tokenizer.to_dict(),
            "vocab.json": self.src_vocab.to_dict(),
            "target_tokenizer.json": self.tgt_tokenizer.to_dict(),
            "target_vocab.json": self.tgt_vocab.to_dict(),
        }

    @classmethod
    def from_files(cls, read: Callable[[str], Any]) -> Seq2SeqAssets:
        return cls(
            tokenizer_from_dict(read("tokenizer.json")),
            Vocab.from_dict(read("vocab.json")),
            tokenizer_from_dict(read("target_tokenizer.json")),
            Vocab.from_dict(read("target_vocab.json")),
        )

    def sizes(self) -> dict[str, int]:
        return {"vocab_size": len(self.src_vocab), "target_vocab_size": len(self.tgt_vocab)}

    def __iter__(self):  # (src tokenizer, src vocab, tgt tokenizer, tgt vocab)
        return iter((self.src_tokenizer, self.src_vocab, self.tgt_tokenizer, self.tgt_vocab))


@dataclass
class Seq2SeqData:
    assets: Seq2SeqAssets
    train: PairDataset
    valid: PairDataset
    valid_pairs: list[tuple[str, str]]  # the texts of ``valid``, for the metrics


def _fit_side(
    tokenizer: Tokenizer, texts: list[str], min_freq: int, max_vocab: int | None
) -> Vocab:
    if tokenizer.needs_fit:  # sentencepiece learns its pieces from the training side
        tokenizer.fit(texts)
    return tokenizer.natural_vocab() or require_tokens(
        build_vocab(
            itertools.chain.from_iterable(tokenizer.tokenize(t) for t in texts),
            min_freq=min_freq,
            max_size=max_vocab,
        ),
        min_freq,
        "the training pairs",
    )


def _dataset(pairs: Pairs, assets: Seq2SeqAssets, source: str) -> PairDataset:
    src_tok, src_vocab, tgt_tok, tgt_vocab = assets
    try:
        return PairDataset.from_pairs(pairs, src_tok, src_vocab, tgt_tok, tgt_vocab)
    except DataError as e:
        if e.path is None and source:
            raise DataError(source, e.line, e.expected, e.got) from None
        raise


# -- decoding ------------------------------------------------------------------------------
def length_ratio(source_lengths: Sequence[int], target_lengths: Sequence[int]) -> float:
    """The ``max_length_ratio`` of training pairs (their lengths in tokens, the target
    without ``<bos>``/``<eos>``): 1.25 x the smallest ratio r with ``target <= r x
    source + LENGTH_MARGIN`` for every pair (at least 0.1), rounded up to 3 decimals."""
    pairs = zip(source_lengths, target_lengths, strict=True)
    need = max(((t - LENGTH_MARGIN) / max(s, 1) for s, t in pairs), default=0.0)
    return math.ceil(max(1.25 * need, 0.1) * 1000) / 1000


def target_caps(model: Seq2SeqModelConfig, lengths: Sequence[int]) -> list[int]:
    """The most output tokens decoding gives each source of ``lengths`` tokens:
    ``max_target_length`` when set (runs written before the ratio existed all have
    it), else ``ceil(max_length_ratio x length) + LENGTH_MARGIN``."""
    if model.max_target_length > 0:
        return [model.max_target_length] * len(lengths)
    if model.max_length_ratio <= 0:
        raise ConfigError(
            "decoding needs model.max_target_length > 0 or model.max_length_ratio > 0 "
            f"(the task writes the ratio from the training pairs), got "
            f"{model.max_target_length} and {model.max_length_ratio}"
        )
    return [math.ceil(model.max_length_ratio * n) + LENGTH_MARGIN for n in lengths]


@torch.no_grad()
def decode(
    model: Seq2Seq,
    sources: Sequence[Sequence[int]],
    *,
    bos_id: int,
    eos_id: int,
    max_length: int | Sequence[int],
    beam: int = 1,
    length_penalty: float = 1.0,
    pad_id: int = 0,
    batch_size: int = EVAL_BATCH_SIZE,
) -> list[list[int]]:
    """The output ids of each source (ids, without ``<bos>``/``<eos>``), greedy for
    ``beam=1``; sources are batched by length, the results come back in order.

    ``max_length``: the most tokens of every output, or one cap per source (a row
    at its cap is given ``<eos>``, so each output keeps at most its cap)."""
    device = next(model.parameters()).device
    out: list[list[int]] = [[] for _ in sources]
    caps = [max_length] * len(sources) if isinstance(max_length, int) else list(max_length)
    if len(caps) != len(sources):
        raise ConfigError(f"{len(caps)} length caps for {len(sources)} sources")
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))

    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        src, lengths, _ = pad_batch([list(sources[i]) for i in chunk], pad_id)  # (n, S)
        state = model.start(src.to(device), lengths)
        chunk_caps = torch.tensor([caps[i] for i in chunk], device=device)  # (n,)
        step = _capped_step(model, chunk_caps, eos_id)
        common = {"batch_size": len(chunk), "bos_id": bos_id, "eos_id": eos_id}
        common |= {"max_length": int(chunk_caps.max()), "device": device}
        if beam == 1:
            ids = greedy_search(step, state, **common)
        else:
            select = type(state).select
            ids, _ = beam_search(
                step, state, select, beam_size=beam, length_penalty=length_penalty, **common
            )
        for i, seq in zip(chunk, ids):
            out[i] = seq
    return out


def _capped_step(model: Seq2Seq, caps: torch.Tensor, eos_id: int):
    """The search's ``step``: the model's, with ``<eos>`` forced on the rows (examples,
    or their beams, example-major) that have as many tokens as their cap ``caps`` (n,)."""
    t = 0  # tokens produced so far

    def step(y, state):
        nonlocal t
        log_probs, state, _ = model.step(y, state)  # (B, V)
        at_cap = caps.repeat_interleave(y.numel() // caps.numel()) <= t  # (B,)
        t += 1
        if bool(at_cap.any()):
            forced = torch.full_like(log_probs, float("-inf"))
            forced[:, eos_id] = 0.0
            log_probs = torch.where(at_cap.unsqueeze(1), forced, log_probs)
        return log_probs, state

    return step


def length_bucket(length: int) -> str:
    """The :data:`LENGTH_BUCKETS` bucket of a source of ``length`` tokens: ``"21-40"``."""
    low = 1
    for high in LENGTH_BUCKETS:
        if length <= high:
            return f"{low}-{high}"
        low = high + 1
    return f"{low}+"


def scores_by_length(
    lengths: Sequence[int],
    outputs: Sequence[str],
    targets: Sequence[str],
    truncated: Sequence[bool] | None = None,
) -> list[dict]:
    """Char accuracy and exact match per source-length bucket (:func:`length_bucket`
    of ``lengths``, in source tokens), shortest first, empty buckets left out: one
    ``{"source_tokens", "n", "char_accuracy", "exact_match", "truncated"}`` each, where
    ``truncated`` counts the outputs stopped by the length cap before ``<eos>``."""
    truncated = [False] * len(lengths) if truncated is None else truncated
    groups: dict[str, list[int]] = {}
    for i, length in enumerate(lengths):
        groups.setdefault(length_bucket(length), []).append(i)
    out = []
    for name in [length_bucket(e) for e in (*LENGTH_BUCKETS, LENGTH_BUCKETS[-1] + 1)]:
        if name not in groups:
            continue
        hyps, refs = [outputs[i] for i in groups[name]], [targets[i] for i in groups[name]]
        out.append(
            {
                "source_tokens": name,
                "n": len(refs),
                "char_accuracy": char_accuracy(hyps, refs),
                "exact_match": exact_match(hyps, refs),
                "truncated": sum(bool(truncated[i]) for i in groups[name]),
            }
        )
    return out


# -- training ------------------------------------------------------------------------------
def _teacher_forced_loss(
    model: nn.Module, batch: PairBatch, pad_id: int, teacher_forcing: float = 1.0
) -> tuple[torch.Tensor, int]:
    tgt_in, tgt_out = batch.tgt[:, :-1], batch.tgt[:, 1:]  # (N, T - 1) each
    logits = model(batch.src, batch.src_lengths, tgt_in, teacher_forcing=teacher_forcing)
    V = logits.size(-1)
    loss = F.cross_entropy(
        logits.float().reshape(-1, V), tgt_out.reshape(-1), ignore_index=pad_id
    )  # mean over real target tokens, <eos> included
    return loss, int((tgt_out != pad_id).sum())


class Seq2SeqProgram:
    """The :class:`~rnnkit.training.trainer.TrainingProgram` of a seq2seq model: batches
    bucketed by source length, cross-entropy of the target tokens (teacher forcing at
    ``config.train.teacher_forcing``), and a validation that decodes greedily."""

    def __init__(
        self, data: Seq2SeqData, config: RunConfig, device: torch.device, dist: DistInfo
    ) -> None:
        self.data = data
        self.device = device
        self.dist = dist
        self.pad_id = data.assets.tgt_vocab.pad_id
        self.teacher_forcing = config.train.teacher_forcing
        self.model_config = config.model
        sampler = BucketBatchSampler(
            data.train.lengths,
            config.data.batch_size,
            seed=config.train.seed,
            num_replicas=dist.world_size if dist.enabled else 1,
            rank=dist.rank if dist.enabled else 0,
        )
        self.batches = SampledBatches(
            sampler, data.train, lambda items: collate_pairs(items, self.pad_id)
        )
        self.eval_chunks = _eval_chunks(data.valid.lengths, config.train.eval_max_batches)

    def step(self, model: nn.Module, batch: PairBatch, state) -> StepOutput:
        batch = batch.to(self.device, non_blocking=True)
        loss, tokens = _teacher_forced_loss(model, batch, self.pad_id, self.teacher_forcing)
        return StepOutput(loss, tokens, None)

    def evaluate(self, model: nn.Module, max_batches: int | None = None) -> dict[str, float]:
        """Teacher-forced loss (nats/token), and the char accuracy and exact match of
        greedy outputs, on the validation pairs (a slice of them with ``max_batches``)."""
        data = self.data
        chunks = self.eval_chunks
        if max_batches is not None:
            chunks = chunks[:max_batches]
        total, tokens = 0.0, 0
        hypotheses, references = [], []
        inner = model.module if hasattr(model, "module") else model
        a = data.assets
        tgt = a.tgt_vocab
        for chunk in chunks:
            batch = collate_pairs([data.valid[i] for i in chunk], self.pad_id).to(self.device)
            loss, n = _teacher_forced_loss(inner, batch, self.pad_id)
            total += loss.item() * n
            tokens += n
            sources = [data.valid.src[i].tolist() for i in chunk]
            ids = decode(
                inner,
                sources,
                bos_id=tgt.bos_id,
                eos_id=tgt.eos_id,
                max_length=target_caps(self.model_config, [len(x) for x in sources]),
                pad_id=a.src_vocab.pad_id,
            )
            hypotheses += [a.tgt_tokenizer.decode(seq, tgt) for seq in ids]
            references += [data.valid_pairs[i][1] for i in chunk]
        report = seq2seq_report(hypotheses, references, corpus_scores=False)
        return {"loss": total / max(tokens, 1), **report}


def _eval_chunks(lengths: Sequence[int], slice_batches: int | None) -> list[list[int]]:
    """The validation pairs in batches of :data:`EVAL_BATCH_SIZE`, each sorted by
    length. The first ``slice_batches`` batches, which a periodic evaluation reads,
    hold pairs at evenly spaced quantiles of the source length, so that the slice
    scores short and long pairs as the whole split has them::

        by length:  0 1 2 3 4 5 6 7 8 9 10 11   (12 pairs, a slice of 4)
        slice:        1     4     7     10      then the rest: 0 2 3 5 6 8 9 11
    """
    n = len(lengths)
    order = sorted(range(n), key=lambda i: lengths[i])
    m = n if slice_batches is None else min(n, slice_batches * EVAL_BATCH_SIZE)
    picked = [order[(2 * k + 1) * n // (2 * m)] for k in range(m)]  # quantile midpoints
    taken = set(picked)
    ids = picked + [i for i in order if i not in taken]  # the slice, then the rest
    cuts = [*range(0, m, EVAL_BATCH_SIZE), *range(m, n, EVAL_BATCH_SIZE), n]
    return [ids[a:b] for a, b in itertools.pairwise(cuts)]


def _plot_heat_maps(predictor: Seq2SeqPredictor, pairs: Pairs, run: RunDirectory) -> None:
    from rnnkit.plots import plot_attention

    short = [s for s, _ in pairs if len(s) <= 40][:HEAT_MAPS]
    for i, m in enumerate(predictor.attention(short), start=1):
        plot_attention(
            m["weights"],
            m["source_tokens"],
            m["output_tokens"],
            run.file(f"plots/attention-{i}.png"),
            title=f"seq2seq: {m['output']}",
        )


@dataclass
class Seq2SeqEvaluateOptions(Section):
    section: ClassVar[str] = "options"
    beam: int | None = option(
        None, "Beam width (1: greedy).", low=1, high=BEAM_MAX, none="the run's"
    )
    length_penalty: float = option(
        1.0, "Beam search: the exponent of the length in the normalised score.", low=0
    )


@dataclass
class Seq2SeqPredictOptions(Seq2SeqEvaluateOptions):
    attention: bool = option(False, "Also give the greedy output's attention weights.")


# -- the predictor -------------------------------------------------------------------------
class Seq2SeqPredictor(Predictor):
    """A trained encoder-decoder: outputs for inputs, and metrics on pairs.

    A run trained on the embedded restoration task first lowercases its inputs and
    removes their spaces (:func:`restoration_source`), so any line can be given.

    Example:
        >>> s2s = rnnkit.load("runs/seq2seq")  # doctest: +SKIP
        >>> s2s.predict(["thisissungkim.iloveyou."], beam=5)  # doctest: +SKIP
        [{'input': 'thisissungkim.iloveyou.', 'output': 'This is Sung Kim. I love you.'}]
    """

    task = "seq2seq"
    input_schema: ClassVar[dict] = {
        "type": "string",
        "minLength": 1,
        "description": "a source text",
        "examples": ["thisissungkim.iloveyou."],
    }
    output_schema: ClassVar[dict] = {
        "type": "object",
        "properties": {
            "input": {"type": "string"},
            "output": {"type": "string"},
            "attention": {
                "type": "object",
                "description": "with attention=true: the greedy output's source weights",
                "properties": {
                    "source_tokens": {"type": "array", "items": {"type": "string"}},
                    "output_tokens": {"type": "array", "items": {"type": "string"}},
                    "weights": {
                        "type": "array",
                        "items": {"type": "array", "items": {"type": "number"}},
                    },
                },
            },
        },
        "required": ["input", "output"],
    }
    PredictOptions = Seq2SeqPredictOptions
    EvaluateOptions = Seq2SeqEvaluateOptions

    def __init__(self, model, config, run=None, *, assets: Seq2SeqAssets) -> None:
        super().__init__(model, config, run, assets=assets)
        self.src_tokenizer, self.src_vocab = assets.src_tokenizer, assets.src_vocab
        self.tgt_tokenizer, self.tgt_vocab = assets.tgt_tokenizer, assets.tgt_vocab
        self.restoration = config.data.data is None

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        texts = check_texts(texts)
        ids = []
        for i, text in enumerate(texts):
            if self.restoration:
                text = restoration_source(text)
            seq = self.src_tokenizer.encode(text, self.src_vocab)
            if not seq:
                raise DataError(
                    None, None, "a text with at least one token", f"input {i}: {texts[i]!r}"
                )
            ids.append(seq)
        return ids

    def translate(
        self, texts: Sequence[str], *, beam: int | None = None, length_penalty: float = 1.0
    ) -> list[str]:
        """The output text of each input; ``beam`` None: the run's ``model.beam``."""
        if len(texts) == 0:
            self._beam(beam)  # checked all the same
            return []
        ids = self._decode(self._encode(texts), beam, length_penalty)
        return [self.tgt_tokenizer.decode(seq, self.tgt_vocab) for seq in ids]

    def _beam(self, beam: int | None) -> int:
        beam = self.config.model.beam if beam is None else beam
        if isinstance(beam, bool) or not isinstance(beam, int) or not 1 <= beam <= BEAM_MAX:
            raise ConfigError(f"beam must be an integer in [1, {BEAM_MAX}], got {beam!r}")
        return beam

    def _decode(
        self, sources: list[list[int]], beam: int | None, length_penalty: float
    ) -> list[list[int]]:
        return decode(
            self.model,
            sources,
            bos_id=self.tgt_vocab.bos_id,
            eos_id=self.tgt_vocab.eos_id,
            max_length=target_caps(self.config.model, [len(x) for x in sources]),
            beam=self._beam(beam),
            length_penalty=length_penalty,
            pad_id=self.src_vocab.pad_id,
        )

    def view(self) -> dict:
        return {"kind": "alignment", "options": {"attention": True}}

    def predict(self, texts: Sequence[str], **options) -> list[dict]:
        """One ``{"input", "output"}`` per text (greedy for ``beam=1``; ``length_penalty``
        is the exponent of the length in beam search's normalised score); with
        ``attention=True``, the greedy output's attention weights too."""
        o = self.options("predict", options)
        texts = check_texts(texts)
        outputs = self.translate(texts, beam=o.beam, length_penalty=o.length_penalty)
        results = [{"input": t, "output": out} for t, out in zip(texts, outputs)]
        if o.attention and len(texts):
            for result, m in zip(results, self.attention(texts)):
                result["attention"] = {
                    k: m[k] for k in ("source_tokens", "output_tokens", "weights")
                }
        return results

    @torch.no_grad()
    def attention(self, texts: Sequence[str]) -> list[dict]:
        """Greedy outputs with their attention: per text ``input``, ``output``,
        ``source_tokens``, ``output_tokens`` (``<eos>`` last when produced) and
        ``weights``, a list of rows (one per output token) of source weights."""
        if self.config.model.attention == "none":
            raise ConfigError("this run's model has no attention (--attention none)")
        out = []
        for text, ids in zip(texts, self._encode(texts)):  # one at a time: no padding to show
            src = torch.tensor([ids], device=self.device)  # (1, S)
            state = self.model.start(src, torch.tensor([len(ids)]))
            y = torch.tensor([self.tgt_vocab.bos_id], device=self.device)
            tokens, rows = [], []
            for _ in range(target_caps(self.config.model, [len(ids)])[0]):
                log_probs, state, weights = self.model.step(y, state)  # (1, V), _, (1, S)
                y = log_probs.argmax(-1)  # (1,)
                tokens.append(int(y))
                rows.append(weights[0].tolist())
                if tokens[-1] == self.tgt_vocab.eos_id:
                    break
            out.append(
                {
                    "input": text,
                    "output": self.tgt_tokenizer.decode(tokens, self.tgt_vocab),
                    "source_tokens": self.src_vocab.decode(ids),
                    "output_tokens": self.tgt_vocab.decode(tokens),
                    "weights": rows,
                }
            )
        return out

    def evaluate(self, data: str | os.PathLike | Pairs | None = None, **options) -> dict:
        """``{"task", "char_accuracy", "exact_match", "bleu", "chrf", "n", "by_length"}``
        of the outputs for the TSV ``data``, a list of ``(source, target)`` pairs, or the
        run's validation split. ``by_length`` splits the pairs by source length (in
        source tokens, :data:`LENGTH_BUCKETS`): see :func:`scores_by_length`. BLEU and
        chrF need sacrebleu (the ``seq2seq`` extra)."""
        o = self.options("evaluate", options)
        pairs, source = self.records(data)
        if len(pairs) == 0:
            raise DataError(source, None, "at least one pair", "none")
        sources, targets = zip(*pairs)
        src_ids = self._encode(sources)
        ids = self._decode(src_ids, o.beam, o.length_penalty)
        outputs = [self.tgt_tokenizer.decode(seq, self.tgt_vocab) for seq in ids]
        caps = target_caps(self.config.model, [len(x) for x in src_ids])
        truncated = [len(seq) >= cap for seq, cap in zip(ids, caps)]  # cut at the cap
        by_length = scores_by_length([len(x) for x in src_ids], outputs, targets, truncated)
        report = seq2seq_report(outputs, list(targets))
        return {"task": "seq2seq", **report, "by_length": by_length}


# -- the task ------------------------------------------------------------------------------
@register
class Seq2SeqTask(Task):
    name = "seq2seq"
    summary = "sequence to sequence: an output text per input text (attention, beam search)"
    Config = Seq2SeqConfig
    Predictor = Seq2SeqPredictor
    Assets = Seq2SeqAssets
    higher_is_better = frozenset({"char_accuracy", "exact_match", "bleu", "chrf"})
    search_space = {
        "lr": ("log", 1e-3, 1e-2),
        "hidden_size": ("int", 64, 256, 64),
        "embedding_dim": ("choice", [32, 64]),
        "attention": ("choice", ["general", "additive", "dot"]),
    }

    def read_splits(self, config: RunConfig) -> Splits:
        return read_splits(config)

    def read_file(self, path, config: RunConfig) -> Pairs:
        return read_pairs_file(path, config)

    def from_memory(self, items, config: RunConfig, which: str) -> Pairs:
        return pairs_from_memory(items, config, which)

    def fit_assets(self, config: RunConfig, splits: Splits) -> Seq2SeqAssets:
        d = config.data
        src_tok = make_text_tokenizer(d)
        tgt_tok = make_text_tokenizer(d, d.target_tokenizer or d.tokenizer)
        src_vocab = _fit_side(src_tok, [s for s, _ in splits.train], d.min_freq, d.max_vocab)
        tgt_vocab = _fit_side(tgt_tok, [t for _, t in splits.train], d.min_freq, d.max_vocab)
        return Seq2SeqAssets(src_tok, src_vocab, tgt_tok, tgt_vocab)

    def prepare(self, config: RunConfig, splits: Splits, assets: Seq2SeqAssets) -> Seq2SeqData:
        train = _dataset(splits.train, assets, splits.train_source)
        valid = _dataset(splits.valid, assets, splits.valid_source)
        m = config.model
        if m.max_target_length == 0 and m.max_length_ratio == 0:  # a new run: the guard
            m.max_length_ratio = length_ratio(train.lengths, [len(t) - 2 for t in train.tgt])
        return Seq2SeqData(assets, train, valid, list(splits.valid))

    def build_model(self, config: RunConfig) -> Seq2Seq:
        m = config.model
        return Seq2Seq(
            m.vocab_size,
            m.target_vocab_size,
            m.embedding_dim,
            m.hidden_size,
            m.num_layers,
            m.cell,
            m.dropout,
            bidirectional=m.bidirectional,
            attention=m.attention,
            layer_norm=m.layer_norm,
            backend=m.backend,
        )

    def export_graphs(self, predictor: Predictor) -> list[ExportGraph]:
        """``encoder.onnx`` (padded source -> memory and the decoder's first state) and
        ``decoder.onnx`` (one step: the last token and the state -> log-probabilities)."""
        m, model = predictor.config.model, predictor.model
        src, src_lengths = example_ids(m.vocab_size, [7, 3])  # (N, S)
        states = state_names(m.cell)
        encoder = ExportGraph(
            "encoder",
            EncoderGraph(model),
            {"src": src, "src_lengths": src_lengths},
            ["memory", *states],
            {"src": {0: "batch", 1: "source"}, "src_lengths": {0: "batch"}},
            "src (N, S) padded ids, src_lengths (N,) -> memory (N, S, H), h [, c]",
        )
        with torch.no_grad():
            memory, *state = encoder.module(src, src_lengths)
        token, _ = example_ids(m.target_vocab_size, [1, 1], seed=1)
        inputs = {"token": token.view(-1), "memory": memory, "src_lengths": src_lengths}
        inputs |= dict(zip(states, state))
        axes = {"token": {0: "batch"}, "memory": {0: "batch", 1: "source"}}
        axes |= {"src_lengths": {0: "batch"}} | {name: {1: "batch"} for name in states}
        outputs = ["log_probs", *(f"{name}_out" for name in states)]
        outputs += ["attention"] if m.attention != "none" else []
        doc = "token (N,), memory, src_lengths, h [, c] -> log_probs (N, V), h_out [, c_out]"
        decoder = ExportGraph("decoder", DecoderStep(model), inputs, outputs, axes, doc)
        return [encoder, decoder]

    def export_info(self, predictor: Predictor) -> dict[str, Any]:
        tgt, m = predictor.tgt_vocab, predictor.config.model
        return {
            "bos_id": tgt.bos_id,
            "eos_id": tgt.eos_id,
            "pad_id": predictor.src_vocab.pad_id,
            "max_length": m.max_target_length,  # 0: per source, as follows
            "max_length_ratio": m.max_length_ratio,
            "max_length_margin": LENGTH_MARGIN,
            "target_assets": ["target_tokenizer.json", "target_vocab.json"],
        }

    def program(
        self, model: nn.Module, data: Seq2SeqData, config: RunConfig, dist: DistInfo
    ) -> Seq2SeqProgram:
        return Seq2SeqProgram(data, config, next(model.parameters()).device, dist)

    def after_fit(self, predictor, program: Seq2SeqProgram, run: RunDirectory) -> None:
        if predictor.config.model.attention != "none":
            _plot_heat_maps(predictor, program.data.valid_pairs, run)
