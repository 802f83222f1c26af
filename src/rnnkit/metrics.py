"""Metrics shared by tasks and benchmarks. Losses are in nats per token."""

from __future__ import annotations

import math

__all__ = ["perplexity", "bits_per_token"]


def perplexity(loss: float) -> float:
    """exp(loss) for a mean loss in nats per token (inf past float range)."""
    return math.exp(loss) if loss < 700 else math.inf


def bits_per_token(loss: float) -> float:
    """A mean loss in nats per token, in bits (bits per char for a char-level model)."""
    return loss / math.log(2)
