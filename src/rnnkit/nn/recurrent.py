"""Multi-layer RNN, LSTM and GRU with torch.nn's interface, parameters and results.

The stacks take torch.nn's constructor arguments, forward signature and return
values, PackedSequence in and out, and register their parameters under torch's
names (``weight_ih_l0``, ``weight_hh_l1_reverse``, ``bias_ih_l0``, ...) and
shapes, so a state_dict loads strictly from torch.nn into these modules and
back. Extras are keyword-only and off by default:

- ``layer_norm``: layer-normalised LSTM and GRU (see :mod:`rnnkit.nn.cells`);
  extra keys ``ln_ih_l0.weight``, ``ln_hh_l0.weight`` and, for LSTM,
  ``ln_c_l0.weight`` / ``ln_c_l0.bias``;
- ``variational_dropout``: the dropout between layers uses one mask per
  sequence for all steps (never on the recurrent connections);
- ``backend``: "torch" runs torch's fused kernels (``torch._VF``) on these
  very parameters, "scratch" runs our cells step by step, "auto" (default)
  takes torch's kernels wherever the configuration allows (no layer norm).
  On CPU a packed LSTM batch runs padded through torch's fused (oneDNN) kernel,
  each sequence reversed within its length for the backward direction: the same
  results as the packed kernel, 1.6x to 3.7x faster in training (torch's packed CPU
  path costs O(L^2) in its backward; ``benchmarks/bench_recurrent.py``), but for
  wide batches of short, narrow sequences, which stay packed. A packed GRU batch
  runs padded through torch's whole-sequence kernel where L * T is large (3.7x for
  32 sequences of 180-200 steps); short batches stay packed.

One method beyond torch.nn: ``step(input, hx)`` advances a unidirectional stack by
one time step, input (N, H_in) -> output (N, H_out) and the state in forward's
layout, for generation (as :meth:`rnnkit.nn.MinGRU.step`).
"""

from __future__ import annotations

import torch

from rnnkit.nn._checks import check_choice
from rnnkit.nn._stack import RecurrentBase

__all__ = ["RNN", "LSTM", "GRU"]

_SHAPES = r"""
    Shape:
        - input: (L, N, H_in), (N, L, H_in) if batch_first, (L, H_in) unbatched,
          or a PackedSequence (any order of lengths)
        - h_0: (D*num_layers, N, H_out), or (D*num_layers, H_out) unbatched;
          None means zeros. D = 2 if bidirectional else 1; the state is never batch-first
        - output: (L, N, D*H_out), (N, L, D*H_out) if batch_first, or a PackedSequence
        - h_n: (D*num_layers, N, H_out), each sequence's state after its own last step
"""


class RNN(RecurrentBase):
    __doc__ = (
        r"""Multi-layer Elman RNN with tanh or ReLU, as torch.nn.RNN.

    Each layer computes, for every step (see :class:`rnnkit.nn.RNNCell`):

    .. math::
        h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})

    The input of layer ``l > 0`` is the output of layer ``l - 1`` (both
    directions concatenated), passed through dropout in training.

    Args:
        input_size, hidden_size, num_layers, nonlinearity, bias, batch_first,
        dropout, bidirectional, device, dtype: as torch.nn.RNN.
        variational_dropout: one dropout mask per sequence between layers.
        backend: "auto", "torch" or "scratch".

    Returns:
        (output, h_n). H_out = hidden_size.
"""
        + _SHAPES
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        variational_dropout: bool = False,
        backend: str = "auto",
    ) -> None:
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, 0, device, dtype, False, variational_dropout, backend,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return super().extra_repr() + (
            ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        )


class LSTM(RecurrentBase):
    __doc__ = (
        r"""Multi-layer long short-term memory, as torch.nn.LSTM (gate order i, f, g, o).

    Each layer computes, for every step (see :class:`rnnkit.nn.LSTMCell`):

    .. math::
        \begin{array}{ll}
        i_t = \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
        f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
        g_t = \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
        o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
        c_t = f_t \odot c_{t-1} + i_t \odot g_t \\
        h_t = o_t \odot \tanh(c_t) \quad (\text{then } h_t \leftarrow W_{hr} h_t \text{ if proj\_size} > 0)
        \end{array}

    With ``layer_norm=True`` the input and hidden parts of the pre-activations
    and the cell state before the output tanh are layer-normalised (Ba et al.
    2016); this runs on the scratch backend.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, proj_size, device, dtype: as torch.nn.LSTM.
        layer_norm: layer-normalised LSTM; adds keys ``ln_ih_l0.weight``,
            ``ln_hh_l0.weight``, ``ln_c_l0.weight``, ``ln_c_l0.bias`` per layer
            and direction.
        variational_dropout: one dropout mask per sequence between layers.
        backend: "auto", "torch" or "scratch".

    Returns:
        (output, (h_n, c_n)); c_0 and c_n are (D*num_layers, N, hidden_size).
        H_out = proj_size if proj_size > 0 else hidden_size.
"""
        + _SHAPES
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        layer_norm: bool = False,
        variational_dropout: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__(
            "LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, proj_size, device, dtype, layer_norm, variational_dropout, backend,
        )  # fmt: skip


class GRU(RecurrentBase):
    __doc__ = (
        r"""Multi-layer gated recurrent unit, as torch.nn.GRU (gate order r, z, n).

    Each layer computes, for every step (see :class:`rnnkit.nn.GRUCell`):

    .. math::
        \begin{array}{ll}
        r_t = \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
        n_t = \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}
        \end{array}

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout,
        bidirectional, device, dtype: as torch.nn.GRU.
        layer_norm: layer-normalised GRU; adds keys ``ln_ih_l0.weight`` and
            ``ln_hh_l0.weight`` per layer and direction.
        variational_dropout: one dropout mask per sequence between layers.
        backend: "auto", "torch" or "scratch".

    Returns:
        (output, h_n). H_out = hidden_size.
"""
        + _SHAPES
    )

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
        *,
        layer_norm: bool = False,
        variational_dropout: bool = False,
        backend: str = "auto",
    ) -> None:
        super().__init__(
            "GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
            bidirectional, 0, device, dtype, layer_norm, variational_dropout, backend,
        )  # fmt: skip
