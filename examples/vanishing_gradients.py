"""Vanishing gradients and BPTT, measured: how much the last step's loss feels each earlier input.

    python examples/vanishing_gradients.py
    python examples/vanishing_gradients.py --length 100 --hidden 64

Notes 001 and 002 say that an RNN's gradient fades over long sequences because
every step back multiplies it by W_h and by tanh' (at most 1), and that the
LSTM's cell state, updated by addition, lets it through. Part 1 measures it:
a loss on the last output only, and the norm of its gradient with respect to
each input x_t, ||dL/dx_t||, for t far from the end. Same data, same hidden
size, torch's default initialisation:

- an Elman RNN (rnnkit.nn.RNN, tanh),
- an LSTM (rnnkit.nn.LSTM) as initialised, where the forget gate starts near
  sigmoid(0) = 0.5 and the path along c halves at every step,
- the same LSTM with its forget-gate biases set to 1 (Jozefowicz et al. 2015),
  the usual remedy: f starts near 0.73 and c carries the gradient much further.

Part 2 is backpropagation through time on note 002's simplest RNN,
h_t = W_h h_{t-1}: the gradient of the loss with respect to the shared W_h is
the sum, over the time steps, of the gradients with respect to each step's
copy of W_h. The example gives every step its own copy, takes the per-step
gradients and checks that they add up to autograd's gradient.
"""

import argparse

import torch

import rnnkit.nn


def input_gradient_norms(model, x) -> list[float]:
    """||dL/dx_t|| for every t, where L is the sum of the last step's output."""
    x = x.clone().requires_grad_(True)
    output, _ = model(x)  # (N, L, H)
    output[:, -1].sum().backward()
    return x.grad.norm(dim=(0, 2)).tolist()  # one norm per step


def make_models(D, H, seed):
    torch.manual_seed(seed)
    rnn = rnnkit.nn.RNN(D, H, batch_first=True)
    torch.manual_seed(seed)
    lstm = rnnkit.nn.LSTM(D, H, batch_first=True)
    torch.manual_seed(seed)
    lstm_f1 = rnnkit.nn.LSTM(D, H, batch_first=True)
    with torch.no_grad():  # biases in torch's gate order i, f, g, o: the forget rows are H..2H
        lstm_f1.bias_ih_l0[H : 2 * H].fill_(1.0)
        lstm_f1.bias_hh_l0[H : 2 * H].zero_()
    return {"RNN": rnn, "LSTM": lstm, "LSTM, forget bias 1": lstm_f1}


def part1(length, D, H, N, seed) -> dict[str, list[float]]:
    print(f"--- part 1: ||dL/dx_t||, L on the last of {length} steps (N={N}, H={H}) ---")
    x = torch.randn(N, length, D, generator=torch.Generator().manual_seed(seed))
    norms = {name: input_gradient_norms(m, x) for name, m in make_models(D, H, seed).items()}
    back = [k for k in (0, 1, 5, 10, 20, 30, 50, 100) if k < length]
    print(f"{'steps back':>10}  " + "  ".join(f"{name:>20}" for name in norms))
    for k in back:
        t = length - 1 - k
        print(f"{k:>10}  " + "  ".join(f"{norms[name][t]:>20.2e}" for name in norms))
    far = length - 1 - back[-1]
    for name, n in norms.items():
        print(
            f"{name}: the gradient {back[-1]} steps back is {n[far] / n[-1]:.1e} of the last step's"
        )
    return norms


def part2_bptt(length, H, seed):
    print("--- part 2: BPTT, h_t = W_h h_{t-1}: dJ/dW_h is a sum over the steps ---")
    torch.manual_seed(seed)
    W = (torch.randn(H, H) / H**0.5).requires_grad_(True)
    h0 = torch.randn(H)
    h = h0
    for _ in range(length):
        h = W @ h
    (shared,) = torch.autograd.grad(h.sum(), W)  # the one W every step uses
    copies = [W.detach().clone().requires_grad_(True) for _ in range(length)]
    h = h0
    for W_t in copies:  # step t uses its own copy W_t (same values)
        h = W_t @ h
    per_step = torch.autograd.grad(h.sum(), copies)  # dJ/dW_t, one per step
    total = torch.stack(per_step).sum(0)
    diff = (total - shared).abs().max().item()
    norms = [g.norm().item() for g in per_step]
    print(f"{length} steps: ||dJ/dW_t|| for t = 1, 2, 3: {', '.join(f'{v:.3f}' for v in norms[:3])}"
          f" ... t = {length}: {norms[-1]:.3f}")  # fmt: skip
    print(f"sum over t of dJ/dW_t == autograd's dJ/dW_h: max |diff| {diff:.1e}")
    return diff


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--length", type=int, default=60)
    parser.add_argument("--input-size", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    norms = part1(args.length, args.input_size, args.hidden, args.batch, args.seed)
    diff = part2_bptt(6, 4, args.seed)
    return {"norms": norms, "bptt_diff": diff}


if __name__ == "__main__":
    main()
