"""Names classification: surnames to their country with a character GRU, padding and packing.

    python examples/names_classification.py
    python examples/names_classification.py --epochs 10 --steps 2000

Part 1 is the lecture's pipeline written out with rnnkit's pieces: a char
tokenizer and vocab, a LabelledDataset, batches of similar length from a
BucketBatchSampler, padding with lengths (collate_labelled), and
pack_padded_sequence (rnnkit.data.pack: no sorting by length needed) into a
GRU whose final state feeds a linear layer. Part 2 trains the same kind of
model with one call, rnnkit.train("classify"), and asks it about a few names.

The embedded names (surnames from Faker's locales, 19 countries) are unbalanced:
Greek alone is 18%, so accuracy is reported beside the majority-class baseline.
"""

import argparse
import itertools
import tempfile
from collections import Counter

import torch
from torch import nn
from torch.utils.data import DataLoader

import rnnkit
import rnnkit.nn
from rnnkit.data import (
    BucketBatchSampler,
    LabelledDataset,
    build_vocab,
    embedded,
    make_tokenizer,
    pack,
)
from rnnkit.data.batching import collate_labelled


class NameClassifier(nn.Module):
    """Embedding -> packed GRU -> final state -> Linear (many-to-one)."""

    def __init__(self, V: int, E: int, H: int, K: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=0)
        self.gru = rnnkit.nn.GRU(E, H, batch_first=True)
        self.fc = nn.Linear(H, K)

    def forward(self, x, lengths):
        packed = pack(self.embedding(x), lengths)  # (N, L, E) -> PackedSequence
        _, h_n = self.gru(packed)  # (1, N, H): each name's state after its own last letter
        return self.fc(h_n[-1])  # (N, K)


@torch.no_grad()
def accuracy(model, dataset) -> float:
    model.eval()
    batch = collate_labelled([dataset[i] for i in range(len(dataset))])
    correct = (model(batch.x, batch.lengths).argmax(-1) == batch.labels).float().mean()
    model.train()
    return correct.item()


def by_hand(train_rows, valid_rows, args) -> dict:
    tokenizer = make_tokenizer("char")
    vocab = build_vocab(itertools.chain.from_iterable(name for name, _ in train_rows))
    train = LabelledDataset.from_examples(train_rows, tokenizer, vocab)
    valid = LabelledDataset.from_examples(valid_rows, tokenizer, vocab, train.label_names)
    print(f"{len(train)} train, {len(valid)} valid names, {len(train.label_names)} countries")
    print(f"{len(vocab)} ids: <pad> <unk> <bos> <eos> and the letters {''.join(vocab.itos[4:])}")

    rows = (0, 1000, 2000)
    batch = collate_labelled([train[i] for i in rows])
    print(f"{[train_rows[i][0] for i in rows]} padded: x {tuple(batch.x.shape)},", end=" ")
    print(f"lengths {batch.lengths.tolist()}")
    print(batch.x)
    print(f"packed batch_sizes: {pack(batch.x, batch.lengths).batch_sizes.tolist()}")

    torch.manual_seed(args.seed)
    model = NameClassifier(len(vocab), 32, args.hidden, len(train.label_names))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    sampler = BucketBatchSampler(train.lengths, args.batch_size, seed=args.seed)
    loader = DataLoader(train, batch_sampler=sampler, collate_fn=collate_labelled)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        total = 0.0
        for batch in loader:
            loss = nn.functional.cross_entropy(model(batch.x, batch.lengths), batch.labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        valid_accuracy = accuracy(model, valid)
        print(f"epoch {epoch}: loss {total / len(loader):.3f}, valid accuracy {valid_accuracy:.3f}")
    return {"valid_accuracy": accuracy(model, valid)}


def with_train(args) -> dict:
    out = args.out or tempfile.mkdtemp(prefix="names-")
    clf = rnnkit.train(
        "classify", max_steps=args.steps, hidden_size=args.hidden, out=out, progress=False
    )
    for p in clf.predict(["Nakamura", "Schmidt", "Kim", "Papadopoulos"], top_k=3):
        top = ", ".join(f"{t['label']} {t['probability']:.2f}" for t in p["top_k"])
        print(f"{p['input']:13} -> {top}")
    metrics = clf.evaluate()
    print(f"valid: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}")
    print(f"run directory: {out}")
    return {"train_accuracy": metrics["accuracy"]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5, help="epochs of part 1")
    parser.add_argument("--steps", type=int, default=1000, help="max_steps of part 2")
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--out", default=None, help="run directory of part 2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    train_rows, valid_rows = embedded.load("names", "train"), embedded.load("names", "valid")
    label, count = Counter(label for _, label in valid_rows).most_common(1)[0]
    majority = count / len(valid_rows)
    print(f"majority baseline (always {label!r}): valid accuracy {majority:.3f}")
    print("--- part 1: padding and pack_padded_sequence by hand ---")
    result = by_hand(train_rows, valid_rows, args)
    print('--- part 2: rnnkit.train("classify") ---')
    result |= with_train(args)
    result["majority"] = majority
    return result


if __name__ == "__main__":
    main()
