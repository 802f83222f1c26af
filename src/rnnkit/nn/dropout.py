"""Dropout for sequences: locked (variational) dropout and word dropout.

Locked dropout (Gal & Ghahramani 2016; Merity et al. 2018, "AWD-LSTM") draws one
mask per sequence and feature and applies it at every time step::

    ordinary dropout           locked dropout          (x = kept, . = zeroed)
    t=0 | x . x x |            t=0 | x . x x |
    t=1 | . x x . |            t=1 | x . x x |
    t=2 | x x . x |            t=2 | x . x x |

Word dropout drops whole tokens: the embedding vector of a dropped token is
zeroed (Gal & Ghahramani 2016, sec. 4.2; Iyyer et al. 2015), or, on token ids,
the id is replaced by an unknown-word id.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence

from rnnkit.errors import ConfigError
from rnnkit.nn._checks import check_bool, check_probability

__all__ = ["LockedDropout", "WordDropout", "locked_dropout", "locked_dropout_packed"]


def _keep_mask(shape: tuple[int, ...], p: float, like: Tensor) -> Tensor:
    """Bernoulli(1 - p) mask scaled by 1 / (1 - p); all zeros when p == 1."""
    if p >= 1.0:
        return like.new_zeros(shape)
    return like.new_empty(shape).bernoulli_(1.0 - p).div_(1.0 - p)


def locked_dropout(x: Tensor, p: float, training: bool, batch_first: bool = False) -> Tensor:
    """Dropout with one mask per sequence shared by all steps; x is (L, N, F) or (N, L, F)."""
    if not training or p == 0.0:
        return x
    if x.dim() != 3:
        raise ConfigError(f"locked dropout expects a 3-D input, got shape {tuple(x.shape)}")
    N, F = (x.shape[0], x.shape[2]) if batch_first else (x.shape[1], x.shape[2])
    shape = (N, 1, F) if batch_first else (1, N, F)
    return x * _keep_mask(shape, p, x)


def locked_dropout_packed(data: Tensor, batch_sizes: Tensor, p: float, training: bool) -> Tensor:
    """Locked dropout on the data of a PackedSequence, (T, F) rows with ``batch_sizes`` per step."""
    if not training or p == 0.0:
        return data
    sizes = batch_sizes.tolist()
    mask = _keep_mask((sizes[0], data.shape[1]), p, data)  # (N, F), sorted batch order
    rows = torch.cat([torch.arange(b, device=data.device) for b in sizes])  # (T,) batch index
    return data * mask[rows]


class LockedDropout(nn.Module):
    """Variational dropout: the same mask at every time step of a sequence.

    Args:
        p: probability of zeroing a feature, in [0, 1].
        batch_first: whether tensor input is (N, L, F) rather than (L, N, F).

    Shape:
        - input: (L, N, F), (N, L, F) if batch_first, or a PackedSequence
        - output: same as input
    """

    def __init__(self, p: float = 0.5, batch_first: bool = False) -> None:
        super().__init__()
        self.p = check_probability("p", p)
        self.batch_first = check_bool("batch_first", batch_first)

    def forward(self, input: Tensor | PackedSequence) -> Tensor | PackedSequence:
        if isinstance(input, PackedSequence):
            data = locked_dropout_packed(input.data, input.batch_sizes, self.p, self.training)
            return input._replace(data=data)
        return locked_dropout(input, self.p, self.training, self.batch_first)

    def extra_repr(self) -> str:
        return f"p={self.p}, batch_first={self.batch_first}"


class WordDropout(nn.Module):
    """Drop whole tokens with probability ``p`` during training.

    On float input (..., E), a dropped token's vector becomes zero and the kept
    ones are scaled by 1 / (1 - p), so evaluation needs no rescaling. On integer
    token ids, a dropped id is replaced by ``unk_index`` (never scaled); ids
    equal to ``pad_index`` are never dropped.

    Args:
        p: probability of dropping a token, in [0, 1].
        unk_index: replacement id; required for integer input.
        pad_index: id left untouched (padding), optional.

    Shape:
        - input: (..., E) float, or (...) integer ids
        - output: same as input
    """

    def __init__(
        self, p: float = 0.1, *, unk_index: int | None = None, pad_index: int | None = None
    ) -> None:
        super().__init__()
        self.p = check_probability("p", p)
        self.unk_index = unk_index
        self.pad_index = pad_index

    def forward(self, input: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return input
        if input.is_floating_point():
            return input * _keep_mask((*input.shape[:-1], 1), self.p, input)
        if self.unk_index is None:
            raise ConfigError(
                "WordDropout on integer token ids needs unk_index, got unk_index=None"
            )
        drop = torch.rand(input.shape, device=input.device) < self.p
        if self.pad_index is not None:
            drop &= input != self.pad_index
        return input.masked_fill(drop, self.unk_index)

    def extra_repr(self) -> str:
        return f"p={self.p}, unk_index={self.unk_index}, pad_index={self.pad_index}"
