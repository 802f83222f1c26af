"""The benchmark scripts print one JSON object each (README, "Benchmarks"): the
fastest of them, run as a user runs it, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def test_bench_recurrent_packed_only_prints_one_json_object_of_ratios():
    cmd = [sys.executable, str(BENCHMARKS / "bench_recurrent.py"), "--packed-only", "--quick"]
    done = subprocess.run(
        [*cmd, "--repeats", "1", "--threads", "1"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    report = json.loads(lines[0])
    for cell in ("lstm", "gru"):
        rows = report[f"packed_bidirectional_{cell}"]
        assert len(rows) == 2
        for row in rows.values():
            assert row[f"ratio_vs_torch_{cell}"] > 0
            assert row["tokens_per_s"] > 0


TAGS = {"the": "DET", "cat": "NOUN", "mat": "NOUN", "on": "ADP", ".": "PUNCT", "?": "PUNCT",
        "is": "AUX", "where": "ADV"}  # fmt: skip


def _gum_like(path: Path, documents: list[str], *, s_type: bool = True) -> Path:
    """A small CoNLL-U file shaped as GUM's: ``GUM_<genre>_<doc>-<n>`` ids and ``s_type``."""
    kinds = [("decl", "the cat sat on the mat ."), ("q", "is the cat on the mat ?"),
             ("wh", "where is the cat ?"), ("imp", "feed the cat .")]  # fmt: skip
    blocks = []
    for doc in documents:
        for n, (kind, text) in enumerate(kinds * 3, 1):
            words = text.split()
            lines = [f"# sent_id = GUM_{doc}-{n}", *([f"# s_type = {kind}"] * s_type),
                     f"# text = {text}"]  # fmt: skip
            tags = [TAGS.get(w, "VERB") for w in words]
            lines += [f"{i}\t{w}\t{w}\t{t}\t{t}\t_\t0\tdep\t_\t_"
                      for i, (w, t) in enumerate(zip(words, tags), 1)]  # fmt: skip
            blocks.append("\n".join(lines))
    path.write_text("\n\n".join(blocks), encoding="utf-8")  # no blank line after the last
    return path


def test_bench_classify_scores_gum_sentence_types_beside_the_baseline(tmp_path):
    dev = _gum_like(tmp_path / "dev.conllu", ["news_a", "news_b", "fiction_c"])
    test = _gum_like(tmp_path / "test.conllu", ["news_d", "fiction_e"])
    cmd = [sys.executable, str(BENCHMARKS / "bench_classify.py"), "--no-embedded",
           "--seeds", "0", "--time-budget", "60", "--gum", f"{dev},{test}",
           "--options", '{"max_steps": 3}']  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    genre, s_type = json.loads(lines[0])["results"]
    assert genre["model"]["steps"] == s_type["model"]["steps"] == 3  # --options reached train
    assert (genre["label"], genre["classes"]) == ("genre", 2)  # news, fiction
    assert (s_type["label"], s_type["classes"]) == ("s_type", 4)
    for result in (genre, s_type):
        # every sentence of each file, the last one too (no blank line after it)
        assert (result["n_train"], result["n_test"], result["test_documents"]) == (33, 24, 2)
        for key in ("accuracy", "macro_f1"):
            assert 0 <= result["model"][key] <= 1
            lo, hi = result["model_minus_baseline_95_interval_over_documents"][key]
            assert lo <= hi
    assert "| GUM sentence type | accuracy |" in done.stderr


def test_bench_classify_names_the_line_of_a_sentence_without_its_type(tmp_path):
    dev = _gum_like(tmp_path / "dev.conllu", ["news_a"], s_type=False)
    # both tasks by default: genre reads the file, s_type stops it before any training
    cmd = [sys.executable, str(BENCHMARKS / "bench_classify.py"), "--no-embedded",
           "--gum", f"{dev},{dev}"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"bench_classify.py: {dev}, line 1: sentence GUM_news_a-1 has no '# s_type'"
    ]


def test_bench_tag_prints_its_table_on_stderr_and_one_json_object_on_stdout(tmp_path):
    dev = _gum_like(tmp_path / "dev.conllu", ["news_a", "news_b"])
    test = _gum_like(tmp_path / "test.conllu", ["news_d"])
    cmd = [sys.executable, str(BENCHMARKS / "bench_tag.py"), "--no-embedded", "--seeds", "0",
           "--time-budget", "2", "--tag-column", "upos", f"{dev},{test}"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, done.stdout
    (result,) = json.loads(lines[0])["results"]
    assert (result["n_train"], result["scheme"]) == (22, "none")  # POS tags: no spans
    for part in ("model", "baseline_most_frequent_tag", "baseline_feature_crf"):
        assert 0 <= result[part]["accuracy"] <= 1
    assert "| accuracy |" in done.stderr


def test_tag_trials_holdout_scores_sentences_neither_trained_nor_validated_on(tmp_path):
    dev = _gum_like(tmp_path / "dev.conllu", ["news_a", "news_b", "news_c"])
    cmd = [sys.executable, str(BENCHMARKS / "tag_trials.py"), "--train", str(dev),
           "--tag-column", "upos", "--time-budget", "2", "--holdout", '[{"max_steps": 3}]']  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True)
    (row,) = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    assert row["metric"] == "valid_accuracy" and row["steps"] == 3
    assert 0 <= row["holdout"] <= 1 and 0 <= row["valid"] <= 1
