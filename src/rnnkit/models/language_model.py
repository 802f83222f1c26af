"""The recurrent language model: embedding -> recurrent stack -> linear over the vocabulary."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn import make_recurrent

__all__ = ["RNNLanguageModel"]


class RNNLanguageModel(nn.Module):
    """Predicts the next token from the tokens so far.

    ``embedding -> dropout -> recurrent stack (dropout between layers) -> dropout
    -> [projection] -> decoder``. Dropout is never applied to the recurrent links.
    With ``tie_weights`` the decoder shares the embedding matrix (Press & Wolf,
    2017); when ``hidden_size != embedding_dim`` a linear projection maps the
    hidden state to the embedding size first.

    Args:
        vocab_size: V, the number of token ids.
        embedding_dim: E.
        hidden_size: H.
        num_layers: recurrent layers.
        cell: ``"rnn"``, ``"lstm"``, ``"gru"``, ``"mingru"`` or ``"minlstm"``.
        dropout: on the embeddings, between layers and before the output.
        tie_weights: share the embedding and decoder weights.
        layer_norm: layer-normalised cells.
        backend: ``"auto"``, ``"torch"`` or ``"scratch"`` (see :mod:`rnnkit.nn`).

    Shape:
        x: (N, L) int64 token ids, batch first.
        state: the recurrent module's state, or None for zeros.
        Returns ``(logits, state)`` with logits (N, L, V).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int = 64,
        hidden_size: int = 512,
        num_layers: int = 2,
        cell: str = "lstm",
        dropout: float = 0.0,
        *,
        tie_weights: bool = False,
        layer_norm: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if vocab_size < 1:
            raise ConfigError(f"vocab_size must be >= 1, got {vocab_size}")
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.dropout = nn.Dropout(dropout)
        self.rnn = make_recurrent(
            cell,
            embedding_dim,
            hidden_size,
            num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            batch_first=True,
            layer_norm=layer_norm,
            backend=backend,
        )
        out_features = hidden_size
        self.projection: nn.Module | None = None
        if tie_weights and hidden_size != embedding_dim:
            self.projection = nn.Linear(hidden_size, embedding_dim)
            out_features = embedding_dim
        self.decoder = nn.Linear(out_features, vocab_size)
        if tie_weights:
            self.decoder.weight = self.embedding.weight

    def forward(self, x: Tensor, state=None) -> tuple[Tensor, object]:
        emb = self.dropout(self.embedding(x))  # (N, L, E)
        out, state = self.rnn(emb, state)  # (N, L, H)
        out = self.dropout(out)
        if self.projection is not None:
            out = self.projection(out)  # (N, L, E)
        return self.decoder(out), state  # (N, L, V)

    @torch.no_grad()
    def step(self, token: Tensor, state=None) -> tuple[Tensor, object]:
        """One generation step from carried state: :meth:`forward` on one token,
        through the recurrent stack's ``step`` (no time axis to add and remove).

        Shape:
            token: (N,) int64 -> logits (N, V), and the new state.
        """
        out = self.embedding(token)  # (N, E)
        if self.training:  # the identity in eval mode, where generation runs: not called per token
            out = self.dropout(out)
        out, state = self.rnn.step(out, state)  # (N, H)
        if self.training:
            out = self.dropout(out)
        if self.projection is not None:
            out = self.projection(out)  # (N, E)
        return self.decoder(out), state  # (N, V)
