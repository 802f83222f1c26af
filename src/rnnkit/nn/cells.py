"""Single-step recurrent cells: Elman RNN, LSTM and GRU, optionally layer-normalised.

Each cell computes one time step, with torch.nn's parameter names and shapes
(``weight_ih``, ``weight_hh``, ``bias_ih``, ``bias_hh``) and gate order, so that
``torch.nn.LSTMCell(...).state_dict()`` loads into :class:`LSTMCell` and back.

The step functions (``rnn_step``, ``lstm_step``, ``gru_step``) take the input
projection already computed (``xw``), so that the sequence loops of
:mod:`rnnkit.nn.recurrent` project a whole sequence with one matrix product and
then run exactly these functions step by step: the cells and the stacks share
one implementation of the equations.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from rnnkit.errors import ConfigError
from rnnkit.nn._checks import check_bool, check_choice, check_positive_int

__all__ = ["RNNCell", "LSTMCell", "GRUCell", "project_input", "rnn_step", "lstm_step", "gru_step"]

_LN_EPS = 1e-5


def project_input(
    x: Tensor, weight_ih: Tensor, bias_ih: Tensor | None, ln_ih: Tensor | None
) -> Tensor:
    """Input part of the gate pre-activations: ``LN(x W_ih^T) + b_ih`` (LN only if ``ln_ih``)."""
    if ln_ih is None:
        return F.linear(x, weight_ih, bias_ih)  # (..., G)
    xw = F.layer_norm(F.linear(x, weight_ih), (weight_ih.shape[0],), ln_ih, None, _LN_EPS)
    return xw if bias_ih is None else xw + bias_ih


def _hidden_part(
    h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, ln_hh: Tensor | None
) -> Tensor:
    """Hidden part of the gate pre-activations: ``LN(h W_hh^T) + b_hh``."""
    if ln_hh is None:
        return F.linear(h, weight_hh, bias_hh)  # (N, G)
    hw = F.layer_norm(h @ weight_hh.t(), (weight_hh.shape[0],), ln_hh, None, _LN_EPS)
    return hw if bias_hh is None else hw + bias_hh


def rnn_step(
    xw: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, relu: bool
) -> Tensor:
    """One Elman step, ``h' = act(xw + h W_hh^T + b_hh)``; ``xw`` (N, H) is the input part."""
    pre = (
        torch.addmm(xw, h, weight_hh.t())
        if bias_hh is None
        else xw + F.linear(h, weight_hh, bias_hh)
    )
    return torch.relu(pre) if relu else torch.tanh(pre)  # (N, H)


def lstm_step(
    xw: Tensor,
    h: Tensor,
    c: Tensor,
    weight_hh: Tensor,
    ln_hh: Tensor | None = None,
    ln_c: tuple[Tensor, Tensor] | None = None,
    weight_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One LSTM step; ``xw`` (N, 4H) holds the input part plus *both* biases.

    Both biases sit outside the layer norms, so they fold into ``xw`` once per
    sequence instead of once per step.
    """
    if ln_hh is None:
        gates = torch.addmm(xw, h, weight_hh.t())  # (N, 4H)
    else:
        gates = xw + F.layer_norm(h @ weight_hh.t(), (weight_hh.shape[0],), ln_hh, None, _LN_EPS)
    i, f, g, o = gates.chunk(4, 1)  # 4 x (N, H)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)  # (N, H)
    c_out = c if ln_c is None else F.layer_norm(c, (c.shape[-1],), ln_c[0], ln_c[1], _LN_EPS)
    h = torch.sigmoid(o) * torch.tanh(c_out)  # (N, H)
    if weight_hr is not None:
        h = h @ weight_hr.t()  # (N, H_proj)
    return h, c


def gru_step(
    xw: Tensor, h: Tensor, weight_hh: Tensor, bias_hh: Tensor | None, ln_hh: Tensor | None = None
) -> Tensor:
    """One GRU step; ``xw`` (N, 3H) is the input part with ``b_ih`` only."""
    hw = _hidden_part(h, weight_hh, bias_hh, ln_hh)  # (N, 3H)
    H = h.shape[-1]
    rz = torch.sigmoid(xw[:, : 2 * H] + hw[:, : 2 * H])  # (N, 2H)
    r, z = rz.chunk(2, 1)
    n = torch.tanh(torch.addcmul(xw[:, 2 * H :], r, hw[:, 2 * H :]))  # (N, H)
    return torch.lerp(n, h, z)  # (1 - z) * n + z * h


class _CellBase(nn.Module):
    gate_multiplier = 1

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool, layer_norm: bool, ln_c: bool
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.bias = check_bool("bias", bias)
        self.layer_norm = check_bool("layer_norm", layer_norm)
        G = self.gate_multiplier * hidden_size
        self.weight_ih = nn.Parameter(torch.empty(G, input_size))
        self.weight_hh = nn.Parameter(torch.empty(G, hidden_size))
        if bias:
            self.bias_ih = nn.Parameter(torch.empty(G))
            self.bias_hh = nn.Parameter(torch.empty(G))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        if layer_norm:
            self.ln_ih = nn.LayerNorm(G, eps=_LN_EPS, bias=False)
            self.ln_hh = nn.LayerNorm(G, eps=_LN_EPS, bias=False)
            if ln_c:
                self.ln_c = nn.LayerNorm(hidden_size, eps=_LN_EPS)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """torch's initialisation, U(-1/sqrt(H), 1/sqrt(H)); layer norms start at gain 1, shift 0."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for name, p in self.named_parameters():
            if not name.startswith("ln_"):
                nn.init.uniform_(p, -bound, bound)
        for m in self.children():
            m.reset_parameters()

    def _ln_weight(self, name: str) -> Tensor | None:
        return getattr(self, name).weight if self.layer_norm else None

    def _prepare(self, x: Tensor, hx: Tensor | None) -> tuple[Tensor, Tensor, bool]:
        if x.dim() not in (1, 2):
            raise ConfigError(
                f"input must be 1-D (H_in) or 2-D (N, H_in), got shape {tuple(x.shape)}"
            )
        if x.shape[-1] != self.input_size:
            raise ConfigError(
                f"input.size(-1) must equal input_size={self.input_size}, got {x.shape[-1]}"
            )
        batched = x.dim() == 2
        x = x if batched else x.unsqueeze(0)  # (N, H_in)
        if hx is None:
            return x, x.new_zeros(x.shape[0], self.hidden_size), batched  # (N, H)
        if hx.dim() != (2 if batched else 1):
            raise ConfigError(
                f"state must be {2 if batched else 1}-D like input, got shape {tuple(hx.shape)}"
            )
        hx = hx if batched else hx.unsqueeze(0)  # (N, H)
        if hx.shape != (x.shape[0], self.hidden_size):
            expected = (x.shape[0], self.hidden_size)
            raise ConfigError(f"state must have shape {expected}, got {tuple(hx.shape)}")
        return x, hx, batched

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.layer_norm:
            s += ", layer_norm=True"
        return s


class RNNCell(_CellBase):
    r"""Elman RNN cell with tanh or ReLU non-linearity.

    .. math::
        h' = \tanh(W_{ih} x + b_{ih} + W_{hh} h + b_{hh})
        \quad\text{(or } \mathrm{ReLU} \text{ for nonlinearity="relu")}

    Shape:
        - input: (N, H_in) or (H_in)
        - hx: (N, H) or (H); None means zeros
        - output h': (N, H) or (H)
    """

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh"
    ) -> None:
        self.nonlinearity = check_choice("nonlinearity", nonlinearity, ("tanh", "relu"))
        super().__init__(input_size, hidden_size, bias, False, False)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx)
        xw = project_input(x, self.weight_ih, self.bias_ih, None)  # (N, H)
        h = rnn_step(xw, h, self.weight_hh, self.bias_hh, self.nonlinearity == "relu")
        return h if batched else h.squeeze(0)

    def extra_repr(self) -> str:
        return super().extra_repr() + (
            ", nonlinearity='relu'" if self.nonlinearity == "relu" else ""
        )


class LSTMCell(_CellBase):
    r"""Long short-term memory cell (Hochreiter & Schmidhuber 1997), gate order i, f, g, o.

    .. math::
        \begin{array}{ll}
        i = \sigma(W_{ii} x + b_{ii} + W_{hi} h + b_{hi}) \\
        f = \sigma(W_{if} x + b_{if} + W_{hf} h + b_{hf}) \\
        g = \tanh(W_{ig} x + b_{ig} + W_{hg} h + b_{hg}) \\
        o = \sigma(W_{io} x + b_{io} + W_{ho} h + b_{ho}) \\
        c' = f \odot c + i \odot g \\
        h' = o \odot \tanh(c')
        \end{array}

    With ``layer_norm=True`` (Ba et al. 2016, "Layer Normalization", sec. 3.1),
    the input and hidden parts of the pre-activations are normalised separately
    over all 4H gate units, and the cell state before the output tanh:

    .. math::
        [i, f, g, o] = \mathrm{LN}(W_{ih} x; \alpha_{ih}) + \mathrm{LN}(W_{hh} h; \alpha_{hh})
        + b_{ih} + b_{hh}, \qquad h' = o \odot \tanh(\mathrm{LN}(c'; \alpha_c, \beta_c))

    The two gate norms have a gain only (``ln_ih.weight``, ``ln_hh.weight``): the
    torch-named biases already shift them. ``c'`` is carried un-normalised.

    Shape:
        - input: (N, H_in) or (H_in)
        - hx: tuple (h, c), each (N, H) or (H); None means zeros
        - output: tuple (h', c'), each (N, H) or (H)
    """

    gate_multiplier = 4

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, *, layer_norm: bool = False
    ) -> None:
        super().__init__(input_size, hidden_size, bias, layer_norm, True)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        x, h, batched = self._prepare(input, None if hx is None else hx[0])
        c = h.new_zeros(h.shape) if hx is None else (hx[1] if batched else hx[1].unsqueeze(0))
        xw = project_input(x, self.weight_ih, self.bias_ih, self._ln_weight("ln_ih"))  # (N, 4H)
        if self.bias_hh is not None:
            xw = xw + self.bias_hh
        ln_c = (self.ln_c.weight, self.ln_c.bias) if self.layer_norm else None
        h, c = lstm_step(xw, h, c, self.weight_hh, self._ln_weight("ln_hh"), ln_c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(_CellBase):
    r"""Gated recurrent unit cell (Cho et al. 2014), gate order r, z, n as in torch.

    .. math::
        \begin{array}{ll}
        r = \sigma(W_{ir} x + b_{ir} + W_{hr} h + b_{hr}) \\
        z = \sigma(W_{iz} x + b_{iz} + W_{hz} h + b_{hz}) \\
        n = \tanh(W_{in} x + b_{in} + r \odot (W_{hn} h + b_{hn})) \\
        h' = (1 - z) \odot n + z \odot h
        \end{array}

    With ``layer_norm=True`` the input and hidden parts are normalised
    separately over all 3H units before the biases are added:
    :math:`W_{ih} x \to \mathrm{LN}(W_{ih} x; \alpha_{ih})` and
    :math:`W_{hh} h \to \mathrm{LN}(W_{hh} h; \alpha_{hh})`.

    Shape:
        - input: (N, H_in) or (H_in)
        - hx: (N, H) or (H); None means zeros
        - output h': (N, H) or (H)
    """

    gate_multiplier = 3

    def __init__(
        self, input_size: int, hidden_size: int, bias: bool = True, *, layer_norm: bool = False
    ) -> None:
        super().__init__(input_size, hidden_size, bias, layer_norm, False)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        x, h, batched = self._prepare(input, hx)
        xw = project_input(x, self.weight_ih, self.bias_ih, self._ln_weight("ln_ih"))  # (N, 3H)
        h = gru_step(xw, h, self.weight_hh, self.bias_hh, self._ln_weight("ln_hh"))
        return h if batched else h.squeeze(0)
