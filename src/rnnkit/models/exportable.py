"""Each task's network on the padded, masked path made for export (``rnnkit export``).

Every wrapper holds the trained model's own submodules, with its recurrent stacks
replaced by :class:`~rnnkit.nn.padded.PaddedRecurrent` (same weights, no packing,
no loop over time), and takes plain tensors: ids, lengths and states, never a
PackedSequence or a bool. Each gives the model's results (tested against the eager
model and against onnxruntime); each is in eval mode, so dropout is off.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.nn.ngrams import hashed_ngrams
from rnnkit.nn.padded import PaddedRecurrent

__all__ = [
    "LMStep",
    "ClassifierGraph",
    "TaggerGraph",
    "ForecasterGraph",
    "EncoderGraph",
    "DecoderStep",
    "state_names",
    "example_ids",
]


def _mask(lengths: Tensor, L: int) -> Tensor:
    """(N, L) bool, True on real positions."""
    return torch.arange(L, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def _state_out(state) -> tuple[Tensor, ...]:  # noqa: ANN001
    return state if isinstance(state, tuple) else (state,)


class LMStep(nn.Module):
    """One generation step of :class:`~rnnkit.models.RNNLanguageModel` from carried state.

    Shape:
        token: (N,) int64; h: (num_layers, N, H) [, c for an LSTM].
        Returns logits (N, V), h_out [, c_out].
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.embedding, self.projection, self.decoder = (
            model.embedding,
            model.projection,
            model.decoder,
        )
        self.rnn = PaddedRecurrent(model.rnn)
        self.eval()

    def forward(self, token: Tensor, *state: Tensor) -> tuple[Tensor, ...]:
        emb = self.embedding(token).unsqueeze(1)  # (N, 1, E)
        out, state = self.rnn(emb, None, state if len(state) == 2 else state[0])  # (N, 1, H)
        out = out.squeeze(1)  # (N, H)
        if self.projection is not None:
            out = self.projection(out)  # (N, E)
        return (self.decoder(out), *_state_out(state))  # (N, V), states


class ClassifierGraph(nn.Module):
    """:class:`~rnnkit.models.SequenceClassifier` over a padded batch: logits (N, K).

    Shape:
        x: (N, L) int64 ids, padded after each sequence; lengths: (N,) int64, each >= 1;
        with a character bag, chars: (N, C) int64 code points of each text and
        char_lengths: (N,) int64, each >= 1.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model  # embedding, attention, ngram_bag, char_bag, classifier
        self.rnn = PaddedRecurrent(model.rnn)
        self.bidirectional = model.rnn.bidirectional
        self.eval()

    def forward(self, x: Tensor, lengths: Tensor, *spelling: Tensor) -> Tensor:
        m = self.model
        N, L = x.shape
        out, state = self.rnn(m.embedding(x), lengths)  # (N, L, D*H)
        mask = _mask(lengths, L)  # (N, L)
        if m.pooling == "last":
            h_n = state[0] if isinstance(state, tuple) else state  # (D*layers, N, H)
            pooled = torch.cat([h_n[-2], h_n[-1]], -1) if self.bidirectional else h_n[-1]
        elif m.pooling == "max":
            pooled = out.masked_fill(~mask.unsqueeze(-1), float("-inf")).amax(dim=1)
        elif m.pooling == "mean":
            pooled = out.sum(dim=1) / lengths.to(out.dtype).unsqueeze(-1)  # out is 0 at padding
        else:
            scores = m.attention(out).squeeze(-1).masked_fill(~mask, float("-inf"))  # (N, L)
            pooled = torch.bmm(torch.softmax(scores, -1).unsqueeze(1), out).squeeze(1)
        if m.ngram_bag is not None:
            pooled = torch.cat([pooled, _bag_mean(m.ngram_bag, x, lengths)], dim=-1)
        if m.char_bag is not None:
            chars, char_lengths = spelling
            pooled = torch.cat([pooled, _bag_mean(m.char_bag, chars, char_lengths)], dim=-1)
        return m.classifier(pooled)  # (N, K)


def _bag_mean(bag: nn.Module, x: Tensor, lengths: Tensor) -> Tensor:
    """:class:`~rnnkit.nn.NGramBag` of (N, L) ids -> (N, E): EmbeddingBag's mean, as
    gather and sum (it exports)."""
    buckets = hashed_ngrams(x, lengths, bag.max_n, bag.buckets)  # (N, T)
    weight = bag.embedding.weight
    real = (buckets != bag.buckets).to(weight.dtype).unsqueeze(-1)  # (N, T, 1)
    rows = weight[buckets] * real  # (N, T, E)
    return rows.sum(1) / real.sum(1).clamp(min=1.0)  # (N, E)


class TaggerGraph(nn.Module):
    """:class:`~rnnkit.models.SequenceTagger`'s emissions over a padded batch.

    The characters come padded per word, (N, L, C), rather than one row per real word.

    Shape:
        x: (N, L) int64; lengths: (N,) int64; chars: (N, L, C) int64 and char_lengths
        (N, L) int64 (0 on padding words), with a character encoder. Returns emissions
        (N, L, K), the CRF's or softmax head's scores; with a CRF, also its transitions
        (K, K) (from tag i to tag j), start_transitions (K,) and end_transitions (K,).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model  # embedding, chars, char_bag, output
        self.rnn = PaddedRecurrent(model.rnn)
        self.chars = None if model.chars is None else PaddedRecurrent(model.chars.rnn)
        self.eval()

    def forward(self, x: Tensor, lengths: Tensor, *spelling: Tensor) -> Tensor:
        m = self.model
        N, L = x.shape
        words = m.embedding(x)  # (N, L, E)
        if m.spells:
            chars, char_lengths = spelling
            C = chars.size(-1)
            parts = []
            if self.chars is not None:
                emb = m.chars.embedding(chars.reshape(N * L, C))  # (N*L, C, E_c)
                _, state = self.chars(emb, char_lengths.reshape(N * L).clamp(min=1))
                h_n = state[0]  # (2, N*L, H_c)
                parts.append(torch.cat([h_n[0], h_n[1]], dim=-1).view(N, L, -1))  # 2 H_c
            if m.char_bag is not None:
                bag = _bag_mean(m.char_bag, chars.reshape(N * L, C), char_lengths.reshape(-1))
                parts.append(bag.view(N, L, -1))  # (N, L, E_c)
            spelled = torch.cat(parts, dim=-1)  # (N, L, F_c)
            real = _mask(lengths, L).unsqueeze(-1).to(spelled.dtype)  # (N, L, 1)
            words = torch.cat([words, spelled * real], dim=-1)  # (N, L, E + F_c)
        out, _ = self.rnn(words, lengths)  # (N, L, D*H), zero at padding
        emissions = m.output(out)  # (N, L, K)
        if m.crf is None:
            return emissions
        return emissions, m.crf.transitions, m.crf.start_transitions, m.crf.end_transitions


class ForecasterGraph(nn.Module):
    """:class:`~rnnkit.models.Forecaster` on windows of any length (>= the lookback
    its highway reads, and >= its patch).

    Shape:
        x: (N, L, F) float. Returns (N, T_out, F_out).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model
        self.rnn = PaddedRecurrent(model.rnn)
        self.eval()

    def forward(self, x: Tensor) -> Tensor:
        m = self.model
        N, L, _ = x.shape
        x, shift, scale = m._normalize(x)
        P = m.patch
        S = L // P
        patches = x[:, L - S * P :].reshape(N, S, P * m.input_size)  # (N, S, P*F)
        out, _ = self.rnn(patches)  # (N, S, D*H)
        if m.rnn.bidirectional:
            H = out.size(-1) // 2
            last = torch.cat([out[:, -1, :H], out[:, 0, H:]], dim=-1)  # (N, 2H)
        else:
            last = out[:, -1]  # (N, H)
        y = m.head(last).view(N, m.horizon, -1)  # (N, T_out, F_out)
        if m.highway is not None:
            recent = x[:, -m.lookback :, m.targets].transpose(1, 2)  # (N, F_out, L)
            y = y + m.highway(recent).transpose(1, 2)
        if scale is not None:
            y = y * scale[:, :, m.targets]
        if shift is not None:
            y = y + shift[:, :, m.targets]
        return y


class EncoderGraph(nn.Module):
    """:class:`~rnnkit.models.seq2seq.Encoder` over a padded batch: the memory and the
    decoder's first state (the final states, directions concatenated).

    Shape:
        src: (N, S) int64; src_lengths: (N,) int64. Returns memory (N, S, H), zero at
        padding, and h (num_layers, N, H) [, c].
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.encoder = model.encoder
        self.rnn = PaddedRecurrent(model.encoder.rnn)
        self.eval()

    def forward(self, src: Tensor, src_lengths: Tensor) -> tuple[Tensor, ...]:
        memory, state = self.rnn(self.encoder.embedding(src), src_lengths)  # (N, S, H)
        return (memory, *(self.encoder._merge(s) for s in _state_out(state)))


class DecoderStep(nn.Module):
    """One decoding step of :class:`~rnnkit.models.Seq2Seq`: log-probabilities of the
    next token and the new state; the source is the encoder's memory and lengths.

    Shape:
        token: (N,) int64; memory: (N, S, H); src_lengths: (N,) int64; h: (num_layers,
        N, H) [, c]. Returns log_probs (N, V_tgt), h_out [, c_out] [, attention (N, S)].
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.decoder = d = model.decoder
        self.bottom = PaddedRecurrent(d.bottom)
        self.upper = None if d.upper is None else PaddedRecurrent(d.upper)
        self.eval()

    def forward(
        self, token: Tensor, memory: Tensor, src_lengths: Tensor, *state: Tensor
    ) -> tuple[Tensor, ...]:
        d = self.decoder
        lstm = len(state) == 2

        def rows(start: int, stop: int | None):  # noqa: ANN202
            part = tuple(s[start:stop] for s in state)
            return part if lstm else part[0]

        h, bottom = self.bottom(d.embedding(token).unsqueeze(1), None, rows(0, 1))  # (N, 1, H)
        weights = None
        if d.attention is not None:
            mask = _mask(src_lengths, memory.size(1))  # (N, S)
            context, weights = d.attention(h, memory, mask=mask)  # (N, 1, H), (N, 1, S)
            h_in = torch.cat([h, context], dim=-1)  # (N, 1, 2H)
        else:
            h_in = h
        new = [_state_out(bottom)]
        if self.upper is not None:
            h, upper = self.upper(h_in, None, rows(1, None))  # (N, 1, H)
            new.append(_state_out(upper))
        if d.combine is not None:
            h = torch.tanh(d.combine(torch.cat([h, context], dim=-1)))  # (N, 1, H)
        log_probs = torch.log_softmax(d.output(h.squeeze(1)), dim=-1)  # (N, V)
        states = tuple(torch.cat([part[i] for part in new]) for i in range(len(state)))
        return (log_probs, *states, *(() if weights is None else (weights.squeeze(1),)))


def state_names(cell: str) -> list[str]:
    """The names of a recurrent state's tensors in the exported graphs."""
    return ["h", "c"] if cell == "lstm" else ["h"]


def example_ids(vocab_size: int, lengths: list[int], *, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Random ids (N, L) in [1, V), padded with 0 after each of ``lengths``, and the
    lengths (N,): the inputs a graph is traced on."""
    g = torch.Generator().manual_seed(seed)
    lengths_t = torch.tensor(lengths, dtype=torch.long)  # (N,)
    x = torch.randint(1, max(vocab_size, 2), (len(lengths), max(lengths)), generator=g)
    return x * _mask(lengths_t, x.size(1)), lengths_t  # (N, L), (N,)
