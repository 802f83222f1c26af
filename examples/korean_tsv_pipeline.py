"""Note 002's torchtext pipeline on Korean text: TSV -> morphemes -> vocab -> sorted batches -> LSTM.

    python examples/korean_tsv_pipeline.py                      # a small built-in sample
    python examples/korean_tsv_pipeline.py --backend kkma       # the note's Kkma (needs Java)
    python examples/korean_tsv_pipeline.py --data ratings_train.txt --nsmc --min-freq 5 --epochs 3

Note 002 reads ``data/train.txt`` and ``data/test.txt``: two tab-separated
columns, TEXT and LABEL, with no header row (its ``skip_header`` is commented
out), tokenized by KoNLPy's Kkma. It builds the vocabularies and batches with
``Iterator.splits(..., batch_size=3, sort_key=lambda x: len(x.TEXT),
sort_within_batch=True)``. torchtext has since removed Field, TabularDataset
and Iterator; the same steps with rnnkit (full table in
docs/migrating-from-torchtext.md):

    Field(tokenize=Kkma().morphs)   make_tokenizer("korean", backend="kkma")  (default: Kiwi)
    TabularDataset.splits(...)      read_labelled(path, text_column=0, label_column=1, header=False)
    TEXT.build_vocab(train_data)    build_vocab(tokens, min_freq=...)
    Iterator.splits(sort_key=...,   DataLoader(dataset, batch_sampler=BucketBatchSampler(...)):
      sort_within_batch=True)         batches of similar length, each sorted by length
    pack_padded_sequence            rnnkit.data.pack (no sorting needed)

Kiwi is the default because it needs no Java and ships its model in a wheel;
``--backend kkma`` runs the note's tokenizer where KoNLPy and Java are
installed. Without --data the example writes 24 short reviews (written for
this example) as the note's headerless train.txt, plus 4 more as test.txt,
and learns train.txt by heart. ``--nsmc`` reads the Naver movie review files
instead (columns id, document, label, with a header).
"""

import argparse
import itertools
import tempfile
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader

import rnnkit.nn
from rnnkit.data import (
    BucketBatchSampler,
    LabelledDataset,
    build_vocab,
    make_tokenizer,
    pack,
    read_labelled,
)
from rnnkit.data.batching import collate_labelled, padding_fraction

SAMPLE = [  # (document, label): 1 positive, 0 negative
    ("이 영화 정말 재밌어요", 1),
    ("시간 낭비였다. 너무 지루해요", 0),
    ("배우들의 연기가 훌륭했다", 1),
    ("스토리가 엉망이고 결말도 별로", 0),
    ("다시 보고 싶은 영화입니다", 1),
    ("돈이 아깝다", 0),
    ("음악이 아름답고 감동적이었어요", 1),
    ("중간에 잠들었습니다", 0),
    ("올해 본 영화 중 최고!", 1),
    ("연출이 어색하고 대사가 유치하다", 0),
    ("가족과 함께 보기 좋은 영화", 1),
    ("기대했는데 실망했어요", 0),
    ("웃기고 따뜻한 이야기", 1),
    ("두 번은 못 보겠다", 0),
    ("주인공이 너무 멋있어요", 1),
    ("이런 영화를 왜 만들었는지 모르겠다", 0),
    ("마지막 장면에서 눈물이 났어요", 1),
    ("지루하고 길기만 한 영화", 0),
    ("친구에게 추천하고 싶어요", 1),
    ("배우가 아깝다 각본이 최악", 0),
    ("영상미가 정말 아름다운 영화", 1),
    ("보다가 나왔어요 재미없음", 0),
    ("몇 번을 봐도 좋은 명작", 1),
    ("광고에 속았다", 0),
]


class ReviewClassifier(nn.Module):
    """Embedding -> packed rnnkit.nn.LSTM -> final state -> Linear."""

    def __init__(self, V: int, E: int, H: int, K: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(V, E, padding_idx=0)
        self.lstm = rnnkit.nn.LSTM(E, H, batch_first=True)
        self.fc = nn.Linear(H, K)

    def forward(self, x, lengths):
        _, (h_n, _) = self.lstm(pack(self.embedding(x), lengths))  # (1, N, H)
        return self.fc(h_n[-1])  # (N, K)


TEST_SAMPLE = [("정말 재밌고 감동적인 영화", 1), ("너무 지루해서 잠들었다", 0),
               ("배우들의 연기가 최고", 1), ("돈이 아까운 영화", 0)]  # fmt: skip


def write_sample(folder: Path) -> tuple[Path, Path]:
    """The note's layout: data/train.txt and data/test.txt, TEXT<TAB>LABEL, no header."""
    paths = folder / "train.txt", folder / "test.txt"
    for path, rows in zip(paths, (SAMPLE, TEST_SAMPLE)):
        path.write_text("".join(f"{t}\t{k}\n" for t, k in rows), encoding="utf-8")
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="a TSV: TEXT<TAB>LABEL, no header")
    parser.add_argument("--nsmc", action="store_true", help="--data has id, document, label")
    parser.add_argument("--backend", default="kiwi", choices=("kiwi", "kkma"))
    parser.add_argument("--min-freq", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=3, help="the note's 3")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    if args.data:
        path, test_path = Path(args.data), None
    else:
        path, test_path = write_sample(Path(tempfile.mkdtemp()))
    if args.nsmc:
        rows = read_labelled(path, text_column="document", label_column="label")
    else:
        rows = read_labelled(path, text_column=0, label_column=1, header=False)
    tokenizer = make_tokenizer("korean", backend=args.backend)
    print(f"{len(rows)} reviews from {path.name}")
    for text, label in rows[:3]:
        print(f"  {text!r} ({label}) -> {tokenizer.tokenize(text)}")

    tokens = itertools.chain.from_iterable(tokenizer.tokenize(text) for text, _ in rows)
    vocab = build_vocab(tokens, min_freq=args.min_freq)
    print(f"vocab: {len(vocab)} ids, first {vocab.itos[:10]}")
    train = LabelledDataset.from_examples(rows, tokenizer, vocab)
    print(f"labels: {train.label_names}")

    sampler = BucketBatchSampler(
        train.lengths, args.batch_size, bucket_size=4 * args.batch_size, seed=args.seed
    )
    loader = DataLoader(train, batch_sampler=sampler, collate_fn=collate_labelled)
    batches = list(sampler)
    shuffled = [list(range(i, min(i + args.batch_size, len(train))))
                for i in range(0, len(train), args.batch_size)]  # fmt: skip
    print(f"padding: {padding_fraction(batches, train.lengths):.0%} bucketed, "
          f"{padding_fraction(shuffled, train.lengths):.0%} in file order")  # fmt: skip
    batch = next(iter(loader))
    print(f"one batch: x {tuple(batch.x.shape)}, lengths {batch.lengths.tolist()}, "
          f"labels {batch.labels.tolist()}")  # fmt: skip

    torch.manual_seed(args.seed)
    model = ReviewClassifier(len(vocab), 32, args.hidden, len(train.label_names))
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        total = correct = 0
        for batch in loader:
            logits = model(batch.x, batch.lengths)  # (N, K)
            loss = nn.functional.cross_entropy(logits, batch.labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(batch.labels)
            correct += (logits.argmax(-1) == batch.labels).sum().item()
        train_loss, train_accuracy = total / len(train), correct / len(train)
        if epoch % 5 == 0 or epoch == args.epochs - 1:
            print(f"epoch {epoch:2d}: loss {train_loss:.3f}, train accuracy {train_accuracy:.3f}")
    test_accuracy = None
    if test_path is not None:
        test_rows = read_labelled(test_path, text_column=0, label_column=1, header=False)
        test = LabelledDataset.from_examples(test_rows, tokenizer, vocab, train.label_names)
        batch = collate_labelled([test[i] for i in range(len(test))])
        model.eval()
        with torch.no_grad():
            predicted = model(batch.x, batch.lengths).argmax(-1)
        test_accuracy = (predicted == batch.labels).float().mean().item()
        print(f"{test_path.name}: {len(test)} unseen reviews, accuracy {test_accuracy:.2f}"
              " (24 training reviews are too few to mean much)")  # fmt: skip
    print("vocab and tokenizer save as JSON: vocab.to_json(), tokenizer.to_dict()")
    return {"train_accuracy": train_accuracy, "train_loss": train_loss, "batches": batches,
            "lengths": train.lengths, "vocab": vocab, "tokenizer": tokenizer,
            "test_accuracy": test_accuracy}  # fmt: skip


if __name__ == "__main__":
    main()
