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
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from rnnkit.beam import beam_search, greedy_search
from rnnkit.config import RunConfig
from rnnkit.data.batching import BucketBatchSampler, PairBatch, collate_pairs, pad_batch
from rnnkit.data.datasets import PairDataset
from rnnkit.data.tokenizers import Tokenizer, make_tokenizer, tokenizer_from_dict
from rnnkit.data.vocab import Vocab, build_vocab
from rnnkit.errors import CheckpointError, ConfigError, DataError
from rnnkit.metrics import seq2seq_report
from rnnkit.models.seq2seq import SEQ2SEQ_CELLS, Seq2Seq
from rnnkit.tasks.base import Predictor, Task, register
from rnnkit.tasks.seq2seq_data import (
    Pairs,
    read_pairs_file,
    read_splits,
    restoration_pairs,
    restoration_source,
)
from rnnkit.training.checkpoint import RunDirectory
from rnnkit.training.distributed import DistInfo
from rnnkit.training.trainer import StepOutput

__all__ = [
    "Seq2SeqTask",
    "Seq2SeqPredictor",
    "Seq2SeqData",
    "Seq2SeqProgram",
    "restoration_source",
    "restoration_pairs",
    "read_splits",
    "decode",
]

EVAL_BATCH_SIZE = 128
HEAT_MAPS = 3  # attention heat maps drawn after training


@dataclass
class Seq2SeqData:
    src_tokenizer: Tokenizer
    src_vocab: Vocab
    tgt_tokenizer: Tokenizer
    tgt_vocab: Vocab
    train: PairDataset
    valid: PairDataset
    valid_pairs: list[tuple[str, str]]  # the texts of ``valid``, for the metrics
    train_source: str
    valid_source: str


def _tokenizer(name: str, lowercase: bool) -> Tokenizer:
    options = {"lowercase": lowercase} if name == "word" and lowercase else {}
    return make_tokenizer(name, **options)


def _fit_side(
    tokenizer: Tokenizer, texts: list[str], min_freq: int, max_vocab: int | None
) -> Vocab:
    if tokenizer.needs_fit:  # sentencepiece learns its pieces from the training side
        tokenizer.fit(texts)
    return tokenizer.natural_vocab() or build_vocab(
        itertools.chain.from_iterable(tokenizer.tokenize(t) for t in texts),
        min_freq=min_freq,
        max_size=max_vocab,
    )


def _dataset(pairs: Pairs, data: Seq2SeqData | tuple, source: str) -> PairDataset:
    src_tok, src_vocab, tgt_tok, tgt_vocab = data
    try:
        return PairDataset.from_pairs(pairs, src_tok, src_vocab, tgt_tok, tgt_vocab)
    except DataError as e:
        if e.path is None and source:
            raise DataError(source, e.line, e.expected, e.got) from None
        raise


# -- decoding ------------------------------------------------------------------------------
@torch.no_grad()
def decode(
    model: Seq2Seq,
    sources: Sequence[Sequence[int]],
    *,
    bos_id: int,
    eos_id: int,
    max_length: int,
    beam: int = 1,
    length_penalty: float = 1.0,
    pad_id: int = 0,
    batch_size: int = EVAL_BATCH_SIZE,
) -> list[list[int]]:
    """The output ids of each source (ids, without ``<bos>``/``<eos>``), greedy for
    ``beam=1``; sources are batched by length, the results come back in order."""
    device = next(model.parameters()).device
    out: list[list[int]] = [[] for _ in sources]
    order = sorted(range(len(sources)), key=lambda i: len(sources[i]))

    def step(y, state):
        log_probs, state, _ = model.step(y, state)
        return log_probs, state

    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        src, lengths, _ = pad_batch([list(sources[i]) for i in chunk], pad_id)  # (n, S)
        state = model.start(src.to(device), lengths)
        common = {"batch_size": len(chunk), "bos_id": bos_id, "eos_id": eos_id}
        common |= {"max_length": max_length, "device": device}
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


# -- training ------------------------------------------------------------------------------
class _Batches(Sequence):
    """The collated batches of one epoch, built lazily from lists of indices."""

    def __init__(self, dataset: PairDataset, indices: list[list[int]], pad_id: int) -> None:
        self.dataset, self.indices, self.pad_id = dataset, indices, pad_id

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, i: int) -> PairBatch:
        return collate_pairs([self.dataset[j] for j in self.indices[i]], self.pad_id)


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
        self.pad_id = data.tgt_vocab.pad_id
        self.teacher_forcing = config.train.teacher_forcing
        self.max_length = config.model.max_target_length
        self.sampler = BucketBatchSampler(
            data.train.lengths,
            config.data.batch_size,
            seed=config.train.seed,
            num_replicas=dist.world_size if dist.enabled else 1,
            rank=dist.rank if dist.enabled else 0,
        )
        order = sorted(range(len(data.valid)), key=lambda i: data.valid.lengths[i])
        self.eval_chunks = [
            order[i : i + EVAL_BATCH_SIZE] for i in range(0, len(order), EVAL_BATCH_SIZE)
        ]
        # a periodic evaluation reads a slice: spread it over all lengths
        step = max(1, len(self.eval_chunks) // 4)
        self.eval_order = sorted(range(len(self.eval_chunks)), key=lambda c: (c % step, c))
        self._epoch: int | None = None
        self._batches: _Batches | None = None

    def batches(self, epoch: int) -> _Batches:
        if epoch != self._epoch:
            self.sampler.set_epoch(epoch)
            self._batches = _Batches(self.data.train, list(self.sampler), self.pad_id)
            self._epoch = epoch
        return self._batches

    def step(self, model: nn.Module, batch: PairBatch, state) -> StepOutput:
        batch = batch.to(self.device, non_blocking=True)
        loss, tokens = _teacher_forced_loss(model, batch, self.pad_id, self.teacher_forcing)
        return StepOutput(loss, tokens, None)

    def evaluate(self, model: nn.Module, max_batches: int | None = None) -> dict[str, float]:
        """Teacher-forced loss (nats/token), and the char accuracy and exact match of
        greedy outputs, on the validation pairs (a slice of them with ``max_batches``)."""
        data = self.data
        chunks = [self.eval_chunks[c] for c in self.eval_order]
        if max_batches is not None:
            chunks = chunks[:max_batches]
        total, tokens = 0.0, 0
        hypotheses, references = [], []
        inner = model.module if hasattr(model, "module") else model
        tgt = data.tgt_vocab
        for chunk in chunks:
            batch = collate_pairs([data.valid[i] for i in chunk], self.pad_id).to(self.device)
            loss, n = _teacher_forced_loss(inner, batch, self.pad_id)
            total += loss.item() * n
            tokens += n
            ids = decode(
                inner,
                [data.valid.src[i].tolist() for i in chunk],
                bos_id=tgt.bos_id,
                eos_id=tgt.eos_id,
                max_length=self.max_length,
                pad_id=data.src_vocab.pad_id,
            )
            hypotheses += [data.tgt_tokenizer.decode(seq, tgt) for seq in ids]
            references += [data.valid_pairs[i][1] for i in chunk]
        report = seq2seq_report(hypotheses, references, corpus_scores=False)
        return {"loss": total / max(tokens, 1), **report}


# -- the task ------------------------------------------------------------------------------
@register
class Seq2SeqTask(Task):
    name = "seq2seq"

    def __init__(self) -> None:
        self._program: Seq2SeqProgram | None = None  # the last program built, for its plots

    def prepare(self, config: RunConfig, run: RunDirectory | None = None) -> Seq2SeqData:
        m, d = config.model, config.data
        if m.kind != "rnn":
            raise ConfigError(f"seq2seq trains recurrent models only, got --model {m.kind}")
        if m.cell not in SEQ2SEQ_CELLS:
            raise ConfigError(f"seq2seq cells are {', '.join(SEQ2SEQ_CELLS)}; got --cell {m.cell}")
        if m.bidirectional and m.hidden_size % 2:
            raise ConfigError(
                f"a bidirectional encoder splits --hidden between its two directions: "
                f"it must be even, got {m.hidden_size}"
            )
        train_pairs, valid_pairs, train_source, valid_source = read_splits(config)
        if run is not None:
            sides = load_assets(run)
        else:
            src_tok = _tokenizer(d.tokenizer, d.lowercase)
            tgt_tok = _tokenizer(d.target_tokenizer or d.tokenizer, False)
            src_vocab = _fit_side(src_tok, [s for s, _ in train_pairs], d.min_freq, d.max_vocab)
            tgt_vocab = _fit_side(tgt_tok, [t for _, t in train_pairs], d.min_freq, d.max_vocab)
            sides = (src_tok, src_vocab, tgt_tok, tgt_vocab)
        train = _dataset(train_pairs, sides, train_source)
        valid = _dataset(valid_pairs, sides, valid_source)
        if m.max_target_length == 0:  # the guard: half as long again as the longest target
            m.max_target_length = math.ceil(1.5 * max(len(t) for t in train.tgt)) + 5
        m.vocab_size, m.target_vocab_size = len(sides[1]), len(sides[3])
        return Seq2SeqData(*sides, train, valid, list(valid_pairs), train_source, valid_source)

    def save_assets(self, run: RunDirectory, data: Seq2SeqData) -> None:
        run.save_json("tokenizer.json", data.src_tokenizer.to_dict())
        run.save_json("vocab.json", data.src_vocab.to_dict())
        run.save_json("target_tokenizer.json", data.tgt_tokenizer.to_dict())
        run.save_json("target_vocab.json", data.tgt_vocab.to_dict())

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

    def program(
        self, model: nn.Module, data: Seq2SeqData, config: RunConfig, dist: DistInfo
    ) -> Seq2SeqProgram:
        self._program = Seq2SeqProgram(data, config, next(model.parameters()).device, dist)
        return self._program

    def predictor(self, model: nn.Module, config: RunConfig, run: RunDirectory) -> Seq2SeqPredictor:
        src_tok, src_vocab, tgt_tok, tgt_vocab = load_assets(run)
        m = config.model
        if len(src_vocab) != m.vocab_size or len(tgt_vocab) != m.target_vocab_size:
            raise CheckpointError(
                f"{run.path}: vocab.json/target_vocab.json ({len(src_vocab)}, {len(tgt_vocab)} "
                f"tokens) do not fit the model ({m.vocab_size}, {m.target_vocab_size})"
            )
        predictor = Seq2SeqPredictor(
            model,
            config,
            run,
            src_tokenizer=src_tok,
            src_vocab=src_vocab,
            tgt_tokenizer=tgt_tok,
            tgt_vocab=tgt_vocab,
        )
        program, self._program = self._program, None
        if program is not None and program.dist.is_main and m.attention != "none":
            _plot_heat_maps(predictor, program.data.valid_pairs, run)
        return predictor


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


def load_assets(run: RunDirectory) -> tuple[Tokenizer, Vocab, Tokenizer, Vocab]:
    return (
        tokenizer_from_dict(run.load_json("tokenizer.json")),
        Vocab.from_dict(run.load_json("vocab.json")),
        tokenizer_from_dict(run.load_json("target_tokenizer.json")),
        Vocab.from_dict(run.load_json("target_vocab.json")),
    )


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

    def __init__(
        self,
        model,
        config,
        run=None,
        *,
        src_tokenizer: Tokenizer,
        src_vocab: Vocab,
        tgt_tokenizer: Tokenizer,
        tgt_vocab: Vocab,
    ) -> None:
        super().__init__(model, config, run)
        self.src_tokenizer, self.src_vocab = src_tokenizer, src_vocab
        self.tgt_tokenizer, self.tgt_vocab = tgt_tokenizer, tgt_vocab
        self.restoration = config.data.data is None

    def _encode(self, texts: Sequence[str]) -> list[list[int]]:
        if isinstance(texts, str):
            raise ConfigError("predict takes a list of texts, got one string; wrap it in a list")
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
        beam = self.config.model.beam if beam is None else beam
        if isinstance(beam, bool) or not isinstance(beam, int) or beam < 1:
            raise ConfigError(f"beam must be a positive integer, got {beam!r}")
        if len(texts) == 0:
            return []
        ids = decode(
            self.model,
            self._encode(texts),
            bos_id=self.tgt_vocab.bos_id,
            eos_id=self.tgt_vocab.eos_id,
            max_length=self.config.model.max_target_length,
            beam=beam,
            length_penalty=length_penalty,
            pad_id=self.src_vocab.pad_id,
        )
        return [self.tgt_tokenizer.decode(seq, self.tgt_vocab) for seq in ids]

    def predict(
        self, texts: Sequence[str], *, beam: int | None = None, length_penalty: float = 1.0
    ) -> list[dict]:
        """One ``{"input", "output"}`` per text (greedy for ``beam=1``; ``length_penalty``
        is the exponent of the length in beam search's normalised score)."""
        outputs = self.translate(texts, beam=beam, length_penalty=length_penalty)
        return [{"input": t, "output": o} for t, o in zip(texts, outputs)]

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
            for _ in range(self.config.model.max_target_length):
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

    def evaluate(
        self,
        pairs: Pairs | None = None,
        *,
        data: str | os.PathLike | None = None,
        beam: int | None = None,
        length_penalty: float = 1.0,
    ) -> dict:
        """``{"task", "char_accuracy", "exact_match", "bleu", "chrf", "n"}`` of the outputs
        for ``pairs`` (``(source, target)`` texts), the TSV ``data``, or the run's
        validation split. BLEU and chrF need sacrebleu (the ``seq2seq`` extra)."""
        if pairs is None and data is not None:
            pairs = read_pairs_file(data, self.config)
        if pairs is None:
            _, pairs, _, _ = read_splits(self.config)
        if len(pairs) == 0:
            raise DataError(os.fspath(data) if data else None, None, "at least one pair", "none")
        sources, targets = zip(*pairs)
        outputs = self.translate(list(sources), beam=beam, length_penalty=length_penalty)
        return {"task": "seq2seq", **seq2seq_report(outputs, list(targets))}
