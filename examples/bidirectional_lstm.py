"""A bidirectional multi-layer LSTM, used many-to-many and many-to-one.

    python examples/bidirectional_lstm.py
    python examples/bidirectional_lstm.py --layers 3 --steps 300

1. Shapes: output (N, L, 2H) holds both directions side by side; h_n is
   (num_layers * 2, N, H), layer by layer, forward then backward.
2. The final states of the top layer: forward h_n[-2] is output[:, -1, :H]
   (after the last step), backward h_n[-1] is output[:, 0, H:] (after the
   first step, which it reads last). With padded sequences the forward state
   sits at each sequence's own last step: read h_n, not output[:, -1].
3. Many-to-many (one output per step) and many-to-one (one per sequence, from
   both directions' final states).
4. Why both directions: label every position with the *next* token. A
   left-to-right LSTM cannot know it; the bidirectional one learns it.
"""

import argparse

import torch
from torch import nn

import rnnkit.nn
from rnnkit.data import pack, unpack


class Tagger(nn.Module):
    """Many-to-many: a score for each of K classes at every step."""

    def __init__(self, V: int, E: int, H: int, layers: int, K: int, bidirectional: bool):
        super().__init__()
        D = 2 if bidirectional else 1
        self.embedding = nn.Embedding(V, E)
        self.lstm = rnnkit.nn.LSTM(E, H, layers, batch_first=True, bidirectional=bidirectional)
        self.fc = nn.Linear(D * H, K)

    def forward(self, x):
        out, _ = self.lstm(self.embedding(x))  # (N, L) -> (N, L, E) -> (N, L, D*H)
        return self.fc(out)  # (N, L, K)


class Classifier(nn.Module):
    """Many-to-one: a score for each of K classes per sequence, from both final states."""

    def __init__(self, V: int, E: int, H: int, layers: int, K: int):
        super().__init__()
        self.embedding = nn.Embedding(V, E)
        self.lstm = rnnkit.nn.LSTM(E, H, layers, batch_first=True, bidirectional=True)
        self.fc = nn.Linear(2 * H, K)

    def forward(self, x, lengths):
        packed = pack(self.embedding(x), lengths)  # (N, L, E) -> PackedSequence
        _, (h_n, _) = self.lstm(packed)  # (layers * 2, N, H)
        final = torch.cat([h_n[-2], h_n[-1]], dim=1)  # top layer, forward | backward: (N, 2H)
        return self.fc(final)  # (N, K)


def final_states(N: int, L: int, H_in: int, H: int, layers: int) -> dict:
    lstm = rnnkit.nn.LSTM(H_in, H, layers, batch_first=True, bidirectional=True)
    x = torch.randn(N, L, H_in)
    output, (h_n, c_n) = lstm(x)  # (N, L, 2H), (layers * 2, N, H) twice
    print(f"input {tuple(x.shape)} -> output {tuple(output.shape)}, h_n {tuple(h_n.shape)}")
    by_layer = h_n.view(layers, 2, N, H)  # [layer, direction (0 forward, 1 backward)]
    print(f"h_n.view(num_layers, 2, N, H): {tuple(by_layer.shape)}")
    forward_last = torch.equal(h_n[-2], output[:, -1, :H])
    backward_first = torch.equal(h_n[-1], output[:, 0, H:])
    print(f"forward  h_n[-2] == output[:, -1, :H]: {forward_last}")
    print(f"backward h_n[-1] == output[:, 0, H:]:  {backward_first}")

    lengths = torch.randint(1, L + 1, (N,))
    lengths[0] = L  # at least one full-length row
    packed_out, (h_p, _) = lstm(pack(x, lengths))
    out_p, _ = unpack(packed_out)  # (N, L, 2H), zeros after each length
    rows = torch.arange(N)
    at_own_end = torch.equal(h_p[-2], out_p[rows, lengths - 1, :H])
    at_first = torch.equal(h_p[-1], out_p[:, 0, H:])
    print(f"packed, lengths {lengths.tolist()}:")
    print(f"  forward  h_n[-2] == output[i, length_i - 1, :H]: {at_own_end}")
    print(f"  backward h_n[-1] == output[:, 0, H:]:            {at_first}")
    return {
        "output": tuple(output.shape),
        "h_n": tuple(h_n.shape),
        "checks": [forward_last, backward_first, at_own_end, at_first],
    }


def next_token_accuracy(bidirectional, V, L, H, layers, steps, seed) -> float:
    """Train a tagger to label each position with the next token; accuracy on new data."""
    torch.manual_seed(seed)
    model = Tagger(V + 1, 16, H, layers, V + 1, bidirectional)  # id V: "no next token"
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)

    def data(n):
        x = torch.randint(0, V, (n, L))  # (n, L)
        y = torch.cat([x[:, 1:], torch.full((n, 1), V)], dim=1)  # (n, L): the next token
        return x, y

    for _ in range(steps):
        x, y = data(64)
        loss = nn.functional.cross_entropy(model(x).reshape(-1, V + 1), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    x, y = data(512)
    with torch.no_grad():
        return (model(x).argmax(-1) == y).float().mean().item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--hidden", type=int, default=32, help="H")
    parser.add_argument("--steps", type=int, default=200, help="training steps of part 4")
    parser.add_argument("--vocab", type=int, default=8, help="tokens of part 4")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.manual_seed(args.seed)
    N, L, V, K = 4, 6, args.vocab, 3

    print("--- shapes and final states ---")
    result = final_states(N, L, 5, 3, args.layers)

    print("--- many-to-many and many-to-one ---")
    x = torch.randint(0, V, (N, L))  # (N, L) token ids
    tagger = Tagger(V, 16, args.hidden, args.layers, K, bidirectional=True)
    classifier = Classifier(V, 16, args.hidden, args.layers, K)
    per_step = tagger(x)  # (N, L, K)
    per_sequence = classifier(x, torch.full((N,), L))  # (N, K)
    print(f"many-to-many: {tuple(x.shape)} -> {tuple(per_step.shape)}")
    print(f"many-to-one:  {tuple(x.shape)} -> {tuple(per_sequence.shape)}")
    result["many_to_many"] = tuple(per_step.shape)
    result["many_to_one"] = tuple(per_sequence.shape)

    print("--- label each token with the next one ---")
    for bidirectional in (False, True):
        accuracy = next_token_accuracy(
            bidirectional, V, 10, args.hidden, args.layers, args.steps, args.seed
        )
        name = "bidirectional" if bidirectional else "left-to-right"
        print(f"{name:14} LSTM: accuracy {accuracy:.3f} (chance {1 / V:.3f})")
        result[name] = accuracy
    return result


if __name__ == "__main__":
    main()
