"""A bag of hashed token n-grams (fastText's sentence vector, Joulin et al. 2017).

Each sequence is framed by a start and an end mark, its n-grams for every n in
``1..max_n`` are hashed into a fixed number of buckets, and the sequence's vector is
the mean of their embeddings::

    N a k a m u r a          framed: ^ N a k a m u r a $
    n = 1:  N  a  k  ...  a
    n = 2:  ^N  Na  ak  ...  ra  a$
    n = 3:  ^Na  Nak  ...  ura  ra$          -> hash % buckets -> embedding rows -> mean

With characters as tokens this is a learned version of the character n-gram
features that a linear baseline counts; the marks make prefixes and suffixes
(``^Mc``, ``ov$``) features of their own. The hash is a polynomial hash of the ids
modulo a prime, integer arithmetic only, so it is the same on every machine and
needs no vocabulary in the checkpoint; distinct n-grams that collide share a row.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

__all__ = ["NGramBag", "hashed_ngrams"]

_PRIME = 2_147_483_647  # 2**31 - 1: products with _BASE stay well inside int64
_BASE = 1_000_003


def hashed_ngrams(x: Tensor, lengths: Tensor, max_n: int, buckets: int) -> Tensor:
    """The bucket of every n-gram (n = 1..max_n) of each framed sequence.

    Returns (N, T) int64 with values in ``[0, buckets)`` for real n-grams and
    ``buckets`` for slots that reach past a sequence's end (padding), where
    ``T = sum over n of (L + 3 + extra - n)`` and ``extra = max(0, max_n - 3)``: padding
    columns, so that an n-gram longer than a framed one-token sequence (``^a$``) has a
    (padding) slot too.

    Shape:
        x: (N, L) int64 token ids >= 0, padded after each sequence.
        lengths: (N,) int64, each in [1, L].
    """
    N, L = x.shape
    lengths = lengths.to(x.device).unsqueeze(1)  # (N, 1)
    width = L + 2 + max(0, max_n - 3)  # framed, and room for max_n >= L + 2
    position = torch.arange(width, device=x.device).unsqueeze(0)  # (1, width)
    framed = torch.zeros(N, width, dtype=torch.long, device=x.device)  # 0: outside
    framed[:, 1 : L + 1] = x + 3  # ids from 3: 1 and 2 are the marks
    framed[:, 0] = 1  # ^
    framed = torch.where(position == lengths + 1, 2, framed)  # $
    framed = framed.masked_fill(position > lengths + 1, 0)
    pieces = []
    for n in range(1, max_n + 1):
        windows = framed.unfold(1, n, 1)  # (N, width + 1 - n, n)
        code = torch.full(windows.shape[:2], n, dtype=torch.long, device=x.device)
        for k in range(n):
            code = (code * _BASE + windows[..., k]) % _PRIME
        pieces.append((code % buckets).masked_fill((windows == 0).any(-1), buckets))
    return torch.cat(pieces, dim=1)  # (N, T)


class NGramBag(nn.Module):
    """The mean embedding of the hashed 1..max_n-grams of each sequence.

    Args:
        max_n: the longest n-gram, >= 1.
        buckets: rows of the hashed table, >= 1.
        embedding_dim: D.

    Shape:
        x: (N, L) int64 token ids, padded after each sequence.
        lengths: (N,) int64, each >= 1.
        Returns (N, D).

    Example:
        >>> bag = NGramBag(max_n=3, buckets=1000, embedding_dim=8)
        >>> bag(torch.tensor([[4, 5, 6], [7, 8, 0]]), torch.tensor([3, 2])).shape
        torch.Size([2, 8])
    """

    def __init__(self, max_n: int, buckets: int, embedding_dim: int) -> None:
        super().__init__()
        if max_n < 1 or buckets < 1:
            raise ConfigError(f"max_n and buckets must be >= 1, got {max_n} and {buckets}")
        self.max_n = max_n
        self.buckets = buckets
        # the extra last row is the padding slot: zero, and left out of the mean
        self.embedding = nn.EmbeddingBag(
            buckets + 1, embedding_dim, mode="mean", padding_idx=buckets
        )

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        return self.embedding(hashed_ngrams(x, lengths, self.max_n, self.buckets))  # (N, D)

    def extra_repr(self) -> str:
        return f"max_n={self.max_n}, buckets={self.buckets}"
