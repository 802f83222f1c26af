"""Lab 11-2, charseq: an RNN learns " if you want you" one character ahead.

    python examples/charseq.py
    python examples/charseq.py --epochs 30 --sample "hello world"

The lecture's code with rnnkit.nn.RNN: the characters of the sample are
numbered, fed one-hot, and the RNN (plus a linear layer) is trained to
predict each next character; the prediction string converges to the sample
without its first character.

The lecture's sample starts with a space, ``' if you want you'`` (16
characters, 15 steps): the space is the first input, so the first prediction
is the ``i`` of ``if``. ``rnnkit.data.embedded.load("charseq")`` is that string.
"""

import argparse

import torch
from torch import nn

import rnnkit.nn
from rnnkit.data import embedded
from rnnkit.data.embedded.toys import next_char_pair

SAMPLE = embedded.load("charseq")  # note 004, Lab 11-2: " if you want you", space first


class CharRNN(nn.Module):
    """one-hot -> rnnkit.nn.RNN -> Linear: logits for the next character."""

    def __init__(self, dic_size: int, hidden_size: int) -> None:
        super().__init__()
        self.dic_size = dic_size
        self.rnn = rnnkit.nn.RNN(dic_size, hidden_size, batch_first=True)
        self.fc = nn.Linear(hidden_size, dic_size)

    def forward(self, x):
        x_one_hot = nn.functional.one_hot(x, self.dic_size).float()  # (N, L) -> (N, L, V)
        out, _status = self.rnn(x_one_hot)  # (N, L, H)
        return self.fc(out)  # (N, L, V)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", default=SAMPLE, help="the text to learn")
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--hidden", type=int, default=16)
    parser.add_argument("--log-every", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    sample = args.sample
    char_set = sorted(set(sample))  # sorted, so every run numbers them alike
    char_dic = {c: i for i, c in enumerate(char_set)}
    print(f"char_dic: {char_dic}")
    x_str, y_str = next_char_pair(sample)
    x = torch.tensor([[char_dic[c] for c in x_str]])  # (1, L)
    y = torch.tensor([[char_dic[c] for c in y_str]])  # (1, L)

    torch.manual_seed(args.seed)
    model = CharRNN(len(char_set), args.hidden)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        optimizer.zero_grad()
        logits = model(x)  # (1, L, V)
        loss = criterion(logits.reshape(-1, len(char_set)), y.reshape(-1))
        loss.backward()
        optimizer.step()
        result_str = "".join(char_set[c] for c in logits.argmax(dim=2)[0].tolist())
        if epoch % args.log_every == 0 or epoch == args.epochs - 1:
            print(f"{epoch:3d} loss: {loss.item():.4f} prediction str: {result_str!r}")
    return result_str


if __name__ == "__main__":
    main()
