"""Sequence to sequence with attention: a (bi)directional encoder and an attentional decoder.

The decoder follows GNMT (Wu et al., 2016) in miniature, so that teacher-forced
training runs every layer over the whole target at once (fused kernels, no loop
over time steps) and decoding runs the very same layers one step at a time::

    source  s_1 .. s_S -> embedding -> encoder (packed, bi) -> memory (N, S, H), final states
                                                                   |            |
    target  <bos> y_1 .. y_{T-1} -> embedding -> bottom layer (init: final states)
                                                     | h1_t (query)
                                         attention(h1_t, memory, mask) -> context_t
                                                     |
                          upper layers over [h1_t; context_t] (init: final states)
                                                     | h_t
                          logits_t = W_o tanh(W_c [h_t; context_t])   (Luong et al., 2015)

The bottom layer's output is the query of the attention and the context is
fed to the layers above, as in GNMT; with ``num_layers=1`` this is Luong's
global attention without input feeding. ``attention="none"`` leaves out the
context: the decoder sees the source only through the encoder's final states
(Sutskever et al., 2014; Cho et al., 2014).

With a bidirectional encoder each direction has ``hidden_size / 2`` units and
the two are concatenated (as OpenNMT does), so the memory, the keys of the
attention and the decoder's initial states all have ``hidden_size`` features.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn import AdditiveAttention, MultiplicativeAttention, make_recurrent

__all__ = ["Encoder", "Decoder", "Seq2Seq", "DecoderState", "ATTENTIONS", "SEQ2SEQ_CELLS"]

ATTENTIONS = ("none", "additive", "dot", "general")
SEQ2SEQ_CELLS = ("rnn", "gru", "lstm")

State = Tensor | tuple[Tensor, Tensor]  # h (layers, N, H), or (h, c) for an LSTM


def _select(state: State | None, index: Tensor) -> State | None:
    """Rows ``index`` of the batch dimension (dim 1) of a recurrent state."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.index_select(1, index) for s in state)
    return state.index_select(1, index)


def _layers(state: State, start: int, stop: int) -> State:
    if isinstance(state, tuple):
        return tuple(s[start:stop] for s in state)
    return state[start:stop]


class DecoderState(NamedTuple):
    """What one decoding step needs: the decoder's recurrent states and the source.

    Shape:
        bottom: (1, N, H), or (h, c); upper: (num_layers - 1, N, H), (h, c) or None;
        memory: (N, S, H); mask: (N, S) bool, True on real source tokens.
    """

    bottom: State
    upper: State | None
    memory: Tensor
    mask: Tensor

    def select(self, index: Tensor) -> DecoderState:
        """The states of the examples (or beams) ``index``, in that order: (B,) -> B rows."""
        return DecoderState(
            _select(self.bottom, index),
            _select(self.upper, index),
            self.memory.index_select(0, index),
            self.mask.index_select(0, index),
        )


class Encoder(nn.Module):
    """``embedding -> dropout -> recurrent stack`` over the packed source.

    Args:
        vocab_size: V_src. embedding_dim: E. hidden_size: H, the size of each
            output (both directions together when ``bidirectional``; H must then be even).
        num_layers, cell, dropout, bidirectional, layer_norm, backend: as
            :func:`rnnkit.nn.make_recurrent`.

    Shape:
        src: (N, S) int64, padded after each sequence; lengths: (N,) int64, each >= 1.
        Returns ``(memory, state)``: memory (N, S, H), zero at padding; state
        (num_layers, N, H) (or (h, c)), each layer's final state with the two
        directions concatenated.
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        num_layers: int = 1,
        cell: str = "gru",
        dropout: float = 0.0,
        *,
        bidirectional: bool = True,
        layer_norm: bool = False,
        backend: str = "auto",
        padding_idx: int | None = 0,
    ) -> None:
        super().__init__()
        D = 2 if bidirectional else 1
        if hidden_size % D:
            raise ConfigError(
                f"a bidirectional encoder splits hidden_size between its two directions, "
                f"so it must be even, got {hidden_size}"
            )
        self.hidden_size = hidden_size
        self.bidirectional = bidirectional
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.dropout = nn.Dropout(dropout)
        self.rnn = make_recurrent(
            cell,
            embedding_dim,
            hidden_size // D,
            num_layers,
            dropout=dropout if num_layers > 1 else 0.0,
            bidirectional=bidirectional,
            batch_first=True,
            layer_norm=layer_norm,
            backend=backend,
        )

    def _merge(self, h: Tensor) -> Tensor:
        if not self.bidirectional:
            return h
        layers2, N, H_d = h.shape
        h = h.view(layers2 // 2, 2, N, H_d)  # (layers, D, N, H/2): torch's layer-major layout
        return torch.cat([h[:, 0], h[:, 1]], dim=-1)  # (layers, N, H)

    def forward(self, src: Tensor, lengths: Tensor) -> tuple[Tensor, State]:
        N, S = src.shape
        lengths = torch.as_tensor(lengths, dtype=torch.long).cpu()
        if lengths.shape != (N,):
            raise ConfigError(f"lengths must have shape ({N},), got {tuple(lengths.shape)}")
        if N and int(lengths.min()) < 1:
            raise ConfigError(f"every source needs length >= 1, got {lengths.tolist()}")
        emb = self.dropout(self.embedding(src))  # (N, S, E)
        packed = pack_padded_sequence(emb, lengths, batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=S)  # (N, S, H)
        if isinstance(state, tuple):
            return memory, tuple(self._merge(s) for s in state)
        return memory, self._merge(state)


class Decoder(nn.Module):
    """The attentional decoder (see the module docstring for the drawing).

    Args:
        vocab_size: V_tgt. embedding_dim: E. hidden_size: H (also the size of the memory).
        num_layers: one bottom layer plus ``num_layers - 1`` upper layers.
        cell: ``"rnn"``, ``"gru"`` or ``"lstm"``.
        dropout: on the embeddings, between layers and before the output layer.
        attention: ``"none"``, ``"additive"`` (Bahdanau), ``"dot"`` or ``"general"`` (Luong).

    Shape:
        y: (N, T) int64 input tokens (``<bos> y_1 .. y_{T-1}`` under teacher forcing,
        or (N, 1) the last token when decoding); state: a :class:`DecoderState`.
        Returns ``(logits, state, weights)``: logits (N, T, V_tgt), the state after
        the last step, and the attention weights (N, T, S) (None without attention).
    """

    def __init__(
        self,
        vocab_size: int,
        embedding_dim: int,
        hidden_size: int,
        num_layers: int = 1,
        cell: str = "gru",
        dropout: float = 0.0,
        *,
        attention: str = "general",
        layer_norm: bool = False,
        backend: str = "auto",
        padding_idx: int | None = 0,
    ) -> None:
        super().__init__()
        if attention not in ATTENTIONS:
            raise ConfigError(
                f"attention must be one of {', '.join(ATTENTIONS)}; got {attention!r}"
            )
        H = hidden_size
        self.attention_kind = attention
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
        self.dropout = nn.Dropout(dropout)
        common = {"batch_first": True, "layer_norm": layer_norm, "backend": backend}
        self.bottom = make_recurrent(cell, embedding_dim, H, 1, **common)
        self.attention: nn.Module | None = None
        if attention == "additive":
            self.attention = AdditiveAttention(H, H, H)
        elif attention in ("dot", "general"):
            self.attention = MultiplicativeAttention(H, H, score=attention)
        context = H if self.attention is not None else 0
        self.upper = None
        if num_layers > 1:
            self.upper = make_recurrent(
                cell,
                H + context,
                H,
                num_layers - 1,
                dropout=dropout if num_layers > 2 else 0.0,
                **common,
            )
        self.combine = nn.Linear(H + context, H) if self.attention is not None else None
        self.output = nn.Linear(H, vocab_size)

    def forward(self, y: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor | None]:
        emb = self.dropout(self.embedding(y))  # (N, T, E)
        h, bottom = self.bottom(emb, state.bottom)  # (N, T, H)
        weights = None
        if self.attention is not None:
            # context (N, T, H), weights (N, T, S)
            context, weights = self.attention(h, state.memory, mask=state.mask)
            h_in = torch.cat([h, context], dim=-1)  # (N, T, 2H)
        else:
            h_in = h
        upper = state.upper
        if self.upper is not None:
            h, upper = self.upper(self.dropout(h_in), upper)  # (N, T, H)
        if self.combine is not None:
            h = torch.tanh(self.combine(torch.cat([h, context], dim=-1)))  # (N, T, H)
        logits = self.output(self.dropout(h))  # (N, T, V)
        return logits, DecoderState(bottom, upper, state.memory, state.mask), weights


class Seq2Seq(nn.Module):
    """An :class:`Encoder` and a :class:`Decoder` with the same depth and width.

    Decoder layer ``l`` starts from encoder layer ``l``'s final state. Teacher
    forcing (``teacher_forcing=1``, the default) runs the decoder over the whole
    target in one call; a ratio below 1 feeds, at each step and for each example,
    the true previous token with that probability and the model's own best guess
    otherwise (scheduled sampling, Bengio et al., 2015), one step at a time.

    Args:
        src_vocab_size, tgt_vocab_size: V_src, V_tgt.
        embedding_dim: E (both sides). hidden_size: H. num_layers: encoder and decoder layers.
        cell: ``"rnn"``, ``"gru"`` or ``"lstm"``. dropout: on embeddings, between layers,
            before the output. bidirectional: a bidirectional encoder.
        attention: ``"none"``, ``"additive"``, ``"dot"`` or ``"general"``.
        layer_norm, backend: as :func:`rnnkit.nn.make_recurrent`.

    Shape:
        src: (N, S) int64; src_lengths: (N,) int64 (CPU); tgt_in: (N, T) int64, the
        target shifted right (``<bos>`` first). Returns logits (N, T, V_tgt).

    Example:
        >>> model = Seq2Seq(20, 30, embedding_dim=8, hidden_size=16)
        >>> src = torch.tensor([[4, 5, 6], [7, 8, 0]])
        >>> model(src, torch.tensor([3, 2]), torch.tensor([[2, 9], [2, 10]])).shape
        torch.Size([2, 2, 30])
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embedding_dim: int = 64,
        hidden_size: int = 256,
        num_layers: int = 1,
        cell: str = "gru",
        dropout: float = 0.0,
        *,
        bidirectional: bool = True,
        attention: str = "general",
        layer_norm: bool = False,
        backend: str = "auto",
        padding_idx: int | None = 0,
    ) -> None:
        super().__init__()
        if cell not in SEQ2SEQ_CELLS:
            raise ConfigError(
                f"seq2seq cell must be one of {', '.join(SEQ2SEQ_CELLS)}; got {cell!r}"
            )
        for name, size in (("src_vocab_size", src_vocab_size), ("tgt_vocab_size", tgt_vocab_size)):
            if size < 1:
                raise ConfigError(f"{name} must be >= 1, got {size}")
        self.num_layers = num_layers
        common = {"layer_norm": layer_norm, "backend": backend, "padding_idx": padding_idx}
        self.encoder = Encoder(
            src_vocab_size,
            embedding_dim,
            hidden_size,
            num_layers,
            cell,
            dropout,
            bidirectional=bidirectional,
            **common,
        )
        self.decoder = Decoder(
            tgt_vocab_size,
            embedding_dim,
            hidden_size,
            num_layers,
            cell,
            dropout,
            attention=attention,
            **common,
        )

    def start(self, src: Tensor, src_lengths: Tensor) -> DecoderState:
        """Encode the source: the decoder's state before its first step."""
        memory, final = self.encoder(src, src_lengths)  # (N, S, H), (layers, N, H)
        N, S = src.shape
        lengths = torch.as_tensor(src_lengths, dtype=torch.long).cpu()
        mask = (torch.arange(S).unsqueeze(0) < lengths.unsqueeze(1)).to(src.device)  # (N, S)
        upper = _layers(final, 1, self.num_layers) if self.num_layers > 1 else None
        return DecoderState(_layers(final, 0, 1), upper, memory, mask)

    def forward(
        self, src: Tensor, src_lengths: Tensor, tgt_in: Tensor, *, teacher_forcing: float = 1.0
    ) -> Tensor:
        state = self.start(src, src_lengths)
        if teacher_forcing >= 1.0 or not self.training:
            logits, _, _ = self.decoder(tgt_in, state)  # (N, T, V)
            return logits
        N, T = tgt_in.shape
        y = tgt_in[:, :1]  # (N, 1)
        steps = []
        for t in range(T):
            logits, state, _ = self.decoder(y, state)  # (N, 1, V)
            steps.append(logits)
            if t + 1 < T:
                guess = logits.argmax(-1)  # (N, 1)
                gold = torch.rand(N, 1, device=tgt_in.device) < teacher_forcing
                y = torch.where(gold, tgt_in[:, t + 1 : t + 2], guess)
        return torch.cat(steps, dim=1)  # (N, T, V)

    def step(self, y: Tensor, state: DecoderState) -> tuple[Tensor, DecoderState, Tensor | None]:
        """One decoding step from the last tokens ``y`` (B,): log-probabilities (B, V_tgt),
        the new state and the attention weights (B, S) (None without attention)."""
        logits, state, weights = self.decoder(y.unsqueeze(1), state)  # (B, 1, V)
        log_probs = torch.log_softmax(logits.squeeze(1).float(), dim=-1)  # (B, V)
        return log_probs, state, None if weights is None else weights.squeeze(1)
