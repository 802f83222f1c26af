"""A trained recurrent stack run over a padded batch, without packing or a loop over time.

Packed sequences and the scratch backend's Python loop over steps cannot be exported
with a free length axis (ONNX traces them at one length). :class:`PaddedRecurrent`
gives the same results as the packed stack from the same weights, with ops that
export: each layer and direction is a one-layer ``torch.nn`` module (ONNX's ``RNN``,
``GRU`` and ``LSTM`` operators), the padding is handled by indexing and masks::

    forward    a  b  c  _  _     run as is; h_n is the output at lengths - 1
    backward   c  b  a  _  _     each sequence reversed within its length, run,
                                 reversed back; h_n is again at lengths - 1
    LSTM c_n   an extra input column, 0 on real steps and 1e4 on padding, drives the
               input gate to 0 and the forget gate to 1 there, so the cell state
               stops changing after the last real step (exactly, in float32)

Outputs at padding positions are zero, as ``pad_packed_sequence`` gives them.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn._stack import _FREEZE, RecurrentBase, _time_index

__all__ = ["PaddedRecurrent", "check_exportable"]


def check_exportable(stack: nn.Module) -> None:
    """Refuse, in one line, a stack that has no loop-free export path."""
    if not isinstance(stack, RecurrentBase):
        name = type(stack).__name__
        raise ConfigError(
            f"a {name} stack has no ONNX export path yet; train with --cell lstm, gru or rnn"
        )
    if stack.layer_norm:
        raise ConfigError(
            "layer_norm runs on the scratch backend, a Python loop over time that ONNX "
            "cannot export with a free length axis; train without --layer-norm to export"
        )
    if stack.backend == "scratch":
        raise ConfigError(
            "backend 'scratch' runs a Python loop over time that ONNX cannot export with a "
            "free length axis; train with --backend auto or torch to export"
        )
    if stack.proj_size:
        raise ConfigError("an LSTM with proj_size has no ONNX export path")


class PaddedRecurrent(nn.Module):
    """The stack ``stack`` (an rnnkit RNN, LSTM or GRU, batch first) over padded input.

    Args:
        stack: the trained stack; its weights are copied (one torch.nn module a layer
            and direction), so later changes to ``stack`` are not seen.

    Shape:
        x: (N, L, H_in), padded after each sequence; lengths: (N,) int64, each in
        [1, L], or None when every sequence is L long; state: as the stack's, or None.
        Returns ``(out, state)``: out (N, L, D*H), zero at padding; state h_n
        (D*num_layers, N, H), or (h_n, c_n), each sequence's after its last real step.
    """

    def __init__(self, stack: nn.Module) -> None:
        super().__init__()
        check_exportable(stack)
        if not stack.batch_first:
            raise ConfigError("PaddedRecurrent needs a batch_first stack")
        self.lstm = stack.mode == "LSTM"
        self.num_directions = 2 if stack.bidirectional else 1
        self.num_layers = stack.num_layers
        H = stack.hidden_size
        self.cells = nn.ModuleList()  # layer * D + direction
        for layer in range(stack.num_layers):
            for direction in range(self.num_directions):
                w = stack._layer_weights(layer, direction)
                size = w.weight_ih.shape[1]
                if stack.mode == "LSTM":
                    module = nn.LSTM(size + 1, H, batch_first=True, bias=stack.bias)
                elif stack.mode == "GRU":
                    module = nn.GRU(size, H, batch_first=True, bias=stack.bias)
                else:
                    kind = "tanh" if stack.mode == "RNN_TANH" else "relu"
                    module = nn.RNN(size, H, nonlinearity=kind, batch_first=True, bias=stack.bias)
                w_ih = w.weight_ih.detach()
                if self.lstm:  # the freeze column: -1 into the input gate, +1 into forget
                    column = torch.zeros(4 * H, 1, dtype=w_ih.dtype, device=w_ih.device)
                    column[:H], column[H : 2 * H] = -1.0, 1.0
                    w_ih = torch.cat([w_ih, column], dim=1)  # (4H, H_in + 1)
                with torch.no_grad():
                    module.weight_ih_l0.copy_(w_ih)
                    module.weight_hh_l0.copy_(w.weight_hh)
                    if stack.bias:
                        module.bias_ih_l0.copy_(w.bias_ih)
                        module.bias_hh_l0.copy_(w.bias_hh)
                self.cells.append(module.to(w_ih.device))
        self.eval()

    def forward(self, x: Tensor, lengths: Tensor | None = None, state=None):  # noqa: ANN001
        N, L, _ = x.shape
        D = self.num_directions
        if lengths is None:
            mask = None
            last = torch.full((N,), L - 1, dtype=torch.long, device=x.device)
            reverse = torch.arange(L - 1, -1, -1, device=x.device).expand(N, L)  # (N, L)
            freeze = x.new_zeros(N, L, 1)
        else:
            position = torch.arange(L, device=x.device).unsqueeze(0)  # (1, L)
            lengths = lengths.to(x.device).unsqueeze(1)  # (N, 1)
            mask = position < lengths  # (N, L)
            last = (lengths.squeeze(1) - 1).clamp(min=0)  # (N,)
            reverse = torch.where(mask, lengths - 1 - position, position)  # (N, L)
            freeze = (~mask).to(x.dtype).unsqueeze(-1) * _FREEZE  # (N, L, 1)
        h0, c0 = (state if self.lstm else (state, None)) if state is not None else (None, None)
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(D):
                k = layer * D + direction
                inp = x if direction == 0 else _time_index(x, reverse)  # (N, L, H_in)
                if self.lstm:
                    inp = torch.cat([inp, freeze], dim=-1)  # (N, L, H_in + 1)
                if h0 is None:
                    out, s = self.cells[k](inp)
                elif self.lstm:
                    out, s = self.cells[k](inp, (h0[k : k + 1], c0[k : k + 1]))
                else:
                    out, s = self.cells[k](inp, h0[k : k + 1])
                hs.append(_time_index(out, last.view(N, 1)).squeeze(1))  # (N, H)
                if self.lstm:
                    cs.append(s[1][0])  # (N, H): frozen since the last real step
                outs.append(out if direction == 0 else _time_index(out, reverse))
            x = outs[0] if D == 1 else torch.cat(outs, dim=-1)  # (N, L, D*H)
        if mask is not None:
            x = x * mask.unsqueeze(-1).to(x.dtype)
        h_n = torch.stack(hs)  # (D*num_layers, N, H)
        return x, ((h_n, torch.stack(cs)) if self.lstm else h_n)
