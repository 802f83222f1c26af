"""Datasets: id sequences arranged for training.

=======================  ================================================  ==========================
dataset                  item                                              collate (rnnkit.data.batching)
=======================  ================================================  ==========================
:class:`LMStream`        ``(x, y)`` (N, L) contiguous rows, truncated BPTT  none: already batches
:class:`RandomChunks`    ``(x, y)`` (N, L) at random offsets (char-rnn)    none: already batches
:class:`LabelledDataset` ``(ids (L,), label[, text's chars (C,)])``        ``collate_labelled``
:class:`TaggedDataset`   ``(word ids (L,), tag ids (L,), [char ids])``     ``collate_tagged``
:class:`PairDataset`     ``(src ids (S,), tgt ids (T,))``                  ``collate_pairs``
=======================  ================================================  ==========================

Numeric windows for forecasting, ``(x (lookback, F), y (T_out, F_out))`` with
``collate_windows``, are :class:`~rnnkit.data.timeseries.windows.WindowDataset`.

The language-model stream follows pytorch/examples' word_language_model: the
text is cut into N contiguous rows, and truncated BPTT walks along them so the
state carried out of one batch is the right start for the next.

Every dataset refuses an example that comes out empty (a text whose tokens are
all dropped), naming its file and line when the reader kept them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from rnnkit.data.tokenizers import Tokenizer
from rnnkit.data.vocab import Vocab, build_vocab
from rnnkit.errors import ConfigError, DataError

__all__ = [
    "batchify",
    "text_codepoints",
    "LMStream",
    "RandomChunks",
    "LabelledDataset",
    "TaggedDataset",
    "PairDataset",
]


def batchify(ids: Tensor, batch_size: int) -> Tensor:
    """Cut a 1-D stream of ids into ``batch_size`` contiguous rows.

    With the alphabet as the stream and N = 4::

        a b c d e f g h i j k l m n o p q r s t u v w x y z
                        |
                        v
        row 0:  a b c d e f
        row 1:  g h i j k l
        row 2:  m n o p q r
        row 3:  s t u v w x        (y z dropped: they do not fill a column)

    Shape:
        ids: (T,) int64  ->  (N, T // N)
    """
    if ids.dim() != 1:
        raise ValueError(f"batchify expects a 1-D tensor, got shape {tuple(ids.shape)}")
    width = ids.numel() // batch_size
    return ids[: width * batch_size].view(batch_size, width)  # (N, T // N)


class LMStream:
    """Batches for truncated BPTT over a batchified stream, batch-first.

    Batch ``i`` takes ``bptt`` columns as inputs and the same columns shifted by
    one as targets. With the rows of :func:`batchify` and ``bptt = 2``::

        batch 0: x = [a b]  y = [b c]     batch 1: x = [c d]  y = [d e]
                     [g h]      [h i]                  [i j]      [j k]
                     ...                               ...

    Each row continues where it stopped, so the state returned by batch ``i`` is
    carried (detached: ``detach_state``) into batch ``i + 1``. The last batch may
    be shorter.

    Shape:
        ``stream[i]`` -> (x, y), each (N, L) int64 with L <= bptt (``ids`` may be any
        integer type, a memory-mapped uint16 stream among them).
    """

    def __init__(self, ids: Tensor, batch_size: int, bptt: int, *, source: str | None = None):
        if ids.numel() < 2 * batch_size:
            raise DataError(
                source,
                None,
                f"at least {2 * batch_size} tokens for a batch size of {batch_size} "
                "(lower --batch-size)",
                f"{ids.numel()} tokens",
            )
        self.data = batchify(ids, batch_size)  # (N, W)
        self.batch_size = batch_size
        self.bptt = bptt

    @property
    def num_tokens(self) -> int:
        """Number of predicted tokens in one pass (inputs that have a target)."""
        return self.data.size(0) * (self.data.size(1) - 1)

    def __len__(self) -> int:
        return -(-(self.data.size(1) - 1) // self.bptt)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        if not 0 <= i < len(self):
            raise IndexError(i)
        start = i * self.bptt
        end = min(start + self.bptt, self.data.size(1) - 1)
        x, y = self.data[:, start:end], self.data[:, start + 1 : end + 1]  # (N, L), (N, L)
        return x.long(), y.long()  # a memory-mapped stream is narrow (uint16): ids as int64


class RandomChunks:
    """Batches of chunks cut at random offsets of the stream, as char-rnn trains.

    Each batch holds ``batch_size`` chunks of ``length`` ids; chunk ``j`` starts
    at a random offset ``o_j`` and its targets are the same ids shifted by one::

        stream:  . . . o_j [x x x x] y . . .      x = ids[o_j : o_j + L]
                               [y y y y]          y = ids[o_j + 1 : o_j + L + 1]

    No state is carried between batches (each chunk starts cold). The offsets
    of epoch ``e`` depend only on ``(seed, e)``: :meth:`set_epoch` then
    iterate, and a resumed run sees the same batches.

    Shape:
        each batch: (x, y), both (N, L) int64.
    """

    def __init__(
        self,
        ids: Tensor,
        batch_size: int,
        length: int,
        *,
        seed: int = 0,
        num_batches: int | None = None,
        source: str | None = None,
    ) -> None:
        if ids.dim() != 1:
            raise ValueError(f"RandomChunks expects a 1-D tensor, got shape {tuple(ids.shape)}")
        if batch_size < 1 or length < 1:
            raise ConfigError(f"batch_size and length must be >= 1, got {batch_size}, {length}")
        if ids.numel() < length + 1:
            raise DataError(
                source,
                None,
                f"at least {length + 1} tokens for chunks of {length} (lower the length)",
                f"{ids.numel()} tokens",
            )
        self.ids = ids
        self.batch_size = batch_size
        self.length = length
        self.seed = seed
        self.num_batches = (
            max(1, (ids.numel() - 1) // (batch_size * length))
            if num_batches is None
            else num_batches
        )
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        seed = int(np.random.SeedSequence([self.seed, self.epoch]).generate_state(1)[0])
        generator = torch.Generator().manual_seed(seed)
        high = self.ids.numel() - self.length  # last start with a full target
        steps = torch.arange(self.length + 1)  # (L + 1,)
        for _ in range(self.num_batches):
            starts = torch.randint(0, high, (self.batch_size,), generator=generator)  # (N,)
            chunk = self.ids[starts.unsqueeze(1) + steps]  # (N, L + 1)
            yield chunk[:, :-1], chunk[:, 1:]  # (N, L), (N, L)


def _check_non_empty(seqs: Sequence, source, lines, what: str) -> None:
    for i, seq in enumerate(seqs):
        if len(seq) == 0:
            line = lines[i] if lines is not None else None
            raise DataError(source, line, what, f"none (example {i})")


def _lines_of(examples) -> tuple[str | None, list | None]:
    return getattr(examples, "source", None), getattr(examples, "lines", None)


def _to_ids(seq) -> Tensor:
    return torch.as_tensor(seq, dtype=torch.long)


def text_codepoints(text: str) -> Tensor:
    """The characters of a text as Unicode code points, its runs of whitespace read as
    one space: ``"ab  c"`` -> ``[97, 98, 32, 99]``. The character view of a text that a
    word-level classifier's character n-gram bag reads (no vocabulary: the bag hashes
    the code points).

    Shape: returns (C,) int64.
    """
    return torch.tensor([ord(c) for c in " ".join(text.split())], dtype=torch.long)


class LabelledDataset(Dataset):
    """Token id sequences with one class label each (classification).

    Build it from a reader's ``(text, label)`` examples with :meth:`from_examples`.

    Attributes:
        label_names: label ``k`` is ``label_names[k]``.
        lengths: the length of each sequence (for :class:`~rnnkit.data.batching.BucketBatchSampler`).
        chars: with ``spell=True``, each text's :func:`text_codepoints`; else None.

    Shape:
        ``dataset[i]`` -> (ids (L,) int64, label int), or with ``chars``
        (ids (L,), label, chars (C,) int64).
    """

    def __init__(
        self,
        ids: Sequence[Sequence[int] | Tensor],
        labels: Sequence[int],
        label_names: Sequence[str],
        *,
        chars: Sequence[Tensor] | None = None,
        source: str | None = None,
        lines: Sequence[int | None] | None = None,
    ) -> None:
        if len(ids) != len(labels):
            raise ConfigError(f"{len(ids)} sequences but {len(labels)} labels")
        if chars is not None and len(chars) != len(ids):
            raise ConfigError(f"{len(ids)} sequences but {len(chars)} character views")
        _check_non_empty(ids, source, lines, "a text with at least one token")
        self.ids = [_to_ids(s) for s in ids]
        self.labels = [int(k) for k in labels]
        self.label_names = list(label_names)
        self.chars = None if chars is None else [_to_ids(c) for c in chars]
        self.source, self.lines = source, lines
        self.lengths = [len(s) for s in self.ids]

    @classmethod
    def from_examples(
        cls,
        examples: Sequence[tuple[str, str]],
        tokenizer: Tokenizer,
        vocab: Vocab,
        label_names: Sequence[str] | None = None,
        *,
        spell: bool = False,
    ) -> LabelledDataset:
        """Tokenize and numericalise ``(text, label)`` pairs; with ``spell``, keep each
        text's :func:`text_codepoints` too.

        ``label_names`` None takes the sorted distinct labels of ``examples``; a
        label outside a given list is a DataError naming its line.
        """
        source, lines = _lines_of(examples)
        if label_names is None:
            label_names = sorted({label for _, label in examples})
        index = {name: k for k, name in enumerate(label_names)}
        ids, labels = [], []
        for i, (text, label) in enumerate(examples):
            if label not in index:
                line = lines[i] if lines is not None else None
                raise DataError(source, line, f"a label among {list(index)[:10]}", repr(label))
            ids.append(tokenizer.encode(text, vocab))
            if not ids[-1]:  # named here, where the text is known
                line = lines[i] if lines is not None else None
                got = repr(text) if line is not None else f"{text!r} (example {i})"
                raise DataError(source, line, "a text with at least one token", got)
            labels.append(index[label])
        chars = [text_codepoints(text) for text, _ in examples] if spell else None
        return cls(ids, labels, label_names, chars=chars, source=source, lines=lines)

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> tuple:
        if self.chars is None:
            return self.ids[i], self.labels[i]
        return self.ids[i], self.labels[i], self.chars[i]


class TaggedDataset(Dataset):
    """Sentences with one tag per token, and each word spelled as character ids.

    Shape:
        ``dataset[i]`` -> (word ids (L,), tag ids (L,), L tensors of char ids (C_j,)).
    """

    def __init__(
        self,
        words: Sequence[Sequence[int]],
        tags: Sequence[Sequence[int]],
        chars: Sequence[Sequence[Sequence[int]]],
        tag_names: Sequence[str],
        *,
        source: str | None = None,
        lines: Sequence[int | None] | None = None,
    ) -> None:
        _check_non_empty(words, source, lines, "a sentence with at least one token")
        for i, (w, t, c) in enumerate(zip(words, tags, chars)):
            if not len(w) == len(t) == len(c):
                line = lines[i] if lines is not None else None
                raise DataError(
                    source,
                    line,
                    "one tag and one spelling per token",
                    f"{len(w)} tokens, {len(t)} tags",
                )
        self.words = [_to_ids(w) for w in words]
        self.tags = [_to_ids(t) for t in tags]
        self.chars = [[_to_ids(s) for s in c] for c in chars]
        self.tag_names = list(tag_names)
        self.source, self.lines = source, lines
        self.lengths = [len(w) for w in self.words]

    @classmethod
    def from_sentences(
        cls,
        sentences: Sequence,
        vocab: Vocab,
        char_vocab: Vocab,
        tag_names: Sequence[str] | None = None,
        *,
        lowercase: bool = False,
    ) -> TaggedDataset:
        """Numericalise :class:`~rnnkit.data.conll.TaggedSentence` s (or ``(tokens, tags)``).

        Words are looked up lowercased when ``lowercase``; their characters never
        are (capitals are a strong hint for names). Build ``char_vocab`` with
        :meth:`char_vocab_of`.
        """
        source, lines = _lines_of(sentences)
        pairs = [(s.tokens, s.tags) if hasattr(s, "tokens") else tuple(s) for s in sentences]
        if tag_names is None:
            tag_names = sorted({t for _, tags in pairs for t in tags})
        index = {name: k for k, name in enumerate(tag_names)}
        words, tags, chars = [], [], []
        for i, (tokens, sentence_tags) in enumerate(pairs):
            unknown = [t for t in sentence_tags if t not in index]
            if unknown:
                line = lines[i] if lines is not None else None
                raise DataError(source, line, f"tags among {list(index)[:10]}", repr(unknown[0]))
            words.append(vocab.encode(t.lower() if lowercase else t for t in tokens))
            tags.append([index[t] for t in sentence_tags])
            chars.append([char_vocab.encode(t) for t in tokens])
        return cls(words, tags, chars, tag_names, source=source, lines=lines)

    @staticmethod
    def char_vocab_of(sentences: Sequence, **options) -> Vocab:
        """A vocab of the characters of every token (options as :func:`build_vocab`)."""
        tokens = (t for s in sentences for t in (s.tokens if hasattr(s, "tokens") else s[0]))
        return build_vocab((c for t in tokens for c in t), **options)

    def __len__(self) -> int:
        return len(self.words)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor, list[Tensor]]:
        return self.words[i], self.tags[i], self.chars[i]


class PairDataset(Dataset):
    """Source and target id sequences (sequence to sequence).

    Shape:
        ``dataset[i]`` -> (src ids (S,), tgt ids (T,)); the target is wrapped in
        ``<bos> ... <eos>`` by :meth:`from_pairs` unless ``add_bos_eos=False``.
    """

    def __init__(
        self,
        src: Sequence[Sequence[int]],
        tgt: Sequence[Sequence[int]],
        *,
        source: str | None = None,
        lines: Sequence[int | None] | None = None,
    ) -> None:
        if len(src) != len(tgt):
            raise ConfigError(f"{len(src)} sources but {len(tgt)} targets")
        _check_non_empty(src, source, lines, "a source with at least one token")
        _check_non_empty(tgt, source, lines, "a target with at least one token")
        self.src = [_to_ids(s) for s in src]
        self.tgt = [_to_ids(t) for t in tgt]
        self.source, self.lines = source, lines
        self.lengths = [len(s) for s in self.src]

    @classmethod
    def from_pairs(
        cls,
        pairs: Sequence[tuple[str, str]],
        src_tokenizer: Tokenizer,
        src_vocab: Vocab,
        tgt_tokenizer: Tokenizer | None = None,
        tgt_vocab: Vocab | None = None,
        *,
        add_bos_eos: bool = True,
    ) -> PairDataset:
        """Tokenize and numericalise ``(src, tgt)`` texts; the target side defaults to the source's."""
        source, lines = _lines_of(pairs)
        tgt_tokenizer = tgt_tokenizer or src_tokenizer
        tgt_vocab = tgt_vocab or src_vocab
        if add_bos_eos and (tgt_vocab.bos_id is None or tgt_vocab.eos_id is None):
            raise ConfigError("add_bos_eos needs <bos> and <eos> in the target vocab")
        src_ids, tgt_ids = [], []
        for i, (s, t) in enumerate(pairs):
            src_ids.append(src_tokenizer.encode(s, src_vocab))
            ids = tgt_tokenizer.encode(t, tgt_vocab)
            if add_bos_eos:
                if not ids:
                    line = lines[i] if lines is not None else None
                    raise DataError(source, line, "a target with at least one token", "none")
                ids = [tgt_vocab.bos_id, *ids, tgt_vocab.eos_id]
            tgt_ids.append(ids)
        return cls(src_ids, tgt_ids, source=source, lines=lines)

    def __len__(self) -> int:
        return len(self.src)

    def __getitem__(self, i: int) -> tuple[Tensor, Tensor]:
        return self.src[i], self.tgt[i]
