"""Korean sequence tagging on Kiwi morphemes: POS, NER with BIO tags, and SRL as spans.

    python examples/korean_pos_ner.py
    python examples/korean_pos_ner.py --steps 400 --hidden 64

Note 002 lists three tagging tasks, one tag per token (many-to-many): part of
speech (POS), named entities (NER, in the BIO scheme) and semantic roles (SRL).
Its examples are English; this one tags Korean, where the token is the morpheme
(Kiwi: ``make_tokenizer("korean", pos=True)``, ``pip install 'rnnkit[korean]'``).

1. POS: Kiwi analyses sentences written for this example into morphemes and
   their Sejong tags (김민수/NNP, 는/JX, ...). Those tags are Kiwi's, not a
   hand-checked corpus (silver labels); a BiLSTM-CRF trained with
   ``rnnkit.train("tag", tokenizer="korean", scheme="none")`` learns to give
   them back on sentences it has not seen.
2. NER: the same sentences with their people (PER), places (LOC) and
   organisations (ORG) marked, tagged in BIO over the morphemes. A name that
   Kiwi splits into two morphemes (박/지훈) becomes B-PER I-PER; the particle
   after it (은, 에서) is O.
3. SRL: one sentence labelled by hand with the roles of its predicate in BIO
   (ARG0 who, ARG1 what, ARGM-LOC where, V the predicate), read back as spans
   with ``rnnkit.span_metrics.bio_spans``: the same machinery as NER.

The sentences come from templates and name lists written for rnnkit; the
training and validation sentences are different draws.
"""

import argparse
import random
import tempfile
from pathlib import Path

import rnnkit
from rnnkit.data import make_tokenizer
from rnnkit.span_metrics import bio_spans

TEMPLATES = [
    "{PER} 씨는 {LOC}에 있는 {ORG}에 다닌다.",
    "어제 {PER} 씨가 {LOC}에서 {ORG} 직원을 만났다.",
    "{ORG}의 새 사무실이 {LOC}에 문을 열었다.",
    "{PER} 씨는 {LOC}의 {ORG} 본사를 방문했다.",
    "{LOC}에 사는 {PER} 씨가 {ORG}에 입사했다.",
]
FILLERS = {
    "PER": ["김민수", "이영희", "박지훈", "최수진", "정하늘", "강서준", "윤지아", "한도윤"],
    "LOC": ["서울", "부산", "대전", "광주", "인천", "대구", "제주", "수원"],
    "ORG": ["삼성전자", "네이버", "카카오", "현대자동차", "한국은행", "엘지전자"],
}
NEW_SENTENCES = [
    "박지훈 씨는 부산에 있는 카카오에 다닌다.",
    "철수와 영희는 식탁에 앉아 사과를 먹었다.",
]
SRL_EXAMPLE = (  # morphemes of "철수가 식탁에서 사과를 먹었다." and the roles of 먹다
    ["철수", "가", "식탁", "에서", "사과", "를", "먹", "었", "다", "."],
    ["B-ARG0", "O", "B-ARGM-LOC", "O", "B-ARG1", "O", "B-V", "O", "O", "O"],
)


def draw_sentences(n: int, seed: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """``n`` sentences from the templates: (text, [(entity text, type), ...])."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        template = rng.choice(TEMPLATES)
        chosen = {kind: rng.choice(names) for kind, names in FILLERS.items()}
        entities = [(chosen[kind], kind) for kind in FILLERS if "{" + kind + "}" in template]
        out.append((template.format(**chosen), entities))
    return out


def bio_over_morphemes(forms: list[str], entities: list[tuple[str, str]]) -> list[str]:
    """BIO tags for the morphemes: an entity covers the run of morphemes that spells it."""
    tags = ["O"] * len(forms)
    for text, kind in entities:
        for start in range(len(forms)):
            joined, end = "", start
            while end < len(forms) and len(joined) < len(text):
                joined += forms[end]
                end += 1
            if joined == text and all(t == "O" for t in tags[start:end]):
                tags[start:end] = [f"B-{kind}"] + [f"I-{kind}"] * (end - start - 1)
                break
    return tags


def write_conll(path: Path, sentences, tokenizer, kind: str) -> list[tuple[list[str], list[str]]]:
    """One ``morpheme TAG`` line per token, sentences apart by a blank line."""
    rows = []
    for text, entities in sentences:
        analysed = [t.rpartition("/") for t in tokenizer.tokenize(text)]
        forms = [form for form, _, _ in analysed]
        tags = (
            [tag for _, _, tag in analysed]
            if kind == "pos"
            else bio_over_morphemes(forms, entities)
        )
        rows.append((forms, tags))
    blocks = ["\n".join(f"{f} {t}" for f, t in zip(forms, tags)) for forms, tags in rows]
    path.write_text("\n\n".join(blocks) + "\n", encoding="utf-8")
    return rows


def train_tagger(kind, train_file, valid_file, args, out):
    scheme = "none" if kind == "pos" else "BIO"
    return rnnkit.train(
        "tag", data=str(train_file), valid=str(valid_file), tokenizer="korean", scheme=scheme,
        hidden_size=args.hidden, max_steps=args.steps, eval_every=args.steps,
        batch_size=16, lr=args.lr, warmup_steps=0, dropout=0.1, early_stopping=None,
        keep_best=False, seed=args.seed, out=str(Path(out) / kind), progress=False,
    )  # fmt: skip


def show(tokens, tags) -> None:
    widths = [max(len(a), len(b)) + 2 for a, b in zip(tokens, tags)]
    print("  " + "".join(t.ljust(w) for t, w in zip(tokens, widths)).rstrip())
    print("  " + "".join(t.ljust(w) for t, w in zip(tags, widths)).rstrip())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train", type=int, default=60, help="training sentences")
    parser.add_argument("--valid", type=int, default=15, help="validation sentences")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--hidden", type=int, default=48)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="where the two run directories go")
    args = parser.parse_args(argv)
    out = Path(args.out or tempfile.mkdtemp(prefix="ko-tag-"))
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer("korean", pos=True)
    train_sentences = draw_sentences(args.train, args.seed)
    valid_sentences = draw_sentences(args.valid, args.seed + 1)
    result = {}
    for kind, title in (("pos", "part 1: POS tags (Kiwi's, as silver labels)"),
                        ("ner", "part 2: NER in BIO over morphemes")):  # fmt: skip
        print(f"--- {title} ---")
        rows = write_conll(out / f"{kind}-train.conll", train_sentences, tokenizer, kind)
        write_conll(out / f"{kind}-valid.conll", valid_sentences, tokenizer, kind)
        print(f"{len(train_sentences)} training sentences, e.g. {train_sentences[0][0]!r}:")
        show(*rows[0])
        tagger = train_tagger(kind, out / f"{kind}-train.conll", out / f"{kind}-valid.conll",
                              args, out)  # fmt: skip
        metrics = tagger.evaluate()
        score = "accuracy" if kind == "pos" else "f1"
        print(f"validation ({args.valid} other sentences): token accuracy "
              f"{metrics['accuracy']:.3f}" + (f", entity F1 {metrics['f1']:.3f}"
                                              if kind == "ner" else ""))  # fmt: skip
        predictions = tagger.predict(NEW_SENTENCES)
        for p in predictions:
            show(p["tokens"], p["tags"])
            if kind == "ner":
                spans = ", ".join(f"{s['type']} {s['text']!r}" for s in p["spans"])
                print(f"  spans: {spans or 'none'}")
        result[kind] = {"metric": metrics[score], "predictions": predictions,
                        "first": rows[0]}  # fmt: skip
    print("--- part 3: SRL, the roles of one predicate as BIO spans ---")
    tokens, tags = SRL_EXAMPLE
    show(tokens, tags)
    spans = bio_spans(tags)
    print("  " + ", ".join(f"{s.type} {' '.join(tokens[s.start : s.end])!r}" for s in spans))
    result["srl"] = [(s.type, s.start, s.end) for s in spans]
    print(f"run directories: {out / 'pos'}, {out / 'ner'}")
    return result


if __name__ == "__main__":
    main()
