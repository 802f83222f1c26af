"""The fixed-window feed-forward language model of Bengio et al. (2003).

"A Neural Probabilistic Language Model", JMLR 3: the previous C tokens are
embedded, concatenated and passed through one tanh layer; a linear layer over
the vocabulary gives the next token's logits::

    x_t      = [e(w_{t-C+1}); ...; e(w_t)]                  (C E,)
    logits_t = b + W x_t + U tanh(d + H x_t)                 (V,)

The direct connections ``W x_t`` of the paper are off by default
(``direct_connections=True`` adds them).
"""

from __future__ import annotations

import numbers

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError

__all__ = ["WindowLanguageModel"]


class WindowLanguageModel(nn.Module):
    """Predicts the next token from the last ``context`` tokens only.

    It follows the call contract of
    :class:`~rnnkit.models.language_model.RNNLanguageModel`, so the same trainer,
    evaluation and generation drive it. Its "state" is the last ``context``
    token ids read, which lets a contiguous stream cut into BPTT windows give
    every position its full window::

        state       x (this window)            windows (C = 3)
        [p q r] + [s t u v]  ->  position 0: [q r s]   ... position 3: [t u v]
                                 new state: [t u v]

    With ``state=None`` the window is left-padded with ``padding_idx`` (id 0 by
    default, the ``<pad>`` of :class:`~rnnkit.data.vocab.Vocab`), so the first
    tokens of a text are predicted from a window of padding and what came
    before them. The state is token ids: it carries no gradient.

    Args:
        vocab_size: V.
        context: C, the number of previous tokens the prediction sees (>= 1).
        embedding_dim: E.
        hidden_size: H, the width of the tanh layer.
        dropout: on the concatenated embeddings and on the hidden layer.
        tie_weights: share the embedding and decoder weights; a linear
            projection maps the hidden layer to E first when H != E.
        direct_connections: add the paper's linear map from the concatenated
            embeddings straight to the logits.
        padding_idx: the id that fills the window before the first token.

    Shape:
        x: (N, L) int64 token ids, batch first.
        state: (N, C) int64, the ids before ``x[:, 0]``, or None for padding.
        Returns ``(logits, state)`` with logits (N, L, V) and state (N, C).
    """

    def __init__(
        self,
        vocab_size: int,
        context: int = 5,
        embedding_dim: int = 64,
        hidden_size: int = 256,
        dropout: float = 0.0,
        *,
        tie_weights: bool = False,
        direct_connections: bool = False,
        padding_idx: int = 0,
    ) -> None:
        super().__init__()
        for name, value in (
            ("vocab_size", vocab_size),
            ("context", context),
            ("embedding_dim", embedding_dim),
            ("hidden_size", hidden_size),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"{name} must be a positive int, got {value!r}")
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, numbers.Real)
            or not 0.0 <= dropout <= 1.0
        ):
            raise ConfigError(f"dropout must be a number in [0, 1], got {dropout!r}")
        if (
            isinstance(padding_idx, bool)
            or not isinstance(padding_idx, int)
            or not 0 <= padding_idx < vocab_size
        ):
            raise ConfigError(
                f"padding_idx must be an int in [0, vocab_size={vocab_size}), got {padding_idx!r}"
            )
        self.vocab_size = vocab_size
        self.context = context
        self.padding_idx = padding_idx
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.hidden = nn.Linear(context * embedding_dim, hidden_size)
        out_features = hidden_size
        self.projection: nn.Module | None = None
        if tie_weights and hidden_size != embedding_dim:
            self.projection = nn.Linear(hidden_size, embedding_dim)
            out_features = embedding_dim
        self.decoder = nn.Linear(out_features, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight
        self.direct: nn.Linear | None = None
        if direct_connections:
            self.direct = nn.Linear(context * embedding_dim, vocab_size, bias=False)

    def initial_state(self, batch_size: int, device: torch.device | None = None) -> Tensor:
        """The state that ``state=None`` stands for: (N, C) filled with ``padding_idx``."""
        return torch.full(
            (batch_size, self.context), self.padding_idx, dtype=torch.long, device=device
        )

    def forward(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        N, L = x.shape
        C = self.context
        if state is None:
            state = self.initial_state(N, x.device)
        elif state.shape != (N, C):
            raise ValueError(
                f"state must have shape (N, context) = {(N, C)}, got {tuple(state.shape)}"
            )
        ids = torch.cat([state, x], dim=1)  # (N, C + L)
        windows = ids.unfold(1, C, 1)[:, 1:]  # (N, L, C): tokens t-C+1 .. t
        emb = self.dropout(self.embedding(windows).flatten(2))  # (N, L, C E)
        out = self.dropout(torch.tanh(self.hidden(emb)))  # (N, L, H)
        if self.projection is not None:
            out = self.projection(out)  # (N, L, E)
        logits = self.decoder(out)  # (N, L, V)
        if self.direct is not None:
            logits = logits + self.direct(emb)  # (N, L, V)
        return logits, ids[:, L:].contiguous()  # state (N, C)

    @torch.no_grad()
    def step(self, token: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One generation step from carried state.

        Shape:
            token: (N,) int64 -> logits (N, V), and the new state (N, C).
        """
        logits, state = self(token.unsqueeze(1), state)  # (N, 1, V)
        return logits[:, -1], state
