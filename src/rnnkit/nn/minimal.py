"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?").

Their gates depend on the input only, so the recurrence is linear in h,
``h_t = a_t * h_{t-1} + b_t``, and a whole sequence is one parallel scan. The
scan runs in log space (the paper's appendix): with ``a* = cumsum(log a)``,

    h_t = exp(a*_t + logcumsumexp(log b - a*)_t) + exp(a*_t) * h_0

where ``b_t > 0`` thanks to the activation g(x) = x + 0.5 for x >= 0 and
sigmoid(x) below. The initial state enters through the second, linear term, so
any h_0 (zero, negative, a carried state) works and has finite gradients. The
scan runs in chunks of ``scan_chunk`` steps, carrying the state between chunks,
which bounds |a*| and keeps float32 within 1e-5 of the sequential ``step()``.
On CPU the log-cumsum-exp itself runs in blocks of vectorised ``logaddexp``
(:func:`logcumsumexp`): torch's CPU kernel goes element by element.

The parallel scan pays for its depth with O(L log L)-like work and many passes over
memory; with a handful of CPU cores there is little to run in parallel, and the
plain linear recurrence (:func:`linear_recurrence`: one fused multiply-add per step
and a hand-written backward, itself a reversed linear recurrence) is faster. So
``scan="auto"`` runs the log-space scan on accelerators and the sequential
recurrence on CPU; both give the same outputs (tested within 1e-5).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn._checks import (
    check_bool,
    check_positive_int,
    check_probability,
    warn_single_layer_dropout,
)

__all__ = [
    "MinGRU",
    "MinLSTM",
    "parallel_scan_log",
    "linear_recurrence",
    "logcumsumexp",
    "g",
    "log_g",
]

SCANS = ("auto", "log", "sequential")


def g(x: Tensor) -> Tensor:
    """The paper's positive activation: x + 0.5 for x >= 0, sigmoid(x) below."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: Tensor) -> Tensor:
    """log(g(x)), computed without forming g(x)."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


def _blocked_logcumsumexp(v: Tensor, block: int = 32) -> Tensor:
    """logcumsumexp over dim 1 of (N, L, H) without autograd, in vectorised passes.

    torch's CPU kernel runs element by element; this one runs ``block`` steps of
    ``logaddexp`` over all blocks at once, then adds each block's prefix.
    """
    N, L, H = v.shape
    nb = -(-L // block)
    if nb * block != L:  # pad with -inf, which adds nothing
        v = torch.cat([v, v.new_full((N, nb * block - L, H), float("-inf"))], 1)
    v = v.view(N, nb, block, H)
    out = torch.empty_like(v)  # (N, nb, B, H)
    out[:, :, 0] = v[:, :, 0]
    for i in range(1, block):
        torch.logaddexp(out[:, :, i - 1], v[:, :, i], out=out[:, :, i])
    if nb > 1:
        totals = out[:, :, -1]  # (N, nb, H), each block's own logsumexp
        prefix = totals.clone()
        for b in range(1, nb):
            torch.logaddexp(prefix[:, b - 1], totals[:, b], out=prefix[:, b])
        out[:, 1:] = torch.logaddexp(out[:, 1:], prefix[:, :-1].unsqueeze(2))
    return out.view(N, nb * block, H)[:, :L]


class _LogCumSumExp(torch.autograd.Function):
    """torch.logcumsumexp over dim 1 with the blocked kernel in both passes."""

    @staticmethod
    def forward(ctx, v: Tensor) -> Tensor:  # noqa: ANN001
        out = _blocked_logcumsumexp(v)
        ctx.save_for_backward(v, out)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # noqa: ANN001
        # d out_t / d v_j = exp(v_j - out_t) for j <= t: a reversed cumulative sum,
        # in log space with the gradient split by sign (as torch's own backward)
        v, out = ctx.saved_tensors

        def reverse_lcse(x: Tensor) -> Tensor:
            return _blocked_logcumsumexp(x.flip(1)).flip(1)

        pos = reverse_lcse(torch.log(grad.clamp_min(0)) - out)
        neg = reverse_lcse(torch.log((-grad).clamp_min(0)) - out)
        return torch.exp(pos + v) - torch.exp(neg + v)


def logcumsumexp(v: Tensor) -> Tensor:
    """``torch.logcumsumexp(v, 1)`` for (N, L, H), faster on CPU; gradients included."""
    if v.device.type != "cpu":
        return torch.logcumsumexp(v, 1)
    return _LogCumSumExp.apply(v)


def parallel_scan_log(
    log_a: Tensor, log_b: Tensor, h0: Tensor | None = None, chunk: int = 64
) -> Tensor:
    """Solve ``h_t = a_t * h_{t-1} + b_t`` for all t at once, from log a and log b.

    Args:
        log_a, log_b: (N, L, H) logs of the coefficients and (positive) values.
        h0: (N, H) initial state, or None for zeros.
        chunk: steps per parallel block; the state is carried between blocks.

    Returns:
        h: (N, L, H), the state after each step.
    """
    outs = []
    for la, lb in zip(log_a.split(chunk, 1), log_b.split(chunk, 1)):
        a_star = la.cumsum(1)  # (N, C, H)
        h = torch.exp(a_star + logcumsumexp(lb - a_star))  # (N, C, H)
        if h0 is not None:
            h = h + torch.exp(a_star) * h0.unsqueeze(1)
        outs.append(h)
        h0 = h[:, -1]
    return torch.cat(outs, 1) if len(outs) > 1 else outs[0]


class _LinearRecurrence(torch.autograd.Function):
    """``h_t = a_t * h_{t-1} + b_t`` over dim 0 of time-major (L, N, H) tensors.

    Backward is the same recurrence run backwards: with g_t the incoming gradient,
    ``dh_t = g_t + a_{t+1} * dh_{t+1}``, then ``db_t = dh_t``,
    ``da_t = dh_t * h_{t-1}`` and ``dh_0 = a_1 * dh_1``.
    """

    @staticmethod
    def forward(ctx, a: Tensor, b: Tensor, h0: Tensor) -> Tensor:  # noqa: ANN001
        out = torch.empty_like(b)  # (L, N, H)
        h = h0  # (N, H)
        for t in range(a.shape[0]):
            h = torch.addcmul(b[t], a[t], h, out=out[t])
        ctx.save_for_backward(a, out, h0)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor, Tensor]:  # noqa: ANN001
        a, out, h0 = ctx.saved_tensors
        grad = grad.contiguous()  # (L, N, H)
        L = a.shape[0]
        db = torch.empty_like(grad)  # dh_t, the gradient reaching each state
        d = db[L - 1].copy_(grad[L - 1])
        for t in range(L - 2, -1, -1):
            d = torch.addcmul(grad[t], a[t + 1], d, out=db[t])
        h_prev = torch.cat([h0.unsqueeze(0), out[:-1]], 0)  # (L, N, H)
        return db * h_prev, db, a[0] * db[0]


def linear_recurrence(a: Tensor, b: Tensor, h0: Tensor | None = None) -> Tensor:
    """Solve ``h_t = a_t * h_{t-1} + b_t`` one step at a time (any sign of b).

    Args:
        a, b: (N, L, H) coefficients and values.
        h0: (N, H) initial state, or None for zeros.

    Returns:
        h: (N, L, H), the state after each step.
    """
    N, _, H = a.shape
    if h0 is None:
        h0 = a.new_zeros(N, H)
    a_t = a.transpose(0, 1).contiguous()  # (L, N, H): each step a contiguous slice
    b_t = b.transpose(0, 1).contiguous()
    return _LinearRecurrence.apply(a_t, b_t, h0.contiguous()).transpose(0, 1)  # (N, L, H)


def _reverse_index(lengths: Tensor, L: int) -> Tensor:
    """(N, L) index reversing each sequence within its own length (padding stays put)."""
    t = torch.arange(L, device=lengths.device).expand(len(lengths), L)  # (N, L)
    lengths = lengths.unsqueeze(1)  # (N, 1)
    return torch.where(t < lengths, lengths - 1 - t, t)


class _MinimalBase(nn.Module):
    _gates = 2
    scan_chunk = 64

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
        scan: str = "auto",
    ) -> None:
        super().__init__()
        if scan not in SCANS:
            raise ConfigError(f"scan must be one of {', '.join(SCANS)}; got {scan!r}")
        self.scan = scan
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.bias = check_bool("bias", bias)
        self.batch_first = check_bool("batch_first", batch_first)
        self.dropout = check_probability("dropout", dropout)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        warn_single_layer_dropout(self.dropout, self.num_layers)
        D = 2 if bidirectional else 1
        G = self._gates * hidden_size
        kw = {"device": device, "dtype": dtype}
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else D * hidden_size
            for direction in range(D):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                setattr(self, "weight_ih" + sfx, nn.Parameter(torch.empty(G, layer_in, **kw)))
                if bias:
                    setattr(self, "bias_ih" + sfx, nn.Parameter(torch.empty(G, **kw)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """nn.Linear's initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as the paper's code."""
        for layer in range(self.num_layers):
            for direction in range(2 if self.bidirectional else 1):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                w = getattr(self, "weight_ih" + sfx)
                bound = 1.0 / math.sqrt(w.shape[1])
                for p in (w, getattr(self, "bias_ih" + sfx, None)):
                    if p is not None:
                        nn.init.uniform_(p, -bound, bound)

    def _weights(self, layer: int, direction: int) -> tuple[Tensor, Tensor | None]:
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        return getattr(self, "weight_ih" + sfx), getattr(self, "bias_ih" + sfx, None)

    # Subclasses: log coefficients and log values from the projection; one step.
    def _log_terms(self, proj: Tensor) -> tuple[Tensor, Tensor]:
        raise NotImplementedError

    def _scan(self, x: Tensor, w: Tensor, b: Tensor | None, h0: Tensor | None) -> Tensor:
        """All states (N, L, H) of one layer and direction from its input x (N, L, H_in)."""
        scan = self.scan
        if scan == "auto":
            scan = "sequential" if x.device.type == "cpu" else "log"
        if scan == "log":
            log_a, log_b = self._log_terms(F.linear(x, w, b))  # (N, L, H) each
            return parallel_scan_log(log_a, log_b, h0, self.scan_chunk)
        # time-major, so that each step of the recurrence reads contiguous memory
        weight, value = self._step_terms(F.linear(x.transpose(0, 1), w, b))  # (L, N, H) each
        h0 = x.new_zeros(x.shape[0], self.hidden_size) if h0 is None else h0.contiguous()
        out = _LinearRecurrence.apply(1.0 - weight, weight * value, h0)  # (L, N, H)
        return out.transpose(0, 1)  # (N, L, H)

    def _step_terms(self, proj: Tensor) -> tuple[Tensor, Tensor]:
        """(weight of the new value, new value): h = lerp(h_prev, value, weight)."""
        raise NotImplementedError

    def forward(self, input, state: Tensor | None = None):  # noqa: ANN001 - torch-like signature
        """Run the stack over whole sequences with the parallel scan; returns (output, h_n)."""
        D = 2 if self.bidirectional else 1
        packed = isinstance(input, PackedSequence)
        batched = True
        if packed:
            x, lengths = pad_packed_sequence(
                input, batch_first=True
            )  # (N, L, H_in), original order
        else:
            if input.dim() not in (2, 3):
                raise ConfigError(
                    f"input must be 2-D (unbatched) or 3-D, got shape {tuple(input.shape)}"
                )
            batched = input.dim() == 3
            x = input if batched else input.unsqueeze(0 if self.batch_first else 1)
            x = x if self.batch_first else x.transpose(0, 1)  # (N, L, H_in)
            lengths = None
        N, L, H_in = x.shape
        if H_in != self.input_size:
            raise ConfigError(f"input.size(-1) must equal input_size={self.input_size}, got {H_in}")
        if state is not None:
            state = state if batched else state.unsqueeze(1)
            expected = (D * self.num_layers, N, self.hidden_size)
            if tuple(state.shape) != expected:
                raise ConfigError(f"state must have shape {expected}, got {tuple(state.shape)}")
        last = None if lengths is None else (lengths - 1).to(x.device)  # (N,)
        rev = None  # (N, L) per-length reversal; None: flip the whole padded length
        if self.bidirectional and lengths is not None:
            rev = _reverse_index(lengths.to(x.device), L)
        hs = []
        for layer in range(self.num_layers):
            if layer > 0:
                x = F.dropout(x, self.dropout, self.training)
            outs = []
            for direction in range(D):
                k = layer * D + direction
                h0 = None if state is None else state[k]
                xd = x
                if direction == 1:
                    xd = x.flip(1) if rev is None else x.gather(1, rev.unsqueeze(-1).expand_as(x))
                w, b = self._weights(layer, direction)
                out = self._scan(xd, w, b, h0)  # (N, L, H)
                if last is None:
                    hs.append(out[:, -1])
                else:
                    hs.append(out[torch.arange(N, device=out.device), last])
                if direction == 1:
                    out = (
                        out.flip(1)
                        if rev is None
                        else out.gather(1, rev.unsqueeze(-1).expand_as(out))
                    )
                outs.append(out)
            x = outs[0] if D == 1 else torch.cat(outs, -1)  # (N, L, D*H)
        h_n = torch.stack(hs)  # (D*num_layers, N, H)
        if packed:
            order = input.sorted_indices
            xs = x if order is None else x.index_select(0, order)
            ls = lengths if order is None else lengths.index_select(0, order.cpu())
            data = pack_padded_sequence(xs, ls, batch_first=True, enforce_sorted=True).data
            return PackedSequence(
                data, input.batch_sizes, input.sorted_indices, input.unsorted_indices
            ), h_n
        out = x if self.batch_first else x.transpose(0, 1)  # (N, L, D*H) or (L, N, D*H)
        if not batched:
            return out.squeeze(0 if self.batch_first else 1), h_n.squeeze(1)
        return out, h_n

    def step(self, x: Tensor, state: Tensor | None = None) -> tuple[Tensor, Tensor]:
        """One step of the recurrence, for generation from a carried state.

        Args:
            x: (N, H_in) the input at one time step.
            state: (num_layers, N, H) the state after the previous step, or None.

        Returns:
            (out, state): out (N, H) from the top layer, state (num_layers, N, H).
        """
        if self.bidirectional:
            raise ConfigError("step() needs a unidirectional stack, got bidirectional=True")
        if x.dim() != 2 or x.shape[1] != self.input_size:
            raise ConfigError(
                f"step input must be (N, {self.input_size}), got shape {tuple(x.shape)}"
            )
        N = x.shape[0]
        if state is None:
            state = x.new_zeros(self.num_layers, N, self.hidden_size)  # (num_layers, N, H)
        elif tuple(state.shape) != (self.num_layers, N, self.hidden_size):
            expected = (self.num_layers, N, self.hidden_size)
            raise ConfigError(f"state must have shape {expected}, got {tuple(state.shape)}")
        hs = []
        for layer in range(self.num_layers):
            if layer > 0:
                x = F.dropout(x, self.dropout, self.training)
            w, b = self._weights(layer, 0)
            weight, value = self._step_terms(F.linear(x, w, b))  # (N, H) each
            x = torch.lerp(state[layer], value, weight)  # (N, H)
            hs.append(x)
        return x, torch.stack(hs)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        for key, default in (
            ("num_layers", 1),
            ("bias", True),
            ("batch_first", False),
            ("dropout", 0.0),
            ("scan", "auto"),
        ):
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)!r}"
        return s + (", bidirectional=True" if self.bidirectional else "")


_MIN_SHAPES = r"""
    Shape:
        - input: (L, N, H_in), (N, L, H_in) if batch_first, (L, H_in) unbatched,
          or a PackedSequence
        - state: (D*num_layers, N, H) or None (zeros)
        - output: (L, N, D*H), (N, L, D*H) if batch_first, or a PackedSequence
        - h_n: (D*num_layers, N, H), each sequence's state after its own last step

    Outputs at valid positions never depend on padding (the scan is causal, and
    the reverse direction reverses each sequence within its own length).
"""


class MinGRU(_MinimalBase):
    __doc__ = (
        r"""Multi-layer minGRU: a GRU whose gates see the input only.

    .. math::
        \begin{array}{ll}
        z_t = \sigma(W_z x_t + b_z) \\
        \tilde h_t = g(W_h x_t + b_h) \\
        h_t = (1 - z_t) \odot h_{t-1} + z_t \odot \tilde h_t
        \end{array}

    ``weight_ih_l0`` is (2H, H_in), rows in the order z, h. Training runs the
    whole sequence at once (``scan``: "log" is the log-space parallel scan,
    "sequential" the fused linear recurrence, "auto" the faster on the device);
    :meth:`step` runs the recurrence one step at a time for generation.
"""
        + _MIN_SHAPES
    )

    _gates = 2

    def _log_terms(self, proj: Tensor) -> tuple[Tensor, Tensor]:
        k, pre = proj.chunk(2, -1)
        return -F.softplus(k), -F.softplus(-k) + log_g(pre)  # log(1 - z), log(z * h~)

    def _step_terms(self, proj: Tensor) -> tuple[Tensor, Tensor]:
        k, pre = proj.chunk(2, -1)
        return torch.sigmoid(k), g(pre)


class MinLSTM(_MinimalBase):
    __doc__ = (
        r"""Multi-layer minLSTM: an LSTM whose gates see the input only, normalised to sum to one.

    .. math::
        \begin{array}{ll}
        f_t = \sigma(W_f x_t + b_f), \quad i_t = \sigma(W_i x_t + b_i) \\
        f'_t = f_t / (f_t + i_t), \quad i'_t = i_t / (f_t + i_t) \\
        \tilde h_t = g(W_h x_t + b_h) \\
        h_t = f'_t \odot h_{t-1} + i'_t \odot \tilde h_t
        \end{array}

    ``weight_ih_l0`` is (3H, H_in), rows in the order f, i, h. Training runs the
    whole sequence at once (``scan``: "log" is the log-space parallel scan,
    "sequential" the fused linear recurrence, "auto" the faster on the device);
    :meth:`step` runs the recurrence one step at a time for generation.
"""
        + _MIN_SHAPES
    )

    _gates = 3

    @staticmethod
    def _diff(kf: Tensor, ki: Tensor) -> Tensor:
        return F.softplus(-kf) - F.softplus(-ki)  # log(i / f)

    def _log_terms(self, proj: Tensor) -> tuple[Tensor, Tensor]:
        kf, ki, pre = proj.chunk(3, -1)
        diff = self._diff(kf, ki)
        return -F.softplus(diff), -F.softplus(-diff) + log_g(pre)  # log f', log(i' * h~)

    def _step_terms(self, proj: Tensor) -> tuple[Tensor, Tensor]:
        kf, ki, pre = proj.chunk(3, -1)
        return torch.sigmoid(self._diff(kf, ki)), g(pre)  # i' = i / (f + i)
