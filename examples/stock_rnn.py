"""Note 003, stock prices: an RNN reads 4 days of Open/High/Low/Close and predicts the 5th close.

    python examples/stock_rnn.py
    python examples/stock_rnn.py --iterations 1000 --epochs 20

Part 1 writes note 003's network (after KAIST's RNN lecture) from its
equations, with its parameters w_x, w_h and w_y:

    h_t = tanh(x_t W_x + h_{t-1} W_h + b)        t = 1 .. L (L = 4 days)
    y   = h_L W_y + b_y                          the 5th day's close

on the embedded daily MSFT prices, min-max scaled with the minimum and maximum
of the training rows only (note 003 shows no scaling step; whatever scaling
is used must be fitted on the training rows, never on the test rows), and checks that it computes what rnnkit.nn.RNN(backend="scratch")
computes with the same weights. Fed raw levels, it learns the training years'
prices and loses badly on the later, higher test years. Part 2 trains the same
network through rnnkit.train("forecast", cell="rnn", backend="scratch"), which
also subtracts each window's last day and adds it back to the output
(window_norm="last", the default), and prints its test MSE beside persistence
(tomorrow's close = today's), the baseline every stock model must be held against.
"""

import argparse
import tempfile

import numpy as np
import torch
from torch import nn

import rnnkit
import rnnkit.nn
from rnnkit.data import embedded

FEATURES = ["Open", "High", "Low", "Close"]


class StockRNN(nn.Module):
    """The lecture's RNN written out: one tanh layer over the days, a linear read-out
    of the last state.

    Shape:
        x: (N, L, F) float, batch first. Returns (N, 1).
    """

    def __init__(self, num_features: int, hidden_size: int) -> None:
        super().__init__()
        F, H = num_features, hidden_size
        bound = H**-0.5  # torch.nn.RNN's initialisation
        self.w_x = nn.Parameter(torch.empty(F, H).uniform_(-bound, bound))  # (F, H)
        self.w_h = nn.Parameter(torch.empty(H, H).uniform_(-bound, bound))  # (H, H)
        self.b = nn.Parameter(torch.empty(H).uniform_(-bound, bound))  # (H,)
        self.w_y = nn.Parameter(torch.empty(H, 1).uniform_(-bound, bound))  # (H, 1)
        self.b_y = nn.Parameter(torch.zeros(1))

    def last_state(self, x: torch.Tensor) -> torch.Tensor:
        N, L, _ = x.shape
        h = x.new_zeros(N, self.w_h.shape[0])  # h_0 = 0: (N, H)
        for t in range(L):
            h = torch.tanh(x[:, t] @ self.w_x + h @ self.w_h + self.b)  # h_t: (N, H)
        return h  # h_L: (N, H)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last_state(x) @ self.w_y + self.b_y  # y = h_L W_y + b_y: (N, 1)


def windows(values: np.ndarray, targets: range, L: int) -> tuple[np.ndarray, np.ndarray]:
    """x: the L rows before each target row (N, L, F); y: the target rows' close (N, 1)."""
    x = np.stack([values[t - L : t] for t in targets])  # (N, L, F)
    y = values[list(targets), FEATURES.index("Close")][:, None]  # (N, 1)
    return x, y


@torch.no_grad()
def to_rnnkit(model: StockRNN) -> rnnkit.nn.RNN:
    """rnnkit.nn.RNN(backend="scratch") with the hand-written weights, in torch.nn's layout
    (h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)): W_ih = w_x^T, W_hh = w_h^T."""
    F, H = model.w_x.shape
    rnn = rnnkit.nn.RNN(F, H, batch_first=True, backend="scratch")
    rnn.weight_ih_l0.copy_(model.w_x.T)
    rnn.weight_hh_l0.copy_(model.w_h.T)
    rnn.bias_ih_l0.copy_(model.b)
    rnn.bias_hh_l0.zero_()
    return rnn


@torch.no_grad()
def scratch_difference(model: StockRNN, x: torch.Tensor, rnn: rnnkit.nn.RNN | None = None):
    """Largest |h_L - h_n| between the hand-written loop and the scratch cells."""
    _, h_n = (rnn or to_rnnkit(model))(x)  # (1, N, H)
    return (model.last_state(x) - h_n[0]).abs().max().item()


def by_hand(args) -> dict:
    table = embedded.load("msft")
    values = np.stack([table.column(c) for c in FEATURES], axis=1)  # (T, F)
    T, L = len(values), args.lookback
    n_test = n_valid = round(0.15 * T)  # the same time split as rnnkit's: 70 / 15 / 15
    end_train = T - n_valid - n_test
    low, high = values[:end_train].min(axis=0), values[:end_train].max(axis=0)  # train only
    scaled = (values - low) / (high - low + 1e-7)  # min-max, fitted on the training rows
    x_train, y_train = windows(scaled, range(L, end_train), L)
    x_test, y_test = windows(scaled, range(T - n_test, T), L)
    print(f"msft: {T} days {table.dates[0]} .. {table.dates[-1]}; {len(x_train)} train "
          f"windows, {len(x_test)} test windows of {L} days x {len(FEATURES)} features")  # fmt: skip
    print(f"min-max fit on the train rows: test closes scale to {y_test.min():.2f} .. "
          f"{y_test.max():.2f} (train: 0 .. 1)")  # fmt: skip

    torch.manual_seed(args.seed)
    model = StockRNN(len(FEATURES), args.hidden)
    x, y = torch.tensor(x_train, dtype=torch.float32), torch.tensor(y_train, dtype=torch.float32)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    for i in range(args.iterations):  # full batch, as the lecture
        loss = nn.functional.mse_loss(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if i % args.log_every == 0 or i == args.iterations - 1:
            print(f"{i:4d} train loss (scaled MSE): {loss.item():.6f}")

    diff = scratch_difference(model, torch.tensor(x_test[:64], dtype=torch.float32))
    print(f"hand-written h_L vs rnnkit.nn.RNN(backend='scratch'): max |diff| {diff:.1e}")

    span = high[3] - low[3]  # back to dollars: close = scaled * (max - min) + min
    with torch.no_grad():
        pred = model(torch.tensor(x_test, dtype=torch.float32)).numpy() * span + low[3]
    actual = y_test * span + low[3]
    persistence = x_test[:, -1, 3:4] * span + low[3]  # the 4th day's close
    mse = float(((pred - actual) ** 2).mean())
    naive = float(((persistence - actual) ** 2).mean())
    print(f"test MSE (dollars^2): hand-written RNN {mse:.3f}, persistence {naive:.3f}")
    if mse > naive:
        print("it loses to persistence: it learnt the training years' price levels, and the "
              "test closes lie above them")  # fmt: skip
    return {"losses": losses, "scratch_max_diff": diff, "test_mse": mse, "persistence": naive}


def with_train(args) -> dict:
    out = args.out or tempfile.mkdtemp(prefix="stock-rnn-")
    fc = rnnkit.train(
        "forecast",
        series="msft",
        features=FEATURES,
        target="Close",
        lookback=args.lookback,
        horizon=1,
        cell="rnn",
        backend="scratch",
        hidden_size=args.hidden,
        scaler="minmax",
        epochs=args.epochs,
        seed=args.seed,
        out=out,
        progress=False,
    )
    metrics = fc.evaluate()
    persistence = metrics["baselines"]["persistence"]["mse"]
    ridge = metrics["baselines"]["ridge"]["mse"]
    print(f"test MSE (dollars^2) on {metrics['n']} windows: rnnkit RNN {metrics['mse']:.4f}, "
          f"persistence {persistence:.4f}, ridge {ridge:.4f}")  # fmt: skip
    change = 100 * (metrics["mse"] / persistence - 1)
    verdict = "beats" if metrics["mse"] < persistence else "does not beat"
    print(f"the RNN {verdict} persistence ({change:+.1f}% MSE)", end="")
    if abs(change) < 1:  # on daily closes a margin this small says nothing
        print(": within 1%, noise; it predicts little more than today's close")
    else:
        print()
    print(f"run directory: {out}")
    return {"metrics": metrics, "beats_persistence": metrics["mse"] < persistence}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookback", type=int, default=4, help="days read (L)")
    parser.add_argument("--hidden", type=int, default=10, help="hidden units (H)")
    parser.add_argument("--iterations", type=int, default=500, help="full-batch steps, part 1")
    parser.add_argument("--lr", type=float, default=0.01, help="Adam's, part 1")
    parser.add_argument("--log-every", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=5, help="epochs of part 2")
    parser.add_argument("--out", default=None, help="run directory of part 2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    print("--- part 1: h_t = tanh(x_t W_x + h_{t-1} W_h + b), y = h_L W_y + b_y ---")
    result = by_hand(args)
    print('--- part 2: rnnkit.train("forecast", cell="rnn", backend="scratch") ---')
    result |= with_train(args)
    return result


if __name__ == "__main__":
    main()
