"""The sequence tagger (many-to-many, one tag per token): a BiLSTM-CRF after Lample et al. (2016).

::

    word ids  (N, L) ---- embedding ---------------------------> (N, L, E) --+
    char ids  (W, C) ---- char embedding -> BiLSTM -> [h_fw; h_bw] (W, 2C') -> | concat
                          (one row per real word; scattered back to (N, L))    |
    char ids  (W, C) ---- hashed 1..n-grams of ^word$ -> mean (W, E_c) ------> |
                          (char_ngrams > 0: prefixes and suffixes)             |
                                                                               v
                    dropout -> recurrent stack (packed) -> dropout -> linear -> emissions (N, L, K)
                                                                               |
                    CRF: Viterbi decode, NLL loss   |   softmax head: argmax, cross-entropy

The character BiLSTM spells each word, so a word never seen in training (a new
surname) still gets a representation from its letters and capitals. Padding is
never read: the word stack is packed, the char stack runs on real words only,
the loss and the CRF's forward algorithm use ``mask``, and decoding stops at
each sentence's length.

With ``char_lm`` (a :class:`~rnnkit.models.char_lm.CharLMEmbedding`), each word's
states of a forward and a backward character LM over its sentence are concatenated
too: ``[word; spelling; h_fw; h_bw]`` (Akbik et al., 2018).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn import CRF, NGramBag, WordDropout, make_recurrent

__all__ = ["SequenceTagger", "CharEncoder"]


class CharEncoder(nn.Module):
    """A word from its characters: the final states of a BiLSTM over them, concatenated.

    Args:
        num_chars: the character vocabulary size.
        embedding_dim: character embedding size.
        hidden_size: per direction; the output has 2 * hidden_size features.
        padding_idx: the id of ``<pad>``.

    Shape:
        chars: (W, C) int64, one padded row per word; lengths: (W,) int64, each >= 1.
        Returns (W, 2 * hidden_size).
    """

    def __init__(
        self, num_chars: int, embedding_dim: int, hidden_size: int, *, padding_idx: int = 0
    ) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_chars, embedding_dim, padding_idx=padding_idx)
        self.rnn = make_recurrent(
            "lstm", embedding_dim, hidden_size, 1, bidirectional=True, batch_first=True
        )
        self.output_size = 2 * hidden_size

    def forward(self, chars: Tensor, lengths: Tensor) -> Tensor:
        if chars.size(0) == 0:
            return chars.new_zeros(0, self.output_size, dtype=self.embedding.weight.dtype)
        emb = self.embedding(chars)  # (W, C, E_c)
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        # h_n (2, W, H_c): forward after the last char, backward after the first
        _, (h_n, _) = self.rnn(packed)
        return torch.cat([h_n[0], h_n[1]], dim=-1)  # (W, 2 H_c)


class SequenceTagger(nn.Module):
    """One tag per token: ``Sung Kim teaches at HKUST`` -> ``B-PER I-PER O O B-ORG``.

    Args:
        vocab_size: V, word ids.
        num_tags: K.
        embedding_dim: E, the word embedding size.
        hidden_size: H, per direction.
        num_layers: recurrent layers.
        cell: ``"rnn"``, ``"lstm"``, ``"gru"``, ``"mingru"`` or ``"minlstm"``.
        dropout: on the word representation, between layers and before the output.
        bidirectional: D = 2 directions (the usual tagger) instead of 1.
        char_vocab_size: character ids; 0 turns the character encoder off.
        char_embedding_dim: character embedding size.
        char_hidden_size: the character BiLSTM's size per direction.
        char_ngrams: n > 0 adds each word's bag of hashed character 1..n-grams
            (:class:`~rnnkit.nn.NGramBag`, framed by ``^`` and ``$``: fastText's
            subword vector, Bojanowski et al. 2017) of size ``char_embedding_dim``,
            so that prefixes and suffixes such as ``^un`` and ``ly$`` are features
            of their own; 0: none. With ``char_hidden_size`` 0 it is the word's
            only spelling feature.
        char_ngram_buckets: rows of that bag's hashed table.
        crf: a linear-chain CRF head (Viterbi decoding, sequence-level loss)
            instead of an independent softmax per token.
        word_dropout: in training, replace a word id by ``unk_idx`` with this
            probability, so that ``<unk>`` is trained for the unseen words of test time.
        padding_idx, unk_idx: the ids of ``<pad>`` and ``<unk>`` (words and chars).
        layer_norm, backend: as :func:`rnnkit.nn.make_recurrent`.
        char_lm: a :class:`~rnnkit.models.char_lm.CharLMEmbedding` (None: none).

    Shape:
        x: (N, L) int64 word ids, padded after each sentence; lengths: (N,) int64
        (CPU), each >= 1; chars: (W, C) int64, the W = lengths.sum() real words in
        row-major order; char_lengths: (W,); with ``char_lm``, lm_ids (2, N, S) and
        lm_at (2, N, L) as it takes them. Returns emissions (N, L, K) (CRF
        emission scores, or softmax logits).

    Example:
        >>> tagger = SequenceTagger(30, 5, char_vocab_size=12, hidden_size=8)
        >>> x, lengths = torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2])
        >>> chars, char_lengths = torch.randint(4, 12, (5, 4)), torch.full((5,), 4)
        >>> emissions = tagger(x, lengths, chars, char_lengths)
        >>> emissions.shape
        torch.Size([2, 3, 5])
        >>> [len(tags) for tags in tagger.decode(emissions, x != 0)]
        [3, 2]
    """

    def __init__(
        self,
        vocab_size: int,
        num_tags: int,
        embedding_dim: int = 100,
        hidden_size: int = 128,
        num_layers: int = 1,
        cell: str = "lstm",
        dropout: float = 0.0,
        *,
        bidirectional: bool = True,
        char_vocab_size: int = 0,
        char_embedding_dim: int = 25,
        char_hidden_size: int = 25,
        char_ngrams: int = 0,
        char_ngram_buckets: int = 2**16,
        crf: bool = True,
        word_dropout: float = 0.0,
        padding_idx: int = 0,
        unk_idx: int = 1,
        layer_norm: bool = False,
        backend: str = "auto",
        char_lm: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if vocab_size < 1:
            raise ConfigError(f"vocab_size must be >= 1, got {vocab_size}")
        if num_tags < 1:
            raise ConfigError(f"num_tags must be >= 1, got {num_tags}")
        if char_vocab_size < 0:
            raise ConfigError(f"char_vocab_size must be >= 0, got {char_vocab_size}")
        self.num_tags = num_tags
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.word_dropout = WordDropout(word_dropout, unk_index=unk_idx, pad_index=padding_idx)
        self.chars: CharEncoder | None = None
        features = embedding_dim
        if char_vocab_size and char_hidden_size:
            self.chars = CharEncoder(
                char_vocab_size, char_embedding_dim, char_hidden_size, padding_idx=padding_idx
            )
            features += self.chars.output_size
        self.char_bag: NGramBag | None = None
        if char_vocab_size and char_ngrams:
            self.char_bag = NGramBag(char_ngrams, char_ngram_buckets, char_embedding_dim)
            features += char_embedding_dim
        self.char_lm = char_lm
        if char_lm is not None:
            features += char_lm.output_size
        self.dropout = nn.Dropout(dropout)
        self.rnn = make_recurrent(
            cell,
            features,
            hidden_size,
            num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
            layer_norm=layer_norm,
            backend=backend,
        )
        self.output = nn.Linear(hidden_size * (2 if bidirectional else 1), num_tags)
        self.crf = CRF(num_tags, batch_first=True) if crf else None

    @property
    def spells(self) -> bool:
        """Whether the tagger reads each word's characters (BiLSTM, n-gram bag or both)."""
        return self.chars is not None or self.char_bag is not None

    def forward(
        self,
        x: Tensor,
        lengths: Tensor,
        chars: Tensor | None = None,
        char_lengths: Tensor | None = None,
        lm_ids: Tensor | None = None,
        lm_at: Tensor | None = None,
    ) -> Tensor:
        N, L = x.shape
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        if lengths.shape != (N,):
            raise ConfigError(f"lengths must have shape ({N},), got {tuple(lengths.shape)}")
        if N and int(lengths.min()) < 1:
            raise ConfigError(f"every sentence needs length >= 1, got {lengths.tolist()}")
        words = self.embedding(self.word_dropout(x))  # (N, L, E)
        if self.spells:
            if chars is None or char_lengths is None:
                raise ConfigError("this tagger spells words: pass chars and char_lengths")
            mask = (torch.arange(L).unsqueeze(0) < lengths.unsqueeze(1)).to(x.device)  # (N, L)
            W = int(lengths.sum())
            if chars.size(0) != W:
                raise ConfigError(
                    f"chars must have one row per real word ({W}), got {chars.size(0)}"
                )
            parts = []
            if self.chars is not None:
                parts.append(self.chars(chars, char_lengths))  # (W, 2 H_c)
            if self.char_bag is not None:
                lengths_c = torch.as_tensor(char_lengths, device=chars.device)
                parts.append(self.char_bag(chars, lengths_c))  # (W, E_c)
            spelled = torch.cat(parts, dim=-1)  # (W, F_c)
            # F_c: the features of one word's spelling
            per_word = spelled.new_zeros(N, L, spelled.size(-1))  # (N, L, F_c)
            per_word[mask] = spelled
            words = torch.cat([words, per_word], dim=-1)  # (N, L, E + F_c)
        if self.char_lm is not None:
            if lm_ids is None or lm_at is None:
                raise ConfigError("this tagger reads character LM states: pass lm_ids and lm_at")
            words = torch.cat([words, self.char_lm(lm_ids, lm_at)], dim=-1)  # (N, L, F)
        words = self.dropout(words)
        packed = pack_padded_sequence(words, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=L)  # (N, L, D*H)
        return self.output(self.dropout(out))  # (N, L, K)

    def loss(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        """Mean negative log-likelihood per real token, in nats.

        CRF head: ``-log p(tags | emissions)`` summed over the batch and divided by
        the number of real tokens; softmax head: the cross-entropy of each real token.

        Shape:
            emissions: (N, L, K); tags: (N, L) int64; mask: (N, L) bool, True = real.
        """
        emissions = emissions.float()
        if self.crf is not None:
            return -self.crf(emissions, tags, mask, reduction="token_mean")
        return F.cross_entropy(emissions[mask], tags[mask])  # (N_real, K) -> scalar

    @torch.no_grad()
    def decode(self, emissions: Tensor, mask: Tensor) -> list[list[int]]:
        """The best tags of each sentence, as lists of its true length: Viterbi under
        the CRF (over real tokens only), else the argmax of each token.

        Shape:
            emissions: (N, L, K); mask: (N, L) bool.
        """
        if self.crf is not None:
            return self.crf.decode(emissions.float(), mask)
        best = emissions.argmax(-1).tolist()  # (N, L)
        return [row[:n] for row, n in zip(best, mask.long().sum(1).tolist())]
