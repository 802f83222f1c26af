"""The sequence classifier (many-to-one): embedding -> recurrent stack -> pooling -> linear."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn import NGramBag, WordDropout, make_recurrent, masked_softmax

__all__ = ["SequenceClassifier", "POOLINGS"]

POOLINGS = ("last", "max", "mean", "attention")


class SequenceClassifier(nn.Module):
    """One label per sequence: ``"Nakamura"`` -> Japanese.

    ``embedding -> word dropout -> dropout -> recurrent stack (packed) -> pooling
    [+ bag of token n-grams] [+ bag of character n-grams] -> dropout -> linear``.

    The padded batch is packed (``enforce_sorted=False``), so the recurrent stack
    never reads a padding token and the result of an example does not depend on
    the batch it is in. The pooling turns the outputs of each sequence into one
    vector of size D*H:

    - ``last``: the final state of the last layer. Forward direction: its state
      after the last real token; backward direction: its state after reading back
      to the first token. With packing both are ``h_n``, concatenated
      ``[forward, backward]``::

          tokens       N  a  k  a  m  u  r  a  _  _     (_ = padding)
          forward   -> -> -> -> -> -> -> h_n[-2]           at the last real token
          backward  h_n[-1] <- <- <- <- <- <- <-            at the first token

    - ``max`` / ``mean``: over the real positions only (``mask``);
    - ``attention``: a learned weighted mean, ``score_t = v^T tanh(W out_t)``,
      softmax over the real positions (Yang et al., 2016).

    With ``ngrams = n > 0`` the mean embedding of the sequence's hashed 1..n-grams
    (:class:`~rnnkit.nn.NGramBag`, fastText's features) is concatenated to the pooled
    vector: the recurrent stack reads the order of the tokens, the bag counts the
    short pieces (for names, prefixes and suffixes such as ``^Mc`` or ``ov$``)
    that a linear baseline lives on.

    With ``char_ngrams = n > 0`` the mean embedding of the hashed character 1..n-grams of
    the whole text (its Unicode code points, ``chars``) is concatenated too: for tokens
    that are words, it reads what the words are made of (``-tion``, ``'s``, capitals,
    digits, quotes), in the words seen in training and in those that are not, as the
    character n-grams of a TF-IDF baseline do.

    Args:
        vocab_size: V, the number of token ids.
        num_classes: K.
        embedding_dim: E.
        hidden_size: H.
        num_layers: recurrent layers.
        cell: ``"rnn"``, ``"lstm"``, ``"gru"``, ``"mingru"`` or ``"minlstm"``.
        dropout: on the embeddings, between layers and before the output layer.
        bidirectional: D = 2 directions instead of 1.
        pooling: ``"last"``, ``"max"``, ``"mean"`` or ``"attention"``.
        word_dropout: in training, zero a token's whole embedding with this
            probability (the kept ones scaled by 1 / (1 - p)): the sequence is read with
            that token unknown, a cheap augmentation for short texts such as names.
        ngrams: the longest n-gram of the hashed bag (0: no bag).
        ngram_buckets: rows of each bag's hashed table.
        char_ngrams: the longest character n-gram of the text's bag (0: no bag).
        padding_idx: the id of ``<pad>``; its embedding stays zero.
        layer_norm: layer-normalised cells (``"lstm"`` and ``"gru"``).
        backend: ``"auto"``, ``"torch"`` or ``"scratch"`` (see :mod:`rnnkit.nn`).
        char_lm: a :class:`~rnnkit.models.char_lm.CharLMEmbedding` whose states of each
            token are concatenated to its embedding (None: none).

    Shape:
        x: (N, L) int64 token ids, batch first, padded after each sequence.
        lengths: (N,) int64 (CPU), each >= 1.
        chars (N, C) int64 code points padded after each text, char_lengths (N,) int64
        (each >= 1): with ``char_ngrams``, the texts' characters.
        lm_ids (2, N, S), lm_at (2, N, L): with ``char_lm``, as it takes them.
        Returns logits (N, K); :meth:`encode` returns the pooled vector (N, F), F = D*H
        (+ E for each bag).

    Example:
        >>> model = SequenceClassifier(30, 5, hidden_size=16)
        >>> model(torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2])).shape
        torch.Size([2, 5])
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        embedding_dim: int = 64,
        hidden_size: int = 128,
        num_layers: int = 1,
        cell: str = "gru",
        dropout: float = 0.0,
        *,
        bidirectional: bool = True,
        pooling: str = "last",
        word_dropout: float = 0.0,
        ngrams: int = 0,
        ngram_buckets: int = 2**16,
        char_ngrams: int = 0,
        padding_idx: int | None = 0,
        layer_norm: bool = False,
        backend: str = "auto",
        char_lm: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if vocab_size < 1:
            raise ConfigError(f"vocab_size must be >= 1, got {vocab_size}")
        if num_classes < 2:
            raise ConfigError(f"num_classes must be >= 2, got {num_classes}")
        if pooling not in POOLINGS:
            raise ConfigError(f"pooling must be one of {', '.join(POOLINGS)}; got {pooling!r}")
        self.num_classes = num_classes
        self.pooling = pooling
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.word_dropout = WordDropout(word_dropout)
        self.dropout = nn.Dropout(dropout)
        self.char_lm = char_lm
        self.rnn = make_recurrent(
            cell,
            embedding_dim + (char_lm.output_size if char_lm is not None else 0),
            hidden_size,
            num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
            layer_norm=layer_norm,
            backend=backend,
        )
        features = hidden_size * (2 if bidirectional else 1)  # D*H
        self.attention: nn.Module | None = None
        if pooling == "attention":
            self.attention = nn.Sequential(
                nn.Linear(features, features), nn.Tanh(), nn.Linear(features, 1, bias=False)
            )
        self.ngram_bag: NGramBag | None = None
        if ngrams:
            self.ngram_bag = NGramBag(ngrams, ngram_buckets, embedding_dim)
            features += embedding_dim
        self.char_bag: NGramBag | None = None
        if char_ngrams:
            self.char_bag = NGramBag(char_ngrams, ngram_buckets, embedding_dim)
            features += embedding_dim
        self.classifier = nn.Linear(features, num_classes)

    def encode(
        self,
        x: Tensor,
        lengths: Tensor,
        chars: Tensor | None = None,
        char_lengths: Tensor | None = None,
        lm_ids: Tensor | None = None,
        lm_at: Tensor | None = None,
    ) -> Tensor:
        """The pooled vector of each sequence, with its bags' vectors when there are."""
        N = x.size(0)
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        if lengths.shape != (N,):
            raise ConfigError(f"lengths must have shape ({N},), got {tuple(lengths.shape)}")
        if N and int(lengths.min()) < 1:
            raise ConfigError(f"every sequence needs length >= 1, got {lengths.tolist()}")
        parts = [self._pool(x, lengths, lm_ids, lm_at)]  # (N, D*H)
        if self.ngram_bag is not None:
            parts.append(self.ngram_bag(x, lengths))  # (N, E)
        if self.char_bag is not None:
            if chars is None or char_lengths is None:
                raise ConfigError("this classifier reads the texts' characters: pass chars")
            parts.append(self.char_bag(chars, torch.as_tensor(char_lengths)))  # (N, E)
        return torch.cat(parts, dim=-1)  # (N, F)

    def _pool(self, x: Tensor, lengths: Tensor, lm_ids=None, lm_at=None) -> Tensor:
        """The recurrent stack's outputs pooled into one vector per sequence: (N, D*H).

        ``lengths`` is a checked (N,) int64 CPU tensor.
        """
        L = x.size(1)
        emb = self.word_dropout(self.embedding(x))  # (N, L, E)
        if self.char_lm is not None:
            if lm_ids is None or lm_at is None:
                raise ConfigError("this model reads character LM states: pass lm_ids and lm_at")
            emb = torch.cat([emb, self.char_lm(lm_ids, lm_at)], dim=-1)  # (N, L, E + F)
        emb = self.dropout(emb)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        if self.pooling == "last":
            h_n = state[0] if isinstance(state, tuple) else state  # (D*num_layers, N, H)
            if self.rnn.bidirectional:
                return torch.cat([h_n[-2], h_n[-1]], dim=-1)  # (N, 2H): forward, backward
            return h_n[-1]  # (N, H)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=L)  # (N, L, D*H)
        mask = (torch.arange(L).unsqueeze(0) < lengths.unsqueeze(1)).to(x.device)  # (N, L)
        if self.pooling == "max":
            return out.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)  # (N, D*H)
        if self.pooling == "mean":
            total = (out * mask.unsqueeze(-1)).sum(dim=1)  # (N, D*H)
            return total / lengths.to(out.device, out.dtype).unsqueeze(-1)
        scores = self.attention(out).squeeze(-1)  # (N, L)
        weights = masked_softmax(scores, mask)  # (N, L)
        return torch.bmm(weights.unsqueeze(1), out).squeeze(1)  # (N, D*H)

    def forward(
        self,
        x: Tensor,
        lengths: Tensor,
        chars: Tensor | None = None,
        char_lengths: Tensor | None = None,
        lm_ids: Tensor | None = None,
        lm_at: Tensor | None = None,
    ) -> Tensor:
        pooled = self.encode(x, lengths, chars, char_lengths, lm_ids, lm_at)  # (N, F)
        return self.classifier(self.dropout(pooled))  # (N, K)
