"""English -> Korean seq2seq on a small parallel set written for rnnkit.

    python examples/seq2seq_en_ko.py
    python examples/seq2seq_en_ko.py --steps 600 --hidden 128

The seq2seq lab behind note 004 translates between languages; rnnkit's own
seq2seq task restores spaces and capitals (examples/seq2seq_attention.py).
This example is translation, English to Korean, through the same
``rnnkit.train("seq2seq")``: a bidirectional GRU encoder over English words, a
GRU decoder with attention writing Korean words (eojeol, the space-separated
units), teacher forcing while training and greedy decoding after.

The data are :data:`PAIRS`, 40 short sentence pairs written for rnnkit (not
taken from any corpus; free to use with rnnkit's licence). The model learns
them by heart in a few hundred steps. Then it translates sentences it has not
seen, made of words it has: with this little data some come out right and
some come out as the nearest training sentence, which is what 40 pairs can
teach. A real system trains on millions of pairs (e.g. the Korean-English
sets of AI Hub or OPUS) with subword tokens: ``rnnkit train seq2seq --data
pairs.tsv --tokenizer sentencepiece``.
"""

import argparse
import tempfile
import warnings
from pathlib import Path

import rnnkit

PAIRS = [
    ("i am a student .", "나는 학생이다."),
    ("i am a teacher .", "나는 선생님이다."),
    ("she is a student .", "그녀는 학생이다."),
    ("he is a teacher .", "그는 선생님이다."),
    ("i like apples .", "나는 사과를 좋아한다."),
    ("i like milk .", "나는 우유를 좋아한다."),
    ("she likes books .", "그녀는 책을 좋아한다."),
    ("he likes music .", "그는 음악을 좋아한다."),
    ("we like music .", "우리는 음악을 좋아한다."),
    ("they like apples .", "그들은 사과를 좋아한다."),
    ("i eat an apple .", "나는 사과를 먹는다."),
    ("she eats bread .", "그녀는 빵을 먹는다."),
    ("he eats rice .", "그는 밥을 먹는다."),
    ("we eat bread .", "우리는 빵을 먹는다."),
    ("i drink milk .", "나는 우유를 마신다."),
    ("she drinks water .", "그녀는 물을 마신다."),
    ("he drinks coffee .", "그는 커피를 마신다."),
    ("they drink water .", "그들은 물을 마신다."),
    ("i read a book .", "나는 책을 읽는다."),
    ("she reads a newspaper .", "그녀는 신문을 읽는다."),
    ("we read books .", "우리는 책을 읽는다."),
    ("i go to school .", "나는 학교에 간다."),
    ("she goes to the library .", "그녀는 도서관에 간다."),
    ("he goes to the market .", "그는 시장에 간다."),
    ("they go to school .", "그들은 학교에 간다."),
    ("i live in seoul .", "나는 서울에 산다."),
    ("she lives in busan .", "그녀는 부산에 산다."),
    ("we live in seoul .", "우리는 서울에 산다."),
    ("the weather is good .", "날씨가 좋다."),
    ("the weather is cold .", "날씨가 춥다."),
    ("the book is good .", "책이 좋다."),
    ("the coffee is hot .", "커피가 뜨겁다."),
    ("the water is cold .", "물이 차갑다."),
    ("i am happy .", "나는 행복하다."),
    ("she is happy .", "그녀는 행복하다."),
    ("we are tired .", "우리는 피곤하다."),
    ("thank you .", "감사합니다."),
    ("good morning .", "좋은 아침입니다."),
    ("see you tomorrow .", "내일 봐요."),
    ("i love you .", "사랑해요."),
]
UNSEEN = [  # new combinations of known words, with a reference translation
    ("he likes apples .", "그는 사과를 좋아한다."),
    ("we drink coffee .", "우리는 커피를 마신다."),
    ("she lives in seoul .", "그녀는 서울에 산다."),
    ("they read books .", "그들은 책을 읽는다."),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="the run directory")
    args = parser.parse_args(argv)
    # the attention plot's default font has no Hangul; the run directory's PNG shows boxes
    warnings.filterwarnings("ignore", message="Glyph .* missing from font")
    folder = Path(tempfile.mkdtemp(prefix="en-ko-"))
    pairs_file = folder / "en-ko.tsv"
    pairs_file.write_text("".join(f"{en}\t{ko}\n" for en, ko in PAIRS), encoding="utf-8")
    print(f"{len(PAIRS)} pairs, e.g. {PAIRS[4][0]!r} -> {PAIRS[4][1]!r}")
    s2s = rnnkit.train(
        "seq2seq", data=str(pairs_file), valid=str(pairs_file), tokenizer="word",
        target_tokenizer="word", hidden_size=args.hidden, embedding_dim=32, batch_size=20,
        lr=args.lr, warmup_steps=0, epochs=args.steps, max_steps=args.steps,
        eval_every=args.steps, keep_best=False, seed=args.seed,
        out=args.out or str(folder / "run"), progress=False,
    )  # fmt: skip
    print("--- training pairs ---")
    outputs = s2s.translate([en for en, _ in PAIRS])
    right = [out == ko for out, (_, ko) in zip(outputs, PAIRS)]
    for (en, _), out, ok in list(zip(PAIRS, outputs, right))[:6]:
        print(f"{'ok' if ok else '  '} {en:24} -> {out}")
    print(f"... {sum(right)} of {len(PAIRS)} training pairs translated exactly")
    print("--- sentences it has not seen ---")
    unseen = s2s.translate([en for en, _ in UNSEEN])
    for (en, ko), out in zip(UNSEEN, unseen):
        print(f"{'ok' if out == ko else '  '} {en:24} -> {out}  (reference: {ko})")
    return {"train_exact": sum(right), "outputs": outputs, "unseen": unseen}


if __name__ == "__main__":
    main()
