"""Attention over a sequence of keys: additive (Bahdanau) and multiplicative (Luong).

Both return ``(context, weights)``: the weights are a softmax of the scores over
the S source positions, and the context is the weighted sum of the values.
Masks are bool, True = real token; a masked position gets exactly zero weight,
and a query whose keys are all masked gets all-zero weights and a zero context.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn._checks import check_bool, check_choice, check_positive_int

__all__ = ["AdditiveAttention", "MultiplicativeAttention", "masked_softmax"]


def masked_softmax(scores: Tensor, mask: Tensor | None) -> Tensor:
    """Softmax over the last dim; positions where ``mask`` is False get weight exactly 0.

    ``mask`` broadcasts against ``scores``; a row with no True gives all zeros.
    """
    if mask is None:
        return torch.softmax(scores, -1)
    mask = mask.bool()
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), -1)
    return weights.masked_fill(~mask, 0.0)  # also clears the NaN of fully masked rows


class _AttentionBase(nn.Module):
    def _attend(
        self, scores: Tensor, values: Tensor, mask: Tensor | None, squeeze: bool
    ) -> tuple[Tensor, Tensor]:
        N, L_q, S = scores.shape
        if mask is not None:
            if tuple(mask.shape) != (N, S):
                raise ConfigError(f"mask must have shape {(N, S)} (N, S), got {tuple(mask.shape)}")
            mask = mask.unsqueeze(1)  # (N, 1, S)
        weights = masked_softmax(scores, mask)  # (N, L_q, S)
        context = weights @ values  # (N, L_q, H_v)
        if squeeze:
            return context.squeeze(1), weights.squeeze(1)
        return context, weights

    @staticmethod
    def _check(query: Tensor, keys: Tensor, values: Tensor | None) -> tuple[Tensor, Tensor, bool]:
        if query.dim() not in (2, 3) or keys.dim() != 3:
            raise ConfigError(
                "query must be (N, H_q) or (N, L_q, H_q) and keys (N, S, H_k), got shapes "
                f"{tuple(query.shape)} and {tuple(keys.shape)}"
            )
        values = keys if values is None else values
        if values.shape[:2] != keys.shape[:2] or query.shape[0] != keys.shape[0]:
            raise ConfigError(
                f"query, keys and values must share N (and keys/values S), got shapes "
                f"{tuple(query.shape)}, {tuple(keys.shape)}, {tuple(values.shape)}"
            )
        squeeze = query.dim() == 2
        return (query.unsqueeze(1) if squeeze else query), values, squeeze


class AdditiveAttention(_AttentionBase):
    r"""Additive attention (Bahdanau et al. 2015).

    .. math::
        \mathrm{score}(q, k_s) = v^\top \tanh(W_q q + W_k k_s + b), \qquad
        a = \mathrm{softmax}_s(\mathrm{score}), \qquad c = \sum_s a_s v_s

    Args:
        query_size: H_q. key_size: H_k. hidden_size: size of the tanh layer.

    Shape:
        - query: (N, H_q) or (N, L_q, H_q)
        - keys: (N, S, H_k); values: (N, S, H_v), default keys
        - mask: (N, S) bool, True = real token
        - context: (N, H_v) or (N, L_q, H_v); weights: (N, S) or (N, L_q, S)
    """

    def __init__(self, query_size: int, key_size: int, hidden_size: int) -> None:
        super().__init__()
        check_positive_int("query_size", query_size)
        check_positive_int("key_size", key_size)
        check_positive_int("hidden_size", hidden_size)
        self.query_proj = nn.Linear(query_size, hidden_size, bias=False)
        self.key_proj = nn.Linear(key_size, hidden_size)
        self.v = nn.Linear(hidden_size, 1, bias=False)

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor | None = None, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        query, values, squeeze = self._check(query, keys, values)
        q = self.query_proj(query).unsqueeze(2)  # (N, L_q, 1, A)
        k = self.key_proj(keys).unsqueeze(1)  # (N, 1, S, A)
        scores = self.v(torch.tanh(q + k)).squeeze(-1)  # (N, L_q, S)
        return self._attend(scores, values, mask, squeeze)


class MultiplicativeAttention(_AttentionBase):
    r"""Multiplicative attention (Luong et al. 2015), "dot" or "general" score.

    .. math::
        \mathrm{score}(q, k_s) = q^\top k_s \;\text{(dot)} \quad\text{or}\quad
        q^\top W k_s \;\text{(general)}, \qquad a = \mathrm{softmax}_s(\mathrm{score} / \tau)

    with :math:`\tau = \sqrt{H_q}` if ``scaled`` (Vaswani et al. 2017), else 1.

    Args:
        query_size: H_q. key_size: H_k (must equal H_q for "dot").
        score: "general" (default) or "dot".
        scaled: divide scores by sqrt(H_q).

    Shape:
        - query: (N, H_q) or (N, L_q, H_q)
        - keys: (N, S, H_k); values: (N, S, H_v), default keys
        - mask: (N, S) bool, True = real token
        - context: (N, H_v) or (N, L_q, H_v); weights: (N, S) or (N, L_q, S)
    """

    def __init__(
        self, query_size: int, key_size: int, *, score: str = "general", scaled: bool = False
    ) -> None:
        super().__init__()
        self.query_size = check_positive_int("query_size", query_size)
        self.key_size = check_positive_int("key_size", key_size)
        self.score = check_choice("score", score, ("general", "dot"))
        self.scaled = check_bool("scaled", scaled)
        if score == "dot" and query_size != key_size:
            raise ConfigError(
                f"score='dot' needs query_size == key_size, got {query_size} and {key_size}"
            )
        self.weight = nn.Linear(key_size, query_size, bias=False) if score == "general" else None

    def forward(
        self, query: Tensor, keys: Tensor, values: Tensor | None = None, mask: Tensor | None = None
    ) -> tuple[Tensor, Tensor]:
        query, values, squeeze = self._check(query, keys, values)
        k = keys if self.weight is None else self.weight(keys)  # (N, S, H_q)
        scores = query @ k.transpose(1, 2)  # (N, L_q, S)
        if self.scaled:
            scores = scores / math.sqrt(self.query_size)
        return self._attend(scores, values, mask, squeeze)

    def extra_repr(self) -> str:
        return f"{self.query_size}, {self.key_size}, score={self.score!r}, scaled={self.scaled}"
