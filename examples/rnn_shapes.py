"""Lab 11-1, RNN basics: what goes into nn.RNN, nn.GRU and nn.LSTM, and what comes out.

    python examples/rnn_shapes.py

1. The lecture's "hello" batch: 3 sequences of 5 one-hot characters (4 kinds)
   through an RNN with 2 hidden units. Note 004 writes ``torch.nn.RNN(input_size,
   hidden_size)`` without ``batch_first=True``: its (3, 5, 4) input then runs as
   length 3 and batch 5, and ``_status`` is (1, 5, 2), not the (1, 3, 2) the
   note means. Both are run and printed.
2. The shapes of RNN, GRU and LSTM from rnnkit.nn, batch_first both ways, one
   layer and two bidirectional layers: output (N, L, D*H) or (L, N, D*H),
   state (num_layers * D, N, H), never batch-first.
3. An RNN is its cell applied step by step; rnnkit's step-by-step "scratch"
   backend gives what torch.nn.LSTM gives, from the same state_dict.
4. Note 003's axis swap: its data are (N, L, F) = (windows, 4 days, 4 prices);
   ``np.swapaxes(X, 0, 1)`` makes them (L, N, F), so that a loop over the first
   axis meets one (N, F) batch per time step, as batch_first=False expects.
"""

import argparse

import numpy as np
import torch

import rnnkit.nn


def lecture_hello(hidden_size: int):
    """Note 004's code as written (no batch_first), then as meant (batch_first=True)."""
    h, e, l, o = [1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]  # noqa: E741
    input_data = torch.tensor(
        [[h, e, l, l, o], [e, o, l, l, l], [l, l, e, e, l]], dtype=torch.float32
    )  # 3 words of 5 characters: meant as (N=3, L=5, H_in=4)
    shapes = {}
    for batch_first in (False, True):
        rnn = rnnkit.nn.RNN(4, hidden_size, batch_first=batch_first)
        outputs, _status = rnn(input_data)
        if batch_first:  # (N, L, H), (1, N, H)
            print("rnn = RNN(4, 2, batch_first=True): read as batch 3, length 5")
        else:  # (L, N, H), (1, N, H): the words' 5 positions became the batch
            print("rnn = RNN(4, 2)  (note 004's code): read as length 3, batch 5")
        print(f"  input {tuple(input_data.shape)} -> outputs {tuple(outputs.shape)}", end=", ")
        print(f"_status {tuple(_status.shape)}")
        shapes[batch_first] = (tuple(outputs.shape), tuple(_status.shape))
    return shapes[True], shapes[False]


def shape_table(N: int, L: int, H_in: int, H: int) -> list[dict]:
    """Run each stack once and record its shapes."""
    records = []
    print(f"{'module':6} {'batch_first':11} {'layers':6} {'bidir':5}  input -> output, h_n[, c_n]")
    for cls in (rnnkit.nn.RNN, rnnkit.nn.GRU, rnnkit.nn.LSTM):
        for batch_first in (True, False):
            for num_layers, bidirectional in ((1, False), (2, True)):
                rnn = cls(H_in, H, num_layers, batch_first=batch_first, bidirectional=bidirectional)
                x = torch.randn(N, L, H_in) if batch_first else torch.randn(L, N, H_in)
                output, state = rnn(x)
                h_n, c_n = state if cls is rnnkit.nn.LSTM else (state, None)
                record = {
                    "module": cls.__name__,
                    "batch_first": batch_first,
                    "num_layers": num_layers,
                    "bidirectional": bidirectional,
                    "input": tuple(x.shape),
                    "output": tuple(output.shape),
                    "h_n": tuple(h_n.shape),
                    "c_n": None if c_n is None else tuple(c_n.shape),
                }
                records.append(record)
                line = f"{record['input']} -> {record['output']}, {record['h_n']}"
                line += "" if c_n is None else f", {record['c_n']}"
                print(
                    f"{cls.__name__:6} {batch_first!s:11} {num_layers:<6} {bidirectional!s:5}  {line}"
                )
    return records


def cell_loop_equals_stack(N: int, L: int, H_in: int, H: int) -> None:
    """rnnkit.nn.RNN's output is rnnkit.nn.RNNCell run over the steps with its weights."""
    rnn = rnnkit.nn.RNN(H_in, H, batch_first=True)
    cell = rnnkit.nn.RNNCell(H_in, H)
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in rnn.state_dict().items()})
    x = torch.randn(N, L, H_in)
    h = torch.zeros(N, H)
    steps = []
    for t in range(L):
        h = cell(x[:, t], h)  # (N, H): h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
        steps.append(h)
    output, h_n = rnn(x)  # (N, L, H), (1, N, H)
    torch.testing.assert_close(torch.stack(steps, dim=1), output)
    torch.testing.assert_close(h, h_n[0])
    print("RNNCell step by step == RNN: equal")


def scratch_equals_torch(N: int, L: int, H_in: int, H: int) -> float:
    """torch.nn.LSTM's state_dict loads into rnnkit.nn.LSTM(backend="scratch"); same results."""
    reference = torch.nn.LSTM(H_in, H, num_layers=2, bidirectional=True, batch_first=True)
    scratch = rnnkit.nn.LSTM(
        H_in, H, num_layers=2, bidirectional=True, batch_first=True, backend="scratch"
    )
    scratch.load_state_dict(reference.state_dict())  # strict: the same keys and shapes
    x = torch.randn(N, L, H_in)
    out_ref, (h_ref, c_ref) = reference(x)
    out, (h, c) = scratch(x)
    torch.testing.assert_close(out, out_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(h, h_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(c, c_ref, atol=1e-5, rtol=1e-5)
    print("rnnkit.nn.LSTM(backend='scratch') == torch.nn.LSTM: equal (to 1e-5)")
    return (out - out_ref).abs().max().item()


def axis_swap(N: int, L: int, F: int, H: int) -> tuple[tuple, tuple]:
    """Note 003: (N, L, F) -> np.swapaxes(X, 0, 1) -> (L, N, F), then one (N, F) per step."""
    X = np.random.default_rng(0).random((N, L, F), dtype=np.float32)  # (windows, days, prices)
    swapped = np.swapaxes(X, 0, 1)  # (L, N, F)
    print(f"X_train {X.shape} -> np.swapaxes(X_train, 0, 1) {swapped.shape}")
    for sequence, batch_data in enumerate(swapped):
        print(f"  sequence: {sequence + 1}, batch_data: {batch_data.shape}")
    rnn = rnnkit.nn.RNN(F, H)  # batch_first=False: (L, N, F), like the swapped array
    out_swapped, _ = rnn(torch.from_numpy(swapped))
    rnn.batch_first = True  # the same weights, fed the unswapped (N, L, F)
    out_batch_first, _ = rnn(torch.from_numpy(X))
    torch.testing.assert_close(out_swapped.transpose(0, 1), out_batch_first)
    print("RNN on (L, N, F) == RNN(batch_first=True) on (N, L, F), transposed: equal")
    return X.shape, swapped.shape


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=3, help="N")
    parser.add_argument("--length", type=int, default=5, help="L")
    parser.add_argument("--input-size", type=int, default=4, help="H_in")
    parser.add_argument("--hidden", type=int, default=2, help="H")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    N, L, H_in, H = args.batch, args.length, args.input_size, args.hidden

    print("--- the lecture's 'hello' batch ---")
    hello = lecture_hello(H)
    print("--- shapes: D = 2 if bidirectional else 1 ---")
    records = shape_table(N, L, H_in, H)
    print("--- the same computation, three ways ---")
    cell_loop_equals_stack(N, L, H_in, H)
    diff = scratch_equals_torch(N, L, H_in, H)
    print("--- note 003: the axis swap to (L, N, F) ---")
    swap = axis_swap(5, 4, 4, H)
    return {"hello": hello[0], "hello_as_written": hello[1], "shapes": records,
            "scratch_max_diff": diff, "axis_swap": swap}  # fmt: skip


if __name__ == "__main__":
    main()
