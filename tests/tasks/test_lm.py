"""The contract every task meets: train tiny, loss goes down, save, load, same
predictions, another seed differs; plus what is particular to language models."""

import math
from pathlib import Path

import pytest
import torch

import rnnkit
import rnnkit.data.embedded
from rnnkit.errors import CheckpointError

TINY = dict(
    hidden_size=24,
    embedding_dim=8,
    num_layers=1,
    batch_size=4,
    bptt=16,
    lr=0.02,
    warmup_steps=0,
    eval_every=20,
    progress=False,
)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "lm"
    data = str(__import__("pathlib").Path(__file__).parents[1] / "fixtures" / "tiny.txt")
    lm = rnnkit.train("lm", data=data, out=out, max_steps=60, seed=1, **TINY)
    return lm, out, data


def test_run_directory_holds_the_contract_files(trained):
    _, out, _ = trained
    for name in (
        "config.json",
        "model.safetensors",
        "vocab.json",
        "tokenizer.json",
        "metrics.jsonl",
        "checkpoint/trainer_state.pt",
    ):
        assert (out / name).is_file(), name
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_same_seed_same_text_and_other_seed_other_text(trained):
    lm, _, _ = trained
    a = lm.generate("ALL:", max_new=60, temperature=1.0, seed=5)
    assert a == lm.generate("ALL:", max_new=60, temperature=1.0, seed=5)
    assert a != lm.generate("ALL:", max_new=60, temperature=1.0, seed=6)
    assert a.startswith("ALL:") and len(a) == len("ALL:") + 60


def test_stream_yields_the_generated_text_piece_by_piece(trained):
    lm, _, _ = trained
    pieces = list(lm.stream("ALL:", 30, temperature=0.5, seed=9))
    assert len(pieces) == 30
    assert "ALL:" + "".join(pieces) == lm.generate("ALL:", 30, temperature=0.5, seed=9)
    assert not any(tok in "".join(pieces) for tok in ("<pad>", "<unk>", "<bos>", "<eos>"))


def test_generation_primes_once_then_steps_one_token_at_a_time(trained, monkeypatch):
    lm, _, _ = trained
    lengths, steps = [], []
    step = lm.model.step
    monkeypatch.setattr(
        lm.model, "step", lambda token, state: steps.append(token.shape) or step(token, state)
    )
    hook = lm.model.register_forward_pre_hook(lambda m, args: lengths.append(args[0].shape[1]))
    try:
        lm.generate("FIRST CITIZEN:", max_new=10, seed=0)
    finally:
        hook.remove()
    assert lengths == [len("FIRST CITIZEN:")]  # the prompt, read once
    assert steps == [(1,)] * 9  # then one token a step; the 10th is drawn from the 9th's logits


def test_greedy_is_deterministic_without_a_seed(trained):
    lm, _, _ = trained
    assert lm.generate("A", 20, temperature=0) == lm.generate("A", 20, temperature=0)


def test_evaluate_reports_the_documented_keys(trained):
    lm, _, _ = trained
    metrics = lm.evaluate()
    assert set(metrics) == {"task", "loss", "perplexity", "bits_per_char", "tokens"}
    assert metrics["perplexity"] == pytest.approx(
        torch.tensor(metrics["loss"]).exp().item(), rel=1e-5
    )
    assert metrics["tokens"] > 0


def test_next_token_probs_are_a_ranked_distribution(trained):
    lm, _, _ = trained
    probs = lm.next_token_probs("Speak, spea", top_k=5)
    assert len(probs) == 5
    values = [p for _, p in probs]
    assert values == sorted(values, reverse=True) and 0 < sum(values) <= 1 + 1e-6


def test_resuming_may_not_change_the_model(trained):
    _, out, data = trained
    with pytest.raises(rnnkit.ConfigError, match="cannot change hidden_size when resuming"):
        rnnkit.train("lm", resume=out, hidden_size=99, progress=False)


def test_a_vocab_that_does_not_fit_the_weights_is_refused(trained, tmp_path):
    import shutil

    _, out, _ = trained
    broken = tmp_path / "broken"
    shutil.copytree(out, broken)
    (broken / "vocab.json").write_text('{"specials": ["<pad>"], "itos": ["<pad>", "a"]}')
    with pytest.raises(
        CheckpointError, match="the saved assets give vocab_size 2, but config.json's model has"
    ):
        rnnkit.load(broken)


@pytest.mark.parametrize("kind, options", [("ngram", {"order": 4}), ("window", {"context": 4})])
def test_the_road_ngram_and_window_models_train_save_load_and_generate(kind, options, tmp_path):
    data = str(Path(__file__).parents[1] / "fixtures" / "tiny.txt")
    lm = rnnkit.train(
        "lm", data=data, out=tmp_path / kind, kind=kind, max_steps=40, **TINY, **options
    )
    metrics = lm.evaluate()
    assert set(metrics) == {"task", "loss", "perplexity", "bits_per_char", "tokens"}
    assert metrics["loss"] < math.log(len(lm.vocab)) - 1.0
    loaded = rnnkit.load(tmp_path / kind)
    assert loaded.evaluate()["loss"] == pytest.approx(metrics["loss"], abs=1e-6)
    kw = dict(max_new=30, temperature=0.7, seed=4)
    assert loaded.generate("ALL:", **kw) == lm.generate("ALL:", **kw)
    assert len(loaded.generate("ALL:", **kw)) == len("ALL:") + 30


def test_ngram_evaluation_equals_the_baseline_score_of_the_same_stream(tmp_path):
    from rnnkit.baselines.ngram import KneserNeyLM
    from rnnkit.tasks.lm import encode, read_splits

    data = str(Path(__file__).parents[1] / "fixtures" / "tiny.txt")
    lm = rnnkit.train("lm", data=data, out=tmp_path / "ng", kind="ngram", order=3, progress=False)
    (span,) = read_splits(lm.config).train  # the file, streamed
    train_text = "".join(span.blocks())
    direct = KneserNeyLM(order=3).fit(encode(train_text, lm.tokenizer, lm.vocab), len(lm.vocab))
    text = "ALL:\nSpeak, speak.\n"
    expected = -direct.log_prob(encode(text, lm.tokenizer, lm.vocab))[1:].mean()
    assert lm.evaluate([text])["loss"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("tokenizer", ["word", "codepoint", "byte", "sentencepiece"])
def test_other_tokenizers_train_and_round_trip_through_the_run(tokenizer, tmp_path):
    data = Path(__file__).parents[1] / "fixtures" / "tiny.txt"
    options = {**TINY, "batch_size": 2}
    if tokenizer == "sentencepiece":  # the fixture is small: learn the pieces from more text
        big = tmp_path / "big.txt"
        big.write_text(rnnkit.data.embedded.load("shakespeare")[:60_000], encoding="utf-8")
        data = big
    lm = rnnkit.train(
        "lm", data=str(data), out=tmp_path / "run", tokenizer=tokenizer, max_steps=5, **options
    )
    loaded = rnnkit.load(tmp_path / "run")
    text = "ALL:\nSpeak, speak.\n"
    assert loaded.evaluate([text])["loss"] == pytest.approx(lm.evaluate([text])["loss"], abs=1e-6)
    assert ("bits_per_char" in lm.evaluate([text])) == (tokenizer == "codepoint")
    out = loaded.generate("ALL:", max_new=5, temperature=0, seed=0)
    assert out.startswith("ALL:") and out == lm.generate("ALL:", max_new=5, temperature=0)


def test_fresh_protocol_scores_every_window_from_a_zero_state(trained):
    import torch.nn.functional as F

    from rnnkit.tasks.lm import encode, evaluate_lm

    lm, _, _ = trained
    ids = encode(
        "FIRST CITIZEN:\nBefore we proceed any further, hear me.\n", lm.tokenizer, lm.vocab
    )
    fresh = evaluate_lm(lm.model, ids, bptt=8, batch_size=1, protocol="fresh")
    carry = evaluate_lm(lm.model, ids, bptt=8, batch_size=1, protocol="carry")
    total, count = 0.0, 0
    with torch.no_grad():
        for start in range(0, ids.numel() - 1, 8):
            x = ids[start : start + 8][None]
            y = ids[start + 1 : start + 9][None][:, : x.size(1)]
            x = x[:, : y.size(1)]
            logits, _ = lm.model(x)  # a zero state for every window
            total += F.cross_entropy(logits[0], y[0], reduction="sum").item()
            count += y.numel()
    assert fresh["tokens"] == carry["tokens"] == count
    assert fresh["loss"] == pytest.approx(total / count, rel=1e-6)
    assert fresh["loss"] != pytest.approx(carry["loss"], rel=1e-6)
    with pytest.raises(rnnkit.ConfigError, match="protocol must be one of"):
        evaluate_lm(lm.model, ids, bptt=8, protocol="sliding")


def _sizes(run: Path) -> tuple:
    import json

    m = json.loads((run / "config.json").read_text())["model"]
    return m["tie_weights"], m["embedding_dim"], m["dropout"]


def test_sizes_left_to_the_data_follow_the_vocabulary_and_are_recorded(tmp_path):
    """Characters: 64-d embeddings, dropout 0.1, untied. A vocabulary of 1,000+ words:
    the decoder tied to the embedding (so E = H) and dropout 0.5. A size given wins."""
    from rnnkit.tasks.lm import WORD_LEVEL_VOCAB

    words = tmp_path / "words.txt"
    n = WORD_LEVEL_VOCAB + 50
    words.write_text(" ".join(f"w{i % n}" for i in range(3 * n)) + "\n", encoding="utf-8")
    chars = Path(__file__).parents[1] / "fixtures" / "tiny.txt"
    base = {k: v for k, v in TINY.items() if k != "embedding_dim"} | {"max_steps": 2}

    lm = rnnkit.train("lm", data=str(words), tokenizer="word", out=tmp_path / "w", **base)
    assert lm.config.model.vocab_size >= WORD_LEVEL_VOCAB
    assert _sizes(tmp_path / "w") == (True, TINY["hidden_size"], 0.5)
    decoder = lm.model.decoder.weight
    assert decoder is lm.model.embedding.weight  # one matrix, not two equal ones

    rnnkit.train("lm", data=str(chars), out=tmp_path / "c", **base)
    assert _sizes(tmp_path / "c") == (False, 64, 0.1)

    given = {"tie_weights": False, "dropout": 0.2}
    rnnkit.train("lm", data=str(words), tokenizer="word", out=tmp_path / "g", **base, **given)
    assert _sizes(tmp_path / "g") == (False, 64, 0.2)
    loaded = rnnkit.load(tmp_path / "w")  # the recorded sizes rebuild the same model
    assert loaded.model.decoder.weight is loaded.model.embedding.weight
