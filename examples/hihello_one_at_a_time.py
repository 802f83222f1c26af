"""Note 000 (PyTorchZeroToAll): hihell -> ihello one character at a time, and names as ASCII codes.

    python examples/hihello_one_at_a_time.py
    python examples/hihello_one_at_a_time.py --epochs 30 --seed 1

Part 1 is the note's first loop. The RNN's 5 hidden units are read directly as
the 5 logits (hidden_size = num_classes = 5), and the sequence goes in one
character at a time (sequence_length = 1): each call takes one one-hot
character of shape (batch 1, length 1, 5) and the hidden state returned by the
call before, the six losses are added up, and one backward pass goes through
all six calls (backpropagation through time, by hand). Read straight as
logits, tanh outputs lie in [-1, 1]: the surest prediction is then
p = e / (e + 4/e) = 0.65, and six steps cannot bring the summed loss below
6 * -log(0.65) = 2.60; on some seeds (``--seed 0``) it stalls at "ilello".
examples/hihello.py puts a linear layer over a larger state. The note writes it in
PyTorch 0.3: ``Variable(...)`` is a plain tensor now, and ``loss.data[0]`` /
``idx.data[0]`` are ``loss.item()`` / ``idx.item()``.

Part 2 is the note's "easier" version: the whole sequence in one call,
(1, 6, 5) in, (1, 6, 5) out. Both compute the same function; the example
checks that the step-by-step loop and the single call give the same outputs
from the same weights.

Part 3 is the note's names classifier input: characters as their ASCII codes,
``str2ascii_arr(name) = [ord(c) for c in name]``, zero-padded into a (B, S)
batch (code 0 is NUL, which no name contains, so it can serve as padding),
then ``.t()`` to (S, B), ``nn.Embedding(128, H)`` and a GRU, printing the
shapes the note prints. ASCII covers only unaccented Latin letters: ``ord``
of "é" is 233, past an embedding of 128 rows, and a Korean name fails the same
way; rnnkit builds a vocabulary from the data instead (see
examples/names_classification.py).
"""

import argparse
import math

import torch
from torch import nn

import rnnkit.nn

IDX2CHAR = ["h", "i", "e", "l", "o"]
X_DATA = [0, 1, 0, 2, 3, 3]  # hihell
Y_DATA = [1, 0, 2, 3, 3, 4]  # ihello


class Model(nn.Module):
    """The note's Model: an RNN whose 5 hidden units are the 5 logits."""

    def __init__(self, input_size=5, hidden_size=5) -> None:
        super().__init__()
        self.hidden_size = hidden_size
        self.rnn = rnnkit.nn.RNN(input_size, hidden_size, batch_first=True)

    def forward(self, hidden, x):
        x = x.view(1, 1, -1)  # (batch 1, sequence_length 1, input_size)
        out, hidden = self.rnn(x, hidden)  # (1, 1, 5), (num_layers 1, batch 1, 5)
        return hidden, out.view(-1, self.hidden_size)  # (1, 5): the logits

    def init_hidden(self):
        return torch.zeros(1, 1, self.hidden_size)  # (num_layers * num_directions, batch, H)


def part1(epochs, lr, seed, log_every) -> tuple[str, Model]:
    print("--- part 1: one character at a time (note 000) ---")
    torch.manual_seed(seed)
    inputs = torch.eye(5)[X_DATA]  # (6, 5): one one-hot row per character
    labels = torch.tensor(Y_DATA)  # (6,)
    model = Model()
    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for epoch in range(epochs):
        optimizer.zero_grad()
        loss = 0
        hidden = model.init_hidden()
        predicted = ""
        for x, label in zip(inputs, labels):  # one step per call, the state carried
            hidden, output = model(hidden, x)
            predicted += IDX2CHAR[output.argmax(1).item()]  # the note's idx.data[0]
            loss += criterion(output, label.view(1))
        loss.backward()  # through all six calls: BPTT
        optimizer.step()
        if epoch % log_every == 0 or epoch == epochs - 1:
            print(f"predicted string: {predicted}, epoch: {epoch + 1}, loss: {loss.item():1.3f}")
    floor = -6 * math.log(math.e / (math.e + 4 / math.e))
    print(f"tanh logits in [-1, 1]: the summed loss cannot go below {floor:.3f}")
    return predicted, model


def part2(model) -> float:
    print("--- part 2: the whole sequence in one call ---")
    inputs = torch.eye(5)[X_DATA].view(1, 6, 5)  # (batch 1, length 6, 5)
    with torch.no_grad():
        outputs, _ = model.rnn(inputs, model.init_hidden())  # (1, 6, 5)
        hidden, steps = model.init_hidden(), []
        for x in inputs[0]:
            hidden, output = model(hidden, x)
            steps.append(output)
    diff = (torch.cat(steps) - outputs[0]).abs().max().item()
    predicted = "".join(IDX2CHAR[i] for i in outputs[0].argmax(1).tolist())
    print(f"input {tuple(inputs.shape)} -> output {tuple(outputs.shape)}: {predicted}")
    print(f"one call == six calls carrying the state: max |diff| {diff:.1e}")
    return diff


def str2ascii_arr(msg: str) -> tuple[list[int], int]:
    """The note's input: one ASCII code per character."""
    arr = [ord(c) for c in msg]
    return arr, len(arr)


def pad_sequences(vectorized_seqs, seq_lengths) -> torch.Tensor:
    """The note's zero padding into a (B, S) tensor of codes."""
    seq_tensor = torch.zeros((len(vectorized_seqs), int(seq_lengths.max()))).long()
    for idx, (seq, seq_len) in enumerate(zip(vectorized_seqs, seq_lengths)):
        seq_tensor[idx, :seq_len] = torch.LongTensor(seq)
    return seq_tensor


def part3(names, hidden_size, num_classes) -> dict:
    print("--- part 3: names as ASCII codes (note 000's classifier input) ---")
    pairs = [str2ascii_arr(name) for name in names]
    lengths = torch.LongTensor([n for _, n in pairs])
    batch = pad_sequences([arr for arr, _ in pairs], lengths)  # (B, S)
    for name, (arr, _) in zip(names, pairs):
        print(f"  {name!r}: {arr}")
    print(f"padded batch (B, S) = {tuple(batch.shape)}, lengths {lengths.tolist()}")
    embedding = nn.Embedding(128, hidden_size)  # one row per ASCII code
    gru = rnnkit.nn.GRU(hidden_size, hidden_size)  # (S, B, H): not batch-first, as the note
    fc = nn.Linear(hidden_size, num_classes)
    x = batch.t()  # B x S -> S x B
    print(f"  input {tuple(x.shape)}")
    embedded = embedding(x)
    print(f"  embedding {tuple(embedded.shape)}")
    output, hidden = gru(embedded, torch.zeros(1, len(names), hidden_size))
    print(f"  gru hidden output {tuple(hidden.shape)}")
    fc_output = fc(hidden)
    print(f"  fc output {tuple(fc_output.shape)}")
    print("  (the padded names step through their zeros: pack them, see packed_sequence.py)")
    outside = [c for c in "Müller" if ord(c) >= 128]
    print(f"ord('ü') = {ord('ü')}, ord('김') = {ord('김')}: past the 128 rows of the embedding")
    return {"batch": tuple(batch.shape), "input": tuple(x.shape),
            "embedding": tuple(embedded.shape), "hidden": tuple(hidden.shape),
            "fc": tuple(fc_output.shape), "outside": outside}  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--log-every", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2, help="0 stalls at ilello")
    args = parser.parse_args(argv)
    predicted, model = part1(args.epochs, args.lr, args.seed, args.log_every)
    diff = part2(model)
    shapes = part3(["adylov", "solan", "hard", "san"], hidden_size=8, num_classes=18)
    return {"predicted": predicted, "loop_vs_call": diff, "ascii": shapes}


if __name__ == "__main__":
    main()
