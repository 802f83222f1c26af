"""Build a recurrent stack from a cell name, the one entry point the rest of rnnkit uses."""

from __future__ import annotations

from torch import nn

from rnnkit.errors import ConfigError
from rnnkit.nn._checks import BACKENDS, check_choice
from rnnkit.nn.minimal import MinGRU, MinLSTM
from rnnkit.nn.recurrent import GRU, LSTM, RNN

__all__ = ["CELLS", "make_recurrent"]

CELLS = ("rnn", "lstm", "gru", "mingru", "minlstm")


def make_recurrent(
    cell: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 1,
    *,
    dropout: float = 0.0,
    bidirectional: bool = False,
    batch_first: bool = False,
    layer_norm: bool = False,
    backend: str = "auto",
) -> nn.Module:
    """Return the recurrent stack named by ``cell``.

    Every stack returned takes ``(input, state=None)``, a tensor or a
    PackedSequence, and returns ``(output, state)``: ``state`` is ``h_n``
    (D*num_layers, N, H), or ``(h_n, c_n)`` for "lstm". Each has the attributes
    ``hidden_size``, ``num_layers``, ``bidirectional`` and ``batch_first``.

    Args:
        cell: "rnn" (tanh), "lstm", "gru", "mingru" or "minlstm".
        layer_norm: only for "lstm" and "gru".
        backend: "auto", "torch" or "scratch"; "mingru" and "minlstm" have no torch
            kernel and accept "auto" or "scratch" (their ``scan`` is "auto": the
            log-space parallel scan on accelerators, the sequential recurrence on CPU).
    """
    check_choice("cell", cell, CELLS)
    check_choice("backend", backend, BACKENDS)
    common = {"dropout": dropout, "bidirectional": bidirectional, "batch_first": batch_first}
    if cell in ("mingru", "minlstm"):
        if layer_norm:
            raise ConfigError(
                f"layer_norm is available for 'lstm' and 'gru' only, got cell={cell!r}"
            )
        if backend == "torch":
            raise ConfigError(
                f"backend='torch' has no kernel for cell={cell!r}; use 'auto' or 'scratch'"
            )
        cls = MinGRU if cell == "mingru" else MinLSTM
        return cls(input_size, hidden_size, num_layers, **common)
    if cell == "rnn":
        if layer_norm:
            raise ConfigError("layer_norm is available for 'lstm' and 'gru' only, got cell='rnn'")
        return RNN(input_size, hidden_size, num_layers, **common, backend=backend)
    cls = LSTM if cell == "lstm" else GRU
    return cls(
        input_size, hidden_size, num_layers, **common, layer_norm=layer_norm, backend=backend
    )
