"""The scratch time loop: one layer, one direction, over a packed layout.

Every sequence batch, padded or packed, is run in torch's packed layout: the
rows of ``x`` are the time steps one after the other, and step ``t`` holds the
first ``batch_sizes[t]`` sequences of a batch sorted by decreasing length::

    x (T, H_in), batch_sizes = [3, 3, 2, 1]      (T = 9; a padded batch has all N)

    step 0: | a0 b0 c0 |   sequences a, b, c still running
    step 1: | a1 b1 c1 |
    step 2: | a2 b2 |      c has ended: its state is set aside as its h_n
    step 3: | a3 |

The forward direction drops the rows of finished sequences as it goes; the
reverse direction starts from the shortest prefix and brings in each sequence
(from its initial state) at its own last step. The input projection of the
whole layer is one matrix product; the loop itself runs the step functions of
:mod:`rnnkit.nn.cells`, so the stack and the cells share their equations.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from rnnkit.nn.cells import gru_step, lstm_step, project_input, rnn_step

__all__: list[str] = []


@dataclass
class LayerWeights:
    """The parameters of one layer in one direction (None where switched off)."""

    weight_ih: Tensor
    weight_hh: Tensor
    bias_ih: Tensor | None = None
    bias_hh: Tensor | None = None
    weight_hr: Tensor | None = None
    ln_ih: Tensor | None = None
    ln_hh: Tensor | None = None
    ln_c: tuple[Tensor, Tensor] | None = None


def run_layer(
    mode: str,
    x: Tensor,
    batch_sizes: list[int],
    h0: Tensor,
    c0: Tensor | None,
    w: LayerWeights,
    reverse: bool,
) -> tuple[Tensor, Tensor, Tensor | None]:
    """Run one recurrent layer over a packed layout.

    Args:
        mode: "RNN_TANH", "RNN_RELU", "LSTM" or "GRU".
        x: (T, H_in) packed input rows, T = sum(batch_sizes).
        batch_sizes: non-increasing sizes of each step.
        h0, c0: (N, H_out) and (N, H) initial states, N = batch_sizes[0]; c0 only for LSTM.

    Returns:
        out (T, H_out) in the same packed layout, h_n (N, H_out), c_n (N, H) or None.
    """
    xw = project_input(x, w.weight_ih, w.bias_ih, w.ln_ih)  # (T, G)
    bias_hh = w.bias_hh
    if mode != "GRU" and bias_hh is not None:  # outside any norm: fold it in once
        xw = xw + bias_hh
        bias_hh = None
    steps = xw.split(batch_sizes)  # L x (batch_sizes[t], G)
    L = len(batch_sizes)
    order = range(L - 1, -1, -1) if reverse else range(L)
    first = batch_sizes[order[0]] if L else 0
    h = h0[:first]  # (n_t, H_out)
    c = c0[:first] if c0 is not None else None
    outs: list[Tensor] = [h] * L
    done_h: list[Tensor] = []
    done_c: list[Tensor] = []
    relu = mode == "RNN_RELU"
    for t in order:
        bs = batch_sizes[t]
        n = h.shape[0]
        if bs < n:  # forward direction: sequences n-1 .. bs end at step t-1
            done_h.append(h[bs:])
            h = h[:bs]
            if c is not None:
                done_c.append(c[bs:])
                c = c[:bs]
        elif bs > n:  # reverse direction: sequences n .. bs-1 start here
            h = torch.cat([h, h0[n:bs]])
            if c is not None and c0 is not None:
                c = torch.cat([c, c0[n:bs]])
        if mode == "LSTM":
            h, c = lstm_step(steps[t], h, c, w.weight_hh, w.ln_hh, w.ln_c, w.weight_hr)
        elif mode == "GRU":
            h = gru_step(steps[t], h, w.weight_hh, bias_hh, w.ln_hh)
        else:
            h = rnn_step(steps[t], h, w.weight_hh, bias_hh, relu)
        outs[t] = h
    out = torch.cat(outs) if L else h0.new_zeros(0, h0.shape[1])  # (T, H_out)
    if done_h:  # the earliest finishers hold the highest batch indices
        h = torch.cat([h, *reversed(done_h)])
        if c is not None:
            c = torch.cat([c, *reversed(done_c)])
    return out, h, c
