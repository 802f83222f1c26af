"""Inside the LSTM and the GRU: the gates, the cell state, the additive path, the update gate.

    python examples/lstm_gru_internals.py

Notes 001 and 002 write the LSTM as four gates and a cell state::

    i = sigma(W_ii x + b_ii + W_hi h + b_hi)        input gate
    f = sigma(W_if x + b_if + W_hf h + b_hf)        forget gate
    g = tanh (W_ig x + b_ig + W_hg h + b_hg)        candidate (the notes' C~_t)
    o = sigma(W_io x + b_io + W_ho h + b_ho)        output gate
    c' = f * c + i * g                              the cell state: an addition
    h' = o * tanh(c')

Part 1 computes one step by hand from an rnnkit.nn.LSTMCell's weights (torch's
layout: ``weight_ih`` stacks the four gates in the order i, f, g, o) and checks
that it equals the cell. Part 2 shows the additive path: with f = 1 and i = 0
the cell state crosses any number of steps unchanged, and dc_T/dc_0 is exactly
the product of the forget gates, with no weight matrix and no tanh' in it.

Part 3 is the GRU (note 002), whose update gate is written two ways:

    torch and rnnkit:  h' = (1 - z) * n + z * h      z = 1 copies h
    note 002:          h' = z * n + (1 - z) * h      z = 0 copies h

The two are the same network with z swapped for 1 - z (the update gate's
weights and biases negated). The example forces z to 1 and to 0 through the
bias of rnnkit.nn.GRUCell and shows which one copies the previous state.
"""

import argparse

import torch

import rnnkit.nn


def lstm_by_hand(cell, x, h, c):
    """One LSTM step from the cell's weights, gate by gate."""
    gates = x @ cell.weight_ih.T + cell.bias_ih + h @ cell.weight_hh.T + cell.bias_hh  # (N, 4H)
    i, f, g, o = gates.chunk(4, dim=1)  # torch's order: input, forget, candidate, output
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_next = f * c + i * g  # keep part of the old memory, add part of the new
    h_next = o * torch.tanh(c_next)
    return h_next, c_next, {"i": i, "f": f, "g": g, "o": o}


def part1_gates(N, D, H):
    print("--- part 1: one LSTM step by hand ---")
    cell = rnnkit.nn.LSTMCell(D, H)
    print(f"weight_ih {tuple(cell.weight_ih.shape)} = 4 gates x H rows (i, f, g, o), "
          f"weight_hh {tuple(cell.weight_hh.shape)}")  # fmt: skip
    x, h, c = torch.randn(N, D), torch.randn(N, H), torch.randn(N, H)
    h1, c1, gates = lstm_by_hand(cell, x, h, c)
    h_ref, c_ref = cell(x, (h, c))
    diff = max((h1 - h_ref).abs().max().item(), (c1 - c_ref).abs().max().item())
    for name, value in gates.items():
        lo, hi = value.min().item(), value.max().item()
        print(f"  {name}: {tuple(value.shape)} in [{lo:+.2f}, {hi:+.2f}]")
    print(f"by hand == rnnkit.nn.LSTMCell: max |diff| {diff:.1e}")
    return diff


def part2_additive_path(steps, H):
    print("--- part 2: the cell state's additive path ---")
    cell = rnnkit.nn.LSTMCell(H, H)
    with torch.no_grad():  # bias the gates: forget gate open (f ~ 1), input gate shut (i ~ 0)
        cell.weight_ih.zero_()
        cell.weight_hh.zero_()
        cell.bias_hh.zero_()
        cell.bias_ih.copy_(torch.cat([torch.full((H,), -30.0), torch.full((H,), 30.0),
                                      torch.zeros(H), torch.zeros(H)]))  # fmt: skip
    c0 = torch.randn(1, H, requires_grad=True)
    h, c = torch.zeros(1, H), c0
    for _ in range(steps):
        h, c = cell(torch.randn(1, H), (h, c))
    kept = torch.allclose(c, c0)
    (grad,) = torch.autograd.grad(c.sum(), c0)
    print(
        f"f = 1, i = 0: c after {steps} steps == c_0: {kept}; dc_{steps}/dc_0 = {grad.mean():.3f}"
    )
    print("(c' = f * c + i * g: the gradient along c is the product of the forget gates)")
    return kept, grad.mean().item()


def gru_copy(z_bias: float, H: int):
    """A GRUCell whose update gate is forced (z = sigmoid(z_bias)); returns |h' - h|."""
    cell = rnnkit.nn.GRUCell(H, H)
    with torch.no_grad():  # weight rows and biases in torch's order: r, z, n
        cell.weight_ih[H : 2 * H].zero_()
        cell.weight_hh[H : 2 * H].zero_()
        cell.bias_ih[H : 2 * H].fill_(z_bias)
        cell.bias_hh[H : 2 * H].zero_()
    x, h = torch.randn(1, H), torch.randn(1, H)
    return (cell(x, h) - h).abs().max().item()


def part3_gru(H):
    print("--- part 3: the GRU's update gate, two conventions ---")
    print("rnnkit / torch: h' = (1 - z) * n + z * h;  note 002: h' = z * n + (1 - z) * h")
    copies = {}
    for z, bias in ((1, 30.0), (0, -30.0)):
        change = gru_copy(bias, H)
        copies[z] = change < 1e-6
        print(f"rnnkit.nn.GRUCell with z = {z}: max |h' - h| = {change:.2e}"
              f" -> {'copies h' if copies[z] else 'writes the candidate n'}")  # fmt: skip
    print("note 002's 'z = 0 copies the previous state' is rnnkit's z = 1: read z there as 1 - z")
    return copies


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=2)
    parser.add_argument("--input-size", type=int, default=3)
    parser.add_argument("--hidden", type=int, default=4)
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    diff = part1_gates(args.batch, args.input_size, args.hidden)
    kept, grad = part2_additive_path(args.steps, args.hidden)
    copies = part3_gru(args.hidden)
    return {"lstm_diff": diff, "cell_kept": kept, "cell_grad": grad, "gru_copies": copies}


if __name__ == "__main__":
    main()
