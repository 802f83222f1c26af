"""n-gram theory with note 002's example: 철수와 영희는 식탁에 앉아 사과를 ___.

    python examples/ngram_theory.py
    python examples/ngram_theory.py --order 4

Part 1 lists the note's unigrams to 4-grams of "철수 와 영희 는 식탁 에 앉아 사과 를".
Part 2 fits rnnkit's n-gram model (rnnkit.baselines.KneserNeyLM) on a small
corpus of morpheme-split sentences written for this example and asks it the
note's question: what follows "사과 를"? Part 3 measures the note's two
problems. Sparsity: the share of a held-out text's n-grams that the training
text never contains grows with n, and an unsmoothed count model gives those
n-grams probability 0 (Kneser-Ney backs off to shorter contexts instead).
Storage: the table of every possible n-gram has V^n entries, O(exp n). Part 4
gives the shapes of the RNN language model's parameters in the note's notation
(E: V x D, W_e: D x H, W_h: H x H, U: H x V) and in torch's layout, which
stores W_e and W_h transposed (weight_ih_l0 is H x D).
"""

import argparse
from collections import Counter

import torch
from torch import nn

import rnnkit.nn
from rnnkit.baselines import KneserNeyLM

NOTE_SENTENCE = "철수 와 영희 는 식탁 에 앉아 사과 를"
CORPUS = [  # morphemes split by spaces, as the note writes them; written for rnnkit
    "철수 와 영희 는 식탁 에 앉아 사과 를 먹었다 .",
    "영희 는 식탁 에 앉아 빵 을 먹었다 .",
    "철수 는 의자 에 앉아 사과 를 먹었다 .",
    "철수 와 영희 는 사과 를 샀다 .",
    "영희 는 사과 를 깎았다 .",
    "철수 는 식탁 에 앉아 우유 를 마셨다 .",
    "영희 와 철수 는 공원 에 앉아 빵 을 먹었다 .",
    "철수 는 사과 를 먹었다 .",
    "영희 는 식탁 에 앉아 사과 를 먹었다 .",
    "철수 와 영희 는 식탁 에 앉아 우유 를 마셨다 .",
    "영희 는 공원 에 앉아 책 을 읽었다 .",
    "철수 는 책 을 읽었다 .",
]
HELD_OUT = [
    "영희 와 철수 는 식탁 에 앉아 사과 를 먹었다 .",
    "철수 는 공원 에 앉아 우유 를 마셨다 .",
    "영희 는 의자 에 앉아 책 을 읽었다 .",
]


def ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def part1() -> dict[int, list[str]]:
    print(f"--- part 1: the n-grams of '{NOTE_SENTENCE}' ---")
    tokens = NOTE_SENTENCE.split()
    shown = {}
    for n, name in ((1, "unigram"), (2, "bigram"), (3, "trigram"), (4, "4-gram")):
        grams = [" ".join(g) for g in ngrams(tokens, n)]
        shown[n] = grams
        print(f"{name:8} ({len(grams)}): " + ", ".join(f"'{g}'" for g in grams[:6]))
    return shown


def part2(order: int, itos: list[str], stoi: dict[str, int], ids: list[int]) -> list[tuple]:
    print(f"--- part 2: an order-{order} Kneser-Ney model on {len(CORPUS)} sentences ---")
    lm = KneserNeyLM(order=order).fit(ids, vocab_size=len(itos))
    context = ["사과", "를"]
    probs = lm.next_token_distribution([stoi[t] for t in context])
    top = sorted(range(len(itos)), key=lambda i: -probs[i])[:3]
    ranked = [(itos[i], float(probs[i])) for i in top]
    print(f"P(w | {' '.join(context)}): " + ", ".join(f"{w} {p:.2f}" for w, p in ranked))
    return ranked


def part3(train: list[list[str]], held_out: list[list[str]], V: int, max_n: int) -> list[dict]:
    print("--- part 3: sparsity and storage ---")
    print("n  distinct in train  possible V^n        held-out n-grams unseen in train")
    rows = []
    for n in range(1, max_n + 1):
        seen = {g for s in train for g in ngrams(s, n)}
        test = [g for s in held_out for g in ngrams(s, n)]
        unseen = sum(g not in seen for g in test) / len(test)
        rows.append({"n": n, "distinct": len(seen), "possible": V**n, "unseen": unseen})
        print(f"{n}  {len(seen):>17}  {V**n:>14,}        {unseen:.0%}")
    return rows


def mle_vs_kneser_ney(train, ids, itos, stoi, order) -> tuple[float, float]:
    """P(우유 | 공원 에 앉아) from raw counts and from Kneser-Ney: the held-out 4-gram
    '공원 에 앉아 우유' never occurs in training (there the context is followed by 빵, 책)."""
    counts, context_counts = Counter(), Counter()
    for s in train:
        for g in ngrams(s, order):
            counts[g] += 1
            context_counts[g[:-1]] += 1
    context, word = ("공원", "에", "앉아"), "우유"
    context = context[-(order - 1) :]
    mle = counts[(*context, word)] / context_counts[context] if context_counts[context] else 0.0
    lm = KneserNeyLM(order=order).fit(ids, vocab_size=len(itos))
    kn = float(lm.next_token_distribution([stoi[t] for t in context])[stoi[word]])
    print(f"P({word} | {' '.join(context)}): counts {mle:.2f} (never seen after this context),"
          f" Kneser-Ney {kn:.2f} (backs off to shorter contexts)")  # fmt: skip
    return mle, kn


def part4(V: int, D: int, H: int) -> dict[str, tuple]:
    print(f"--- part 4: the RNN LM's parameters, V={V}, D={D}, H={H} ---")
    embedding = nn.Embedding(V, D)  # E
    rnn = rnnkit.nn.RNN(D, H, batch_first=True)  # W_e, W_h
    readout = nn.Linear(H, V)  # U
    shapes = {
        "E": tuple(embedding.weight.shape),
        "W_e": tuple(rnn.weight_ih_l0.T.shape),
        "W_h": tuple(rnn.weight_hh_l0.T.shape),
        "U": tuple(readout.weight.T.shape),
    }
    torch_names = {"E": "embedding.weight", "W_e": "rnn.weight_ih_l0 (transposed)",
                   "W_h": "rnn.weight_hh_l0 (transposed)", "U": "linear.weight (transposed)"}  # fmt: skip
    for name, shape in shapes.items():
        print(f"{name:4} {shape[0]} x {shape[1]:<4} {torch_names[name]}")
    x = torch.tensor([[0, 1, 2, 3]])  # "뭐 먹 을까 ?": 4 ids
    e = embedding(x)  # (1, 4, D): the note's 4 x 3 matrix, one row per token
    out, h_n = rnn(e)
    logits = readout(out)
    print(f"'뭐 먹 을까 ?' -> ids (1, 4) -> E[x] {tuple(e.shape)} -> h {tuple(out.shape)}"
          f" -> logits {tuple(logits.shape)}; h^(0) is zeros (1, 1, {H}), not a row of E[x]")  # fmt: skip
    return shapes


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--order", type=int, default=3)
    parser.add_argument("--max-n", type=int, default=5)
    args = parser.parse_args(argv)

    shown = part1()
    train = [s.split() for s in CORPUS]
    held_out = [s.split() for s in HELD_OUT]
    itos = sorted({t for s in train + held_out for t in s})
    stoi = {t: i for i, t in enumerate(itos)}
    ids = [stoi[t] for s in train for t in s]
    ranked = part2(args.order, itos, stoi, ids)
    rows = part3(train, held_out, len(itos), args.max_n)
    mle, kn = mle_vs_kneser_ney(train, ids, itos, stoi, 4)
    shapes = part4(len(itos), 3, 5)
    return {"ngrams": shown, "next": ranked, "sparsity": rows, "mle": mle, "kn": kn,
            "shapes": shapes, "vocab_size": len(itos)}  # fmt: skip


if __name__ == "__main__":
    main()
