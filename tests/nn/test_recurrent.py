"""RNN, LSTM and GRU stacks against torch.nn: outputs, states, gradients, state_dicts."""

from __future__ import annotations

import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn import GRU, LSTM, RNN, GRUCell, LSTMCell
from rnnkit.nn._stack import RecurrentBase
from rnnkit.training.trainer import cpu_has_native_bf16

TOL = {"atol": 1e-5, "rtol": 1e-5}

# name -> (our class, torch class, extra constructor kwargs)
KINDS = {
    "rnn_tanh": (RNN, torch.nn.RNN, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNN, torch.nn.RNN, {"nonlinearity": "relu"}),
    "lstm": (LSTM, torch.nn.LSTM, {}),
    "lstm_proj": (LSTM, torch.nn.LSTM, {"proj_size": 2}),
    "gru": (GRU, torch.nn.GRU, {}),
}


def make_pair(kind, backend, seed=0, **kw):
    ours_cls, torch_cls, extra = KINDS[kind]
    torch.manual_seed(seed)
    ref = torch_cls(**extra, **kw)
    ours = ours_cls(**extra, **kw, backend=backend)
    ours.load_state_dict(ref.state_dict())  # strict
    return ours, ref


def state_tensors(state):
    return list(state) if isinstance(state, tuple) else [state]


def run_and_grad(module, x, state, packed_lengths=None, batch_first=False):
    """Run module, backprop a fixed random projection of every result, return results and grads."""
    x = x.detach().clone().requires_grad_(True)
    state = None if state is None else [s.detach().clone().requires_grad_(True) for s in state]
    hx = None if state is None else (tuple(state) if len(state) == 2 else state[0])
    inp = x
    if packed_lengths is not None:
        inp = pack_padded_sequence(x, packed_lengths, batch_first=batch_first, enforce_sorted=False)
    out, s = module(inp, hx)
    if packed_lengths is not None:
        out, _ = pad_packed_sequence(out, batch_first=batch_first)
    results = [out, *state_tensors(s)]
    gen = torch.Generator().manual_seed(123)
    loss = sum((r * torch.randn(r.shape, generator=gen)).sum() for r in results)
    loss.backward()
    grads = {n: p.grad for n, p in module.named_parameters()}
    grads["input"] = x.grad
    if state is not None:
        for i, s0 in enumerate(state):
            grads[f"state{i}"] = s0.grad
    return results, grads


@st.composite
def configs(draw):
    kind = draw(st.sampled_from(sorted(KINDS)))
    num_layers = draw(st.integers(1, 3))
    bidirectional = draw(st.booleans())
    batch_first = draw(st.booleans())
    bias = draw(st.booleans())
    N = draw(st.integers(1, 4))
    L = draw(st.integers(1, 5))
    packed = draw(st.booleans())
    lengths = draw(st.lists(st.integers(1, L), min_size=N, max_size=N)) if packed else None
    given_state = draw(st.booleans())
    backend = draw(st.sampled_from(["torch", "scratch"]))
    return dict(
        kind=kind,
        backend=backend,
        module=dict(
            input_size=draw(st.integers(1, 4)),
            hidden_size=draw(st.integers(3, 5)),
            num_layers=num_layers,
            bias=bias,
            batch_first=batch_first,
            bidirectional=bidirectional,
        ),
        N=N,
        L=L,
        lengths=lengths,
        given_state=given_state,
        seed=draw(st.integers(0, 2**16)),
    )


def make_inputs(cfg):
    m = cfg["module"]
    D = 2 if m["bidirectional"] else 1
    gen = torch.Generator().manual_seed(cfg["seed"])
    N, L = cfg["N"], cfg["L"]
    shape = (N, L, m["input_size"]) if m["batch_first"] else (L, N, m["input_size"])
    x = torch.randn(shape, generator=gen)
    state = None
    if cfg["given_state"]:
        H_out = 2 if cfg["kind"] == "lstm_proj" else m["hidden_size"]
        state = [torch.randn(D * m["num_layers"], N, H_out, generator=gen)]
        if cfg["kind"].startswith("lstm"):
            state.append(torch.randn(D * m["num_layers"], N, m["hidden_size"], generator=gen))
    lengths = None if cfg["lengths"] is None else torch.tensor(cfg["lengths"])
    return x, state, lengths


@settings(max_examples=40, deadline=None)
@given(configs())
def test_outputs_states_and_every_gradient_match_torch_nn(cfg):
    ours, ref = make_pair(cfg["kind"], cfg["backend"], cfg["seed"], **cfg["module"])
    x, state, lengths = make_inputs(cfg)
    bf = cfg["module"]["batch_first"]
    got, got_grads = run_and_grad(ours, x, state, lengths, bf)
    want, want_grads = run_and_grad(ref, x, state, lengths, bf)
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, **TOL)
    assert got_grads.keys() == want_grads.keys()
    for name in want_grads:
        torch.testing.assert_close(got_grads[name], want_grads[name], **TOL, msg=name)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_state_dict_keys_and_shapes_equal_torch_and_load_both_ways(kind):
    ours, ref = make_pair(
        kind, "auto", input_size=3, hidden_size=4, num_layers=2, bidirectional=True
    )
    ours_sd, ref_sd = ours.state_dict(), ref.state_dict()
    assert list(ours_sd) == list(ref_sd)
    assert all(ours_sd[k].shape == ref_sd[k].shape for k in ref_sd)
    assert "weight_hh_l1_reverse" in ours_sd
    ref2 = type(ref)(
        **KINDS[kind][2], input_size=3, hidden_size=4, num_layers=2, bidirectional=True
    )
    ref2.load_state_dict(ours_sd)  # strict, the other way
    assert all(torch.equal(ref2.state_dict()[k], ours_sd[k]) for k in ours_sd)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in ref.named_parameters()]


@pytest.mark.parametrize("backend", ["torch", "scratch"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_perturbing_one_weight_breaks_parity(kind, backend):
    ours, ref = make_pair(kind, backend, input_size=3, hidden_size=4, num_layers=2)
    x = torch.randn(5, 2, 3)
    torch.testing.assert_close(ours(x)[0], ref(x)[0], **TOL)
    with torch.no_grad():
        ours.weight_hh_l1[0, 0] += 1e-2
    with pytest.raises(AssertionError):
        torch.testing.assert_close(ours(x)[0], ref(x)[0], **TOL)


@pytest.mark.parametrize("backend", ["torch", "scratch"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_relu", "lstm_proj"])
def test_packed_batch_equals_each_sequence_alone(kind, backend):
    ours, _ = make_pair(
        kind, backend, input_size=3, hidden_size=4, num_layers=2, bidirectional=True
    )
    lengths = torch.tensor([2, 5, 1, 4])
    x = torch.randn(5, 4, 3)
    out, state = ours(pack_padded_sequence(x, lengths, enforce_sorted=False))
    out, out_lengths = pad_packed_sequence(out)
    assert out_lengths.tolist() == lengths.tolist()
    for b, n in enumerate(lengths.tolist()):
        alone_out, alone_state = ours(x[:n, b : b + 1])
        torch.testing.assert_close(out[:n, b], alone_out[:, 0], **TOL)
        for s, s_alone in zip(state_tensors(state), state_tensors(alone_state)):
            torch.testing.assert_close(s[:, b], s_alone[:, 0], **TOL)


@pytest.mark.parametrize("backend", ["torch", "scratch"])
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn_tanh"])
def test_state_none_equals_zeros(kind, backend):
    ours, _ = make_pair(
        kind, backend, input_size=3, hidden_size=4, num_layers=2, bidirectional=True
    )
    x = torch.randn(4, 2, 3)
    zeros = torch.zeros(4, 2, 4)
    hx = (zeros, zeros) if kind == "lstm" else zeros
    out_none, state_none = ours(x)
    out_zero, state_zero = ours(x, hx)
    torch.testing.assert_close(out_none, out_zero, atol=0, rtol=0)
    for a, b in zip(state_tensors(state_none), state_tensors(state_zero)):
        torch.testing.assert_close(a, b, atol=0, rtol=0)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_torch_and_scratch_backends_agree_on_the_same_weights(kind):
    fused, _ = make_pair(
        kind, "torch", input_size=3, hidden_size=4, num_layers=3, bidirectional=True
    )
    scratch = KINDS[kind][0](**KINDS[kind][2], input_size=3, hidden_size=4, num_layers=3, bidirectional=True, backend="scratch")  # fmt: skip
    scratch.load_state_dict(fused.state_dict())
    assert fused.active_backend == "torch" and scratch.active_backend == "scratch"
    x = torch.randn(6, 3, 3)
    (out_a, s_a), (out_b, s_b) = fused(x), scratch(x)
    torch.testing.assert_close(out_a, out_b, **TOL)
    for a, b in zip(state_tensors(s_a), state_tensors(s_b)):
        torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("backend", ["torch", "scratch"])
@pytest.mark.parametrize("dropout", [0.0, 1.0])
def test_training_dropout_zero_and_one_match_torch(backend, dropout):
    ours, ref = make_pair(
        "lstm", backend, input_size=3, hidden_size=4, num_layers=2, dropout=dropout
    )
    ours.train()
    ref.train()
    x = torch.randn(5, 2, 3)
    (out, (h, c)), (rout, (rh, rc)) = ours(x), ref(x)
    torch.testing.assert_close(out, rout, **TOL)
    torch.testing.assert_close(h, rh, **TOL)
    torch.testing.assert_close(c, rc, **TOL)


@pytest.mark.parametrize("backend", ["torch", "scratch"])
def test_variational_dropout_uses_one_mask_per_sequence_between_layers(backend):
    p = 0.5
    ours, ref = make_pair("gru", backend, input_size=3, hidden_size=4, num_layers=2, dropout=p)
    ours.variational_dropout = True
    ours.train()
    x = torch.randn(6, 2, 3)
    torch.manual_seed(7)
    out, h_n = ours(x)
    # the same computation by hand: layer 0, one (N, H) mask for all steps, layer 1
    torch.manual_seed(7)
    mask = torch.empty(2, 4).bernoulli_(1 - p) / (1 - p)  # (N, H)
    layer0 = torch.nn.GRU(3, 4)
    layer1 = torch.nn.GRU(4, 4)
    sd = ref.state_dict()
    layer0.load_state_dict({k: v for k, v in sd.items() if k.endswith("_l0")})
    layer1.load_state_dict({k.replace("_l1", "_l0"): v for k, v in sd.items() if k.endswith("_l1")})
    mid, h0 = layer0(x)
    want, h1 = layer1(mid * mask)
    torch.testing.assert_close(out, want, **TOL)
    torch.testing.assert_close(h_n, torch.cat([h0, h1]), **TOL)


@pytest.mark.parametrize("backend", ["torch", "scratch"])
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_unbatched_input_equals_batch_of_one(kind, backend):
    ours, _ = make_pair(kind, backend, input_size=3, hidden_size=4, num_layers=2)
    x = torch.randn(5, 3)
    h = torch.randn(2, 4)
    hx = (h, torch.randn(2, 4)) if kind == "lstm" else h
    out, state = ours(x, hx)
    hx_b = tuple(s.unsqueeze(1) for s in hx) if kind == "lstm" else h.unsqueeze(1)
    out_b, state_b = ours(x.unsqueeze(1), hx_b)
    torch.testing.assert_close(out, out_b[:, 0], atol=0, rtol=0)
    for s, s_b in zip(state_tensors(state), state_tensors(state_b)):
        assert s.dim() == 2
        torch.testing.assert_close(s, s_b[:, 0], atol=0, rtol=0)


def cell_state_dict(stack_sd, tag):
    """The entries of one layer and direction (names ending in ``tag``), under a cell's names."""
    out = {}
    for key, value in stack_sd.items():
        base, dot, rest = key.partition(".")
        if base.endswith(tag):
            out[base[: -len(tag)] + dot + rest] = value
    return out


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_layer_norm_stack_equals_a_loop_of_layer_norm_cells(kind):
    cls = LSTM if kind == "lstm" else GRU
    torch.manual_seed(0)
    stack = cls(3, 4, 2, bidirectional=True, layer_norm=True)
    with torch.no_grad():  # move the norms away from their identity initialisation
        for name, p in stack.named_parameters():
            if name.startswith("ln_"):
                p.copy_(torch.randn_like(p))
    assert stack.active_backend == "scratch"
    x = torch.randn(5, 2, 3)
    out, state = stack(x)
    layer_in, finals = x, []
    for layer in range(2):
        outs = []
        for direction, sfx in enumerate(["", "_reverse"]):
            cell = (LSTMCell if kind == "lstm" else GRUCell)(layer_in.shape[-1], 4, layer_norm=True)
            sd = cell_state_dict(stack.state_dict(), f"_l{layer}{sfx}")
            cell.load_state_dict(sd)
            steps = range(5) if direction == 0 else range(4, -1, -1)
            hx, seq = None, [None] * 5
            for t in steps:
                hx = cell(layer_in[t], hx)
                seq[t] = hx[0] if kind == "lstm" else hx
            outs.append(torch.stack(seq))
            finals.append(hx)
        layer_in = torch.cat(outs, -1)
    torch.testing.assert_close(out, layer_in, **TOL)
    h_n = state[0] if kind == "lstm" else state
    want_h = torch.stack([f[0] if kind == "lstm" else f for f in finals])
    torch.testing.assert_close(h_n, want_h, **TOL)


def test_layer_norm_keys_exist_only_when_switched_on_and_torch_weights_load_beside_them():
    plain = LSTM(3, 4, 2).state_dict()
    normed = LSTM(3, 4, 2, layer_norm=True)
    extra = set(normed.state_dict()) - set(plain)
    assert not any(k.startswith("ln_") for k in plain)
    assert extra == {
        f"ln_{part}_l{layer}.{p}"
        for layer in range(2)
        for part, ps in (("ih", ["weight"]), ("hh", ["weight"]), ("c", ["weight", "bias"]))
        for p in ps
    }
    missing, unexpected = normed.load_state_dict(torch.nn.LSTM(3, 4, 2).state_dict(), strict=False)
    assert set(missing) == extra and not unexpected


def test_layer_norm_changes_the_output():
    torch.manual_seed(0)
    normed = GRU(3, 4, layer_norm=True)
    plain = GRU(3, 4)
    plain.load_state_dict(normed.state_dict(), strict=False)
    x = torch.randn(5, 2, 3)
    assert not torch.allclose(normed(x)[0], plain(x)[0], atol=1e-3)


def test_dropout_with_one_layer_warns_like_torch():
    with pytest.warns(UserWarning, match="num_layers"):
        LSTM(3, 4, 1, dropout=0.3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        LSTM(3, 4, 2, dropout=0.3)


@pytest.mark.parametrize(
    "kwargs, name",
    [
        ({"hidden_size": 0}, "hidden_size"),
        ({"num_layers": -1}, "num_layers"),
        ({"dropout": 1.5}, "dropout"),
        ({"backend": "cudnn"}, "backend"),
        ({"proj_size": 4}, "proj_size"),
        ({"layer_norm": True, "backend": "torch"}, "layer_norm"),
    ],
)
def test_bad_arguments_raise_config_error_naming_them(kwargs, name):
    args = {"input_size": 3, "hidden_size": 4} | kwargs
    with pytest.raises(ConfigError, match=name):
        LSTM(**args)
    with pytest.raises(ValueError):  # ConfigError is a ValueError, as torch raises
        LSTM(**args)


def test_wrong_state_shape_raises_config_error_with_the_shapes():
    m = GRU(3, 4, 2)
    with pytest.raises(ConfigError, match=r"\(2, 5, 4\)"):
        m(torch.randn(6, 5, 3), torch.zeros(1, 5, 4))


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_single_step_through_cell_kernels_matches_torch_nn(kind, bias, batch_first, monkeypatch):
    """L = 1 (generation) takes the cell-kernel path; outputs, states and grads equal torch's."""
    from rnnkit.nn import _stack

    mode = "LSTM" if kind == "lstm" else "GRU" if kind == "gru" else kind.upper()
    calls = []
    cell = _stack._CELL_FUNCS[mode]
    monkeypatch.setitem(_stack._CELL_FUNCS, mode, lambda *a: calls.append(1) or cell(*a))
    ours, ref = make_pair(
        kind, "torch", input_size=3, hidden_size=4, num_layers=3, bias=bias, batch_first=batch_first
    )
    x = torch.randn((2, 1, 3) if batch_first else (1, 2, 3))
    state = [torch.randn(3, 2, 4)] + ([torch.randn(3, 2, 4)] if kind == "lstm" else [])
    for initial in (state, None):
        got, got_grads = run_and_grad(ours, x, initial, batch_first=batch_first)
        want, want_grads = run_and_grad(ref, x, initial, batch_first=batch_first)
        for g, w in zip(got, want):
            torch.testing.assert_close(g, w, **TOL)
        for name in want_grads:
            torch.testing.assert_close(got_grads[name], want_grads[name], **TOL, msg=name)
        ours.zero_grad()
        ref.zero_grad()
    assert len(calls) == 2 * 3  # two runs of three layers went through the cells


def _step_loop(module, x, hx):
    """Run ``module.step`` over x (L, N, H_in) one time step at a time."""
    outs = []
    for t in range(x.shape[0]):
        out, hx = module.step(x[t], hx)
        outs.append(out)
    return torch.stack(outs), hx


@pytest.mark.parametrize("backend", ["torch", "scratch"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_step_loop_equals_forward_over_the_whole_sequence(kind, backend):
    """step() (the cell kernels on CPU, forward on length 1 elsewhere) carries the state
    exactly as forward does; states keep torch.nn's (num_layers, N, H) layout."""
    ours, ref = make_pair(kind, backend, input_size=3, hidden_size=4, num_layers=3)
    x = torch.randn(6, 2, 3)
    state = [torch.randn(3, 2, 2 if kind == "lstm_proj" else 4)]
    if kind.startswith("lstm"):
        state.append(torch.randn(3, 2, 4))
    for initial in (None, tuple(state) if len(state) == 2 else state[0]):
        got, got_state = _step_loop(ours, x, initial)
        want, want_state = ref(x, initial)
        torch.testing.assert_close(got, want, **TOL)
        for g, w in zip(state_tensors(got_state), state_tensors(want_state)):
            torch.testing.assert_close(g, w, **TOL)


def test_step_does_not_depend_on_batch_first_and_follows_the_layer_norm_stack():
    torch.manual_seed(0)
    x = torch.randn(4, 2, 3)
    for m in (LSTM(3, 5, 2, batch_first=True), GRU(3, 5, 2, layer_norm=True, batch_first=True)):
        m.eval()
        got, got_state = _step_loop(m, x, None)
        want, want_state = m(x.transpose(0, 1))
        torch.testing.assert_close(got.transpose(0, 1), want, **TOL)
        for g, w in zip(state_tensors(got_state), state_tensors(want_state)):
            torch.testing.assert_close(g, w, **TOL)


def test_step_refuses_a_bidirectional_stack_a_sequence_and_a_bad_state():
    with pytest.raises(ConfigError, match="unidirectional"):
        LSTM(3, 4, bidirectional=True).step(torch.randn(2, 3))
    with pytest.raises(ConfigError, match=r"step input must be \(N, 3\)"):
        GRU(3, 4).step(torch.randn(5, 2, 3))
    with pytest.raises(ConfigError, match=r"h_0 must have shape \(2, 2, 4\)"):
        GRU(3, 4, 2).step(torch.randn(2, 3), torch.zeros(1, 2, 4))
    with pytest.raises(ConfigError, match="tuple"):
        LSTM(3, 4).step(torch.randn(2, 3), torch.zeros(1, 2, 4))


class _Doubled(torch.nn.Module):
    def forward(self, weight):
        return 2 * weight


@pytest.mark.parametrize(
    "replace",
    [
        "setattr",  # module.weight_hh_l0 = nn.Parameter(...)
        "assign",  # load_state_dict(..., assign=True): new Parameter objects
        "to_double",  # .double() with new Parameter objects (_apply)
        "parametrize",  # weight_hh_l0 becomes a property computed from the original
        "functional_call",  # torch.func swaps tensors in for the call
    ],
)
def test_every_call_uses_the_current_parameters(replace):
    """The single-step path reads the weights without Module.__getattr__; it must
    still see every way a parameter is replaced."""
    ours, ref = make_pair("lstm", "torch", input_size=3, hidden_size=4, num_layers=2)
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p))
    x = torch.randn(5, 2, 3)
    ours(x[:1]), _step_loop(ours, x, None)  # called before the change, as a generating model is
    run = lambda m, inp: m(inp)[0]  # noqa: E731
    if replace == "setattr":
        for name, p in ref.named_parameters():
            setattr(ours, name, torch.nn.Parameter(p.detach().clone()))
    elif replace == "assign":
        ours.load_state_dict({k: v.clone() for k, v in ref.state_dict().items()}, assign=True)
    elif replace == "to_double":
        ours.load_state_dict(ref.state_dict())
        overwrite = torch.__future__.get_overwrite_module_params_on_conversion()
        torch.__future__.set_overwrite_module_params_on_conversion(True)
        try:
            ours, ref, x = ours.double(), ref.double(), x.double()
        finally:
            torch.__future__.set_overwrite_module_params_on_conversion(overwrite)
    elif replace == "parametrize":
        ours.load_state_dict(ref.state_dict())
        torch.nn.utils.parametrize.register_parametrization(ours, "weight_hh_l1", _Doubled())
        with torch.no_grad():
            ref.weight_hh_l1.mul_(2)
    else:
        params = {k: v.clone() for k, v in ref.state_dict().items()}
        run = lambda m, inp: torch.func.functional_call(m, params, (inp,))[0]  # noqa: E731
    want = ref(x)[0]
    torch.testing.assert_close(run(ours, x), want, **TOL)
    # a length-1 sequence through forward takes the cell path, as step() does
    torch.testing.assert_close(run(ours, x[:1]), want[:1], **TOL)
    if replace != "functional_call":
        torch.testing.assert_close(_step_loop(ours, x, None)[0], want, **TOL)


@pytest.mark.parametrize(
    "kind, N, shortest, longest, hidden, padded",
    [
        ("lstm", 4, 1, 6, 4, True),
        ("lstm", 300, 1, 6, 4, False),  # a wide batch of narrow units stays packed
        ("lstm", 300, 1, 6, 128, True),
        ("gru", 4, 1, 6, 4, False),  # L * T small: packed
        ("gru", 64, 120, 128, 4, True),  # L * T >= 2**18, padding under a quarter
        ("gru", 64, 8, 128, 4, False),  # as long, but half of it padding
        ("rnn_tanh", 64, 120, 128, 4, False),  # the RNN always stays packed
    ],
)
def test_a_packed_batch_on_cpu_runs_padded_where_faster_with_torchs_results(
    kind, N, shortest, longest, hidden, padded, monkeypatch
):
    """A packed batch on CPU goes padded to the whole-sequence kernel where that is
    faster (RecurrentBase._padded_kernel's rule), and gives torch.nn's outputs, states
    and gradients either way, in training with dropout 1 between the layers too (the
    dropped layer reads zeros in both)."""
    calls = []
    run = RecurrentBase._forward_padded
    monkeypatch.setattr(
        RecurrentBase, "_forward_padded", lambda self, *a: calls.append(1) or run(self, *a)
    )
    for dropout in (0.0, 1.0):
        ours, ref = make_pair(
            kind,
            "torch",
            input_size=3,
            hidden_size=hidden,
            num_layers=2,
            bidirectional=True,
            batch_first=True,
            dropout=dropout,
        )
        ours.train(dropout > 0)
        ref.train(dropout > 0)
        lengths = torch.randint(shortest, longest + 1, (N,))
        lengths[N // 2] = longest
        x = torch.randn(N, longest, 3)
        state = [torch.randn(4, N, hidden) for _ in range(2 if kind == "lstm" else 1)]
        got, got_grads = run_and_grad(ours, x, state, lengths, batch_first=True)
        want, want_grads = run_and_grad(ref, x, state, lengths, batch_first=True)
        for g, w in zip(got, want):
            torch.testing.assert_close(g, w, **TOL)
        for name, want_grad in want_grads.items():  # sums over N * L terms: a scaled atol
            atol = 1e-5 * max(1.0, float(want_grad.abs().max()))
            torch.testing.assert_close(got_grads[name], want_grad, atol=atol, rtol=1e-5, msg=name)
    assert len(calls) == (2 if padded else 0)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize(
    "lengths, num_layers, bidirectional",
    [([5], 1, False), ([5], 2, True), ([4, 4, 4], 1, True), ([3, 6, 1, 6], 1, False)],
)
def test_the_padded_path_matches_the_packed_one_on_edge_shapes(
    kind, lengths, num_layers, bidirectional, monkeypatch
):
    """One sequence, equal lengths, one direction, a given state: the padded path
    (forced) gives the packed kernel's results and gradients (forced packed)."""
    torch.manual_seed(0)
    cls = LSTM if kind == "lstm" else GRU
    stack = cls(3, 5, num_layers, batch_first=True, bidirectional=bidirectional)
    D = 2 if bidirectional else 1
    lengths = torch.tensor(lengths)
    x = torch.randn(len(lengths), int(lengths.max()), 3)
    state = [
        torch.randn(D * num_layers, len(lengths), 5) for _ in range(2 if kind == "lstm" else 1)
    ]
    results = {}
    for padded in (True, False):
        monkeypatch.setattr(RecurrentBase, "_padded_kernel", lambda self, d, b, p=padded: p)
        results[padded] = run_and_grad(stack, x, state, lengths, batch_first=True)
    (got, got_grads), (want, want_grads) = results[True], results[False]
    for g, w in zip(got, want):
        torch.testing.assert_close(g, w, **TOL)
    for name, want_grad in want_grads.items():
        torch.testing.assert_close(got_grads[name], want_grad, **TOL, msg=name)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_locked_dropout_draws_the_same_masks_padded_and_packed(kind, monkeypatch):
    """Variational (locked) dropout between layers, in training: the padded path draws
    one mask per sequence and feature, as the packed path does, from the same seed."""
    cls = LSTM if kind == "lstm" else GRU
    torch.manual_seed(0)
    stack = cls(3, 5, 3, batch_first=True, dropout=0.5, variational_dropout=True)
    stack.train()
    lengths = torch.tensor([2, 6, 4])
    x = torch.randn(3, 6, 3)
    outs = {}
    for padded in (True, False):
        monkeypatch.setattr(RecurrentBase, "_padded_kernel", lambda self, d, b, p=padded: p)
        torch.manual_seed(1)
        outs[padded] = run_and_grad(stack, x, None, lengths, batch_first=True)[0]
    for g, w in zip(outs[True], outs[False]):
        torch.testing.assert_close(g, w, **TOL)
    torch.manual_seed(2)  # another seed, other masks: the dropout is on
    other = run_and_grad(stack, x, None, lengths, batch_first=True)[0][0]
    assert not torch.allclose(other, outs[True][0])


@pytest.mark.parametrize(
    "kind",
    [
        pytest.param(
            "lstm",
            marks=pytest.mark.skipif(
                not cpu_has_native_bf16(),
                reason="oneDNN's bf16 LSTM needs AVX512-BF16 or AMX (torch.nn.LSTM fails "
                "the same way); without them the trainer never autocasts",
            ),
        ),
        "gru",
    ],
)
def test_the_padded_path_under_cpu_bf16_autocast_agrees_with_the_packed_one(kind, monkeypatch):
    """Under ``torch.autocast("cpu", torch.bfloat16)`` (``--amp``) the fused kernel may
    run in bf16: the padded path's outputs and states agree with the packed kernel's
    to bf16's precision, and its gradients reach every weight."""
    cls = LSTM if kind == "lstm" else GRU
    torch.manual_seed(0)
    stack = cls(8, 16, 2, batch_first=True, bidirectional=True)
    lengths = torch.tensor([9, 3, 6, 1])
    x = torch.randn(4, 9, 8)
    results = {}
    for padded in (True, False):
        monkeypatch.setattr(RecurrentBase, "_padded_kernel", lambda self, d, b, p=padded: p)
        stack.zero_grad()
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out, state = stack(packed)
        out = pad_packed_sequence(out, batch_first=True)[0].float()
        states = [s.float() for s in state_tensors(state)]
        (out.sum() + sum(s.sum() for s in states)).backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in stack.parameters())
        results[padded] = [out, *states]
    for got, want in zip(results[True], results[False]):
        torch.testing.assert_close(got, want, atol=3e-2, rtol=3e-2)
