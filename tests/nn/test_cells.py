"""RNNCell, LSTMCell and GRUCell: torch parity, gradcheck, the layer-norm equations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from rnnkit.errors import ConfigError
from rnnkit.nn import GRUCell, LSTMCell, RNNCell

TOL = {"atol": 1e-5, "rtol": 1e-5}

CELLS = {
    "rnn_tanh": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, torch.nn.LSTMCell, {}),
    "gru": (GRUCell, torch.nn.GRUCell, {}),
}


def flat(state):
    return list(state) if isinstance(state, tuple) else [state]


@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(sorted(CELLS)),
    N=st.integers(1, 4),
    H_in=st.integers(1, 5),
    H=st.integers(1, 5),
    bias=st.booleans(),
    given_state=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_cell_output_and_gradients_match_torch_cell(kind, N, H_in, H, bias, given_state, seed):
    ours_cls, torch_cls, extra = CELLS[kind]
    torch.manual_seed(seed)
    ref = torch_cls(H_in, H, bias, **extra)
    ours = ours_cls(H_in, H, bias, **extra)
    ours.load_state_dict(ref.state_dict())
    ref.load_state_dict(ours.state_dict())
    x = torch.randn(N, H_in)
    state = None
    if given_state:
        state = (torch.randn(N, H), torch.randn(N, H)) if kind == "lstm" else torch.randn(N, H)
    results = []
    for module in (ours, ref):
        xi = x.clone().requires_grad_(True)
        out = flat(module(xi, state))
        sum((o * torch.linspace(-1, 1, o.numel()).view_as(o)).sum() for o in out).backward()
        results.append((out, xi.grad, [p.grad for p in module.parameters()]))
    (o1, gx1, gp1), (o2, gx2, gp2) = results
    for a, b in zip(o1, o2):
        torch.testing.assert_close(a, b, **TOL)
    torch.testing.assert_close(gx1, gx2, **TOL)
    for a, b in zip(gp1, gp2):
        torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize(
    "make",
    [
        lambda: RNNCell(3, 4),
        lambda: RNNCell(3, 4, nonlinearity="relu"),
        lambda: LSTMCell(3, 4),
        lambda: GRUCell(3, 4),
        lambda: LSTMCell(3, 4, layer_norm=True),
        lambda: GRUCell(3, 4, layer_norm=True),
    ],
    ids=["rnn_tanh", "rnn_relu", "lstm", "gru", "ln_lstm", "ln_gru"],
)
def test_gradcheck_in_float64(make):
    torch.manual_seed(0)
    cell = make().double()
    x = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
    if isinstance(cell, LSTMCell):
        c = torch.randn(2, 4, dtype=torch.float64, requires_grad=True)
        inputs = (x, h, c, *cell.parameters())
        fn = lambda x, h, c, *_: cell(x, (h, c))  # noqa: E731
    else:
        inputs = (x, h, *cell.parameters())
        fn = lambda x, h, *_: cell(x, h)  # noqa: E731
    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-5)


def _randomise(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)


def test_layer_norm_lstm_cell_follows_ba_et_al_equations():
    torch.manual_seed(0)
    cell = LSTMCell(3, 4, layer_norm=True)
    _randomise(cell)
    x, h, c = torch.randn(2, 3), torch.randn(2, 4), torch.randn(2, 4)

    def ln(v, gain, shift=None):
        mu = v.mean(-1, keepdim=True)
        sigma = (v.var(-1, unbiased=False, keepdim=True) + 1e-5).sqrt()
        out = (v - mu) / sigma * gain
        return out if shift is None else out + shift

    pre = (
        ln(x @ cell.weight_ih.T, cell.ln_ih.weight)
        + ln(h @ cell.weight_hh.T, cell.ln_hh.weight)
        + cell.bias_ih
        + cell.bias_hh
    )
    i, f, g, o = (
        pre.sigmoid()[:, :4],
        pre.sigmoid()[:, 4:8],
        pre[:, 8:12].tanh(),
        pre[:, 12:].sigmoid(),
    )
    c_want = f * c + i * g
    h_want = o * ln(c_want, cell.ln_c.weight, cell.ln_c.bias).tanh()
    h_got, c_got = cell(x, (h, c))
    torch.testing.assert_close(h_got, h_want, **TOL)
    torch.testing.assert_close(c_got, c_want, **TOL)


def test_layer_norm_gru_cell_normalises_input_and_hidden_parts_separately():
    torch.manual_seed(1)
    cell = GRUCell(3, 4, layer_norm=True)
    _randomise(cell)
    x, h = torch.randn(2, 3), torch.randn(2, 4)
    gi = F.layer_norm(x @ cell.weight_ih.T, (12,), cell.ln_ih.weight) + cell.bias_ih
    gh = F.layer_norm(h @ cell.weight_hh.T, (12,), cell.ln_hh.weight) + cell.bias_hh
    r = (gi[:, :4] + gh[:, :4]).sigmoid()
    z = (gi[:, 4:8] + gh[:, 4:8]).sigmoid()
    n = (gi[:, 8:] + r * gh[:, 8:]).tanh()
    torch.testing.assert_close(cell(x, h), (1 - z) * n + z * h, **TOL)


def test_layer_norm_parameters_start_as_identity_norms():
    cell = LSTMCell(3, 4, layer_norm=True)
    assert torch.equal(cell.ln_ih.weight, torch.ones(16))
    assert torch.equal(cell.ln_c.bias, torch.zeros(4))
    assert sorted(k for k in cell.state_dict() if k.startswith("ln_")) == [
        "ln_c.bias",
        "ln_c.weight",
        "ln_hh.weight",
        "ln_ih.weight",
    ]
    assert not any(k.startswith("ln_") for k in LSTMCell(3, 4).state_dict())


@pytest.mark.parametrize("kind", sorted(CELLS))
def test_unbatched_cell_input_equals_batch_of_one(kind):
    ours_cls, _, extra = CELLS[kind]
    cell = ours_cls(3, 4, **extra)
    x = torch.randn(3)
    out = flat(cell(x))
    out_b = flat(cell(x.unsqueeze(0)))
    for a, b in zip(out, out_b):
        assert a.shape == (4,)
        torch.testing.assert_close(a, b[0], atol=0, rtol=0)


def test_bad_cell_arguments_raise_config_error_naming_them():
    with pytest.raises(ConfigError, match="nonlinearity"):
        RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ConfigError, match="hidden_size"):
        GRUCell(3, 0)
    with pytest.raises(ConfigError, match="input_size=3"):
        LSTMCell(3, 4)(torch.randn(2, 5))
    with pytest.raises(ConfigError, match="state"):
        GRUCell(3, 4)(torch.randn(2, 3), torch.randn(3, 4))
