"""NER as BIO tagging: tags spell spans, spans are scored, a BiLSTM-CRF learns them.

    python examples/ner_bio_tagging.py
    python examples/ner_bio_tagging.py --steps 600 --hidden 128

Part 1 reads spans from BIO tags with rnnkit.span_metrics.bio_spans::

    tokens:  Sung   Kim    teaches  at  HKUST   in  Hong   Kong
    tags:    B-PER  I-PER  O        O   B-ORG   O   B-LOC  I-LOC
    spans:   [PER 0:2   ]               [ORG 4:5]   [LOC 6:8    ]   (end exclusive)

Part 2 scores two wrong taggings of that sentence, worked out by hand:

    guess A: B-PER I-PER O O B-LOC O B-LOC O
      tokens: 6 of 8 right (HKUST's type and Kong's I-LOC wrong)  -> accuracy 6/8 = 0.75
      spans:  PER 0:2, LOC 4:5, LOC 6:7; only PER 0:2 is a true span
              precision 1/3, recall 1/3                           -> F1 1/3
    guess B: O everywhere
      tokens: the 3 O tokens (teaches, at, in) right              -> accuracy 3/8 = 0.375
      spans:  none predicted, 0 of 3 found                        -> F1 0

A span counts only when its type, first and last token are all right, so one
wrong token ("Kong" as O) costs a whole entity while costing accuracy only
1/8; and since most tokens of real text are O, tagging everything O already
scores a high token accuracy. NER is therefore reported as entity F1.

Part 3 trains the BiLSTM-CRF of ``rnnkit.train("tag")`` on the embedded
synthetic NER corpus (4,000 sentences, PER/LOC/ORG/DATE) for a few hundred
steps and tags a few sentences with ``.predict``.
"""

import argparse
import tempfile

import rnnkit
from rnnkit.span_metrics import bio_spans, span_prf, token_accuracy
from rnnkit.tasks import TagConfig

TOKENS = ["Sung", "Kim", "teaches", "at", "HKUST", "in", "Hong", "Kong"]
GOLD = ["B-PER", "I-PER", "O", "O", "B-ORG", "O", "B-LOC", "I-LOC"]
GUESSES = {
    "A": ["B-PER", "I-PER", "O", "O", "B-LOC", "O", "B-LOC", "O"],
    "B": ["O"] * 8,
}
SENTENCES = [
    "Sung Kim teaches at HKUST",
    "Kim Minsu works at Samsung in Seoul .",
    "Garcia , officials said , reported a quarterly loss .",
]


def show_tags(tokens, tags) -> None:
    widths = [max(len(t), len(g)) for t, g in zip(tokens, tags)]
    print(("  " + "  ".join(t.ljust(w) for t, w in zip(tokens, widths))).rstrip())
    print(("  " + "  ".join(g.ljust(w) for g, w in zip(tags, widths))).rstrip())


def show_spans(tokens, tags) -> str:
    return ", ".join(
        f"{s.type} {s.start}:{s.end} {' '.join(tokens[s.start : s.end])!r}" for s in bio_spans(tags)
    )


def spans_from_tags() -> None:
    print("--- part 1: BIO tags spell spans ---")
    show_tags(TOKENS, GOLD)
    print(f"spans: {show_spans(TOKENS, GOLD)}")
    broken = ["O", "I-PER", "I-PER", "O", "B-LOC"]
    print(f"{broken}: an I- after O starts a span (conlleval): {bio_spans(broken)}")
    print(f"  strict (seqeval mode='strict') drops it: {bio_spans(broken, strict=True)}")


def accuracy_versus_f1() -> dict:
    print("--- part 2: token accuracy vs entity F1 ---")
    scores = {}
    for name, guess in GUESSES.items():
        prf = span_prf([GOLD], [guess])
        accuracy = token_accuracy([GOLD], [guess])
        print(f"guess {name}:")
        show_tags(TOKENS, guess)
        print(f"  spans: {show_spans(TOKENS, guess) or 'none'}")
        print(f"  token accuracy {accuracy:.3f}  entity precision {prf['precision']:.3f}"
              f"  recall {prf['recall']:.3f}  F1 {prf['f1']:.3f}")  # fmt: skip
        scores[name] = {"accuracy": accuracy, "f1": prf["f1"]}
    return scores


def train_tagger(args) -> dict:
    print('--- part 3: a BiLSTM-CRF with rnnkit.train("tag") ---')
    out = args.out or tempfile.mkdtemp(prefix="ner-")
    config = TagConfig()  # the task's defaults: BiLSTM-CRF, char encoder, dropout
    # they keep the best evaluated weights (early stopping); here: the last step's weights
    config.train.early_stopping, config.train.keep_best = None, False
    tagger = rnnkit.train(
        "tag",
        config=config,
        max_steps=args.steps,
        eval_every=args.eval_every,
        hidden_size=args.hidden,
        lr=args.lr,
        warmup_steps=args.steps // 10,
        seed=args.seed,
        out=out,
        progress=False,
    )
    records = tagger.run.read_metrics()
    for r in records:
        print(f"step {r['step']:4d}: train loss {r['train_loss']:.3f}, valid loss "
              f"{r['valid_loss']:.3f}, token accuracy {r['valid_accuracy']:.3f}, "
              f"entity F1 {r['valid_f1']:.3f}")  # fmt: skip
    predictions = tagger.predict(SENTENCES)
    for p in predictions:
        show_tags(p["tokens"], p["tags"])
        spans = ", ".join(f"{s['type']} {s['text']!r}" for s in p["spans"])
        print(f"  spans: {spans or 'none'}")
    print(f"run directory: {out}")
    return {
        "first_loss": records[0]["train_loss"],
        "last_loss": records[-1]["train_loss"],
        "predictions": predictions,
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200, help="training steps of part 3")
    parser.add_argument("--eval-every", type=int, default=100)
    parser.add_argument("--hidden", type=int, default=64, help="BiLSTM hidden size")
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--out", default=None, help="run directory of part 3")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    spans_from_tags()
    result = {"hand": accuracy_versus_f1()}
    result |= train_tagger(args)
    return result


if __name__ == "__main__":
    main()
