"""The machinery shared by RNN, LSTM and GRU (:mod:`rnnkit.nn.recurrent`).

Parameter registration under torch.nn's names, state handling (None, unbatched,
PackedSequence order), and the two backends: torch's fused kernels
(``torch._VF``) called on these very parameters, and the scratch loop of
:mod:`rnnkit.nn._loops`.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import _VF, Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn._checks import (
    BACKENDS,
    check_bool,
    check_choice,
    check_positive_int,
    check_probability,
    warn_single_layer_dropout,
)
from rnnkit.nn._loops import LayerWeights, run_layer
from rnnkit.nn.dropout import locked_dropout, locked_dropout_packed

__all__: list[str] = []

_FREEZE = 1e4  # drives a sigmoid to exactly 0 or 1 in float32
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_VF_FUNCS = {"RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu", "LSTM": "lstm", "GRU": "gru"}
# One step through torch's cell kernels (what torch.nn.LSTMCell and friends call).
_CELL_FUNCS = {
    "RNN_TANH": torch.rnn_tanh_cell,
    "RNN_RELU": torch.rnn_relu_cell,
    "LSTM": torch.lstm_cell,
    "GRU": torch.gru_cell,
}


def _time_index(x: Tensor, index: Tensor) -> Tensor:
    """``x[n, index[n, t]]`` for every n and t: (N, L, F) with index (N, L)."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.size(-1)))


class RecurrentBase(nn.Module):
    """Shared machinery of RNN, LSTM and GRU; see the subclasses for the equations."""

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int,
        bias: bool,
        batch_first: bool,
        dropout: float,
        bidirectional: bool,
        proj_size: int,
        device: torch.device | str | None,
        dtype: torch.dtype | None,
        layer_norm: bool,
        variational_dropout: bool,
        backend: str,
    ) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = check_positive_int("input_size", input_size)
        self.hidden_size = check_positive_int("hidden_size", hidden_size)
        self.num_layers = check_positive_int("num_layers", num_layers)
        self.bias = check_bool("bias", bias)
        self.batch_first = check_bool("batch_first", batch_first)
        self.dropout = check_probability("dropout", dropout)
        self.bidirectional = check_bool("bidirectional", bidirectional)
        if (
            isinstance(proj_size, bool)
            or not isinstance(proj_size, int)
            or not 0 <= proj_size < hidden_size
        ):
            raise ConfigError(
                f"proj_size must be an int in [0, hidden_size={hidden_size}), got {proj_size!r}"
            )
        self.proj_size = proj_size
        self.layer_norm = check_bool("layer_norm", layer_norm)
        if layer_norm and mode not in ("LSTM", "GRU"):
            raise ConfigError(
                f"layer_norm is available for LSTM and GRU only, got layer_norm=True for {mode}"
            )
        self.variational_dropout = check_bool("variational_dropout", variational_dropout)
        self.backend = check_choice("backend", backend, BACKENDS)
        if backend == "torch" and layer_norm:
            raise ConfigError(
                "backend='torch' has no kernel for layer_norm=True; use backend='auto' or 'scratch'"
            )
        warn_single_layer_dropout(self.dropout, self.num_layers)

        kw = {"device": device, "dtype": dtype}
        G = _GATES[mode] * hidden_size
        H_out = proj_size or hidden_size
        D = 2 if bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else H_out * D
            for direction in range(D):
                sfx = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (G, layer_in)), ("weight_hh", (G, H_out))]
                if bias:
                    shapes += [("bias_ih", (G,)), ("bias_hh", (G,))]
                if proj_size:
                    shapes += [("weight_hr", (proj_size, hidden_size))]
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, nn.Parameter(torch.empty(shape, **kw)))
                    names.append(base + sfx)
                self._flat_weights_names += names
                self._all_weights.append(names)
        if layer_norm:  # registered after all torch-named parameters, as their own keys
            for layer in range(num_layers):
                for direction in range(D):
                    sfx = f"_l{layer}" + ("_reverse" if direction else "")
                    setattr(self, "ln_ih" + sfx, nn.LayerNorm(G, bias=False, **kw))
                    setattr(self, "ln_hh" + sfx, nn.LayerNorm(G, bias=False, **kw))
                    if mode == "LSTM":
                        setattr(self, "ln_c" + sfx, nn.LayerNorm(hidden_size, **kw))
        self.reset_parameters()

    # ------------------------------------------------------------------ parameters
    def reset_parameters(self) -> None:
        """torch's initialisation, U(-1/sqrt(H), 1/sqrt(H)); layer norms start at gain 1, shift 0."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for name in self._flat_weights_names:
            nn.init.uniform_(getattr(self, name), -bound, bound)
        for module in self.children():
            module.reset_parameters()

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """The torch-named parameters per layer and direction, as torch.nn's ``all_weights``."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    @property
    def active_backend(self) -> str:
        """The backend a forward call runs: "torch" or "scratch"."""
        if self.backend == "auto":
            return "scratch" if self.layer_norm else "torch"
        return self.backend

    def flatten_parameters(self) -> None:
        """Lay the weights out in one cuDNN buffer, as torch.nn does; a no-op off CUDA."""
        weights = [getattr(self, n) for n in self._flat_weights_names]
        first = weights[0]
        if not all(
            w.is_cuda and w.dtype == first.dtype and torch.backends.cudnn.is_acceptable(w)
            for w in weights
        ):
            return
        if len({w.data_ptr() for w in weights}) != len(weights):
            return
        import torch.backends.cudnn.rnn as cudnn_rnn

        with torch.cuda.device_of(first), torch.no_grad():
            if torch._use_cudnn_rnn_flatten_weight():
                torch._cudnn_rnn_flatten_weight(
                    weights,
                    (4 if self.bias else 2) + (1 if self.proj_size else 0),
                    self.input_size,
                    cudnn_rnn.get_cudnn_mode(self.mode),
                    self.hidden_size,
                    self.proj_size,
                    self.num_layers,
                    self.batch_first,
                    self.bidirectional,
                )

    def _apply(self, fn, recurse=True):  # noqa: ANN001 - torch.nn's signature
        out = super()._apply(fn, recurse)
        self.flatten_parameters()
        return out

    def _layer_weights(self, layer: int, direction: int) -> LayerWeights:
        sfx = f"_l{layer}" + ("_reverse" if direction else "")
        get = lambda name: getattr(self, name + sfx, None)  # noqa: E731
        w = LayerWeights(
            get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"), get("weight_hr")
        )
        if self.layer_norm:
            w.ln_ih, w.ln_hh = get("ln_ih").weight, get("ln_hh").weight
            if self.mode == "LSTM":
                w.ln_c = (get("ln_c").weight, get("ln_c").bias)
        return w

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):  # noqa: ANN001 - torch.nn's signature
        """Run the stack; see the subclass docstring for shapes and return values."""
        is_lstm = self.mode == "LSTM"
        packed = isinstance(input, PackedSequence)
        batched = True
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            if data.dim() != 2:
                raise ConfigError(
                    f"packed input data must be 2-D (T, H_in), got shape {tuple(data.shape)}"
                )
            N = int(batch_sizes[0])
        else:
            if input.dim() not in (2, 3):
                raise ConfigError(
                    f"input must be 2-D (unbatched) or 3-D, got shape {tuple(input.shape)}"
                )
            batched = input.dim() == 3
            if not batched:
                input = input.unsqueeze(0 if self.batch_first else 1)
            data, batch_sizes, sorted_indices, unsorted_indices = input, None, None, None
            N = input.shape[0 if self.batch_first else 1]
        if data.shape[-1] != self.input_size:
            raise ConfigError(
                f"input.size(-1) must equal input_size={self.input_size}, got {data.shape[-1]}"
            )

        h0, c0 = self._initial_state(hx, data, N, batched, sorted_indices)

        if self.active_backend == "torch":
            out, h_n, c_n = self._forward_torch(data, batch_sizes, h0, c0)
        else:
            out, h_n, c_n = self._forward_scratch(data, batch_sizes, h0, c0)

        if unsorted_indices is not None:
            h_n = h_n.index_select(1, unsorted_indices)
            c_n = None if c_n is None else c_n.index_select(1, unsorted_indices)
        if packed:
            out = PackedSequence(out, batch_sizes, sorted_indices, unsorted_indices)
        elif not batched:
            out = out.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return (out, (h_n, c_n)) if is_lstm else (out, h_n)

    def step(self, input: Tensor, hx=None):  # noqa: ANN001 - torch.nn's state types
        """One time step of every sequence, for generation from a carried state.

        The same result as :meth:`forward` on a sequence of length 1, with less work
        per call: on CPU with the torch backend it goes straight to torch's cell
        kernels (``torch.lstm_cell`` and friends), layer by layer.

        Args:
            input: (N, H_in), the input at one time step.
            hx: as :meth:`forward`'s, h_0 or (h_0, c_0) for an LSTM, each
                (num_layers, N, H_out); None for zeros.

        Returns:
            ``(output, h_n)``, or ``(output, (h_n, c_n))`` for an LSTM, with output
            (N, H_out) from the top layer and the states as ``hx``.
        """
        if self.bidirectional:
            raise ConfigError("step() needs a unidirectional stack, got bidirectional=True")
        if input.dim() != 2 or input.shape[1] != self.input_size:
            raise ConfigError(
                f"step input must be (N, {self.input_size}), got shape {tuple(input.shape)}"
            )
        if self.active_backend != "torch" or self.proj_size or not input.is_cpu:
            time_dim = 1 if self.batch_first else 0
            out, state = self(input.unsqueeze(time_dim), hx)
            return out.squeeze(time_dim), state
        h0, c0 = self._initial_state(hx, input, input.shape[0])
        out, h_n, c_n = self._one_step(input, h0, c0)
        return (out, (h_n, c_n)) if c_n is not None else (out, h_n)

    def _initial_state(
        self,
        hx,  # noqa: ANN001 - torch.nn's state types
        data: Tensor,
        N: int,
        batched: bool = True,
        sorted_indices: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Check ``hx`` and return (h_0, c_0), each (D*num_layers, N, H) in ``data``'s
        batch order; zeros for None; c_0 is None but for an LSTM."""
        D = 2 if self.bidirectional else 1

        def initial(state: Tensor | None, size: int, name: str) -> Tensor:
            if state is None:
                return data.new_zeros(self.num_layers * D, N, size)  # (D*num_layers, N, H)
            if not batched:
                if state.dim() != 2:
                    raise ConfigError(
                        f"{name} must be 2-D for unbatched input, got shape {tuple(state.shape)}"
                    )
                state = state.unsqueeze(1)
            expected = (self.num_layers * D, N, size)
            if tuple(state.shape) != expected:
                raise ConfigError(f"{name} must have shape {expected}, got {tuple(state.shape)}")
            return state if sorted_indices is None else state.index_select(1, sorted_indices)

        H_out = self.proj_size or self.hidden_size
        if self.mode == "LSTM":
            if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
                raise ConfigError(
                    f"LSTM state must be a tuple (h_0, c_0) or None, got {type(hx).__name__}"
                )
            h0 = initial(None if hx is None else hx[0], H_out, "h_0")
            return h0, initial(None if hx is None else hx[1], self.hidden_size, "c_0")
        if isinstance(hx, (tuple, list)):
            raise ConfigError(
                f"{type(self).__name__} state must be a tensor h_0 or None, got a tuple"
            )
        return initial(hx, H_out, "h_0"), None

    def _forward_torch(
        self, data: Tensor, batch_sizes: Tensor | None, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """torch's fused kernels on our parameters; layer by layer for variational dropout."""
        steps = data.shape[1 if self.batch_first else 0] if batch_sizes is None else 0
        if steps == 1 and not self.bidirectional and not self.proj_size and data.is_cpu:
            out, h_n, c_n = self._one_step(data.reshape(-1, data.shape[-1]), h0, c0)  # L = 1
            return out.unsqueeze(1 if self.batch_first else 0), h_n, c_n
        fn = getattr(_VF, _VF_FUNCS[self.mode])
        weights = [getattr(self, n) for n in self._flat_weights_names]
        locked = (
            self.variational_dropout and self.training and self.dropout > 0 and self.num_layers > 1
        )
        if batch_sizes is not None and self._padded_kernel(data, batch_sizes):
            return self._forward_padded(data, batch_sizes, h0, c0, weights, locked)
        if not locked:
            return self._vf_call(
                fn, data, batch_sizes, h0, c0, weights, self.num_layers, self.dropout
            )
        D = 2 if self.bidirectional else 1
        per_layer = len(weights) // self.num_layers
        x, hs, cs = data, [], []
        for layer in range(self.num_layers):
            if layer > 0:
                x = self._locked(x, batch_sizes)
            rows = slice(layer * D, (layer + 1) * D)
            x, h, c = self._vf_call(
                fn,
                x,
                batch_sizes,
                h0[rows],
                None if c0 is None else c0[rows],
                weights[layer * per_layer : (layer + 1) * per_layer],
                1,
                0.0,
            )
            hs.append(h)
            cs.append(c)
        return x, torch.cat(hs), (None if c0 is None else torch.cat(cs))

    def _padded_kernel(self, data: Tensor, batch_sizes: Tensor) -> bool:
        """Whether a packed batch runs padded through the CPU's whole-sequence kernel
        instead, with the same results.

        On CPU, torch runs a packed batch as a loop of small ops whose backward grows
        with L * T (each step's gradient is laid into a zero tensor of all T packed
        rows). Measured on 2 cores, forward and backward, against ``torch.nn`` on the
        same packed batch (``benchmarks/bench_recurrent.py --packed-only``;
        docs/benchmarks.md):

        - LSTM (oneDNN's fused kernel): a 256-unit BiLSTM over 32 sentences of 8-25
          words ran 1.6x faster padded, 3.7x over 100-200 steps. Only wide batches of
          short, narrow sequences lose (800 words of up to 10 characters, 50 units:
          0.7x), so a batch goes padded when N <= 256 or H >= 128.
        - GRU (no fused kernel, but one input projection for the whole sequence): it
          gains where L * T is large, 3.7x for 32 sequences of 180-200 steps and 7.4x
          for 256 of 88-100 (256 units), and lost up to 1.5x on short or uneven batches.
          A batch goes padded when L * T >= 2^20, or when L * T >= 2^18 and the
          padding adds at most a quarter to the T rows.
        - RNN: padded lost or tied in almost every shape measured; it stays packed.
        """
        if self.proj_size or not data.is_cpu or data.dtype != torch.float32:
            return False
        N, L, T = int(batch_sizes[0]), len(batch_sizes), data.shape[0]
        if self.mode == "LSTM":
            fused = torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled
            return fused and (N <= 256 or self.hidden_size >= 128)
        if self.mode == "GRU":
            return L * T >= 2**20 or (L * T >= 2**18 and 4 * N * L <= 5 * T)
        return False

    def _forward_padded(
        self,
        data: Tensor,
        batch_sizes: Tensor,
        h0: Tensor,
        c0: Tensor | None,
        weights: list[Tensor],
        locked: bool,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """A packed batch run padded, layer by layer and direction by direction.

        ``data`` (T, H_in) is packed in the order of decreasing length (N sequences);
        the result is packed the same way, with h_n (and c_n) (D*num_layers, N, H) as
        the packed kernel gives them::

            forward    a  b  c  _  _     run as is; h_n is the output at length - 1
            backward   c  b  a  _  _     each sequence reversed within its length, run,
                                         reversed back; h_n again at length - 1
            LSTM c_n   an extra input column, 0 on real steps and 1e4 on padding, weighted
                       -1 into the input gate and +1 into the forget gate: the gates
                       are exactly 0 and 1 there (float32), so the cell state, and its
                       gradient, pass the padding unchanged (as in rnnkit.nn.padded)

        The padding comes after each sequence in both directions, so no real output
        reads it. Dropout between layers (ordinary or locked) is drawn on the padded
        layout.
        """
        N, steps = int(batch_sizes[0]), len(batch_sizes)
        D = 2 if self.bidirectional else 1
        H = self.hidden_size
        lstm = self.mode == "LSTM"
        fn = getattr(torch, _VF_FUNCS[self.mode])
        lengths = (batch_sizes.unsqueeze(0) > torch.arange(N).unsqueeze(1)).sum(1)  # (N,)
        position = torch.arange(steps).unsqueeze(0)  # (1, L)
        real = position < lengths.unsqueeze(1)  # (N, L)
        flip = torch.where(real, lengths.unsqueeze(1) - 1 - position, position).to(data.device)
        last = (lengths - 1).to(data.device).view(N, 1)  # (N, 1)
        x = pad_packed_sequence(PackedSequence(data, batch_sizes), batch_first=True)[0]
        if lstm:
            freeze = (~real).to(data.device, data.dtype).unsqueeze(-1) * _FREEZE  # (N, L, 1)
            column = data.new_zeros(4 * H, 1)  # -1 into the input gate, +1 into forget
            column[:H], column[H : 2 * H] = -1.0, 1.0
        per_direction = len(weights) // (self.num_layers * D)
        hs, cs = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                x = (
                    locked_dropout(x, self.dropout, True, True)
                    if locked
                    else F.dropout(x, self.dropout, True)
                )
            if lstm:
                x = torch.cat([x, freeze], dim=-1)  # (N, L, H_in + 1)
            outs = []
            for direction in range(D):
                k = layer * D + direction
                w = weights[k * per_direction : (k + 1) * per_direction]
                hx: Tensor | tuple[Tensor, Tensor] = h0[k : k + 1]
                if lstm:
                    w = [torch.cat([w[0], column], dim=1), *w[1:]]  # (4H, H_in + 1)
                    hx = (h0[k : k + 1], c0[k : k + 1])
                inp = x if direction == 0 else _time_index(x, flip)
                res = fn(inp, hx, w, self.bias, 1, 0.0, self.training, False, True)
                out = res[0]  # (N, L, H)
                hs.append(_time_index(out, last).squeeze(1))  # (N, H)
                if lstm:
                    cs.append(res[2][0])  # (N, H)
                if direction == 1:
                    out = _time_index(out, flip)
                outs.append(out)
            x = outs[0] if D == 1 else torch.cat(outs, dim=-1)  # (N, L, D*H)
        out = pack_padded_sequence(x, lengths, batch_first=True).data  # (T, D*H)
        return out, torch.stack(hs), (torch.stack(cs) if lstm else None)

    def _one_step(
        self, x: Tensor, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """One time step through torch's cell kernels, layer by layer (x: (N, H_in)).

        On CPU the fused sequence kernel costs several times more per call than the
        cells when L = 1; the result is the same (tested against torch.nn).
        """
        cell = _CELL_FUNCS[self.mode]
        # Each weight read from _parameters, a dict lookup (Module.__getattr__ costs more,
        # and this runs once a token); a weight made a property (parametrize) by getattr.
        params, names = self._parameters, self._flat_weights_names
        per_layer = len(names) // self.num_layers  # unidirectional, no projection
        h_in = h0.unbind(0)  # one view per layer, (N, H) each
        c_in = None if c0 is None else c0.unbind(0)
        hs, cs = [], []
        for layer in range(self.num_layers):
            if layer > 0 and self.training:  # one step: locked and ordinary dropout are the same
                x = F.dropout(x, self.dropout, True)
            layer_names = names[layer * per_layer : (layer + 1) * per_layer]
            weights = [params[n] if n in params else getattr(self, n) for n in layer_names]
            if c_in is None:
                x = cell(x, h_in[layer], *weights)  # (N, H)
            else:
                x, c = cell(x, (h_in[layer], c_in[layer]), *weights)  # (N, H) each
                cs.append(c)
            hs.append(x)
        return x, torch.stack(hs), (torch.stack(cs) if cs else None)

    def _vf_call(self, fn, x, batch_sizes, h0, c0, weights, num_layers, dropout):  # noqa: ANN001
        hx = (h0, c0) if c0 is not None else h0
        train = self.training
        if batch_sizes is None:
            res = fn(
                x,
                hx,
                weights,
                self.bias,
                num_layers,
                dropout,
                train,
                self.bidirectional,
                self.batch_first,
            )
        else:
            res = fn(
                x,
                batch_sizes,
                hx,
                weights,
                self.bias,
                num_layers,
                dropout,
                train,
                self.bidirectional,
            )
        return res[0], res[1], (res[2] if c0 is not None else None)

    def _locked(self, x: Tensor, batch_sizes: Tensor | None) -> Tensor:
        if batch_sizes is not None:
            return locked_dropout_packed(x, batch_sizes, self.dropout, self.training)
        return locked_dropout(x, self.dropout, self.training, self.batch_first)

    def _forward_scratch(
        self, data: Tensor, batch_sizes: Tensor | None, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """Our cells step by step (:func:`rnnkit.nn._loops.run_layer`) in the packed layout."""
        D = 2 if self.bidirectional else 1
        if batch_sizes is None:
            x = data.transpose(0, 1) if self.batch_first else data  # (L, N, H_in)
            L, N, _ = x.shape
            x = x.reshape(L * N, -1)  # (T, H_in), T = L * N
            sizes = [N] * L
        else:
            x, sizes = data, batch_sizes.tolist()
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0 and self.training:
                if self.variational_dropout:
                    bs = batch_sizes if batch_sizes is not None else torch.tensor(sizes)
                    x = locked_dropout_packed(x, bs, self.dropout, True)
                else:
                    x = F.dropout(x, self.dropout, True)
            outs = []
            for direction in range(D):
                k = layer * D + direction
                out, h, c = run_layer(
                    self.mode,
                    x,
                    sizes,
                    h0[k],
                    None if c0 is None else c0[k],
                    self._layer_weights(layer, direction),
                    reverse=direction == 1,
                )
                outs.append(out)
                hs.append(h)
                if c is not None:
                    cs.append(c)
            x = outs[0] if D == 1 else torch.cat(outs, 1)  # (T, D*H_out)
        if batch_sizes is None:
            x = x.view(L, N, -1)  # (L, N, D*H_out)
            x = x.transpose(0, 1) if self.batch_first else x
        return x, torch.stack(hs), (torch.stack(cs) if cs else None)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {
            "proj_size": 0,
            "num_layers": 1,
            "bias": True,
            "batch_first": False,
            "dropout": 0.0,
        }
        defaults |= {"bidirectional": False, "layer_norm": False, "variational_dropout": False}
        defaults |= {"backend": "auto"}
        for key, default in defaults.items():
            if getattr(self, key) != default:
                s += f", {key}={getattr(self, key)!r}"
        return s
