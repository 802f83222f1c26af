"""Sampling from language models: temperature, top-k, top-p, greedy; streamed.

Generation carries the recurrent state (as char-rnn does): the prompt is read
once to prime the state, then each new token costs one step, never a re-read of
the prefix.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

__all__ = ["gumbel_noise", "sample_next", "stream_generate", "module_device"]


def module_device(module: nn.Module) -> torch.device:
    """The device of a module's first parameter or buffer (CPU for neither)."""
    for tensor in (*module.parameters(), *module.buffers()):
        return tensor.device
    return torch.device("cpu")


def gumbel_noise(
    shape: tuple[int, ...],
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> Tensor:
    """Independent Gumbel(0, 1) draws, -log(E) with E ~ Exp(1) (E kept above 0, so
    the noise is finite)."""
    e = torch.empty(shape, device=device).exponential_(generator=generator)
    return e.clamp_(min=torch.finfo(e.dtype).tiny).log_().neg_()


def sample_next(
    logits: Tensor,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    generator: torch.Generator | None = None,
    noise: Tensor | None = None,
) -> Tensor:
    """Draw one id per row.

    ``temperature == 0`` is greedy (argmax). ``top_k`` keeps the k most likely
    ids; ``top_p`` keeps the smallest set whose probability reaches p. The draw
    is the Gumbel-max trick: with G_i ~ Gumbel(0, 1), argmax_i (logits_i / T + G_i)
    is i with probability softmax(logits / T)_i.

    Args:
        noise: (N, V), added to the logits before the argmax instead of noise
            drawn from ``generator``: Gumbel noise when sampling, zeros when greedy;
            ids at -inf in it are never drawn (and out before top-k and top-p
            choose). :func:`stream_generate` draws it a block of steps at a time,
            with the suppressed ids set to -inf.

    Shape:
        logits: (N, V) -> (N,) int64
    """
    if not temperature >= 0:  # NaN too
        raise ConfigError(f"temperature must be >= 0, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ConfigError(f"top_k must be >= 1, got {top_k}")
    if top_p is not None and not 0.0 < top_p <= 1.0:
        raise ConfigError(f"top_p must be in (0, 1], got {top_p}")
    if temperature == 0:
        return logits.argmax(dim=-1) if noise is None else (logits + noise).argmax(dim=-1)
    logits = logits.float()  # (N, V)
    if temperature != 1.0:
        scaled = logits / temperature
        if (scaled.isnan() | (scaled.isinf() & logits.isfinite())).any():
            # T so small that logits / T overflow float32 (or T itself rounds to 0 in it):
            # the draw is then the limit T -> 0, greedy among the ids the noise allows
            if noise is not None:
                logits = logits.masked_fill(noise.isneginf(), float("-inf"))
            return logits.argmax(dim=-1)
        logits = scaled
    if noise is not None and (top_k is not None or top_p is not None):
        logits = logits.masked_fill(noise.isneginf(), float("-inf"))  # out before the filters
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]  # (N, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, descending=True, dim=-1)  # (N, V)
        probs = sorted_logits.softmax(dim=-1)
        drop = probs.cumsum(dim=-1) - probs >= top_p  # keep the first that crosses p
        drop[:, 0] = False  # and the most likely always (a p that rounds to 0 in float32)
        sorted_logits = sorted_logits.masked_fill(drop, float("-inf"))
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    if noise is None:
        noise = gumbel_noise(logits.shape, generator, logits.device)  # (N, V)
    return (logits + noise).argmax(dim=-1)  # (N,)


def _noise_rows(
    vocab_size: int,
    greedy: bool,
    suppress_ids: Sequence[int],
    generator: torch.Generator,
    device: torch.device,
    block: int = 64,
) -> Iterator[Tensor]:
    """Endless (1, V) rows of :func:`sample_next`'s ``noise`` (zeros when greedy), -inf
    at the suppressed ids, drawn ``block`` steps at a time: a call per token costs more
    than the draw. The rows from one seed do not depend on ``max_new``, so a shorter
    text is a prefix of a longer one."""
    suppress = torch.tensor(list(suppress_ids), dtype=torch.long, device=device)
    while True:
        if greedy:
            rows = torch.zeros(block, 1, vocab_size, device=device)
        else:
            rows = gumbel_noise((block, 1, vocab_size), generator, device)  # (block, 1, V)
        rows[..., suppress] = float("-inf")
        yield from rows


@torch.no_grad()
def stream_generate(
    model: nn.Module,
    prompt_ids: Sequence[int],
    max_new: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop_ids: Sequence[int] = (),
    suppress_ids: Sequence[int] = (),
) -> Iterator[int]:
    """Yield ``max_new`` new ids, one at a time, from a model with carried state.

    ``model(x, state) -> (logits, state)`` with x (1, L) reads the prompt once;
    ``model.step(token, state) -> (logits, state)`` with token (1,) and logits
    (1, V) then advances one token. The model is put in eval mode for the
    duration and restored after. ``suppress_ids`` are never drawn (for example
    ``<pad>`` and ``<unk>``); generation stops after a ``stop_ids`` id.
    """
    if max_new < 0:
        raise ConfigError(f"max_new must be >= 0, got {max_new}")
    if not prompt_ids:
        raise ConfigError("generation needs at least one prompt token")
    device = module_device(model)
    generator = torch.Generator(device=device)
    if seed is None:
        generator.seed()
    else:
        generator.manual_seed(seed)
    was_training = model.training
    model.eval()
    try:
        x = torch.tensor([list(prompt_ids)], dtype=torch.long, device=device)  # (1, L)
        logits, state = model(x)  # prime once: (1, L, V)
        last = logits[:, -1]  # (1, V)
        noise = _noise_rows(last.shape[-1], temperature == 0, suppress_ids, generator, device)
        for i in range(max_new):
            token = sample_next(
                last, temperature=temperature, top_k=top_k, top_p=top_p, noise=next(noise)
            )  # (1,)
            token_id = int(token)
            yield token_id
            if token_id in stop_ids or i + 1 == max_new:
                return
            last, state = model.step(token, state)  # one step: (1, V)
    finally:
        model.train(was_training)
