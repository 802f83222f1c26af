"""Batches of variable-length sequences: padding, lengths and masks, packing,
length-bucketed sampling, and one collate function per dataset kind.

Padding three sequences of lengths 3, 1 and 2 (``_`` is ``padding_value``)::

    seqs          padded (N, L)   lengths   mask (N, L)
    a b c         a b c           3         T T T
    d             d _ _           1         T F F
    e f           e f _           2         T T F

``lengths`` is a CPU int64 tensor, as :func:`torch.nn.utils.rnn.pack_padded_sequence`
wants it; ``mask`` is bool, True on real tokens.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields

import numpy as np
import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence
from torch.utils.data import Sampler

from rnnkit.errors import ConfigError, DataError

__all__ = [
    "pad_batch",
    "pack",
    "unpack",
    "BucketBatchSampler",
    "padding_fraction",
    "LabelledBatch",
    "TaggedBatch",
    "PairBatch",
    "WindowBatch",
    "collate_labelled",
    "collate_tagged",
    "pad_char_lm",
    "collate_pairs",
    "collate_windows",
]


def _as_tensor(seq) -> Tensor:
    return seq if isinstance(seq, Tensor) else torch.as_tensor(seq, dtype=torch.long)


def pad_batch(
    seqs: Sequence[Tensor | Sequence[int]],
    padding_value: float = 0,
    batch_first: bool = True,
    *,
    source: str | None = None,
    lines: Sequence[int | None] | None = None,
) -> tuple[Tensor, Tensor, Tensor]:
    """Pad sequences to the longest; return ``(padded, lengths, mask)``.

    Args:
        seqs: N tensors of shape (L_i, *) (or lists of ids).
        source, lines: the file and each sequence's line, named in the error
            for an empty sequence.

    Shape:
        padded: (N, L, *) with ``batch_first``, else (L, N, *);
        lengths: (N,) int64 on the CPU; mask: (N, L) or (L, N), bool.

    Raises:
        DataError: an empty batch, or an empty sequence (naming its file:line when
            known): an RNN cannot be run over zero steps.
    """
    if len(seqs) == 0:
        raise DataError(source, None, "at least one sequence in a batch", "none")
    tensors = [_as_tensor(s) for s in seqs]
    for i, t in enumerate(tensors):
        if t.dim() == 0 or t.size(0) == 0:
            line = lines[i] if lines is not None else None
            raise DataError(
                source, line, "a non-empty sequence", f"an empty one (example {i} of the batch)"
            )
    lengths = torch.tensor([t.size(0) for t in tensors], dtype=torch.long)  # (N,)
    N, L = len(tensors), int(lengths.max())
    first = tensors[0]
    padded = first.new_full((N, L, *first.shape[1:]), padding_value)  # (N, L, *)
    for i, t in enumerate(tensors):
        padded[i, : t.size(0)] = t
    mask = torch.arange(L).unsqueeze(0) < lengths.unsqueeze(1)  # (N, L)
    mask = mask.to(padded.device)
    if not batch_first:
        padded, mask = padded.transpose(0, 1), mask.transpose(0, 1)  # (L, N, *), (L, N)
    return padded, lengths, mask


def pack(padded: Tensor, lengths: Tensor, batch_first: bool = True) -> PackedSequence:
    """Pack a padded batch without sorting it first (``enforce_sorted=False``).

    :func:`unpack` gives the rows back in their original order.

    Shape:
        padded: (N, L, *) with ``batch_first``, else (L, N, *); lengths: (N,).
    """
    lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
    if lengths.numel() and int(lengths.min()) < 1:
        i = int(lengths.argmin())
        raise DataError(None, None, "sequences of length >= 1 to pack", f"length 0 at row {i}")
    return pack_padded_sequence(padded, lengths, batch_first=batch_first, enforce_sorted=False)


def unpack(
    packed: PackedSequence,
    batch_first: bool = True,
    padding_value: float = 0.0,
    total_length: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Unpack to ``(padded, lengths)`` in the original row order.

    Shape:
        padded: (N, L, *) with ``batch_first``, else (L, N, *); lengths: (N,) int64, CPU.
    """
    return pad_packed_sequence(
        packed, batch_first=batch_first, padding_value=padding_value, total_length=total_length
    )


def padding_fraction(batches: Sequence[Sequence[int]], lengths: Sequence[int]) -> float:
    """Share of padded positions when each batch is padded to its longest sequence."""
    real = padded = 0
    for batch in batches:
        sizes = [lengths[i] for i in batch]
        real += sum(sizes)
        padded += max(sizes) * len(sizes)
    return 0.0 if padded == 0 else 1.0 - real / padded


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of indices of similar length (torchtext's ``sort_within_batch`` idea).

    Each epoch the indices are shuffled, cut into buckets of ``bucket_size``,
    each bucket sorted by length and cut into batches, and the batches shuffled.
    Batches are near-uniform in length (little padding), yet their order and
    content change with the epoch. The same ``seed`` and :meth:`set_epoch`
    give the same batches.

    With ``num_replicas`` > 1 (one process per GPU, as ``DistributedSampler``)
    every replica builds the same batches and takes every ``num_replicas``-th
    from ``rank``; the list is first padded by repeating batches (or, with
    ``drop_last``, cut) so that every replica gets the same number of steps.

    Args:
        lengths: the length of each example.
        batch_size: examples per batch.
        bucket_size: examples sorted together; default ``100 * batch_size``.
            ``batch_size`` sorts nothing; ``len(lengths)`` sorts everything.
        shuffle: shuffle indices and batches (False: file order, buckets sorted).
        drop_last: drop a last batch smaller than ``batch_size``.
        descending: longest first within a batch (what pack wanted when it had
            to be sorted).
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        *,
        bucket_size: int | None = None,
        shuffle: bool = True,
        drop_last: bool = False,
        descending: bool = False,
        seed: int = 0,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ConfigError(f"batch_size must be a positive integer, got {batch_size!r}")
        bucket_size = 100 * batch_size if bucket_size is None else bucket_size
        if not isinstance(bucket_size, int) or bucket_size < batch_size:
            raise ConfigError(
                f"bucket_size must be >= batch_size ({batch_size}), got {bucket_size!r}"
            )
        if not isinstance(num_replicas, int) or num_replicas < 1:
            raise ConfigError(f"num_replicas must be >= 1, got {num_replicas!r}")
        if not isinstance(rank, int) or not 0 <= rank < num_replicas:
            raise ConfigError(f"rank must be in [0, {num_replicas}), got {rank!r}")
        self.lengths = np.asarray(lengths, dtype=np.int64)
        if self.lengths.ndim != 1:
            raise ConfigError(
                f"lengths must be one number per example, got shape {self.lengths.shape}"
            )
        self.batch_size = batch_size
        self.bucket_size = bucket_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.descending = descending
        self.seed = seed
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Choose the epoch whose batches :meth:`__iter__` gives."""
        self.epoch = epoch

    def _all_batches(self) -> list[list[int]]:
        n = len(self.lengths)
        rng = np.random.default_rng([self.seed, self.epoch])
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        batches: list[list[int]] = []
        for start in range(0, n, self.bucket_size):
            bucket = order[start : start + self.bucket_size]
            keys = -self.lengths[bucket] if self.descending else self.lengths[bucket]
            bucket = bucket[np.argsort(keys, kind="stable")]
            for b in range(0, len(bucket), self.batch_size):
                batch = bucket[b : b + self.batch_size]
                if len(batch) < self.batch_size and self.drop_last:
                    continue
                batches.append(batch.tolist())
        if self.shuffle:
            batches = [batches[i] for i in rng.permutation(len(batches))]
        return batches

    def _shard(self, batches: list[list[int]]) -> list[list[int]]:
        if self.num_replicas == 1:
            return batches
        if self.drop_last:
            batches = batches[: len(batches) - len(batches) % self.num_replicas]
        elif batches and len(batches) % self.num_replicas:
            extra = self.num_replicas - len(batches) % self.num_replicas
            batches = batches + (batches * math.ceil(extra / len(batches)))[:extra]
        return batches[self.rank :: self.num_replicas]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._shard(self._all_batches()))

    def __len__(self) -> int:
        n = len(self.lengths)
        if self.drop_last:
            # full batches only; a bucket's remainder is dropped too
            full, rest = divmod(n, self.bucket_size)
            count = full * (self.bucket_size // self.batch_size) + rest // self.batch_size
        else:
            full, rest = divmod(n, self.bucket_size)
            count = full * math.ceil(self.bucket_size / self.batch_size) + math.ceil(
                rest / self.batch_size
            )
        if self.num_replicas == 1:
            return count
        if self.drop_last:
            return count // self.num_replicas
        return math.ceil(count / self.num_replicas)


class _Batch:
    """Moves its tensors with ``.to(device)``; ``lengths`` stay on the CPU."""

    def to(self, device, non_blocking: bool = False):
        moved = {}
        for f in fields(self):
            value = getattr(self, f.name)
            keep = not isinstance(value, Tensor) or "lengths" in f.name
            moved[f.name] = value if keep else value.to(device, non_blocking=non_blocking)
        return type(self)(**moved)


@dataclass
class LabelledBatch(_Batch):
    """Shape: x (N, L) int64, lengths (N,) CPU int64, mask (N, L) bool, labels (N,) int64;
    with the texts' characters, chars (N, C) int64 code points padded with 0 and
    char_lengths (N,) CPU int64; with character LM inputs (see :func:`pad_char_lm`),
    lm_ids (2, N, S), lm_at (2, N, L)."""

    x: Tensor
    lengths: Tensor
    mask: Tensor
    labels: Tensor
    chars: Tensor | None = None
    char_lengths: Tensor | None = None
    lm_ids: Tensor | None = None
    lm_at: Tensor | None = None


@dataclass
class TaggedBatch(_Batch):
    """A batch of tagged sentences with a character view of each real word.

    Shape:
        x (N, L) int64 word ids, lengths (N,), mask (N, L), tags (N, L) int64
        (0 at padding: use ``mask``), chars (W, C) int64 where W = mask.sum() is
        the number of real words in row-major order and C the longest word,
        char_lengths (W,). A character encoder's (W, H) output goes back to
        words with ``out = h.new_zeros(N, L, H); out[mask] = word_h``. With
        character LM inputs (see :func:`pad_char_lm`), lm_ids (2, N, S), lm_at (2, N, L).
    """

    x: Tensor
    lengths: Tensor
    mask: Tensor
    tags: Tensor
    chars: Tensor
    char_lengths: Tensor
    lm_ids: Tensor | None = None
    lm_at: Tensor | None = None


@dataclass
class PairBatch(_Batch):
    """Shape: src (N, S), src_lengths (N,), src_mask (N, S); tgt (N, T), tgt_lengths
    (N,), tgt_mask (N, T); tgt holds ``<bos> ... <eos>`` when the dataset adds them."""

    src: Tensor
    src_lengths: Tensor
    src_mask: Tensor
    tgt: Tensor
    tgt_lengths: Tensor
    tgt_mask: Tensor


@dataclass
class WindowBatch(_Batch):
    """Shape: x (N, lookback, F) float32 inputs, y (N, T_out, F_out) float32 targets."""

    x: Tensor
    y: Tensor


def pad_char_lm(items: Sequence[tuple[Tensor, Tensor]]) -> tuple[Tensor, Tensor]:
    """Character LM inputs of N sequences, each ``(ids (2, S_i), at (2, L_i))``, padded
    with 0 on the right: ``(lm_ids (2, N, S), lm_at (2, N, L))``.

    Row 0 is the forward LM's (ids of the text, position of each token's last char),
    row 1 the backward LM's (ids of the reversed text, position of each token's first
    char); see :class:`~rnnkit.models.char_lm.CharLMEmbedding`.
    """
    N = len(items)
    S = max(ids.size(1) for ids, _ in items)
    L = max(at.size(1) for _, at in items)
    lm_ids = torch.zeros(2, N, S, dtype=torch.long)  # (2, N, S)
    lm_at = torch.zeros(2, N, L, dtype=torch.long)  # (2, N, L)
    for n, (ids, at) in enumerate(items):
        lm_ids[:, n, : ids.size(1)] = ids
        lm_at[:, n, : at.size(1)] = at
    return lm_ids, lm_at


def collate_labelled(
    items: Sequence[tuple], pad_id: int = 0, *, spelled: bool = False
) -> LabelledBatch:
    """Items of :class:`~rnnkit.data.datasets.LabelledDataset` -> :class:`LabelledBatch`.

    An item is ``(ids, label)``; with ``spelled``, its third part is the text's
    characters (a dataset built with ``spell=True``); it may end with its character LM
    inputs (see :func:`pad_char_lm`).
    """
    seqs, labels, *rest = zip(*items)
    x, lengths, mask = pad_batch(seqs, pad_id)  # (N, L), (N,), (N, L)
    batch = LabelledBatch(x, lengths, mask, torch.tensor(labels, dtype=torch.long))
    if spelled:
        batch.chars, batch.char_lengths, _ = pad_batch(rest.pop(0), 0)  # (N, C), (N,)
    if rest:
        batch.lm_ids, batch.lm_at = pad_char_lm(rest[0])
    return batch


def collate_tagged(
    items: Sequence[tuple[Tensor, Tensor, Sequence[Tensor]]], pad_id: int = 0
) -> TaggedBatch:
    """Items of :class:`~rnnkit.data.datasets.TaggedDataset` -> :class:`TaggedBatch`
    (an item may end with its character LM inputs, see :func:`pad_char_lm`)."""
    words, tags, chars, *lm = zip(*items)
    x, lengths, mask = pad_batch(words, pad_id)  # (N, L)
    tags_padded, _, _ = pad_batch(tags, 0)  # (N, L)
    flat = [c for word_chars in chars for c in word_chars]  # W words in row-major order
    char_x, char_lengths, _ = pad_batch(flat, pad_id)  # (W, C), (W,)
    return TaggedBatch(
        x, lengths, mask, tags_padded, char_x, char_lengths, *(pad_char_lm(lm[0]) if lm else ())
    )


def collate_pairs(items: Sequence[tuple[Tensor, Tensor]], pad_id: int = 0) -> PairBatch:
    """Items of :class:`~rnnkit.data.datasets.PairDataset` -> :class:`PairBatch`."""
    src, tgt = zip(*items)
    s, s_len, s_mask = pad_batch(src, pad_id)  # (N, S)
    t, t_len, t_mask = pad_batch(tgt, pad_id)  # (N, T)
    return PairBatch(s, s_len, s_mask, t, t_len, t_mask)


def collate_windows(items: Sequence[tuple[Tensor, Tensor]]) -> WindowBatch:
    """Items of :class:`~rnnkit.data.timeseries.windows.WindowDataset` -> :class:`WindowBatch`."""
    x, y = zip(*items)
    return WindowBatch(torch.stack(x), torch.stack(y))  # (N, lookback, F), (N, T_out, F_out)
