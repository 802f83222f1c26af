"""Linear-chain conditional random field (Lafferty et al. 2001) over per-token emissions.

The score of a tag sequence y_1..y_n under emissions e is

    s(y) = start[y_1] + sum_t e_t[y_t] + sum_{t>1} trans[y_{t-1}, y_t] + end[y_n]

and the model is p(y | e) = exp(s(y)) / Z with Z summed over all K^n sequences
by the forward algorithm; decoding takes the argmax by the Viterbi algorithm.
Masks are bool, True = real token, padding on the right only::

    mask  | T T T T |    a sequence of 4
          | T T . . |    a sequence of 2
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn._checks import check_bool, check_choice, check_positive_int

__all__ = ["CRF"]

_REDUCTIONS = ("sum", "mean", "token_mean", "none")


class CRF(nn.Module):
    """Linear-chain CRF with start and end transitions.

    Parameters: ``transitions`` (K, K) scores tag i -> tag j, ``start_transitions``
    (K) and ``end_transitions`` (K). The names, shapes and the
    ``forward``/``decode`` contract follow pytorch-crf, so its weights load here.

    Args:
        num_tags: number of tags K.
        batch_first: whether emissions are (N, L, K) rather than (L, N, K).

    Shape:
        - emissions: (L, N, K), or (N, L, K) if batch_first
        - tags: (L, N) or (N, L), int64
        - mask: (L, N) or (N, L) bool, True = real token; the first step must be
          real for every sequence. None means all real.
    """

    def __init__(self, num_tags: int, batch_first: bool = False) -> None:
        super().__init__()
        self.num_tags = check_positive_int("num_tags", num_tags)
        self.batch_first = check_bool("batch_first", batch_first)
        self.start_transitions = nn.Parameter(torch.empty(num_tags))
        self.end_transitions = nn.Parameter(torch.empty(num_tags))
        self.transitions = nn.Parameter(torch.empty(num_tags, num_tags))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """U(-0.1, 0.1), as pytorch-crf."""
        for p in self.parameters():
            nn.init.uniform_(p, -0.1, 0.1)

    def extra_repr(self) -> str:
        return f"num_tags={self.num_tags}, batch_first={self.batch_first}"

    def _time_major(self, emissions: Tensor, tags: Tensor | None, mask: Tensor | None):
        if emissions.dim() != 3 or emissions.shape[2] != self.num_tags:
            raise ConfigError(
                f"emissions must be 3-D with size(-1) == num_tags={self.num_tags}, "
                f"got shape {tuple(emissions.shape)}"
            )
        if self.batch_first:
            emissions = emissions.transpose(0, 1)
            tags = None if tags is None else tags.transpose(0, 1)
            mask = None if mask is None else mask.transpose(0, 1)
        L, N, _ = emissions.shape  # (L, N, K)
        if tags is not None and tuple(tags.shape) != (L, N):
            raise ConfigError(
                f"tags must have shape {(L, N)} (time-major), got {tuple(tags.shape)}"
            )
        if mask is None:
            mask = torch.ones(L, N, dtype=torch.bool, device=emissions.device)
        else:
            if tuple(mask.shape) != (L, N):
                raise ConfigError(
                    f"mask must have shape {(L, N)} (time-major), got {tuple(mask.shape)}"
                )
            mask = mask.bool()
            if L and not bool(mask[0].all()):
                raise ConfigError("mask must be True at the first step of every sequence")
        return emissions, tags, mask

    def forward(
        self, emissions: Tensor, tags: Tensor, mask: Tensor | None = None, reduction: str = "sum"
    ) -> Tensor:
        """Log-likelihood log p(tags | emissions), reduced by ``reduction``.

        ``reduction``: "sum" over the batch, "mean" over the batch, "token_mean"
        (sum divided by the number of real tokens) or "none" (one value per sequence, (N,)).
        """
        check_choice("reduction", reduction, _REDUCTIONS)
        emissions, tags, mask = self._time_major(emissions, tags, mask)
        llh = self._score(emissions, tags, mask) - self._log_partition(emissions, mask)  # (N,)
        if reduction == "none":
            return llh
        if reduction == "sum":
            return llh.sum()
        if reduction == "mean":
            return llh.mean()
        return llh.sum() / mask.float().sum()

    def log_partition(self, emissions: Tensor, mask: Tensor | None = None) -> Tensor:
        """log Z for each sequence, (N,), by the forward algorithm."""
        emissions, _, mask = self._time_major(emissions, None, mask)
        return self._log_partition(emissions, mask)

    def _score(self, emissions: Tensor, tags: Tensor, mask: Tensor) -> Tensor:
        L, N, _ = emissions.shape
        m = mask.to(emissions.dtype)  # (L, N)
        batch = torch.arange(N, device=emissions.device)
        score = self.start_transitions[tags[0]] + emissions[0, batch, tags[0]]  # (N,)
        for t in range(1, L):
            step = self.transitions[tags[t - 1], tags[t]] + emissions[t, batch, tags[t]]  # (N,)
            score = score + step * m[t]
        last = mask.long().sum(0) - 1  # (N,) index of each sequence's last real step
        return score + self.end_transitions[tags[last, batch]]

    def _log_partition(self, emissions: Tensor, mask: Tensor) -> Tensor:
        alpha = self.start_transitions + emissions[0]  # (N, K)
        for t in range(1, emissions.shape[0]):
            # (N, K_prev, 1) + (K_prev, K) + (N, 1, K) -> logsumexp over K_prev -> (N, K)
            nxt = torch.logsumexp(
                alpha.unsqueeze(2) + self.transitions + emissions[t].unsqueeze(1), 1
            )
            alpha = torch.where(mask[t].unsqueeze(1), nxt, alpha)
        return torch.logsumexp(alpha + self.end_transitions, 1)  # (N,)

    @torch.no_grad()
    def decode(self, emissions: Tensor, mask: Tensor | None = None) -> list[list[int]]:
        """The best tag sequence of each batch item by Viterbi, as lists of their true lengths."""
        paths, _ = self.viterbi(emissions, mask)
        lengths = (
            [paths.shape[1]] * paths.shape[0]
            if mask is None
            else (mask.long().sum(1 if self.batch_first else 0)).tolist()
        )
        return [row[:n] for row, n in zip(paths.tolist(), lengths)]

    @torch.no_grad()
    def viterbi(self, emissions: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """Viterbi decoding as tensors.

        Returns:
            paths (N, L) int64, padded with 0 after each sequence's end, and the
            best scores (N,), s(best path).
        """
        emissions, _, mask = self._time_major(emissions, None, mask)
        L, N, K = emissions.shape
        score = self.start_transitions + emissions[0]  # (N, K)
        backpointers = []
        for t in range(1, L):
            cand = score.unsqueeze(2) + self.transitions + emissions[t].unsqueeze(1)  # (N, K, K)
            best, idx = cand.max(1)  # (N, K) each
            score = torch.where(mask[t].unsqueeze(1), best, score)
            backpointers.append(idx)
        score = score + self.end_transitions
        best_score, best_last = score.max(1)  # (N,)
        lengths = mask.long().sum(0)  # (N,)
        paths = torch.zeros(N, L, dtype=torch.long, device=emissions.device)
        tag = best_last
        for t in range(L - 1, -1, -1):
            # at t >= length the sequence is padding: the tag is held, not written
            active = t < lengths  # (N,)
            is_last = t == lengths - 1
            tag = torch.where(is_last, best_last, tag)
            paths[:, t] = torch.where(active, tag, torch.zeros_like(tag))
            if t > 0:
                prev = backpointers[t - 1].gather(1, tag.unsqueeze(1)).squeeze(1)  # (N,)
                tag = torch.where(active, prev, tag)
        return paths, best_score
