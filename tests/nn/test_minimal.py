"""minGRU and minLSTM: both whole-sequence scans equal the step-by-step recurrence."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnkit.errors import ConfigError
from rnnkit.nn import MinGRU, MinLSTM
from rnnkit.nn.minimal import g, linear_recurrence, log_g, logcumsumexp, parallel_scan_log

TOL = {"atol": 1e-5, "rtol": 1e-5}
CLASSES = [MinGRU, MinLSTM]
SCANS = ["log", "sequential"]


def step_loop(module, x, state=None):
    """Run ``module.step`` over (L, N, H_in); return (L, N, H) outputs and the last state."""
    outs = []
    for t in range(x.shape[0]):
        out, state = module.step(x[t], state)
        outs.append(out)
    return torch.stack(outs), state


@settings(max_examples=30, deadline=None)
@given(
    cls=st.sampled_from(CLASSES),
    num_layers=st.integers(1, 3),
    N=st.integers(1, 3),
    L=st.integers(1, 40),
    given_state=st.booleans(),
    scan=st.sampled_from(SCANS),
    seed=st.integers(0, 2**16),
)
def test_whole_sequence_scan_equals_step_loop_in_outputs_state_and_gradients(
    cls, num_layers, N, L, given_state, scan, seed
):
    """Outputs and states agree to 1e-5 in float32; gradients are compared in float64.

    (Float32 gradients through exp/log/logcumsumexp differ from the step loop's by
    a few 1e-5 relative after summing over the sequence: roundoff, not a bug, as
    the float64 comparison shows.)
    """
    torch.manual_seed(seed)
    m = cls(3, 4, num_layers, scan=scan)
    x = torch.randn(L, N, 3) * 2
    state = torch.randn(num_layers, N, 4) if given_state else None
    out, h_n = m(x, state)
    with torch.no_grad():
        want, want_h = step_loop(m, x, state)
    torch.testing.assert_close(out, want, **TOL)
    torch.testing.assert_close(h_n, want_h, **TOL)

    m = m.double()
    s64 = None if state is None else state.double()
    grads = []
    for run in (m, lambda xi, s: step_loop(m, xi, s)):
        m.zero_grad()
        xi = x.double().requires_grad_(True)
        out, _ = run(xi, s64)
        (out * torch.cos(torch.arange(out.numel()).view_as(out))).sum().backward()
        grads.append([xi.grad, *(p.grad.clone() for p in m.parameters())])
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-9, rtol=1e-9)


def test_min_gru_step_follows_the_paper_equations():
    torch.manual_seed(0)
    m = MinGRU(3, 4)
    x, h = torch.randn(2, 3), torch.randn(1, 2, 4)
    k, pre = (x @ m.weight_ih_l0.T + m.bias_ih_l0).chunk(2, -1)
    z = torch.sigmoid(k)
    h_tilde = torch.where(pre >= 0, pre + 0.5, torch.sigmoid(pre))
    out, _ = m.step(x, h)
    torch.testing.assert_close(out, (1 - z) * h[0] + z * h_tilde, **TOL)


def test_min_lstm_step_normalises_forget_and_input_gates():
    torch.manual_seed(0)
    m = MinLSTM(3, 4)
    x, h = torch.randn(2, 3), torch.randn(1, 2, 4)
    kf, ki, pre = (x @ m.weight_ih_l0.T + m.bias_ih_l0).chunk(3, -1)
    f, i = torch.sigmoid(kf), torch.sigmoid(ki)
    h_tilde = torch.where(pre >= 0, pre + 0.5, torch.sigmoid(pre))
    out, _ = m.step(x, h)
    torch.testing.assert_close(out, f / (f + i) * h[0] + i / (f + i) * h_tilde, **TOL)


def test_log_g_is_the_log_of_g_and_g_is_positive():
    x = torch.linspace(-30, 30, 1001, dtype=torch.float64)
    assert (g(x) > 0).all()
    torch.testing.assert_close(log_g(x), torch.log(g(x)))


def test_parallel_scan_solves_the_linear_recurrence_with_any_initial_state():
    torch.manual_seed(0)
    a = torch.rand(2, 150, 3, dtype=torch.float64)  # spans three chunks of 64
    b = torch.rand(2, 150, 3, dtype=torch.float64) + 0.1
    h0 = torch.randn(2, 3, dtype=torch.float64)  # negative entries too
    h, want = h0, []
    for t in range(150):
        h = a[:, t] * h + b[:, t]
        want.append(h)
    got = parallel_scan_log(a.log(), b.log(), h0)
    torch.testing.assert_close(got, torch.stack(want, 1))


def test_linear_recurrence_solves_the_recurrence_and_passes_gradcheck():
    torch.manual_seed(0)
    a = torch.rand(2, 9, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, 9, 3, dtype=torch.float64, requires_grad=True)  # any sign
    h0 = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    h, want = h0, []
    for t in range(9):
        h = a[:, t] * h + b[:, t]
        want.append(h)
    torch.testing.assert_close(linear_recurrence(a, b, h0), torch.stack(want, 1))
    assert torch.autograd.gradcheck(linear_recurrence, (a, b, h0))
    zeros = linear_recurrence(a, b, None)
    torch.testing.assert_close(zeros, linear_recurrence(a, b, torch.zeros_like(h0)))


def test_unknown_scan_is_rejected_by_name():
    with pytest.raises(ConfigError, match="scan must be one of auto, log, sequential"):
        MinGRU(2, 3, scan="fast")


@pytest.mark.parametrize("scan", SCANS)
@pytest.mark.parametrize("cls", CLASSES)
def test_scan_gradcheck_in_float64(cls, scan):
    torch.manual_seed(0)
    m = cls(2, 3, scan=scan).double()
    m.scan_chunk = 3  # exercise the state carried between chunks
    x = torch.randn(7, 2, 2, dtype=torch.float64, requires_grad=True)
    h0 = torch.randn(1, 2, 3, dtype=torch.float64, requires_grad=True)
    fn = lambda x, h0, *_: m(x, h0)  # noqa: E731
    assert torch.autograd.gradcheck(fn, (x, h0, *m.parameters()), eps=1e-6, atol=1e-5)


@pytest.mark.parametrize("cls", CLASSES)
def test_chunked_run_carrying_state_equals_whole_sequence(cls):
    torch.manual_seed(0)
    m = cls(3, 4, 2)
    x = torch.randn(10, 2, 3)
    out, h_n = m(x)
    out_a, h_a = m(x[:6])
    out_b, h_b = m(x[6:], h_a)
    torch.testing.assert_close(torch.cat([out_a, out_b]), out, **TOL)
    torch.testing.assert_close(h_b, h_n, **TOL)


@pytest.mark.parametrize("cls", CLASSES)
def test_state_none_equals_zeros(cls):
    m = cls(3, 4, 2, bidirectional=True)
    x = torch.randn(5, 2, 3)
    out, h = m(x)
    out0, h0 = m(x, torch.zeros(4, 2, 4))
    torch.testing.assert_close(out, out0, atol=0, rtol=0)
    torch.testing.assert_close(h, h0, atol=0, rtol=0)


@pytest.mark.parametrize("cls", CLASSES)
def test_outputs_at_valid_positions_do_not_depend_on_padding(cls):
    torch.manual_seed(0)
    m = cls(3, 4, 2)
    x = torch.randn(6, 3, 3)
    y = x.clone()
    y[4:, 0] = 100.0  # garbage in the padding of sequence 0 (length 4)
    torch.testing.assert_close(m(x)[0][:4, 0], m(y)[0][:4, 0], atol=0, rtol=0)


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("cls", CLASSES)
def test_packed_batch_equals_each_sequence_alone(cls, batch_first, bidirectional):
    torch.manual_seed(0)
    m = cls(3, 4, 2, batch_first=batch_first, bidirectional=bidirectional)
    lengths = torch.tensor([3, 6, 1, 4])
    x = torch.randn(4, 6, 3) if batch_first else torch.randn(6, 4, 3)
    state = torch.randn(m.num_layers * (2 if bidirectional else 1), 4, 4)
    packed = pack_padded_sequence(x, lengths, batch_first=batch_first, enforce_sorted=False)
    out, h_n = m(packed, state)
    assert torch.equal(out.batch_sizes, packed.batch_sizes)
    out, _ = pad_packed_sequence(out, batch_first=batch_first)
    for b, n in enumerate(lengths.tolist()):
        xb = x[b : b + 1, :n] if batch_first else x[:n, b : b + 1]
        alone, h_alone = m(xb, state[:, b : b + 1])
        got = out[b, :n] if batch_first else out[:n, b]
        torch.testing.assert_close(got, alone[0] if batch_first else alone[:, 0], **TOL)
        torch.testing.assert_close(h_n[:, b], h_alone[:, 0], **TOL)


@pytest.mark.parametrize("cls", CLASSES)
def test_bidirectional_output_concatenates_forward_and_time_reversed_runs(cls):
    torch.manual_seed(0)
    bi = cls(3, 4, bidirectional=True)
    fwd, bwd = cls(3, 4), cls(3, 4)
    fwd.load_state_dict({k: v for k, v in bi.state_dict().items() if "reverse" not in k})
    bwd.load_state_dict(
        {k.replace("_reverse", ""): v for k, v in bi.state_dict().items() if "reverse" in k}
    )
    x = torch.randn(5, 2, 3)
    out, h_n = bi(x)
    want_f, h_f = fwd(x)
    want_b, h_b = bwd(x.flip(0))
    torch.testing.assert_close(out, torch.cat([want_f, want_b.flip(0)], -1), **TOL)
    torch.testing.assert_close(h_n, torch.cat([h_f, h_b]), **TOL)


@pytest.mark.parametrize("cls", CLASSES)
def test_unbatched_input_equals_batch_of_one(cls):
    m = cls(3, 4, 2)
    x = torch.randn(5, 3)
    out, h = m(x)
    out_b, h_b = m(x.unsqueeze(1))
    assert out.shape == (5, 4) and h.shape == (2, 4)
    torch.testing.assert_close(out, out_b[:, 0], atol=0, rtol=0)


def test_parameter_names_and_shapes_are_torch_style():
    m = MinLSTM(3, 4, 2, bidirectional=True)
    shapes = {k: tuple(v.shape) for k, v in m.state_dict().items()}
    assert shapes["weight_ih_l0"] == (12, 3)
    assert shapes["weight_ih_l1_reverse"] == (12, 8)
    assert shapes["bias_ih_l1"] == (12,)
    assert MinGRU(3, 4).state_dict()["weight_ih_l0"].shape == (8, 3)


def test_step_on_a_bidirectional_stack_raises_config_error():
    with pytest.raises(ConfigError, match="bidirectional"):
        MinGRU(3, 4, bidirectional=True).step(torch.randn(2, 3))
    with pytest.raises(ConfigError, match="state"):
        MinGRU(3, 4).step(torch.randn(2, 3), torch.zeros(2, 2, 4))


@pytest.mark.parametrize("L", [1, 5, 32, 33, 100])
def test_blocked_logcumsumexp_equals_torch_in_values_and_gradients(L):
    torch.manual_seed(L)
    v = (torch.randn(2, L, 3, dtype=torch.float64) * 5).requires_grad_(True)
    torch.testing.assert_close(logcumsumexp(v), torch.logcumsumexp(v, 1))
    assert torch.autograd.gradcheck(logcumsumexp, (v,))
