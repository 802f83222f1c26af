"""examples/ner_bio_tagging.py and examples/seq2seq_attention.py at a small size: BIO
spans and their scores as worked out by hand, a tagger that learns, and an encoder-decoder
that restores the lines it was trained on."""

import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


def run_example(name: str, argv: list[str]):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, module.main(argv)


def test_ner_hand_scores_are_the_docstrings_and_the_tagger_learns(tmp_path, capsys):
    argv = ["--steps", "40", "--eval-every", "20", "--hidden", "24", "--lr", "0.02",
            "--out", str(tmp_path / "run")]  # fmt: skip
    module, result = run_example("ner_bio_tagging", argv)
    hand = result["hand"]
    # worked out in the module docstring: A gets 6 of 8 tokens and 1 of 3 spans (P = R = 1/3)
    assert hand["A"]["accuracy"] == pytest.approx(6 / 8)
    assert hand["A"]["f1"] == pytest.approx(1 / 3)
    assert hand["B"]["accuracy"] == pytest.approx(3 / 8)  # all O: only teaches, at, in
    assert hand["B"]["f1"] == 0.0
    assert result["last_loss"] < result["first_loss"]
    predictions = result["predictions"]
    assert [p["input"] for p in predictions] == module.SENTENCES
    for p in predictions:
        assert len(p["tags"]) == len(p["tokens"]) > 0
    assert predictions[0]["tokens"] == ["Sung", "Kim", "teaches", "at", "HKUST"]
    printed = capsys.readouterr().out
    assert "spans: PER 0:2 'Sung Kim', ORG 4:5 'HKUST', LOC 6:8 'Hong Kong'" in printed
    assert "strict (seqeval mode='strict') drops it: [Span(type='LOC', start=4, end=5)]" in printed


def test_seq2seq_with_attention_restores_its_training_lines(tmp_path, capsys):
    module, result = run_example("seq2seq_attention", ["--steps", "100", "--out", str(tmp_path)])
    lines = module.LINES
    restored = [o == t for o, t in zip(result["general"], lines)]
    assert restored[0] and sum(restored) >= len(lines) - 1, result["general"]
    assert len(result["none"]) == len(lines) and all(result["none"])
    source = set(module.to_source(lines[0]))
    assert len(result["alignment"]) == len(lines[0]) + 1  # one per output character and <eos>
    assert set(result["alignment"]) <= source
    printed = capsys.readouterr().out
    assert "--- without attention" in printed and "--- with attention" in printed
    assert "ok thisissungkim.         -> This is Sung Kim." in printed
