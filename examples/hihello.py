"""Lab 11-2, hihello: an RNN learns to read "hihell" and answer "ihello".

    python examples/hihello.py              # one-hot inputs, then an embedding
    python examples/hihello.py --epochs 50

Part 1 is the lecture's code with rnnkit.nn.RNN in place of torch.nn.RNN: the
characters go in one-hot. Part 2 looks them up in an nn.Embedding instead.
The lecture reads its 5 hidden units straight as the 5 logits; with so few
units 6 of 20 seeds stall (at "ilello", say), so here a linear layer reads
a larger state (``--hidden``) in both parts.
"""

import argparse

import torch
from torch import nn

import rnnkit.nn
from rnnkit.data import embedded


class CharRNN(nn.Module):
    """(one-hot or embedding) -> rnnkit.nn.RNN -> Linear: logits for the next character."""

    def __init__(self, num_chars: int, hidden_size: int, embedding_dim: int = 0) -> None:
        super().__init__()
        self.num_chars = num_chars
        self.embedding = nn.Embedding(num_chars, embedding_dim) if embedding_dim else None
        input_size = embedding_dim or num_chars
        self.rnn = rnnkit.nn.RNN(input_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, num_chars)

    def forward(self, x):
        if self.embedding is None:
            x = nn.functional.one_hot(x, self.num_chars).float()  # (N, L) -> (N, L, V)
        else:
            x = self.embedding(x)  # (N, L) -> (N, L, E)
        out, _status = self.rnn(x)  # (N, L, H)
        return self.fc(out)  # (N, L, V)


def train(model, x, y, char_set, epochs, lr, log_every, title):
    """Adam on the cross-entropy of every step; prints the prediction as it learns."""
    print(f"--- {title} ---")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(epochs):
        optimizer.zero_grad()
        logits = model(x)  # (1, L, V)
        loss = criterion(logits.reshape(-1, len(char_set)), y.reshape(-1))
        loss.backward()
        optimizer.step()
        result = logits.argmax(dim=2)  # (1, L)
        result_str = "".join(char_set[c] for c in result[0].tolist())
        if epoch % log_every == 0 or epoch == epochs - 1:
            print(f"{epoch:3d} loss: {loss.item():.4f} prediction: {result.tolist()}", end=" ")
            print(f"true Y: {y.tolist()} prediction str: {result_str}")
    return result_str


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--embedding-dim", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=16, help="RNN hidden size")
    parser.add_argument("--log-every", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    text = embedded.load("hihello")  # "hihello"
    char_set = list(dict.fromkeys(text))  # ['h', 'i', 'e', 'l', 'o'], in order of appearance
    index = {c: i for i, c in enumerate(char_set)}
    V = len(char_set)
    x_data = [[index[c] for c in text[:-1]]]  # "hihell": [[0, 1, 0, 2, 3, 3]]
    y_data = [[index[c] for c in text[1:]]]  # "ihello": [[1, 0, 2, 3, 3, 4]]
    x = torch.tensor(x_data)  # (1, L)
    y = torch.tensor(y_data)  # (1, L)
    x_one_hot = nn.functional.one_hot(x, V).float()  # (1, L, V)
    print(f"char_set: {char_set}  x_data: {x_data}  y_data: {y_data}")
    print(f"one-hot input: {tuple(x_one_hot.shape)} (batch, length, characters)")

    torch.manual_seed(args.seed)
    model = CharRNN(V, args.hidden)  # one-hot: input_size = 5 characters
    one_hot = train(model, x, y, char_set, args.epochs, args.lr, args.log_every,
                    "one-hot inputs")  # fmt: skip

    torch.manual_seed(args.seed)
    model = CharRNN(V, args.hidden, embedding_dim=args.embedding_dim)
    with_embedding = train(model, x, y, char_set, args.epochs, args.lr, args.log_every,
                           "embedding")  # fmt: skip
    return {"one_hot": one_hot, "embedding": with_embedding}


if __name__ == "__main__":
    main()
