"""Greedy and beam search for decoders that take one step at a time.

Both work on a whole batch at once: no Python loop over the examples, one call
of ``step`` per output position. A decoder is described by two functions:

- ``step(tokens, state) -> (log_probs, state)``: tokens (N,) int64, the last
  token of each row; log_probs (N, V), log-probabilities of the next token
  (N is the number of rows: the batch, or batch * K in beam search);
- ``select(state, index) -> state``: the rows ``index`` (N',) of a state, in
  that order (to follow the surviving beams, or to copy each example K times).

The search stops when every row has produced ``eos_id`` or after
``max_length`` tokens (the guard against a model that never stops); a row cut
by the guard keeps what it has.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from rnnkit.errors import ConfigError

__all__ = ["greedy_search", "beam_search", "length_normalized"]

Step = Callable[[Tensor, Any], tuple[Tensor, Any]]
Select = Callable[[Any, Tensor], Any]


BEAM_MAX = 1000  # wider beams keep beam x batch rows of state and gain nothing measurable


def _check(max_length: int, beam_size: int = 1) -> None:
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1:
        raise ConfigError(f"max_length must be a positive integer, got {max_length!r}")
    if (
        isinstance(beam_size, bool)
        or not isinstance(beam_size, int)
        or not 1 <= beam_size <= BEAM_MAX
    ):
        raise ConfigError(f"beam size must be an integer in [1, {BEAM_MAX}], got {beam_size!r}")


def _strip(rows: Tensor, eos_id: int) -> list[list[int]]:
    out = []
    for row in rows.tolist():
        out.append(row[: row.index(eos_id)] if eos_id in row else row)
    return out


def length_normalized(score: Tensor, length: Tensor, alpha: float) -> Tensor:
    """``score / length ** alpha``: the sum of log-probabilities per token when
    ``alpha`` is 1, the raw sum when it is 0 (which favours short outputs)."""
    return score / length.clamp(min=1).to(score.dtype) ** alpha


@torch.no_grad()
def greedy_search(
    step: Step,
    state: Any,
    *,
    batch_size: int,
    bos_id: int,
    eos_id: int,
    max_length: int,
    device: torch.device | str = "cpu",
) -> list[list[int]]:
    """The most likely next token at each step, for ``batch_size`` rows at once.

    Returns one list of ids per row, without ``<bos>`` and ``<eos>``.
    """
    _check(max_length)
    N = batch_size
    y = torch.full((N,), bos_id, dtype=torch.long, device=device)  # (N,)
    done = torch.zeros(N, dtype=torch.bool, device=device)
    out = []
    for _ in range(max_length):
        log_probs, state = step(y, state)  # (N, V)
        y = log_probs.argmax(-1).masked_fill(done, eos_id)  # (N,)
        out.append(y)
        done |= y == eos_id
        if bool(done.all()):
            break
    return _strip(torch.stack(out, dim=1), eos_id)  # (N, T_out)


@torch.no_grad()
def beam_search(
    step: Step,
    state: Any,
    select: Select,
    *,
    batch_size: int,
    beam_size: int,
    bos_id: int,
    eos_id: int,
    max_length: int,
    length_penalty: float = 1.0,
    device: torch.device | str = "cpu",
) -> tuple[list[list[int]], list[float]]:
    """Keep the ``beam_size`` best partial outputs of each row; return the best finished one.

    Partial outputs are ranked by :func:`length_normalized` scores (log-probability
    sum / length ** ``length_penalty``, the length counting ``<eos>``), so a short
    output does not win merely by being short. A finished output keeps its score
    and its place among the K as long as no growing one ranks above it; the
    search stops when the K best of every row have all ended (or at
    ``max_length``). With ``beam_size=1`` this is :func:`greedy_search`.

    Returns:
        (ids, scores): per row, the best output without ``<bos>``/``<eos>`` and its
        normalised score.
    """
    _check(max_length, beam_size)
    N, K = batch_size, beam_size
    flat = torch.arange(N, device=device).repeat_interleave(K)  # (N*K,) example of each beam
    state = select(state, flat)
    y = torch.full((N * K,), bos_id, dtype=torch.long, device=device)
    scores = torch.full((N, K), float("-inf"), device=device)
    scores[:, 0] = 0.0  # all beams start equal: keep one, or the first step picks K copies
    lengths = torch.zeros(N, K, dtype=torch.long, device=device)
    done = torch.zeros(N, K, dtype=torch.bool, device=device)
    history = torch.empty(N, K, 0, dtype=torch.long, device=device)
    for _ in range(max_length):
        log_probs, state = step(y, state)  # (N*K, V)
        V = log_probs.size(-1)
        log_probs = log_probs.float().view(N, K, V)
        finished = done.unsqueeze(-1)  # (N, K, 1): a finished beam only repeats <eos> at no cost
        stay = torch.full_like(log_probs, float("-inf"))
        stay[..., eos_id] = 0.0
        log_probs = torch.where(finished, stay, log_probs)
        candidate = scores.unsqueeze(-1) + log_probs  # (N, K, V)
        new_length = (lengths + (~done).long()).unsqueeze(-1).expand(N, K, V)  # (N, K, V)
        ranked = length_normalized(candidate, new_length, length_penalty).view(N, K * V)
        top = ranked.topk(K, dim=-1).indices  # (N, K)
        beam, token = top // V, top % V  # (N, K) each
        scores = candidate.view(N, K * V).gather(1, top)
        lengths = new_length.reshape(N, K * V).gather(1, top)
        done = done.gather(1, beam) | (token == eos_id)
        kept = history.gather(1, beam.unsqueeze(-1).expand_as(history))  # (N, K, t - 1)
        history = torch.cat([kept, token.unsqueeze(-1)], dim=-1)  # (N, K, t)
        rows = (torch.arange(N, device=device).unsqueeze(1) * K + beam).view(-1)  # (N*K,)
        state = select(state, rows)
        y = token.view(-1)
        if bool(done.all()):
            break
    final = length_normalized(scores, lengths, length_penalty)  # (N, K)
    best = final.argmax(-1)  # (N,)
    ids = history[torch.arange(N, device=device), best]  # (N, T_out)
    return _strip(ids, eos_id), final.gather(1, best.unsqueeze(1)).squeeze(1).tolist()
