"""Contextual string embeddings (Akbik et al., COLING 2018): a word as the states of a
forward and a backward character language model over its whole sentence.

The sentence is one string (its words joined by spaces, or the text itself), and each
LM reads it with a new line in front, as a line of its training text starts::

    text        \\n  S u n g _ K i m _ t e a c h e s          (_ = space)
    forward     -> -> -> -> h ...  -> h ...                  h after the word's last char
    backward    h <- <- ... h <- <- <- <- <- <- <- <- <- \\n   h after the word's first char
                                                             (reading right to left)

The backward LM reads the reversed text (it was trained on reversed text: ``rnnkit
train lm --reverse``). Each word gets ``[h_fw; h_bw]``: the forward state has read
the word and everything before it, the backward state the word and everything after.
Both LMs run on right-padded rows without packing: they are causal, so a position
never reads the padding after it.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn import make_recurrent

__all__ = ["LMEncoder", "CharLMEmbedding"]


class LMEncoder(nn.Module):
    """The embedding and recurrent stack of :class:`~rnnkit.models.RNNLanguageModel`,
    without its decoder: the hidden states of the top layer.

    Its parameter names are the language model's (``embedding.weight``,
    ``rnn.weight_ih_l0``, ...), so a language model's state_dict loads into it once
    the decoder's keys are left out.

    Args:
        vocab_size, embedding_dim, hidden_size, num_layers, cell, dropout, layer_norm,
        backend: as the language model was built.

    Shape:
        x: (N, S) int64 ids, right-padded. Returns (N, S, H).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        num_layers: int = 1,
        cell: str = "lstm",
        dropout: float = 0.0,
        *,
        layer_norm: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if vocab_size < 1:
            raise ConfigError(f"vocab_size must be >= 1, got {vocab_size}")
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
        self.hidden_size = hidden_size

    def forward(self, x: Tensor) -> Tensor:
        emb = self.dropout(self.embedding(x))  # (N, S, E)
        out, _ = self.rnn(emb)  # (N, S, H)
        return out


class CharLMEmbedding(nn.Module):
    """Each word's ``[forward state after its last char; backward state after its first]``.

    Args:
        forward_lm: the forward LM's encoder.
        backward_lm: the backward LM's encoder (trained on reversed text).
        fine_tune: train the LMs with the model; else (the default) they are frozen:
            no gradient, always in eval mode (no dropout), run under ``torch.no_grad``.

    Shape:
        ids: (2, N, S) int64, the forward LM's ids of each text (row 0) and the backward
        LM's ids of the reversed text (row 1), each right-padded with 0.
        at: (2, N, L) int64, the position in row 0 of each word's last character and
        in row 1 of its first (any value at padding words).
        Returns (N, L, H_fw + H_bw).

    Example:
        >>> emb = CharLMEmbedding(LMEncoder(10, 4, 6), LMEncoder(10, 4, 5))
        >>> ids = torch.randint(1, 10, (2, 3, 12))  # (2, N, S)
        >>> at = torch.randint(0, 12, (2, 3, 4))  # (2, N, L)
        >>> emb(ids, at).shape
        torch.Size([3, 4, 11])
    """

    def __init__(self, forward_lm: LMEncoder, backward_lm: LMEncoder, *, fine_tune: bool = False):
        super().__init__()
        self.forward_lm = forward_lm
        self.backward_lm = backward_lm
        self.fine_tune = fine_tune
        self.output_size = forward_lm.hidden_size + backward_lm.hidden_size
        if not fine_tune:
            self.requires_grad_(False)
            self.eval()

    def train(self, mode: bool = True) -> CharLMEmbedding:
        """Frozen LMs stay in eval mode (no dropout) whatever the model around them does."""
        super().train(mode and self.fine_tune)
        self.training = mode
        return self

    def forward(self, ids: Tensor, at: Tensor) -> Tensor:
        if ids.dim() != 3 or ids.size(0) != 2 or at.dim() != 3 or at.size(0) != 2:
            raise ConfigError(
                f"ids must be (2, N, S) and at (2, N, L), got {tuple(ids.shape)} and "
                f"{tuple(at.shape)}"
            )
        with torch.set_grad_enabled(self.fine_tune and torch.is_grad_enabled()):
            states = []
            for lm, row_ids, row_at in zip((self.forward_lm, self.backward_lm), ids, at):
                out = lm(row_ids)  # (N, S, H)
                index = row_at.clamp(0, out.size(1) - 1).unsqueeze(-1)  # (N, L, 1)
                states.append(out.gather(1, index.expand(-1, -1, out.size(-1))))  # (N, L, H)
        return torch.cat(states, dim=-1)  # (N, L, H_fw + H_bw)
